"""HMS: Hermes' greedy heuristic - few, light cuts of each task, parts on an anchor's nearest switches.

What the paper says (omniplan.txt section 7.1): Hermes "minimizes inter-device coordination overhead
via a greedy heuristic"; section 5 (link-level intents): partition the task set into disjoint
subsets each placed on one device, minimising the metadata A(u, v) carried by edges across subsets.

Sources recovered and followed here:

* Hermes (Chen et al., "Toward Low-Overhead Inter-Switch Coordination in Network-Wide Data Plane
  Program Deployment", ICDCS 2022; IEEE/ACM ToN 32(4), 2024), abstract: an MILP minimising the
  per-packet byte overhead of inter-switch coordination, and a greedy heuristic for it. The full
  text is not openly available.
* A public Python reimplementation of the heuristic, ZJU-NGNI/NetEmbd
  ``netembd/optimize/hermes/HermesHeuristic.py`` (Zhejiang University, where Hermes' authors are):
  ``split_tdg`` keeps a TDG whole when it fits one switch (its levels within the smallest switch's
  stages, each level's SRAM within one stage) and otherwise cuts its topological order in two and
  recurses; ``_select_switches`` takes an anchor switch (switches tried in the network's order)
  and its nearest switches by path latency, within a latency bound epsilon1 and at most epsilon2
  switches; ``_deploy_segment`` puts part i on candidate i. We take that structure.

Adaptations (ours, not Hermes'):

* the cut position: NetEmbd cuts at the middle; we take the position of the topological order whose
  cut carries the fewest metadata bits (Hermes' objective), ties to the middle;
* "fits one switch" is checked by packing the part into the stages of an empty switch of the
  smallest profile (per-stage SRAM/TCAM/entries, as our pipeline model has them);
* many tasks share the network, so a part goes to the first candidate after the previous part's
  that still takes it whole (NetEmbd has one task: part i on candidate i); when a part fits no
  candidate the next anchor is tried. epsilon1 and epsilon2 are unbounded (NetEmbd's defaults,
  100000 and 100, bound nothing on our topologies). Tasks go in workload order.

Nothing here looks at a task's ingress or egress: Hermes minimises coordination, not latency.
"""

from __future__ import annotations

from typing import Sequence

from experts.heuristics.engine import Placer, TaskProfile
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan, StageBook


def cut_bits(prof: TaskProfile, prefix: set[str]) -> int:
    """Metadata bits crossing from ``prefix`` to the rest of the task."""
    return sum(bits for n, preds in prof.preds.items() if n not in prefix for p, bits in preds if p in prefix)


class PartFit:
    """Does a set of MATs fit one empty switch of the smallest profile? (NetEmbd's _can_deploy_on_single_node)"""

    def __init__(self, placer: Placer):
        led = placer.ledger
        self.device = min(placer.devices, key=lambda d: (led.cap_sram[d], led.cap_stages[d], d))
        self.sram, self.tcam, self.phv = led.cap_sram[self.device], led.cap_tcam[self.device], led.cap_phv[self.device]
        self.book = StageBook(placer.topology)

    def __call__(self, prof: TaskProfile, part: Sequence[str]) -> bool:
        mats = [prof.mats[n] for n in part]
        if (sum(m.sram_bits for m in mats) + prof.task.dispatch_sram_bits > self.sram
                or sum(m.tcam_bits for m in mats) > self.tcam or sum(m.phv_bits for m in mats) > self.phv):
            return False
        inside = set(part)
        mark = self.book.mark()
        start: dict[str, int] = {}
        try:
            for n in part:  # a topological order
                earliest = max((start[p] + prof.mats[p].stages for p, _ in prof.preds[n] if p in inside), default=0)
                s = self.book.first_fit(self.device, prof.mats[n], earliest)
                if s is None:
                    return False
                self.book.charge(self.device, s, prof.mats[n])
                start[n] = s
            return True
        finally:
            self.book.rollback(mark)


def split_tdg(prof: TaskProfile, part: list[str], fits: PartFit) -> list[list[str]]:
    """Recursive two-way cuts of a topological order until every part fits one switch."""
    if len(part) < 2 or fits(prof, part):
        return [part]
    middle = len(part) / 2
    cut = min(range(1, len(part)), key=lambda k: (cut_bits(prof, set(part[:k])), abs(k - middle), k))
    return split_tdg(prof, part[:cut], fits) + split_tdg(prof, part[cut:], fits)


def nearest(placer: Placer, anchor: str) -> list[str]:
    """The anchor, then every other switch by path latency from it (NetEmbd's _select_switches)."""
    lat = placer.cache.latency_us[anchor]
    return [anchor] + sorted((d for d in placer.devices if d != anchor and d in lat), key=lambda d: (lat[d], d))


def solve(request: PlanRequest) -> Plan:
    placer = Placer(request, "hermes-heu")
    fits = PartFit(placer)
    candidates_of = {a: nearest(placer, a) for a in placer.devices}
    for prof in placer.profiles:
        why = placer.blocked(prof)
        if why:
            placer.unplaced[prof.name] = why
            continue
        parts = split_tdg(prof, list(prof.topo), fits)
        last = "no anchor switch"
        for anchor in placer.devices:
            cands = candidates_of[anchor]
            pos = {d: i for i, d in enumerate(cands)}

            def after_previous(i: int, hosts: list[str], cands: list[str] = cands,
                               pos: dict[str, int] = pos) -> Sequence[str]:
                return cands[pos[hosts[-1]] + 1:] if hosts else cands

            res = placer.try_groups(prof, parts, after_previous)
            if res.ok:
                break
            last = res.reason
        else:
            placer.unplaced[prof.name] = f"task {prof.name} ({len(parts)} parts) fits on no anchor's switches: {last}"
    return placer.finish(heuristic="Hermes greedy: TDG split + anchor's nearest switches")


EXPERT = register(Expert(
    name="hermes-heu",
    kind="baseline",
    capability=capability(coordination=1.0),
    solve=solve,
    description="HMS baseline (Hermes greedy): split each task until parts fit a switch, parts on an anchor's nearest switches",
))
