"""omniplan-switch inside the current process: its gRPC server on a background event loop.

Why: tests and benchmarks need both a real P4Runtime endpoint (for clients) and direct access to
the data plane (inject a frame, see what came out, read port counters) of the same switch. All
data-plane calls are marshalled onto the switch's loop, so they never race the gRPC handlers.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable

from softswitch.dataplane import DEFAULT_CPU_PORT
from softswitch.server import start_server
from softswitch.switch import SoftSwitch


class EmbeddedSwitch:
    """A started switch: ``address`` for P4Runtime clients, ``inject``/``collect`` for frames."""

    def __init__(self, device_id: int = 0, cpu_port: int = DEFAULT_CPU_PORT, addr: str = "127.0.0.1", port: int = 0):
        self.switch = SoftSwitch(device_id=device_id, cpu_port=cpu_port)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="omniplan-switch", daemon=True)
        self._thread.start()
        try:
            self._server, bound = self.call_async(start_server(self.switch, addr, port))
        except BaseException:
            self._stop_loop()
            raise
        self.address = f"{addr}:{bound}"

    def call_async(self, coro) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def call(self, fn: Callable, *args: Any) -> Any:
        """Run ``fn(*args)`` on the switch's loop and return its result."""

        async def run():
            return fn(*args)

        return self.call_async(run())

    def inject(self, port: int, frame: bytes) -> list[tuple[int, bytes]]:
        """Receive ``frame`` on ``port``; returns (egress port, bytes) pairs it produced."""
        return self.call(self.switch.dataplane.inject, port, frame)

    def collect(self, port: int) -> list[bytes]:
        """Frames sent out of an in-process ``port`` (one with no interface) since the last call."""
        return self.call(self.switch.dataplane.collect, port)

    def counters(self) -> dict[int, dict[str, int]]:
        return self.call(self.switch.dataplane.counters_table)

    def close(self) -> None:
        try:
            self.call_async(self._server.stop(grace=0.2))
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    def __enter__(self) -> "EmbeddedSwitch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
