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
