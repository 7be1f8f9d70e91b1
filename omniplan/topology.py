"""Network topology: programmable devices with capacities, and links with bandwidth and latency.

Loaders cover the Internet Topology Zoo graphs shipped by ``topohub`` (looked up by name, link
latency from the great-circle distance between the nodes), generated FatTree(k) data-centre
fabrics (seeded 1-10 us links) and GraphML files.
"""

from __future__ import annotations

import difflib
import importlib.resources
import math
import random
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Iterable, Mapping

import networkx as nx

from omniplan.errors import TopologyError

#: Light in fibre covers about 200 km per millisecond.
FIBRE_KM_PER_US = 0.2


@dataclass(frozen=True)
class DeviceProfile:
    """Capacities and cost model of one kind of programmable switch."""

    name: str
    stages: int
    sram_bits_per_stage: int
    tcam_bits_per_stage: int
    phv_bits: int
    stage_latency_ns: int
    #: Fixed per-device processing (parser, deparser, traffic manager) a packet pays per hop.
    hop_latency_ns: int
    idle_power_w: float
    power_per_stage_w: float
    #: Table entries one stage holds: inml.p4's generic stage tables are declared with 65,536.
    entries_per_stage: int = 65_536

    @property
    def sram_bits(self) -> int:
        return self.stages * self.sram_bits_per_stage

    @property
    def tcam_bits(self) -> int:
        return self.stages * self.tcam_bits_per_stage


#: Tofino-like: 12 MAU stages, 80 SRAM blocks of 128 Kbit and 24 TCAM blocks of 512x44 bits per
#: stage, a 4096-bit PHV.
TOFINO = DeviceProfile(
    name="tofino",
    stages=12,
    sram_bits_per_stage=80 * 128 * 1024,
    tcam_bits_per_stage=24 * 512 * 44,
    phv_bits=4096,
    stage_latency_ns=40,
    hop_latency_ns=400,
    idle_power_w=110.0,
    power_per_stage_w=4.5,
)

#: BMv2 simple_switch: a software target with generous tables but microsecond per-stage cost.
BMV2 = DeviceProfile(
    name="bmv2",
    stages=16,
    sram_bits_per_stage=64 * 1024 * 1024,
    tcam_bits_per_stage=8 * 1024 * 1024,
    phv_bits=8192,
    stage_latency_ns=1500,
    hop_latency_ns=20000,
    idle_power_w=35.0,
    power_per_stage_w=1.0,
)

PROFILES: Mapping[str, DeviceProfile] = {p.name: p for p in (TOFINO, BMV2)}


@dataclass(frozen=True)
class Device:
    name: str
    profile: DeviceProfile = TOFINO
    label: str = ""
    #: (longitude, latitude) when known.
    pos: tuple[float, float] | None = None


@dataclass(frozen=True)
class Link:
    """An undirected link; planning routes over both directions, each with the full bandwidth."""

    a: str
    b: str
    bandwidth_gbps: float = 10.0
    latency_us: float = 1.0

    @property
    def key(self) -> tuple[str, str]:
        return (self.a, self.b) if self.a <= self.b else (self.b, self.a)


