"""`omniplan plan`: the good paths (tables, JSON, files) and every bad input (exit 2, one clear
line, no traceback, nothing written)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from omniplan_cli.main import main
from omniplan.feasibility import check_plan
from omniplan.objectives import OBJECTIVES
from omniplan.plan import Plan
from omniplan.topology import load_topology
from omniplan.workload import generate_compiled_workload, generate_workload

REPO = Path(__file__).resolve().parents[1]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["plan", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_good_path_with_out_and_plot(tmp_path, capsys):
    out_file, plot_file = tmp_path / "plan.json", tmp_path / "plan.png"
    rc, out, err = run_cli(capsys, "--topology", "abilene", "--tasks", "12", "--seed", "1", "--prefer", "coordination=1",
                           "--json", "--out", str(out_file), "--plot", str(plot_file))
    assert rc == 0, err
    data = json.loads(out)
    assert data["preference"]["coordination"] == 1.0
    assert data["activation"]["rule"] == "dominant" and data["activation"]["dominant"] == "coordination"
    assert data["chosen"] == "coordination-greedy" and data["objectives"]["coordination"] == 0.0
    assert data["chosen"] in data["activation"]["activated"]
    assert list(data["objectives"]) == list(OBJECTIVES) and set(data["units"]) == set(OBJECTIVES)
    chosen = [r for r in data["experts"] if r["name"] == data["chosen"]][0]
    assert chosen["status"] == "FEASIBLE" and chosen["solve_time_s"] >= 0 and chosen["objectives"] == data["objectives"]
    assert data["objectives"]["coverage"] == 100.0
    # The plan printed, the plan saved, and the plan the checker accepts are the same.
    saved = json.loads(out_file.read_text())
    assert saved == data["plan"]
    topo = load_topology("abilene")
    w = generate_compiled_workload(12, 1, [d.name for d in topo.devices])
    assert check_plan(Plan.from_dict(saved), w, topo, require_all=True) == []
    assert plot_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "plan.png"]


def test_table_output(capsys):
    rc, out, err = run_cli(capsys, "--topology", "fattree4", "--tasks", "10", "--prefer", "coverage=1,latency=0.05")
    assert rc == 0, err
    for o in OBJECTIVES:
        assert o in out
    for unit in ("W", "% SRAM", "% headroom", "us", "% tasks"):
        assert unit in out
    assert "activation: dominant" in out and "cosine similarity" in out and "time (s)" in out


def test_workload_file_forced_expert_profile_and_devices(tmp_path, capsys):
    topo = load_topology("Abvt").with_profile(load_topology("abilene").devices[0].profile).subset(8)
    w = generate_workload(9, 4, ingress_choices=[d.name for d in topo.devices])
    wf = tmp_path / "w.json"
    w.save(wf)
    rc, out, err = run_cli(capsys, "--topology", "Abvt", "--devices", "8", "--workload", str(wf), "--expert",
                           "consolidate", "--profile", "bmv2", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["topology"]["devices"] == 8 and data["workload"]["tasks"] == 9
    assert data["activation"]["rule"] == "forced" and data["chosen"] == "consolidate"
    assert [r["name"] for r in data["experts"]] == ["consolidate"]
    # BMv2 devices are huge: consolidation fits all nine tasks on one device.
    assert len(set(data["plan"]["placement"].values())) == 1


def test_allow_partial(capsys):
    rc, out, err = run_cli(capsys, "--topology", "abilene", "--devices", "2", "--tasks", "80", "--prefer", "coverage=1",
                           "--allow-partial", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert 0 < data["objectives"]["coverage"] < 100
    assert data["plan"]["info"]["unplaced"]


@pytest.mark.slow
def test_mixed_preference_runs_cpsat(capsys):
    rc, out, err = run_cli(capsys, "--topology", "abilene", "--tasks", "5", "--seed", "2", "--prefer",
                           "power=1,latency=1", "--time-limit", "20", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["activation"]["rule"] == "mixed"
    roles = [r["role"] for r in data["experts"]]
    assert roles[-1] == "mip" and data["experts"][-1]["name"] == "cpsat"
    assert data["experts"][-1]["gap"] is not None
    # asked objectives share the weight; the unasked ones are epsilon tie-breakers
    w = data["activation"]["mip_weights"]
    assert w[0] == w[3] == pytest.approx(0.5 / (1 + 5 * 1e-3)) and all(0 < x < 1e-3 for x in w[1:3] + w[4:])


def test_four_single_objectives_give_four_plans_each_best_on_its_own(capsys):
    """The issue's Done-when: latency / power / resources / coordination on Abilene, 60 tasks, seed 1."""
    plans, objs, moved = {}, {}, {}
    for o in ("latency", "power", "resources", "coordination"):
        rc, out, err = run_cli(capsys, "--topology", "abilene", "--tasks", "60", "--seed", "1", "--prefer", f"{o}=1",
                               "--json")
        assert rc == 0, err
        data = json.loads(out)
        assert data["activation"]["rule"] == "dominant"
        plans[o] = json.dumps(data["plan"]["placement"], sort_keys=True)
        objs[o] = data["objectives"]
        moved[o] = data["evaluation"]["split_tasks_pct"] + data["evaluation"]["off_path_tasks_pct"]
    assert len(set(plans.values())) == 4
    for o in plans:
        assert objs[o][o] <= min(v[o] for v in objs.values()) + 1e-9, (o, {k: v[o] for k, v in objs.items()})
    assert max(moved.values()) > 0

