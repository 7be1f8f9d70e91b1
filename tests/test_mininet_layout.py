"""The emulation layout: names, ports and delays agree with the planner topology (no root needed)."""

from __future__ import annotations

import pytest

from mininet_topos.layout import build_layout, emulated_delay_ms, resolve_topology
from omniplan.errors import TopologyError
from omniplan.topology import load_topology


def _check_consistent(layout):
    topo = layout.topology
    assert [s.device for s in layout.switches] == [d.name for d in topo.devices]
    assert [s.name for s in layout.switches] == [f"s{i}" for i in range(1, len(topo.devices) + 1)]
    for s in layout.switches:
        # every topology neighbour has exactly one port, and ports on a switch are distinct
        assert set(s.neighbor_ports) == set(topo.graph.neighbors(s.device))
        ports = list(s.neighbor_ports.values()) + list(s.host_ports.values())
        assert len(ports) == len(set(ports)) and min(ports) >= 1
        assert all(len(s.intf(p)) <= 15 for p in ports)
    for l in layout.links:
        a, b = layout.switch(l.a), layout.switch(l.b)
        assert a.neighbor_ports[b.device] == l.a_port and b.neighbor_ports[a.device] == l.b_port
        assert l.latency_us == topo.link(a.device, b.device).latency_us
    assert len(layout.links) == len(topo.links)


@pytest.mark.parametrize("name", ["Abilene", "Abvt", "fattree4", "line3"])
def test_layout_matches_planner_topology(name):
    layout = build_layout(name)
    _check_consistent(layout)


def test_abilene_one_host_per_switch_with_distinct_addresses():
    layout = build_layout("abilene")
    assert len(layout.hosts) == len(load_topology("Abilene").devices) == 11
    assert {h.switch for h in layout.hosts} == {s.name for s in layout.switches}
    assert len({h.ip for h in layout.hosts}) == len({h.mac for h in layout.hosts}) == 11
    # device names resolve to Mininet names and back
    atl = layout.switch("Atlanta")
    assert layout.switch(atl.name) is atl and layout.device_to_switch["Atlanta"] == atl.name


def test_fattree_hosts_only_on_edge_switches():
    layout = build_layout("fattree4", hosts_per_switch=2)
    edge = {s.name for s in layout.switches if s.device.startswith("e")}
    assert len(edge) == 8 and len(layout.hosts) == 16
    assert {h.switch for h in layout.hosts} == edge


def test_switch_list_carries_ids_addresses_and_port_maps():
    layout = build_layout("line3", grpc_base_port=51000)
    sl = layout.switch_list()
    assert [(s["name"], s["device_id"], s["grpc"], s["device"]) for s in sl] == [
        ("s1", 1, "127.0.0.1:51000", "s1"), ("s2", 2, "127.0.0.1:51001", "s2"), ("s3", 3, "127.0.0.1:51002", "s3")]
    # s2 sits between s1 and s3: host on port 1, then one port per neighbour
    assert sl[1]["ports"] == {"host": 1, "h2": 1, "s1": 2, "s3": 3}
    assert sl[0]["ports"] == {"host": 1, "h1": 1, "s2": 2}


def test_switch_list_is_what_the_controller_reads(tmp_path):
    """The generated file passes the controller's own parser and topology check."""
    controller_config = pytest.importorskip("controller.config", reason="controller/ not importable")
    from mininet_topos.emulation import write_switch_list

    layout = build_layout("Abilene", grpc_base_port=52000)
    path = write_switch_list(layout, tmp_path / "switches.json")
    configs = controller_config.load_switches(path)
    controller_config.validate_against(configs, layout.topology)
    ports = controller_config.port_map(configs)
    for s in layout.switches:
        assert {k: v for k, v in ports[s.device].items() if k in s.neighbor_ports} == dict(s.neighbor_ports)


def test_delay_is_scaled_and_capped():
    assert emulated_delay_ms(2500.0) == 2.5
    assert emulated_delay_ms(2500.0, scale=0.1) == 0.25
    assert emulated_delay_ms(90000.0) == 10.0  # a 18000 km link is capped
    layout = build_layout("Abvt", max_delay_ms=3.0)
    assert max(l.delay_ms for l in layout.links) <= 3.0
    assert any(l.delay_ms == 3.0 for l in layout.links)


