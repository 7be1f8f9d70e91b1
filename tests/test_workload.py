"""The workload format: round trip, the generator, and errors that name file, field and line."""

from __future__ import annotations

import json

import pytest

from omniplan.errors import WorkloadError
from omniplan.workload import (
    FORMAT,
    generate_workload,
    load_workload,
    parse_workload,
    workload_from_dict,
)

GOOD = """format: omniplan-workload/1
tasks:
  - name: dt0
    kind: dt
    rate_mpps: 10
    mats:
      - {name: f0, sram_bits: 4096, stages: 1, phv_bits: 16, match_kind: range}
      - {name: leaf, sram_bits: 8192}
    deps:
      - {src: f0, dst: leaf, bits: 8}
"""


def test_yaml_and_json_round_trip(tmp_path):
    wl = parse_workload(GOOD)
    task = wl.task("dt0")
    assert [m.name for m in task.mats] == ["f0", "leaf"]
    assert task.mat("f0").match_kind == "range" and task.mat("leaf").match_kind == "exact"
    assert task.roots() == ["f0"] and task.levels() == {"f0": 0, "leaf": 1}
    path = tmp_path / "w.json"
    wl.save(path)
    assert json.loads(path.read_text())["format"] == FORMAT
    assert load_workload(path) == wl


def _error(text: str) -> WorkloadError:
    with pytest.raises(WorkloadError) as info:
        parse_workload(text, source="w.yaml")
    return info.value


def test_unknown_mat_field_names_file_field_and_line():
    err = _error(GOOD.replace("sram_bits: 8192", "sram_bitz: 8192"))
    assert err.path == "w.yaml" and err.line == 8 and err.field == "tasks[0].mats[1].sram_bitz"
    assert "w.yaml:line 8" in str(err)


def test_wrong_type_and_unknown_dependency_target():
    err = _error(GOOD.replace("rate_mpps: 10", "rate_mpps: fast"))
    assert err.line == 5 and err.field == "tasks[0].rate_mpps" and "expected" in str(err)
    err = _error(GOOD.replace("dst: leaf", "dst: nowhere"))
    assert err.line == 10 and err.field == "tasks[0].deps[0].dst" and "'nowhere' is not a MAT" in str(err)


def test_cycles_duplicates_and_separators_are_refused():
    cyclic = GOOD + "      - {src: leaf, dst: f0, bits: 8}\n"
    assert "cycle" in str(_error(cyclic))
    dup_task = GOOD + GOOD.split("tasks:\n", 1)[1]
    err = _error(dup_task)
    assert "already used on line 3" in str(err)
    assert "may not contain" in str(_error(GOOD.replace("name: dt0", "name: a/b")))
    assert "MAT names may not contain" in str(_error(GOOD.replace("name: leaf", "name: x->y").replace("dst: leaf", "dst: x->y")))


def test_syntax_error_and_empty_file_are_named(tmp_path):
    err = _error("tasks: [\n  {name: a\n")
    assert err.line is not None and "cannot parse" in str(err)
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    with pytest.raises(WorkloadError, match="empty"):
        load_workload(empty)
    with pytest.raises(WorkloadError, match="no such file"):
        load_workload(tmp_path / "missing.json")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b"\xff\xfe{}")
    with pytest.raises(WorkloadError, match="not UTF-8"):
        load_workload(latin)


def test_generator_is_seeded_and_shapes_follow_the_model_family():
    a = generate_workload(25, seed=3, ingress_choices=["x", "y"])
    assert a == generate_workload(25, seed=3, ingress_choices=["x", "y"])
    assert a != generate_workload(25, seed=4, ingress_choices=["x", "y"])
    assert {t.kind for t in a.tasks} == {"nb", "dt", "rf", "svm", "xgb"}
    for t in a.tasks:
        assert t.ingress in {"x", "y"}
        sinks = {m.name for m in t.mats} - {d.src for d in t.deps}
        assert len(sinks) == 1, "every task ends in one decision table"
        if t.kind == "rf":
            assert "vote" in sinks
    # The generated file is valid input for the loader.
    assert workload_from_dict(a.to_dict()) == a
