"""The paper's comparison methods (section 7.1), as close to their sources as we could recover them.

Importing this package registers them in ``experts.registry`` with kind "baseline": they run by
name (``omniplan plan --expert speed-heu``, the benches) and expert activation never picks them.

* ``speed-heu`` - SPD-H, SPEED-Heu: FFLS (Jose et al., NSDI'15) on SPEED's one big switch, mapped
  onto the network in NodeRank order (``speed_heu``).
* ``hermes-heu`` - HMS, Hermes' greedy: split each task's TDG until every part fits one switch,
  then deploy the parts on an anchor switch and its nearest neighbours (``hermes_heu``).
* SPD-O is ``experts.mip``'s ``spd-o``; DP (Dapper) has no recoverable rule, ``bench_paper`` uses
  our PPO latency policy ``drl-latency`` in its place (see docs/design.md, "Baselines").
"""

from experts.baselines import hermes_heu, speed_heu  # noqa: F401  (registration)

BASELINES = ("speed-heu", "hermes-heu")