@dataclass(frozen=True)
class Topology:
    name: str
    devices: tuple[Device, ...]
    links: tuple[Link, ...]
    #: Devices that only forward (FatTree hosts' edge excluded): planning may route through but not place on them.
    kind: str = "custom"
    meta: Mapping[str, object] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        names = [d.name for d in self.devices]
        if len(set(names)) != len(names):
            raise TopologyError(f"topology {self.name!r}: duplicate device names")
        known = set(names)
        for link in self.links:
            for end in (link.a, link.b):
                if end not in known:
                    raise TopologyError(f"topology {self.name!r}: link {link.a}-{link.b} names unknown device {end!r}")
            if link.a == link.b:
                raise TopologyError(f"topology {self.name!r}: self-loop on {link.a!r}")
            if link.bandwidth_gbps <= 0 or link.latency_us < 0:
                raise TopologyError(f"topology {self.name!r}: link {link.a}-{link.b} needs bandwidth > 0 and latency >= 0")

    @cached_property
    def graph(self) -> nx.Graph:
        g = nx.Graph(name=self.name)
        for d in self.devices:
            g.add_node(d.name, device=d)
        for link in self.links:
            g.add_edge(link.a, link.b, link=link, latency_us=link.latency_us, bandwidth_gbps=link.bandwidth_gbps)
        return g

    @cached_property
    def device_index(self) -> dict[str, Device]:
        return {d.name: d for d in self.devices}

    def device(self, name: str) -> Device:
        try:
            return self.device_index[name]
        except KeyError:
            raise TopologyError(f"topology {self.name!r} has no device {name!r}{_suggest(name, self.device_index)}") from None

    def link(self, a: str, b: str) -> Link:
        data = self.graph.get_edge_data(a, b)
        if data is None:
            raise TopologyError(f"topology {self.name!r} has no link {a}-{b}")
        return data["link"]

    def arcs(self) -> list[tuple[str, str]]:
        """Both directions of every link, the routing variables' index set."""
        out = []
        for link in self.links:
            out.append((link.a, link.b))
            out.append((link.b, link.a))
        return out

    @cached_property
    def path_latency_us(self) -> dict[str, dict[str, float]]:
        return dict(nx.all_pairs_dijkstra_path_length(self.graph, weight="latency_us"))

    @cached_property
    def shortest_paths(self) -> dict[str, dict[str, list[str]]]:
        """Lowest-latency path between every pair of devices (the default walk's legs)."""
        return dict(nx.all_pairs_dijkstra_path(self.graph, weight="latency_us"))

    @cached_property
    def hop_distance(self) -> dict[str, dict[str, int]]:
        return dict(nx.all_pairs_shortest_path_length(self.graph))

    def shortest_path(self, a: str, b: str, weight: str = "latency_us") -> list[str]:
        return nx.shortest_path(self.graph, a, b, weight=weight)

    def with_profile(self, profile: DeviceProfile) -> "Topology":
        return replace(self, devices=tuple(replace(d, profile=profile) for d in self.devices))

    def subset(self, n_devices: int) -> "Topology":
        """The first ``n_devices`` devices in BFS order from the highest-degree node (a connected sub-topology)."""
        if n_devices >= len(self.devices):
            return self
        start = max(self.graph.degree, key=lambda kv: (kv[1], kv[0]))[0]
        keep = list(nx.bfs_tree(self.graph, start))[:n_devices]
        keep_set = set(keep)
        return Topology(
            name=f"{self.name}[{n_devices}]",
            devices=tuple(d for d in self.devices if d.name in keep_set),
            links=tuple(l for l in self.links if l.a in keep_set and l.b in keep_set),
            kind=self.kind,
            meta=dict(self.meta),
        )


# --------------------------------------------------------------------------- loaders

#: A label used as a device name unchanged by ``load_graphml`` (what ``fattree``/``line``/zoo names look like).
_DEVICE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _sanitize(label: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "", label) or "dev"
    if base[0].isdigit():
        base = "n" + base
    name, i = base, 2
    while name in taken:
        name, i = f"{base}{i}", i + 1
    taken.add(name)
    return name


def _zoo_names() -> list[str]:
    root = importlib.resources.files("topohub.data") / "topozoo"
    return sorted(p.name[: -len(".json")] for p in root.iterdir() if p.name.endswith(".json"))


ALIASES = {"abovenet": "Abvt", "internet2": "Abilene", "geant": "Geant2012"}


def available_topologies() -> list[str]:
    return ["fattree4", "fattree<k>"] + _zoo_names()


def load_topology(
    spec: str,
    *,
    profile: DeviceProfile = TOFINO,
    bandwidth_gbps: float = 10.0,
    seed: int = 0,
) -> Topology:
    """Resolve a topology by name: ``fattree4`` / ``fattree:6``, a Topology Zoo name, or a .graphml path."""
    text = spec.strip()
    if not text:
        raise TopologyError("empty topology name")
    m = re.fullmatch(r"fat-?tree[:\-_]?(\d+)?", text, re.IGNORECASE)
    if m:
        return fattree(int(m.group(1) or 4), profile=profile, bandwidth_gbps=bandwidth_gbps, seed=seed)
    if text.lower().endswith((".graphml", ".xml")):
        return load_graphml(text, profile=profile, bandwidth_gbps=bandwidth_gbps)
    return load_zoo(text, profile=profile, bandwidth_gbps=bandwidth_gbps)


def load_zoo(name: str, *, profile: DeviceProfile = TOFINO, bandwidth_gbps: float = 10.0) -> Topology:
    """A Topology Zoo graph from topohub; link latency = great-circle distance / speed in fibre."""
    import topohub

    names = _zoo_names()
    lookup = {n.lower(): n for n in names}
    key = ALIASES.get(name.lower(), lookup.get(name.lower()))
    if key is None:
        raise TopologyError(f"unknown topology {name!r}{_suggest(name, names + ['fattree4'])}")
    data = topohub.get(f"topozoo/{key}")
    g = nx.node_link_graph(data, edges="edges")
    if g.is_multigraph():
        g = nx.Graph(g)
    # Keep the largest connected component: a few zoo graphs have isolated nodes.
    comp = max(nx.connected_components(g), key=len)
    taken: set[str] = set()
    rename = {}
    devices = []
    for node in sorted(comp, key=lambda n: int(n) if str(n).isdigit() else str(n)):
        attrs = g.nodes[node]
        label = str(attrs.get("name") or node)
        dev = _sanitize(label, taken)
        rename[node] = dev
        pos = attrs.get("pos")
        devices.append(Device(dev, profile, label, tuple(pos) if pos else None))
    links = []
    for a, b, attrs in g.edges(data=True):
        if a not in comp or b not in comp or a == b:
            continue
        km = attrs.get("dist")
        if km is None:
            pa, pb = g.nodes[a].get("pos"), g.nodes[b].get("pos")
            km = _haversine_km(pa, pb) if pa and pb else 100.0
        links.append(Link(rename[a], rename[b], bandwidth_gbps, round(max(float(km), 1.0) / FIBRE_KM_PER_US, 3)))
    return Topology(name=key, devices=tuple(devices), links=tuple(links), kind="wan", meta={"source": f"topohub topozoo/{key}"})


