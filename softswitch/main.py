"""``omniplan-switch``: run the soft switch as a P4Runtime server (flags follow simple_switch_grpc).

Prints ``omniplan-switch: listening on ADDR:PORT`` once it accepts connections, so scripts and
tests can wait for it (and learn the port when started with --grpc-port 0).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys

from softswitch.dataplane import DEFAULT_CPU_PORT, RawSocketPort, interface_exists
from softswitch.errors import P4RuntimeError
from softswitch.p4info import load_p4info
from softswitch.server import start_server
from softswitch.switch import SoftSwitch

LOG_LEVELS = {"trace": logging.DEBUG, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
              "warning": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL,
              "off": logging.CRITICAL + 10}


def parse_interface(text: str) -> tuple[int, str]:
    """``PORT@IFACE`` -> (port, iface), as simple_switch's -i."""
    port, sep, iface = text.partition("@")
    if not sep or not port.isdigit() or not iface:
        raise argparse.ArgumentTypeError(f"interface {text!r} must be PORT@IFACE, e.g. 1@veth0")
    return int(port), iface


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="omniplan-switch", description=__doc__.splitlines()[0])
    p.add_argument("--device-id", type=int, default=0, help="P4Runtime device id (default 0)")
    p.add_argument("--grpc-addr", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--grpc-port", type=int, default=9559, help="P4Runtime port (default 9559; 0 = any free)")
    p.add_argument("-i", "--interface", type=parse_interface, action="append", default=[], metavar="PORT@IFACE",
                   help="attach switch port PORT to Linux interface IFACE (repeatable; needs root)")
    p.add_argument("--cpu-port", type=int, default=DEFAULT_CPU_PORT,
                   help=f"port that carries packet-in/packet-out (default {DEFAULT_CPU_PORT})")
    p.add_argument("--p4info", help="commit this P4Info (text or binary) at start, as if pushed by a controller")
    p.add_argument("--log-level", default="info", choices=sorted(LOG_LEVELS), help="log verbosity")
    return p


async def run(args: argparse.Namespace) -> int:
    switch = SoftSwitch(device_id=args.device_id, cpu_port=args.cpu_port)
    loop = asyncio.get_running_loop()
    for port, iface in args.interface:
        if not interface_exists(iface):
            print(f"omniplan-switch: error: -i {port}@{iface}: no such interface", file=sys.stderr)
            return 2
        try:
            rp = RawSocketPort(port, iface)
            switch.dataplane.add_port(port, rp)
        except (OSError, P4RuntimeError) as exc:
            print(f"omniplan-switch: error: -i {port}@{iface}: {exc}", file=sys.stderr)
            return 2
        loop.add_reader(rp.fileno(), switch.dataplane.on_readable, rp)
    if args.p4info:
        try:
            switch.commit_p4info(load_p4info(args.p4info))
        except (OSError, P4RuntimeError) as exc:
            print(f"omniplan-switch: error: --p4info {args.p4info}: {exc}", file=sys.stderr)
            return 2
    try:
        server, bound = await start_server(switch, args.grpc_addr, args.grpc_port)
    except OSError as exc:
        print(f"omniplan-switch: error: {exc}", file=sys.stderr)
        return 2
    print(f"omniplan-switch: listening on {args.grpc_addr}:{bound} (device id {args.device_id}, "
          f"{len(args.interface)} ports, cpu port {args.cpu_port})", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logging.getLogger("softswitch").info("stopping; port counters: %s", switch.dataplane.counters_table())
    await server.stop(grace=0.5)
    for rp in switch.dataplane.raw_ports():
        loop.remove_reader(rp.fileno())
    switch.dataplane.close()
    return 0


def tune_gc() -> None:
    """Make the cyclic GC cheap for a process whose state is many long-lived small objects.

    Each table entry is a handful of objects that live until deleted; with the default
    thresholds the collector rescans them every few hundred allocations and Write throughput
    drops by a third. Entries hold no reference cycles, so collecting rarely loses nothing.
    """
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tune_gc()
    logging.basicConfig(level=LOG_LEVELS[args.log_level],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("grpc", "asyncio"):  # their debug output drowns ours
        logging.getLogger(noisy).setLevel(max(LOG_LEVELS[args.log_level], logging.INFO))
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
