"""`omniplan translate`: single intent (rich / JSON), JSONL batch scored by the shared scorer, bad input -> exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omniplan_cli.main import main

DEV = Path("/work/shared/bench/intents_dev.jsonl")
SCORER = Path("/work/shared/bench/score_intents.py")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def loaded(tmp_path_factory):
    from intent import embedded_translator

    os.environ.setdefault("OMNIPLAN_HOME", str(tmp_path_factory.mktemp("home")))
    return embedded_translator()


@pytest.mark.skipif(not (DEV.exists() and SCORER.exists()), reason="shared bench files not present")
def test_batch_output_is_scored_by_the_shared_scorer(tmp_path, capsys):
    assert main(["translate", "--batch", str(DEV)]) == 0
    out = capsys.readouterr().out
    pred = tmp_path / "out.jsonl"
    pred.write_text(out)
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 40 and {"id", "preference", "out_of_scope", "confidence", "evidence"} <= set(rows[0])
    scored = subprocess.run([sys.executable, str(SCORER), str(DEV), str(pred)], capture_output=True, text=True,
                            check=True).stdout
    values = dict(part.split("=") for part in scored.split() if "=" in part)
    assert float(values["translation_acc"]) >= 0.95
    assert float(values["activation_acc"]) >= 0.97


def test_batch_to_output_file(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "minimize delay"}\n\n{"text": "cover every flow"}\n')
    target = tmp_path / "out.jsonl"
    assert main(["translate", "--batch", str(src), "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", 3]  # missing id -> line number
    assert rows[0]["preference"]["latency"] == 0.75 and rows[1]["preference"]["coverage"] > 0


def test_single_json(capsys):
    assert main(["translate", "--json", "Latency is critical; ignore power"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["preference"]["latency"] == 1.0 and out["preference"]["power"] == 0.0
    assert out["backend"] == "embedded" and "critical" in out["evidence"]["latency"]


def test_single_rich_view_shows_bars_evidence_and_options(capsys):
    assert main(["translate", "Lowest latency possible, and also keep cost in dollars low"]) == 0
    out = capsys.readouterr().out
    assert "█" in out and "latency" in out and "possible" in out
    assert "out of scope" in out and "proceed with the mapping" in out and "register a custom objective" in out


def test_register_option_persists(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OMNIPLAN_HOME", str(tmp_path))
    assert main(["translate", "--register", "--json", "Maximize security against tampering"]) == 0
    assert json.loads(capsys.readouterr().out)["registered"] == ["security"]
    assert (tmp_path / "custom_objectives.json").is_file()
    assert main(["translate", "--json", "security matters a lot"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["out_of_scope"] == [] and "security" in out["custom"]


def test_proceed_option_applies_mapping(capsys):
    assert main(["translate", "--proceed", "--json", "keep cost low"]) == 0
    out = json.loads(capsys.readouterr().out)
    (ask,) = out["out_of_scope_detail"]
    assert out["preference_with_mapping"][ask["closest_objective"]] > 0


@pytest.mark.parametrize("content, message", [
    (b'{"id": 1, "text": "minimize delay"}\n{"id": 2, "text": "caf\xe9"}\n', "line 2: not UTF-8"),
    (b'{"id": 1, "text": "minimize delay"}\n{"id": 2, "text": \n', "line 2: malformed JSON"),
    (b'{"id": 1, "txt": "minimize delay"}\n', "line 1: field \"text\" is missing"),
    (b'{"id": 1, "text": "   "}\n', "line 1: field \"text\" is empty"),
    (b'{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n', "line 2: duplicate id"),
    (b'[1, 2]\n', "line 1: expected a JSON object"),
    (b'\n\n', "no intents"),
])
def test_bad_batch_lines_are_named(tmp_path, capsys, content, message):
    src = tmp_path / "bad.jsonl"
    src.write_bytes(content)
    target = tmp_path / "out.jsonl"
    assert main(["translate", "--batch", str(src), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(src) in err and "Traceback" not in err
    assert not target.exists()  # nothing half-written


@pytest.mark.parametrize("argv, message", [
    (["translate", ""], "intent is empty"),
    (["translate", "x" * 2001], "limit is 2000"),
    (["translate"], "no intent given"),
    (["translate", "a", "--batch", "f.jsonl"], "not both"),
    (["translate", "--batch", "/nonexistent/file.jsonl"], "cannot read batch file"),
    (["translate", "--llm-tries", "0", "hi"], "--llm-tries"),
    (["translate", "--backend", "openai", "minimize delay"], "OMNIPLAN_LLM_BASE_URL"),
])
def test_cli_errors_exit_2(capsys, monkeypatch, argv, message):
    monkeypatch.delenv("OMNIPLAN_LLM_BASE_URL", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_real_process_exit_code_and_no_traceback(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b'{"id": 1, "text": "ok"}\n{oops}\n')
    proc = subprocess.run([sys.executable, "-m", "omniplan_cli", "translate", "--batch", str(src)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "line 2: malformed JSON" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