def _intent_importable() -> bool:
    try:
        from intent import translate  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.slow
def test_intent(capsys, tmp_path):
    # The translator loads its sentence encoder once (tens of seconds on a shared 2-core machine).
    rc, out, err = run_cli(capsys, "--topology", "abilene", "--tasks", "6", "--intent", "minimise end-to-end latency",
                           "--json", "--out", str(tmp_path / "p.json"))
    if _intent_importable():
        assert rc == 0, err
        data = json.loads(out)
        assert data["intent"]["preference"] == data["preference"]
        assert (tmp_path / "p.json").exists()
    else:
        assert rc == 2
        assert "--intent needs the intent translator" in err
        assert list(tmp_path.iterdir()) == []


BAD = [
    (["--topology", "abilen"], "unknown topology 'abilen'; did you mean Abilene"),
    (["--prefer", "latncy=1"], "--prefer: unknown objective 'latncy'"),
    (["--prefer", "latency=2"], "--prefer: objective 'latency': 2.0 is outside [0, 1]"),
    (["--prefer", "latency"], "expected NAME=VALUE"),
    (["--prefer", "latency=fast"], "is not a number"),
    (["--tau", "1.5"], "--tau must be in [0, 1]"),
    (["--time-limit", "0"], "--time-limit must be > 0"),
    (["--devices", "0"], "--devices must be >= 1"),
    (["--tasks", "0"], "--tasks must be >= 1"),
    (["--expert", "nope"], "--expert: unknown expert 'nope'"),
    (["--tasks", "400", "--devices", "2"], "cannot place every task: SRAM demand is"),
    (["--plot", "PLOTDIR/x.xyz"], "unknown image format '.xyz'"),
    (["--out", "PLOTDIR/missing/p.json"], "does not exist"),
]


@pytest.mark.parametrize("argv,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_exit_2_nothing_written(tmp_path, capsys, argv, message):
    argv = [a.replace("PLOTDIR", str(tmp_path)) for a in argv]
    outputs = []
    if "--out" not in argv:
        outputs += ["--out", str(tmp_path / "plan.json")]
    if "--plot" not in argv:
        outputs += ["--plot", str(tmp_path / "plan.png")]
    rc, out, err = run_cli(capsys, "--tasks", "5", *argv, *outputs) if "--tasks" not in argv else \
        run_cli(capsys, *argv, *outputs)
    assert rc == 2
    assert message in err
    assert err.startswith("omniplan: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_malformed_workload_names_file_line_field(tmp_path, capsys):
    wf = tmp_path / "bad.yaml"
    wf.write_text("format: omniplan-workload/1\ntasks:\n  - name: t1\n    mats:\n      - {name: m0, sram_bits: -5}\n")
    rc, out, err = run_cli(capsys, "--workload", str(wf), "--out", str(tmp_path / "p.json"))
    assert rc == 2
    assert f"{wf}:line 5" in err and "tasks[0].mats[0].sram_bits" in err and "must be >= 0" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_unknown_ingress_in_workload_file(tmp_path, capsys):
    w = generate_workload(3, 1, ingress_choices=["Chicagoo"])
    wf = tmp_path / "w.json"
    w.save(wf)
    rc, out, err = run_cli(capsys, "--workload", str(wf))
    assert rc == 2
    assert "ingress 'Chicagoo' is not a device of Abilene; did you mean Chicago?" in err


def test_process_exit_code_and_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "omniplan_cli", "plan", "--topology", "nowhere-net",
                           "--out", str(tmp_path / "p.json")], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert "unknown topology 'nowhere-net'" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_scale_forces_splits_and_bad_scale_is_refused(capsys):
    rc, out, err = run_cli(capsys, "--topology", "abilene", "--tasks", "60", "--seed", "1", "--scale", "4",
                           "--prefer", "latency=1", "--expert", "latency-greedy", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["evaluation"]["split_tasks_pct"] > 0
    rc, out, err = run_cli(capsys, "--topology", "abilene", "--tasks", "6", "--scale", "0")
    assert rc == 2 and "--scale must be > 0" in err
