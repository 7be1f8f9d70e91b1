"""SPD-H (SPEED-Heu): FFLS on SPEED's one big switch, mapped onto the network by NodeRank.

What the paper says (omniplan.txt section 7.1): "We combine the first-fit-by-level-and-size (FFLS)
heuristic (jose2015compiling) and the NodeRank heuristic (liu2024speed) for minimizing device
resource consumption and end-to-end latency, and name it SPEED-Heu (SPD-H)."

Sources recovered and followed here:

* SPEED (Chen et al., ICNP 2020; Liu et al., IEEE/ACM ToN 2024), abstract: programs are merged,
  the network is abstracted as **one big switch (OBS)** whose pipeline is the switches' stages one
  after another, the merged program is deployed on the OBS minimising resources, then the OBS is
  mapped onto the substrate network. The papers' full text is not openly available.
* A public Python reimplementation of SPEED's two steps, ZJU-NGNI/NetEmbd
  ``netembd/optimize/speed/SpeedHeuristic.py`` (Zhejiang University, where SPEED's authors are):
  ``_place_on_obs_ffl`` first-fits tables into the OBS stages in dependency order;
  ``_place_on_network_noderank`` builds the OBS switch sequence by a breadth-first walk from the
  top-ranked switch, neighbours in rank order. We take that structure.
* FFLS itself: Jose, Yan, Varghese, McKeown, "Compiling Packet Programs to Reconfigurable
  Switches", NSDI 2015, section 5 (greedy heuristics), and the authors' code
  (``mapper/src/rmt/rmt_ffls_compiler.py`` and ``rmt_dependency_analysis.py``, mirrored at
  github.com/SketchLib/RMT_mapper): tables in decreasing *weighted distance from the end* of the
  table dependency graph - the longest chain to a sink, each table weighing the stages it needs
  plus one per dependency - each placed in the first stage it fits after its predecessors.
* NodeRank: ``experts.baselines.noderank`` (Cheng et al. 2011), in place of NetEmbd's degree.

Adaptations to our model (ours, not SPEED's): tasks are separate flows, so the merged program is
placed task by task in FFLS order of each task's first table (the global FFLS order's first
element), every task's tables in FFLS order; a table's candidates are the OBS switches from the
one hosting its last predecessor onwards (the OBS pipeline only runs forward), first fit, so a
task crossing an OBS switch boundary is split there. Per-stage SRAM/TCAM/entries, PHV, dispatch
tables and the walk's link load are the engine's (every plan passes ``check_plan``); when a task's
walk would overload a link from the first OBS switch, the OBS is entered one switch later, and when
no entry works (SPEED models no link load) the task goes whole, else split, to the first switch in
NodeRank order that takes it (``plan.info["off_obs"]`` lists those tasks). Nothing
here looks at a task's ingress or egress: SPEED's heuristic optimises latency only through the OBS
being a connected chain.
"""

from __future__ import annotations

from collections import deque
from typing import Sequence

from experts.baselines.noderank import node_rank
from experts.heuristics.engine import Placer, TaskProfile
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan

#: Weight of one match/action dependency in FFLS's weighted distance (the RMT mapper's edge weight).
DEPENDENCY_WEIGHT = 1


def ffls_keys(prof: TaskProfile) -> dict[str, int]:
    """Weighted distance from the end of the TDG per MAT: stages(m) + max over successors of
    (DEPENDENCY_WEIGHT + key(successor)); a sink's key is its own stage count."""
    succs: dict[str, list[str]] = {n: [] for n in prof.mats}
    for n, preds in prof.preds.items():
        for p, _ in preds:
            succs[p].append(n)
    key: dict[str, int] = {}
    for n in reversed(prof.topo):  # successors before predecessors
        key[n] = prof.mats[n].stages + max((DEPENDENCY_WEIGHT + key[s] for s in succs[n]), default=0)
    return key


def ffls_order(prof: TaskProfile) -> list[str]:
    """MATs farthest (weighted) from the end first: a topological order, since a predecessor's key
    exceeds each successor's."""
    key = ffls_keys(prof)
    return sorted(prof.mats, key=lambda n: (-key[n], n))


def obs_chain(placer: Placer) -> tuple[list[str], dict[str, float]]:
    """The OBS's switch sequence - breadth-first from the top-NodeRank switch, neighbours in rank
    order - and the NodeRank it follows."""
    topo = placer.topology
    led = placer.ledger
    rank = node_rank(topo.graph, {d: float(led.free_sram(d)) for d in placer.devices}, placer.cache.arc_cap_mbps)
    by_rank = sorted(placer.devices, key=lambda d: (-rank[d], d))
    chain: list[str] = []
    seen: set[str] = set()
    for root in by_rank:  # one breadth-first walk per connected component
        if root in seen:
            continue
        seen.add(root)
        queue = deque([root])
        while queue:
            u = queue.popleft()
            chain.append(u)
            for v in sorted((v for v in topo.graph.neighbors(u) if v not in seen), key=lambda v: (-rank[v], v)):
                seen.add(v)
                queue.append(v)
    return chain, rank


def solve(request: PlanRequest) -> Plan:
    placer = Placer(request, "speed-heu")
    chain, rank = obs_chain(placer)
    by_rank = sorted(placer.devices, key=lambda d: (-rank[d], d))
    off_obs: list[str] = []
    index = {d: i for i, d in enumerate(chain)}
    orders = {p.name: ffls_order(p) for p in placer.profiles}
    first_key = {p.name: max(ffls_keys(p).values()) for p in placer.profiles}

    for prof in sorted(placer.profiles, key=lambda p: (-first_key[p.name], p.name)):
        why = placer.blocked(prof)
        if why:
            placer.unplaced[prof.name] = why
            continue
        last = "no OBS switch"
        for entry in range(len(chain)):
            def on_obs(p: TaskProfile, name: str, assigned: dict[str, str], hosts: list[str],
                       entry: int = entry) -> Sequence[str]:
                start = max([entry] + [index[assigned[q]] for q, _ in p.preds[name]])
                return chain[start:]

            res = placer.try_split(prof, on_obs, mat_order=orders[prof.name])
            if res.ok:
                break
            last = res.reason
        else:
            # SPEED models no link load: when every OBS entry overloads a link of the task's walk,
            # the task goes whole (else split) to the first switch in NodeRank order that takes it.
            if placer.place_task(prof, by_rank):
                placer.unplaced.pop(prof.name, None)
                off_obs.append(prof.name)
            else:
                placer.unplaced[prof.name] = f"task {prof.name} fits nowhere on the OBS: {last}"
    return placer.finish(heuristic="FFLS on the one big switch + NodeRank", obs=chain, off_obs=off_obs)


EXPERT = register(Expert(
    name="speed-heu",
    kind="baseline",
    capability=capability(resources=1.0, latency=0.5),
    solve=solve,
    description="SPD-H baseline (SPEED-Heu): FFLS on SPEED's one big switch, NodeRank switch order",
))
