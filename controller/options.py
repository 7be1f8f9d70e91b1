"""Settings of one controller instance, shared by its intent manager and its network view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass
class ServiceOptions:
    """How the controller plans and pushes.

    Example: ``ServiceOptions(batch_size=64, drain_s=0.05)`` pushes 64 updates per WriteRequest and
    waits 50 ms between the flip and the break phase.
    """

    time_limit_s: float = 10.0
    batch_size: int = 256
    drain_s: float = 0.02
    #: Test/fault-injection hook: awaited before each write batch with (phase, switch, n).
    write_hook: Callable | None = None
    #: Test packets per task in the twin validation (interval boundaries first, then random points).
    twin_vectors: int = 12
    #: Load the intent translator's model at start (seconds) instead of on the first text intent.
    warm_translator: bool = False
    #: Seconds between heartbeats (a pipeline-cookie read) to each connected switch; a switch whose
    #: stream stays open but that stops answering (hung, overloaded) is caught by these.
    heartbeat_s: float = 1.0
    #: A heartbeat slower than this counts as missed (a Python switch on a loaded 2-core host
    #: answers in milliseconds; seconds mean it is stuck).
    heartbeat_timeout_s: float = 2.0
    #: Consecutive missed heartbeats after which the switch is declared down.
    heartbeat_misses: int = 2
    #: A configured switch that has not connected this long after start counts as down (planned around).
    startup_grace_s: float = 10.0
    #: Seconds between link probes (controller.links); 0 = no probes (links are then not monitored).
    #: ``omniplan serve`` turns them on; in-process tests whose switches are not wired leave them off.
    link_probe_s: float = 0.0
    #: Replan the active intent when a switch or link goes down or comes back.
    replan_on_fault: bool = True
