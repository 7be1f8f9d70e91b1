"""Stream notifications the switch originates: DigestList (P4Runtime v1.4.1 section 9.8) and
IdleTimeoutNotification (sections 9.1.8 and 16.4).

Why a module of its own: both are timers over switch state (digest buffers and the ack cache;
entries' last-hit clocks) that must run between RPCs, and both send to the primary client only.
The server drives ``tick`` from its event loop; tests can call it directly.

Digest handling follows the spec's pseudo-code: a data-plane digest message is dropped when it is
already buffered or in the cache of sent-but-unacknowledged lists, else buffered; a buffer is sent
when it holds ``max_list_size`` distinct messages or its first message is ``max_timeout_ns`` old;
a sent list stays in the cache until acknowledged (DigestListAck with its digest_id and list_id)
or ``ack_timeout_ns`` old. Digests of a digest id with no DigestEntry are dropped (PI does the same).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from softswitch.codec import canonicalize
from softswitch.proto import p4r

log = logging.getLogger("softswitch.notifications")
#: Period of the timer that flushes digest buffers and scans idle entries. The spec's example uses
#: 10 ms; 20 ms halves the wake-ups on a shared 2-core machine and is far below any useful TTL.
TICK_S = 0.02


@dataclass
class _DigestBuffer:
    messages: list[bytes] = field(default_factory=list)  # serialized P4Data, in arrival order
    first_ns: int = 0


@dataclass
class _SentList:
    digest_id: int
    messages: frozenset[bytes]
    sent_ns: int


class Notifier:
    """Digest buffers, the ack cache and the idle-timeout scan of one switch."""

    def __init__(self, send: Callable[["p4r.StreamMessageResponse"], None]):
        self.send = send  # delivers a message to the primary client(s)
        self.configs: dict[int, "p4r.DigestEntry.Config"] = {}  # the ExternStore's enabled digests
        self.buffers: dict[int, _DigestBuffer] = {}
        self.cache: dict[tuple[int, int], _SentList] = {}
        self.next_list_id = 1
        self.tables = None  # softswitch.tables.TableStore of the committed pipeline
        self.dropped_digests = 0

    def reset(self, configs: dict, tables) -> None:
        """A new pipeline was committed: follow its digest configs and tables, forget the rest."""
        self.configs, self.tables = configs, tables
        self.buffers.clear()
        self.cache.clear()

    # ---- digests (9.8) -------------------------------------------------------------------------
    def digest(self, digest_id: int, data: "p4d.P4Data") -> None:
        """One digest message from the data plane (the P4 ``digest()`` call)."""
        cfg = self.configs.get(digest_id)
        if cfg is None:
            self.dropped_digests += 1
            return
        raw = data.SerializeToString(deterministic=True)
        buf = self.buffers.setdefault(digest_id, _DigestBuffer())
        if raw in buf.messages or any(s.digest_id == digest_id and raw in s.messages for s in self.cache.values()):
            return  # a duplicate of a buffered or sent-but-unacknowledged message
        if not buf.messages:
            buf.first_ns = time.monotonic_ns()
        buf.messages.append(raw)
        if cfg.max_list_size and len(buf.messages) >= cfg.max_list_size or cfg.max_timeout_ns == 0:
            self._send_buffer(digest_id)

    def ack(self, ack: "p4r.DigestListAck") -> None:
        self.cache.pop((ack.digest_id, ack.list_id), None)

    def _send_buffer(self, digest_id: int) -> None:
        buf = self.buffers.pop(digest_id)
        msg = p4r.StreamMessageResponse()
        dl = msg.digest
        dl.digest_id, dl.list_id, dl.timestamp = digest_id, self.next_list_id, time.time_ns()
        for raw in buf.messages:
            dl.data.add().ParseFromString(raw)
        cfg = self.configs[digest_id]
        if cfg.ack_timeout_ns:  # ack_timeout 0: "the cache must always be an empty set"
            self.cache[(digest_id, self.next_list_id)] = _SentList(digest_id, frozenset(buf.messages),
                                                                   time.monotonic_ns())
        self.next_list_id += 1
        self.send(msg)

    # ---- timers --------------------------------------------------------------------------------
    def tick(self) -> None:
        """Flush digest buffers past max_timeout_ns, expire the ack cache, notify idle entries."""
        now = time.monotonic_ns()
        for digest_id, buf in list(self.buffers.items()):
            cfg = self.configs.get(digest_id)
            if cfg is None:
                del self.buffers[digest_id]
            elif buf.messages and now - buf.first_ns >= cfg.max_timeout_ns:
                self._send_buffer(digest_id)
        for key, sent in list(self.cache.items()):
            cfg = self.configs.get(sent.digest_id)
            if cfg is None or now - sent.sent_ns >= cfg.ack_timeout_ns:
                del self.cache[key]
        self._scan_idle(now)

    def _scan_idle(self, now: int) -> None:
        """16.4: one IdleTimeoutNotification per table with expired entries; each notified entry's
        timer restarts, so it is notified again after another TTL without a hit."""
        store = self.tables
        if store is None:
            return
        for tid, states in store.direct.items():
            if not store.index.tables[tid].idle_timeout:
                continue
            expired = []
            for key, st in states.items():
                if st.idle_timeout_ns and now - st.idle_mark >= st.idle_timeout_ns:
                    expired.append(key)
                    st.idle_mark = now
            if not expired:
                continue
            msg = p4r.StreamMessageResponse()
            note = msg.idle_timeout_notification
            note.timestamp = time.time_ns()
            rows = store.entries[tid]
            for key in expired:
                _, pb, padded = rows[key]
                te = note.table_entry.add()
                te.table_id, te.priority = tid, pb.priority
                te.match.extend(pb.match)
                te.controller_metadata, te.metadata = pb.controller_metadata, pb.metadata
                te.idle_timeout_ns = states[key].idle_timeout_ns
                if padded:
                    canonicalize(te)
            self.send(msg)

    def busy(self) -> bool:
        """Whether a tick has anything to do (so an idle switch need not wake up)."""
        if self.buffers or self.cache:
            return True
        store = self.tables
        return store is not None and any(store.index.tables[t].idle_timeout and states
                                         for t, states in store.direct.items())
