"""Fast (heuristic) experts. Importing this package registers them in ``experts.registry``.

Each module holds one expert; all drive the shared placement engine (``engine.Placer``) on a
capacity ledger (``ledger.Ledger``), so every plan respects the constraints that
``omniplan.feasibility.check_plan`` verifies.
"""

from experts.heuristics import bandwidth, consolidate, coverage, hermes, latency, speed  # noqa: F401  (registration)

FAST_EXPERTS = ("resource-greedy", "coordination-greedy", "latency-greedy", "consolidate", "coverage-greedy", "bandwidth-aware")
