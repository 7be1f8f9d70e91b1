"""Topology loaders: Topology Zoo via topohub, FatTree, GraphML, and the errors for bad names."""

from __future__ import annotations

import networkx as nx
import pytest

from omniplan.errors import TopologyError
from omniplan.topology import BMV2, FIBRE_KM_PER_US, fattree, load_topology


def test_zoo_graphs_load_with_distance_latency():
    abilene = load_topology("abilene")
    assert (len(abilene.devices), len(abilene.links)) == (11, 14)
    assert nx.is_connected(abilene.graph)
    ny = abilene.device("NewYork")
    assert ny.label == "New York" and ny.pos == (-74.01, 40.71)
    # topohub gives New York - Chicago about 1146 km; light in fibre covers 0.2 km/us.
    link = abilene.link("NewYork", "Chicago")
    assert link.latency_us == pytest.approx(1146.16 / FIBRE_KM_PER_US, rel=1e-3)
    assert load_topology("AboveNet").name == "Abvt"
    assert len(load_topology("geant2012").devices) == 37


def test_fattree_counts_and_seeded_latency():
    t = fattree(4, seed=7)
    assert (len(t.devices), len(t.links)) == (20, 32)
    assert all(1.0 <= l.latency_us <= 10.0 for l in t.links)
    assert t == fattree(4, seed=7) and t != fattree(4, seed=8)
    assert len(load_topology("fattree:6").devices) == 45
    with pytest.raises(TopologyError, match="even k"):
        fattree(3)


def test_subset_is_connected_and_profiles_apply():
    sub = load_topology("geant2012").subset(8)
    assert len(sub.devices) == 8 and nx.is_connected(sub.graph)
    assert all(d.profile is BMV2 for d in sub.with_profile(BMV2).devices)


def test_graphml_round_trip(tmp_path):
    g = nx.Graph()
    g.add_node("a", label="Alpha")
    g.add_node("b", label="Beta")
    g.add_edge("a", "b", bandwidth_gbps=40.0, latency_us=12.5)
    path = tmp_path / "two.graphml"
    nx.write_graphml(g, path)
    t = load_topology(str(path))
    assert [d.name for d in t.devices] == ["Alpha", "Beta"]
    assert t.link("Alpha", "Beta").bandwidth_gbps == 40.0 and t.link("Alpha", "Beta").latency_us == 12.5


def test_unknown_names_suggest_close_matches(tmp_path):
    with pytest.raises(TopologyError, match="did you mean Abilene"):
        load_topology("abilen")
    with pytest.raises(TopologyError, match="no such file"):
        load_topology(str(tmp_path / "nope.graphml"))
    with pytest.raises(TopologyError, match="has no device"):
        load_topology("abilene").device("Atlantis")