def _haversine_km(a: Iterable[float], b: Iterable[float]) -> float:
    lon1, lat1 = map(math.radians, a)
    lon2, lat2 = map(math.radians, b)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def fattree(k: int = 4, *, profile: DeviceProfile = TOFINO, bandwidth_gbps: float = 10.0, seed: int = 0) -> Topology:
    """A k-ary FatTree of switches (k^2/4 core, k^2/2 aggregation, k^2/2 edge), 1-10 us links."""
    if k < 2 or k % 2:
        raise TopologyError(f"FatTree needs an even k >= 2, got {k}")
    rng = random.Random(seed)
    half = k // 2
    devices: list[Device] = []
    links: list[Link] = []
    core = [f"c{i}" for i in range(half * half)]
    devices += [Device(c, profile, c) for c in core]
    for pod in range(k):
        aggs = [f"a{pod}_{i}" for i in range(half)]
        edges = [f"e{pod}_{i}" for i in range(half)]
        devices += [Device(n, profile, n) for n in aggs + edges]
        for i, agg in enumerate(aggs):
            for e in edges:
                links.append(Link(agg, e, bandwidth_gbps, round(rng.uniform(1, 10), 3)))
            for j in range(half):
                links.append(Link(agg, core[i * half + j], bandwidth_gbps, round(rng.uniform(1, 10), 3)))
    return Topology(name=f"fattree{k}", devices=tuple(devices), links=tuple(links), kind="datacenter",
                    meta={"k": k, "seed": seed})


def load_graphml(path: str | Path, *, profile: DeviceProfile = TOFINO, bandwidth_gbps: float = 10.0) -> Topology:
    """GraphML: node attribute ``label`` optional; edge attributes ``bandwidth_gbps``/``latency_us`` optional."""
    try:
        g = nx.read_graphml(path)
    except FileNotFoundError:
        raise TopologyError(f"{path}: no such file") from None
    except Exception as exc:  # networkx raises several parser error types
        raise TopologyError(f"{path}: not a readable GraphML file ({exc})") from None
    g = nx.Graph(g)
    if g.number_of_nodes() == 0:
        raise TopologyError(f"{path}: the graph has no nodes")
    taken: set[str] = set()
    rename = {}
    devices = []
    for node, attrs in g.nodes(data=True):
        label = str(attrs.get("label") or attrs.get("name") or node)
        if _DEVICE_NAME.fullmatch(label) and label not in taken:
            rename[node] = label  # already a device name (e.g. fattree's a0_0): keep it, so write/read round-trips
            taken.add(label)
        else:
            rename[node] = _sanitize(label, taken)
        lon, lat = attrs.get("Longitude"), attrs.get("Latitude")
        devices.append(Device(rename[node], profile, label, (float(lon), float(lat)) if lon is not None and lat is not None else None))
    links = []
    for a, b, attrs in g.edges(data=True):
        if a == b:
            continue
        lat = attrs.get("latency_us")
        if lat is None:
            da, db = g.nodes[a], g.nodes[b]
            if all(k in da and k in db for k in ("Longitude", "Latitude")):
                km = _haversine_km((da["Longitude"], da["Latitude"]), (db["Longitude"], db["Latitude"]))
                lat = max(km, 1.0) / FIBRE_KM_PER_US
            else:
                lat = 1.0
        links.append(Link(rename[a], rename[b], float(attrs.get("bandwidth_gbps", bandwidth_gbps)), round(float(lat), 3)))
    if not nx.is_connected(g):
        raise TopologyError(f"{path}: the graph is not connected")
    return Topology(name=Path(path).stem, devices=tuple(devices), links=tuple(links), kind="custom", meta={"source": str(path)})


def line(n: int, *, profile: DeviceProfile = TOFINO, bandwidth_gbps: float = 10.0, latency_us: float = 5.0) -> Topology:
    """s1 - s2 - ... - sn: the small chains used in tests and Mininet demos."""
    devices = tuple(Device(f"s{i}", profile, f"s{i}") for i in range(1, n + 1))
    links = tuple(Link(f"s{i}", f"s{i + 1}", bandwidth_gbps, latency_us) for i in range(1, n))
    return Topology(name=f"line{n}", devices=devices, links=links, kind="custom")


def _suggest(name: str, options: Iterable[str]) -> str:
    options = list(options)
    lower = {o.lower(): o for o in options}
    close = difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(lower[c] for c in close)}?" if close else ""
