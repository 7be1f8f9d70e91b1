"""Capacity bookkeeping shared by the fast experts: what each device and arc has left.

The ledger charges what ``omniplan.feasibility.check_plan`` later recomputes (SRAM incl. one
dispatch table per task per hosting device, TCAM, per-stage SRAM/TCAM/entries through a
``StageBook``, arc bandwidth of split metadata); PHV is per packet (checked per task, not
pooled). The engine's final plan is checked by ``check_plan`` before it is returned. Every charge is logged so a
tentative placement (a MAT, a whole split attempt) can be rolled back in O(changes).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from itertools import islice

import networkx as nx

from omniplan.evaluate import device_pass_ns
from omniplan.plan import StageBook
from omniplan.topology import Topology

_CACHE_KEY = "_fast_expert_cache"


class TopologyCache:
    """Shortest paths and distances computed once per Topology object (the fast path's fixed cost)."""

    def __init__(self, topology: Topology):
        g = topology.graph
        self.names: list[str] = [d.name for d in topology.devices]
        lengths, paths = _all_pairs(topology, self.names)
        self.latency_us: dict[str, dict[str, float]] = lengths
        self.paths: dict[str, dict[str, list[str]]] = paths
        self.hops: dict[str, dict[str, int]] = {a: {b: len(p) - 1 for b, p in row.items()} for a, row in paths.items()}
        self.pass_us: dict[str, float] = {d: device_pass_ns(topology, d) / 1000.0 for d in self.names}
        self.closeness: dict[str, float] = _closeness(lengths, len(self.names))
        self.max_latency_us: float = max((v for row in lengths.values() for v in row.values()), default=0.0) or 1.0
        self.arc_cap_mbps: dict[tuple[str, str], float] = {}
        for link in topology.links:
            self.arc_cap_mbps[(link.a, link.b)] = self.arc_cap_mbps[(link.b, link.a)] = link.bandwidth_gbps * 1000.0
        self._graph = g
        self._alternatives: dict[tuple[str, str], list[list[str]]] = {}

    def candidate_paths(self, a: str, b: str, k: int) -> list[list[str]]:
        """Up to k loop-free paths a -> b, lowest latency first (the first is the shortest path)."""
        if k <= 1:
            return [self.paths[a][b]]
        key = (a, b)
        cached = self._alternatives.get(key)
        if cached is None or len(cached) < k:
            cached = [list(p) for p in islice(nx.shortest_simple_paths(self._graph, a, b, weight="latency_us"), k)]
            self._alternatives[key] = cached
        return cached[:k]


def _all_pairs(topology: Topology, names: list[str]) -> tuple[dict, dict]:
    """Lowest-latency distances and paths between all devices.

    A plain heapq Dijkstra per source on adjacency lists: a few times cheaper than networkx's
    generic one on these small graphs, and no scipy import on the CLI's cold path. Ties break on
    the neighbour order of ``topology.links``; any shortest path is as good for the checker.
    """
    adj: dict[str, list[tuple[str, float]]] = {n: [] for n in names}
    for link in topology.links:
        adj[link.a].append((link.b, link.latency_us))
        adj[link.b].append((link.a, link.latency_us))
    lengths: dict[str, dict[str, float]] = {}
    paths: dict[str, dict[str, list[str]]] = {}
    for src in names:
        dist = {src: 0.0}
        pred: dict[str, str] = {}
        done: set[str] = set()
        order: list[str] = []  # finalisation order: a node's predecessor always comes first
        heap = [(0.0, 0, src)]
        tick = 1
        while heap:
            d, _, u = heapq.heappop(heap)
            if u in done:
                continue
            done.add(u)
            order.append(u)
            for v, w in adj[u]:
                nd = d + w
                if v not in dist or nd < dist[v] - 1e-12:
                    dist[v] = nd
                    pred[v] = u
                    heapq.heappush(heap, (nd, tick, v))
                    tick += 1
        row: dict[str, list[str]] = {src: [src]}
        for v in order:
            if v != src:
                row[v] = row[pred[v]] + [v]
        lengths[src] = dist
        paths[src] = row
    return lengths, paths


def _closeness(lengths: dict[str, dict[str, float]], n: int) -> dict[str, float]:
    """Closeness centrality on latency (networkx's Wasserman-Faust variant for disconnected graphs)."""
    out = {}
    for a, row in lengths.items():
        total = sum(row.values())
        reach = len(row) - 1
        out[a] = (reach / total) * (reach / (n - 1)) if total > 0 and n > 1 else 0.0
    return out


def cache_for(topology: Topology) -> TopologyCache:
    """The topology's cache, built on first use and kept on the object like a cached_property."""
    cache = topology.__dict__.get(_CACHE_KEY)
    if cache is None:
        cache = TopologyCache(topology)
        topology.__dict__[_CACHE_KEY] = cache
    return cache


class Ledger:
    """Per-device and per-arc usage with an undo log.

    ``mark()`` returns a position in the log; ``rollback(mark)`` undoes every charge after it.
    """

    def __init__(self, topology: Topology, cache: TopologyCache):
        self.cache = cache
        #: per-stage SRAM/TCAM/entries (the first-fit stage schedule of omniplan.plan)
        self.book = StageBook(topology)
        self.cap_sram = {d.name: d.profile.sram_bits for d in topology.devices}
        self.cap_tcam = {d.name: d.profile.tcam_bits for d in topology.devices}
        self.cap_phv = {d.name: d.profile.phv_bits for d in topology.devices}
        self.cap_stages = {d.name: d.profile.stages for d in topology.devices}
        self.sram = dict.fromkeys(self.cap_sram, 0)
        self.tcam = dict.fromkeys(self.cap_sram, 0)
        self.phv = dict.fromkeys(self.cap_sram, 0)
        self.stage_end = dict.fromkeys(self.cap_sram, 0)
        self.task_count = dict.fromkeys(self.cap_sram, 0)
        self.arc_load: dict[tuple[str, str], float] = defaultdict(float)
        self._log: list[tuple[dict, object, float]] = []

    # -- undo log
    def mark(self) -> tuple[int, int]:
        return len(self._log), self.book.mark()

    def rollback(self, mark: tuple[int, int]) -> None:
        while len(self._log) > mark[0]:
            table, key, old = self._log.pop()
            table[key] = old
        self.book.rollback(mark[1])

    def _set(self, table: dict, key: object, value: float) -> None:
        self._log.append((table, key, table[key]))
        table[key] = value

    def add(self, table: dict, key: object, amount: float) -> None:
        self._set(table, key, table[key] + amount)

    def raise_stage_end(self, device: str, end: int) -> None:
        if end > self.stage_end[device]:
            self._set(self.stage_end, device, end)

    # -- queries
    def free_sram(self, device: str) -> int:
        return self.cap_sram[device] - self.sram[device]

    def free_tcam(self, device: str) -> int:
        return self.cap_tcam[device] - self.tcam[device]

    def free_phv(self, device: str) -> int:
        return self.cap_phv[device] - self.phv[device]

    def free_fraction(self, device: str) -> float:
        """The scarcest of a device's SRAM/TCAM/PHV shares left (1 = empty)."""
        return min(
            self.free_sram(device) / self.cap_sram[device] if self.cap_sram[device] else 0.0,
            self.free_tcam(device) / self.cap_tcam[device] if self.cap_tcam[device] else 1.0,
            self.free_phv(device) / self.cap_phv[device] if self.cap_phv[device] else 0.0,
        )

    def route_problem(self, path: list[str], bits: int, rate_mpps: float) -> str | None:
        """Why a dependency of ``bits`` metadata at ``rate_mpps`` cannot take ``path`` (None = it can)."""
        if bits <= 0:
            return None
        for v in path[1:]:
            if self.phv[v] + bits > self.cap_phv[v]:
                return f"PHV on {v} ({self.phv[v] + bits} > {self.cap_phv[v]} bits)"
        load = rate_mpps * bits
        for arc in zip(path, path[1:]):
            cap = self.cache.arc_cap_mbps[arc]
            if self.arc_load[arc] + load > cap + 1e-9:
                return f"bandwidth on {arc[0]}->{arc[1]} ({self.arc_load[arc] + load:.0f} > {cap:.0f} Mbit/s)"
        return None

    def route_bottleneck(self, path: list[str], bits: int, rate_mpps: float) -> float:
        """Highest arc utilisation along ``path`` once this dependency is added."""
        load = rate_mpps * bits
        return max(((self.arc_load[a] + load) / self.cache.arc_cap_mbps[a] for a in zip(path, path[1:])), default=0.0)

    def charge_route(self, path: list[str], bits: int, rate_mpps: float) -> None:
        if bits <= 0:
            return
        load = rate_mpps * bits
        for arc in zip(path, path[1:]):
            self.add(self.arc_load, arc, load)
