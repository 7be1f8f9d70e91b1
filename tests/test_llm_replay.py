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