def test_subset_keeps_a_connected_part():
    layout = build_layout("Abilene", max_switches=4)
    assert len(layout.switches) == 4
    _check_consistent(layout)


def test_bad_inputs_name_what_is_wrong():
    with pytest.raises(TopologyError, match="unknown topology 'Abilen'.*Abilene"):
        resolve_topology("Abilen")
    with pytest.raises(TopologyError, match="no device 'NOPE'"):
        build_layout("line3", host_devices=["NOPE"])
    with pytest.raises(TopologyError, match="hosts_per_switch"):
        build_layout("line3", hosts_per_switch=-1)
    with pytest.raises(TopologyError, match="no switch or device 's9'"):
        build_layout("line3").switch("s9")
    with pytest.raises(TopologyError, match="gRPC ports"):
        build_layout("line3", grpc_base_port=80)


@pytest.mark.parametrize("name,subset", [("Abilene", 5), ("fattree4", None)])
def test_subset_round_trips_through_graphml(tmp_path, name, subset):
    """What `make run` hands the controller is the same topology the emulation runs (fattree's a0_0 keeps its _)."""
    from mininet_topos.layout import write_graphml

    sub = build_layout(name, max_switches=subset).topology
    back = load_topology(str(write_graphml(sub, tmp_path / "topo.graphml")))
    assert [d.name for d in back.devices] == [d.name for d in sub.devices]
    assert {(l.key, l.latency_us, l.bandwidth_gbps) for l in back.links} == {
        (l.key, l.latency_us, l.bandwidth_gbps) for l in sub.links}


def _mn_custom_namespace() -> dict:
    """Load mininet_topos/topos.py the way `mn --custom` does (exec into a fresh dict)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "mininet_topos" / "topos.py"
    ns: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), ns, ns)
    return ns


@pytest.mark.parametrize("name,switches,hosts,links", [
    ("abilene", 11, 11, 25), ("abvt", 22, 22, 28 + 22), ("fattree4", 20, 8, 32 + 8), ("line3", 3, 3, 5)])
def test_mn_custom_topos_build_planner_topologies(name, switches, hosts, links):
    ns = _mn_custom_namespace()
    assert {"omni", "ipbridge", "bmv2"} <= set(ns["switches"])
    topo = ns["topos"][name]()
    assert len(topo.switches()) == switches and len(topo.hosts()) == hosts
    planner = topo.layout.topology
    assert len(topo.links()) == len(planner.links) + hosts
    if links is not None:
        assert len(topo.links()) == links
    # every Mininet link between switches is a planner link, with the announced ports
    for a, b, info in topo.links(withInfo=True):
        if a.startswith("s") and b.startswith("s"):
            sa, sb = topo.layout.switch(a), topo.layout.switch(b)
            planner.link(sa.device, sb.device)
            assert info["port1"] == sa.neighbor_ports[sb.device] and info["port2"] == sb.neighbor_ports[sa.device]


def test_mn_custom_zoo_and_arguments():
    ns = _mn_custom_namespace()
    topo = ns["topos"]["zoo"]("Geant2012", 2, 5)  # hosts=2 per switch, 5-switch subset
    assert len(topo.switches()) == 5 and len(topo.hosts()) == 10
    assert len(ns["topos"]["line"](4).switches()) == 4


def test_switchlist_cli_writes_what_serve_reads(tmp_path, capsys):
    controller_config = pytest.importorskip("controller.config", reason="controller/ not importable")
    from mininet_topos.switchlist import main

    assert main(["Abilene", "--switches", "5", "--out", str(tmp_path / "sw.json"),
                 "--topology-out", str(tmp_path / "t.graphml")]) == 0
    topo = load_topology(str(tmp_path / "t.graphml"))
    configs = controller_config.load_switches(tmp_path / "sw.json")
    controller_config.validate_against(configs, topo)
    assert len(configs) == 5 and "wrote" in capsys.readouterr().out
    assert main(["Abilen"]) == 2 and "unknown topology" in capsys.readouterr().err
