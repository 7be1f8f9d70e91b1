"""omniplan-switch nodes in Mininet: every switch serves P4Runtime where the switch list says."""

from __future__ import annotations

import pytest

from mininet_topos.preflight import mininet_skip_reason

pytestmark = [pytest.mark.root, pytest.mark.skipif(mininet_skip_reason() is not None, reason=str(mininet_skip_reason()))]


def test_omniswitch_nodes_answer_p4runtime_at_the_announced_addresses():
    from mininet_topos.emulation import Emulation
    from mininet_topos.layout import build_layout
    from softswitch.client import P4RuntimeClient

    layout = build_layout("line3", grpc_base_port=51700)
    with Emulation(layout, "omni") as emu:
        for entry in layout.switch_list():
            node = emu.net.get(entry["name"])
            # the process got one -i PORT@IFACE per Mininet interface, numbered as announced
            cmd = node.command()
            announced = {p: f"{entry['name']}-eth{p}" for p in set(entry["ports"].values())}
            given = {int(a.split("@")[0]): a.split("@")[1] for a in cmd[cmd.index("-i") + 1::2] if "@" in a}
            assert given == announced
            with P4RuntimeClient(entry["grpc"], device_id=entry["device_id"], election_id=5) as client:
                answer = client.arbitrate()
                assert answer.device_id == entry["device_id"] and answer.status.code == 0  # we are primary
        procs = [s.proc for s in emu.net.switches]
    # the switch processes ended with the emulation and nothing is left on record
    from mininet_topos import cleanup

    assert all(p.poll() is not None for p in procs)

    assert cleanup._load()["pids"] == {}
