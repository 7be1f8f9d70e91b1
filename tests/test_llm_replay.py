"""bench/llm_replay.py: recorded LLM answers replayed through the real openai backend over HTTP.

TEST DOUBLE: the replay server stands in for the LLM service (outside OmniPlan); the backend's client,
validation, curve scoring and embedded fallback are the real code. The replies here are written for the test.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("llm_replay", ROOT / "bench" / "llm_replay.py")
llm_replay = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(llm_replay)

OBJ = ["power", "resources", "throughput", "latency", "coordination", "hops", "coverage"]


def _reply(levels: dict[str, str], oos: list[str]) -> str:
    return json.dumps({"objectives": {o: levels.get(o, "default=0") for o in OBJ}, "out_of_scope": oos})


def test_replay_serves_cassette_and_counts_missing_prompts(tmp_path: Path) -> None:
    rows = [{"id": "a", "text": "keep the hop count down, and the licence bill too"},
            {"id": "b", "text": "shave latency wherever you can"}]
    intents = tmp_path / "intents.jsonl"
    intents.write_text("".join(json.dumps(r) + "\n" for r in rows))
    prompts = tmp_path / "prompts.jsonl"
    llm_replay.write_prompts(llm_replay.load_rows(intents), prompts)
    keys = [json.loads(line)["key"] for line in prompts.read_text().splitlines()]
    assert len(set(keys)) == 2
    cassette = tmp_path / "cassette.jsonl"  # only the first intent was recorded
    cassette.write_text(json.dumps({"key": keys[0], "reply": _reply({"hops": "The user has the greatest demand"},
                                                                     ["cost"])}) + "\n")
    out = tmp_path / "pred.jsonl"
    served, missed, fallbacks = llm_replay.replay(llm_replay.load_rows(intents), llm_replay.load_cassette(cassette),
                                                  out)
    assert (served, missed, fallbacks) == (1, 1, 1)
    pred = [json.loads(line) for line in out.read_text().splitlines()]
    assert [p["id"] for p in pred] == ["a", "b"]
    levels = {o: round(4 * v) for o, v in pred[0]["preference"].items()}
    assert levels == {"power": 0, "resources": 0, "throughput": 0, "latency": 0, "coordination": 0, "hops": 4,
                      "coverage": 0}
    assert pred[0]["out_of_scope"] == ["cost"]
    assert round(4 * pred[1]["preference"]["latency"]) >= 3  # the embedded fallback's own reading


def test_cli_llm_prompt_flag_selects_the_recorded_prompt(tmp_path: Path, capsys) -> None:
    from intent.llm import build_messages
    from omniplan_cli.main import main

    text = "cut the hop count"
    system, user = build_messages(text, "paper")
    server = llm_replay.ReplayServer({llm_replay.prompt_key(system["content"], user["content"]):
                                      _reply({"hops": "The user has a high demand"}, [])})
    try:
        argv = ["translate", "--json", "--backend", "openai", "--llm-url", server.url, "--llm-model", "replay", text]
        assert main(argv + ["--llm-prompt", "paper"]) == 0
        paper = json.loads(capsys.readouterr().out)
        assert main(argv) == 0  # default prompt "scale": not in this cassette, so the embedded fallback answers
        scale = json.loads(capsys.readouterr().out)
    finally:
        server.close()
    assert (server.served, server.missed) == (1, 1)
    assert paper["backend"] == "openai" and scale["backend"] == "embedded"


def test_table_replays_and_scores_each_cassette_by_the_shared_rules(tmp_path: Path) -> None:
    from intent.llm import build_messages

    dev = llm_replay._intents_for("dev", ROOT)
    first = json.loads(dev.read_text().splitlines()[0])
    system, user = build_messages(first["text"], "paper")
    degree = {1: "a little", 2: "a moderate", 3: "a high", 4: "the greatest"}
    reply = _reply({o: f"The user has {degree[v]} demand" for o, v in first["levels"].items() if v}, [])
    (tmp_path / "dev_paper.cassette.jsonl").write_text(
        json.dumps({"key": llm_replay.prompt_key(system["content"], user["content"]), "reply": reply}) + "\n")
    rows = llm_replay.table(tmp_path, tmp_path / "scores.csv")
    summary = [(r["set"], r["prompt"], r["intents"], r["served"], r["fallbacks"]) for r in rows]
    assert summary == [("dev", "paper", 40, 1, 39)]
    assert (tmp_path / "dev_paper.pred.jsonl").exists()
    assert (tmp_path / "scores.csv").read_text().splitlines()[0].startswith("set,prompt,intents,served")
