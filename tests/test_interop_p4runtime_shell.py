"""Interop: p4runtime-shell (p4lang's own P4Runtime client) against omniplan-switch.

p4runtime-shell pins an old protobuf that clashes with our environment, so it lives in its own
virtualenv (.venv-p4rt, made by `make p4rt-venv`). The test runs a small script with that
interpreter; the script reports what it saw as JSON on stdout and the test asserts on it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from softswitch.client import P4RuntimeClient
from softswitch.demo_p4info import FWD
from tests.test_softswitch import DEVICE, running_switch, write_demo_p4info

pytestmark = pytest.mark.interop
ROOT = Path(__file__).resolve().parents[1]
P4RT_PYTHON = ROOT / ".venv-p4rt" / "bin" / "python"

SCRIPT = r'''
import json, sys
import p4runtime_sh.shell as sh
from p4runtime_sh.p4runtime import P4RuntimeWriteException

addr, device_id, p4info, devcfg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = {"errors": []}
sh.setup(device_id=device_id, grpc_addr=addr, election_id=(0, 7),
         config=sh.FwdPipeConfig(p4info, devcfg), verbose=False)
try:
    def fwd(mac, port, out_port):
        te = sh.TableEntry("fwd")(action="forward")
        te.match["hdr.eth.dst"] = mac
        te.match["std.ingress_port"] = str(port)
        te.action["port"] = str(out_port)
        return te

    fwd("00:00:00:00:00:0a", 1, 2).insert()
    fwd("00:00:00:00:00:0b", 1, 3).insert()
    acl = sh.TableEntry("acl")(action="forward")
    acl.match["hdr.ipv4.src"] = "10.0.0.0&&&255.0.0.0"
    acl.match["hdr.tcp.dport"] = "80..443"
    acl.priority = 10
    acl.action["port"] = "5"
    acl.insert()
    out["read_fwd"] = sorted((e.match["hdr.eth.dst"].exact.value.hex(), e.action["port"].value.hex())
                             for e in sh.TableEntry("fwd").read())
    out["read_acl"] = [(e.match["hdr.ipv4.src"].ternary.mask.hex(), e.priority) for e in sh.TableEntry("acl").read()]
    m = fwd("00:00:00:00:00:0a", 1, 4)
    m.modify()
    out["after_modify"] = [e.action["port"].value.hex() for e in sh.TableEntry("fwd").read()
                           if e.match["hdr.eth.dst"].exact.value == b"\x0a"]
    for label, op in [("duplicate", lambda: fwd("00:00:00:00:00:0b", 1, 3).insert()),
                      ("missing_delete", lambda: fwd("00:00:00:00:00:0c", 1, 3).delete())]:
        try:
            op()
            out["errors"].append([label, "OK", ""])
        except P4RuntimeWriteException as exc:
            for idx, err in exc.errors:
                from google.rpc import code_pb2
                out["errors"].append([label, code_pb2.Code.Name(err.canonical_code), err.message])
    fwd("00:00:00:00:00:0a", 1, 4).delete()
    out["remaining"] = len(list(sh.TableEntry("fwd").read()))
finally:
    sh.teardown()
print(json.dumps(out))
'''


@pytest.fixture
def switch_addr():
    with running_switch() as addr:
        yield addr


@pytest.mark.slow  # two interpreters start: ~5 s on a loaded machine
@pytest.mark.skipif(not P4RT_PYTHON.exists(), reason=".venv-p4rt is missing: run `make p4rt-venv` to create it")
def test_p4runtime_shell_pushes_writes_reads_and_sees_errors(switch_addr, tmp_path):
    p4info = write_demo_p4info(tmp_path / "demo.p4info.txtpb")
    devcfg = tmp_path / "device_config.bin"
    devcfg.write_bytes(b"any bytes: omniplan-switch ignores the device config")
    script = tmp_path / "p4rt_script.py"
    script.write_text(SCRIPT)
    res = subprocess.run([str(P4RT_PYTHON), str(script), switch_addr, str(DEVICE), str(p4info), str(devcfg)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["read_fwd"] == [["0a", "02"], ["0b", "03"]]
    assert out["read_acl"] == [["ff000000", 10]]
    assert out["after_modify"] == ["04"]
    assert out["errors"][0][:2] == ["duplicate", "ALREADY_EXISTS"]
    assert out["errors"][1][:2] == ["missing_delete", "NOT_FOUND"]
    assert out["remaining"] == 1
    # the pipeline p4runtime-shell pushed is what the switch now runs
    with P4RuntimeClient(switch_addr, device_id=DEVICE) as c:
        config = c.get_pipeline()
        assert config.p4info.pkg_info.name == "omniplan_demo"
        assert config.p4_device_config == devcfg.read_bytes()
        assert len(c.read_table(FWD)) == 1
