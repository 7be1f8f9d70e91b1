"""docs/p4runtime-differences.md is what omniplan-switch and BMv2 answer today: the probes of
tools/p4runtime_differences.py are sent to both again and the table must match the committed one."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_committed_table_matches_both_switches_answers(bmv2_program):
    from tools.p4runtime_differences import DOC, measure, table

    ours, theirs = measure()
    assert ours["valid insert (control)"] == theirs["valid insert (control)"] == "OK"
    assert table(ours, theirs) in DOC.read_text(), \
        "answers changed: run `python -m tools.p4runtime_differences --write` and review the diff"
