"""BMv2 launcher: argv equivalence with omniplan-switch, and a real launch when BMv2 is installed."""

from __future__ import annotations

import socket

import pytest

from softswitch.bmv2 import SwitchSpec, bmv2_available, bmv2_command, launch_bmv2, omniplan_switch_command
from softswitch.client import P4RuntimeClient
from softswitch.main import build_parser
from softswitch.proto import p4r

SPEC = SwitchSpec(device_id=3, grpc_addr="127.0.0.1", grpc_port=50123, interfaces={2: "veth2", 1: "veth0"},
                  cpu_port=255, log_level="warning")


def test_bmv2_argv_follows_simple_switch_grpc_conventions():
    cmd = bmv2_command(SPEC, "inml.json", thrift_port=9090)
    assert cmd[:3] == ["simple_switch_grpc", "--device-id", "3"]
    assert cmd[cmd.index("-i") + 1] == "1@veth0" and "2@veth2" in cmd
    assert cmd[cmd.index("-L") + 1] == "warn"
    sep = cmd.index("--")
    assert cmd[sep - 1] == "inml.json"  # the program JSON is the last positional before "--"
    assert cmd[sep + 1:] == ["--grpc-server-addr=127.0.0.1:50123", "--cpu-port=255"]
    assert "--no-p4" in bmv2_command(SPEC)


def test_omniplan_switch_argv_parses_to_the_same_settings():
    cmd = omniplan_switch_command(SPEC, p4info="x.txtpb")
    args = build_parser().parse_args(cmd[3:])  # drop "python -m softswitch.main"
    assert (args.device_id, args.grpc_addr, args.grpc_port, args.cpu_port) == (3, "127.0.0.1", 50123, 255)
    assert sorted(args.interface) == [(1, "veth0"), (2, "veth2")] and args.p4info == "x.txtpb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(bmv2_available() is None, reason="simple_switch_grpc not installed (`make setup` unpacks it)")
def test_launch_bmv2_and_talk_p4runtime(tmp_path):
    spec = SwitchSpec(device_id=0, grpc_port=_free_port(), log_level="info")
    proc = launch_bmv2(spec, log_file=tmp_path / "bmv2.log")
    try:
        with P4RuntimeClient(f"127.0.0.1:{spec.grpc_port}", device_id=0) as c:
            assert c.stub.Capabilities(p4r.CapabilitiesRequest()).p4runtime_api_version
    finally:
        proc.terminate()
        proc.wait(timeout=10)
