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
    src.write_text('{"id": "a", "text": "minimize delay"}\n{"text": "cover every flow"}\n')
    target = tmp_path / "out.jsonl"
    assert main(["translate", "--batch", str(src), "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", 2]  # missing id -> line number
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
    (b'{"id": 2, "text": "caf\xe9"}', "not UTF-8"),
    (b'{"id": 2, "text": ', "malformed JSON"),
    (b'{"id": 2, "txt": "minimize delay"}', "field \"text\" is missing"),
    (b'{"id": 2, "text": "   "}', "field \"text\" is empty"),
    (b'{"id": 1, "text": "b"}', "duplicate id"),
    (b'[1, 2]', "expected a JSON object"),
    (b'', "line is empty"),
    (b'{"id": 2, "text": "' + b"minimize latency " * 600 + b'"}', "the limit is 2000"),
    (b"x" * 10_000, "line is 10000 characters; the limit is 2000"),
])
def test_a_bad_line_gets_an_error_record_and_the_rest_are_translated(tmp_path, capsys, content, message):
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b'{"id": 1, "text": "minimize delay"}\n' + content + b'\n{"id": 3, "text": "cover every flow"}\n')
    target = tmp_path / "out.jsonl"
    assert main(["translate", "--batch", str(src), "-o", str(target)]) == 1  # exit status = failed lines
    err = capsys.readouterr().err
    (reported,) = [line for line in err.splitlines() if line.startswith(f"{src}: line 2: ")]
    assert message in reported and "1 of 3 lines failed" in err and "Traceback" not in err
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert message in rows[1]["error"] and "preference" not in rows[1]
    assert rows[0]["preference"]["latency"] == 0.75 and rows[2]["preference"]["coverage"] > 0


def test_an_empty_batch_file_exits_2(tmp_path, capsys):
    src = tmp_path / "empty.jsonl"
    src.write_bytes(b"")
    assert main(["translate", "--batch", str(src)]) == 2
    assert "no intents" in capsys.readouterr().err


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


def test_real_process_batch_with_empty_huge_and_non_utf8_lines(tmp_path):
    """The issue's acceptance case, through a real process: one record per line, exit = failed count."""
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(b'{"id": 1, "text": "minimize delay"}\n'
                    b'\n'
                    b'{"id": 3, "text": "' + b"y" * 10_240 + b'"}\n'
                    b'{"id": 4, "text": "\xff\xfe bad bytes"}\n'
                    b'{oops}\n'
                    b'{"id": 6, "text": "Save TCAM and SRAM"}\n')
    proc = subprocess.run([sys.executable, "-m", "omniplan_cli", "translate", "--batch", str(src)], cwd=REPO,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 4
    assert "4 of 6 lines failed" in proc.stderr and "Traceback" not in proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [("error" in r) for r in rows] == [False, True, True, True, True, False]
    assert "line is empty" in rows[1]["error"] and "limit is 2000" in rows[2]["error"]
    assert "not UTF-8" in rows[3]["error"] and "malformed JSON" in rows[4]["error"]
    assert rows[5]["preference"]["resources"] == 0.75
