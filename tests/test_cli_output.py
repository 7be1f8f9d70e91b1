"""What `omniplan intent|status` print for people: escaped, with units, naming only the experts that ran.

Fed with records of the shape GET /intents/{id} and GET /status answer (taken from real runs).
"""

from __future__ import annotations

import re

from omniplan_cli.commands.client import _experts_lines, _show, _show_intents, _show_status


def test_cli_lists_escape_what_the_server_stored(capsys):
    """An intent stored before the checks existed (or by another client) cannot drive the operator's terminal."""
    _show_intents({"intents": [{"id": "abc", "state": "failed", "text": "\x1b[2Jwipe [bold]x[/bold]",
                                "error": "bad\x00"}]})
    _show({"id": "abc", "state": "failed", "request": {"text": "\x1b]0;title\x07"}, "error": "e\x1b"})
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x00" not in out and "\x07" not in out
    assert "\\x1b[2Jwipe [bold]x[/bold]" in out and "\\x1b]0;title\\x07" in out


MIXED_AT_BOUND = {  # a mixed preference whose fast plan met the bound: the MIP was skipped
    "id": "i1", "state": "deployed", "request": {"text": "save power and keep latency low"},
    "experts": [{"name": "drl-latency", "kind": "drl", "role": "fast", "status": "FEASIBLE", "solve_time_s": 0.012,
                 "chosen": True}],
    "activation": {"rule": "mixed", "chosen": "drl-latency",
                   "reason": "2 objectives (power, latency) >= tau=0.5: best-cosine fast expert 'drl-latency' (0.912) "
                             "plus the MIP expert",
                   "notes": ["fast plan of 'drl-latency' already meets the instance lower bound of every weighted "
                             "objective (weighted normalised cost 0): it is optimal, so the MIP was not run"]},
    "objectives": {"power": 128.0, "latency": 0.88, "coverage": 100.0},
    "objective_units": {"power": "W", "latency": "us", "coverage": "% tasks"},
}


def test_experts_lines_name_what_ran_not_what_was_selected():
    lines = _experts_lines(MIXED_AT_BOUND)
    text = "\n".join(lines)
    assert "ran drl-latency (fast, FEASIBLE, 0.012 s) - chosen" in text
    assert "plus the MIP expert" not in text
    assert "MIP expert not run: fast plan of 'drl-latency' already meets the instance lower bound" in text
    with_mip = {**MIXED_AT_BOUND, "experts": MIXED_AT_BOUND["experts"] + [
        {"name": "cpsat", "kind": "mip", "role": "mip", "status": "OPTIMAL", "solve_time_s": 1.5, "chosen": False}],
        "activation": {**MIXED_AT_BOUND["activation"], "notes": []}}
    text = "\n".join(_experts_lines(with_mip))
    assert "plus the MIP expert" in text and "ran cpsat (mip, OPTIMAL, 1.500 s)" in text and "not run" not in text


def test_every_objective_has_its_unit_and_no_source_locations(capsys):
    _show(MIXED_AT_BOUND)
    out = capsys.readouterr().out
    for name, unit in (("power", "W"), ("latency", "us"), ("coverage", "% tasks")):
        assert re.search(rf"{name}\s+│\s+[\d.]+\s+│\s+{re.escape(unit)}", out), out
    assert not re.search(r"\w+\.py:\d+", out)


def test_status_names_what_the_controller_does_never_none(capsys):
    base = {"topology": "Abilene", "devices": 11, "switches": 4, "queue_depth": 0, "intents": {"deployed": 1},
            "active_intent": "abc", "active_plan": 3, "active_version": 7}
    _show_status({**base, "working_on": None, "pending": None})
    idle = capsys.readouterr().out
    assert "None" not in idle and "idle, nothing pending" in idle and "active intent abc (plan 3, version 7)" in idle
    _show_status({**base, "working_on": "def", "pending": {"intent": "ghi", "waiting_for": ["s3"]},
                  "active_intent": None, "active_plan": None, "active_version": None})
    busy = capsys.readouterr().out
    assert "None" not in busy and "working on intent def" in busy and "intent ghi pending, waiting for s3" in busy
    assert "no plan deployed" in busy


def test_switches_show_health_mastership_and_election_ids():
    from omniplan_cli.commands.client import _switch_row

    other = {"name": "s4", "device": "Denver", "grpc": "127.0.0.1:50054", "connected": True, "primary": False,
             "mastership": "backup", "election_id": 102, "primary_election_id": 101, "health": "backup",
             "unavailable": "another controller (election id 101) is primary on s4", "entries_deployed": 0}
    row = _switch_row(other)
    assert row[3:6] == ("backup", "backup (primary: id 101)", "102")
    assert row[-1] == "another controller (election id 101) is primary on s4"
    down = _switch_row({"name": "s1", "device": "s1", "grpc": "x:1", "connected": False, "election_id": 10})
    assert down[3:6] == ("down", "no", "10")
