"""`make run` itself: the entry starts everything, classifies traffic once an intent is deployed, cleans up."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mininet_topos.preflight import mininet_skip_reason

pytestmark = [pytest.mark.root, pytest.mark.slow,
              pytest.mark.skipif(mininet_skip_reason() is not None, reason=str(mininet_skip_reason()))]

REPO = Path(__file__).resolve().parents[1]


def _bmv2_missing() -> str | None:
    from p4src.toolchain import HOW_TO_GET, find_toolchain

    tc = find_toolchain()
    return None if tc.bmv2 and tc.compiler else f"P4 toolchain not installed: {HOW_TO_GET}"


@pytest.mark.parametrize("switch", ["omni", pytest.param("bmv2", marks=pytest.mark.skipif(
    _bmv2_missing() is not None, reason=str(_bmv2_missing())))])
def test_run_entry_classifies_and_cleans_up(tmp_path, switch):
    from mininet_topos import cleanup

    cmd = [sys.executable, "-m", "mininet_topos.run", "--switch", switch, "--topo", "line3", "--switches", "0", "--port", "0",
           "--no-warm", "--prefer", "coordination=1", "--rate", "100", "--duration", "3", "--every", "1",
           "--workdir", str(tmp_path / "run")]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=150)
    out = r.stdout
    assert r.returncode == 0, out[-3000:] + r.stderr[-3000:]
    assert "omniplan intent submit" in out and "OMNIPLAN_URL=http://127.0.0.1:" in out
    assert re.search(r"intent \w+: deployed", out), out[-2000:]
    last = [l for l in out.splitlines() if l.startswith("[")][-1]
    m = re.search(r"sent (\d+)\s+received (\d+).*match sklearn (\d+)\s+mismatch (\d+)\s+unlabelled (\d+)\s+"
                  r"lost (\d+) of (\d+) sent after the first deploy", last)
    assert m, last
    sent, received, right, wrong, unlabelled, lost, after = map(int, m.groups())
    # Traffic ran before the intent was deployed too (dropped then). What is asserted does not depend on
    # how fast the machine is: every packet sent after the deploy arrived, labelled as sklearn labels it.
    assert after > 0 and lost == 0, last
    assert wrong == 0 and unlabelled == 0 and right == received and after <= received <= sent, last
    assert cleanup._load() == {"pids": {}, "intfs": []}
    assert not [n for n in Path("/sys/class/net").iterdir() if re.fullmatch(r"[sh]\d+-eth\d+", n.name)]
