"""Score the LLM intent backend end to end from recorded LLM answers (a replay "cassette"), offline.

WHY: this machine reaches no LLM service, yet the openai backend (intent/llm.py: prompt, JSON schema, retries,
anchor-curve scoring in intent/translate.py) is the path an operator with an LLM endpoint uses, and its
accuracy on new writers had never been measured. A cassette holds one recorded reply per intent, keyed by the
SHA-256 of the exact system and user messages the backend sends (so a changed prompt or text misses the
cassette instead of replaying a stale answer). `replay` serves the cassette as an OpenAI-compatible /chat/completions endpoint
on 127.0.0.1 and runs the real backend against it over HTTP; a prompt missing from the cassette gets HTTP 404,
which the backend treats as a dead service and answers from the embedded translator, and the run counts those.

  # 1. write the exact prompts the backend would send, for whoever records the answers
  python bench/llm_replay.py prompts bench/intents_holdout_new22.jsonl --out prompts22.jsonl
  # 2. a recorder answers every prompt (system + user message) with the reply text -> cassette lines
  #    {"key": ..., "reply": "..."} (see bench/results/llm_replay/README.md for how ours were recorded)
  # 3. replay through the backend and write predictions for ../shared/bench/score_intents.py
  python bench/llm_replay.py replay bench/intents_holdout_new22.jsonl --cassette CASSETTE.jsonl --out pred.jsonl
  # or every recorded cassette of a folder at once (names <set>_<prompt>.cassette.jsonl), scored
  python bench/llm_replay.py table bench/results/llm_replay --out bench/results/llm_replay/scores.csv
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intent.llm import build_messages  # noqa: E402


def prompt_key(system_content: str, user_content: str) -> str:
    """The cassette key of one intent: SHA-256 of the system message and the first user message the backend sends."""
    return hashlib.sha256(json.dumps([system_content, user_content]).encode("utf-8")).hexdigest()


def load_rows(path: Path) -> list[dict]:
    """The labelled (or unlabelled) intents of a JSONL file: at least "id" and "text" per line."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for n, row in enumerate(rows, 1):
        if not isinstance(row.get("text"), str) or "id" not in row:
            raise SystemExit(f"{path}:{n}: each line needs an 'id' and a 'text'")
    return rows


def write_prompts(rows: list[dict], out: Path, prompt: str = "scale") -> None:
    """One line per intent: its id, cassette key, and the system and user messages exactly as sent."""
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            system, user = build_messages(row["text"], prompt)
            key = prompt_key(system["content"], user["content"])
            f.write(json.dumps({"id": row["id"], "key": key, "system": system["content"], "user": user["content"]},
                               ensure_ascii=False) + "\n")


def load_cassette(path: Path) -> dict[str, str]:
    """key -> recorded reply text; a line without both fields is refused with its line number."""
    replies: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        entry = json.loads(line)
        if not isinstance(entry.get("key"), str) or not isinstance(entry.get("reply"), str):
            raise SystemExit(f"{path}:{n}: a cassette line needs a string 'key' and a string 'reply'")
        replies[entry["key"]] = entry["reply"]
    return replies


class ReplayServer:
    """An OpenAI-compatible /chat/completions endpoint that answers from a cassette (127.0.0.1, a free port)."""

    def __init__(self, replies: dict[str, str]):
        self.replies, self.served, self.missed = replies, 0, 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                system = next(m["content"] for m in body["messages"] if m["role"] == "system")
                first_user = next(m["content"] for m in body["messages"] if m["role"] == "user")
                reply = owner.replies.get(prompt_key(system, first_user))
                if reply is None:
                    owner.missed += 1
                    self.send_response(404)
                    self.end_headers()
                    return
                owner.served += 1
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def replay(rows: list[dict], replies: dict[str, str], out: Path, prompt: str = "scale") -> tuple[int, int, int]:
    """Translate every intent with the openai backend against the replay server; returns (served, missed,
    answered by the embedded fallback)."""
    from intent.translate import IntentConfig, translate_batch

    server = ReplayServer(replies)
    try:
        config = IntentConfig(backend="openai", base_url=server.url, model="replay", timeout_s=10.0, prompt=prompt)
        results = translate_batch([row["text"] for row in rows], config=config)
    finally:
        server.close()
    fallbacks = sum(r.backend != "openai" for r in results)  # a fallback is the embedded translator's answer
    with out.open("w", encoding="utf-8") as f:
        for row, result in zip(rows, results):
            f.write(json.dumps({"id": row["id"], **result.as_dict()}, ensure_ascii=False) + "\n")
    return server.served, server.missed, fallbacks


def _intents_for(name: str, root: Path) -> Path:
    """The labelled file a cassette named <set>_<prompt>.cassette.jsonl answers: "dev" is the shared dev set,
    "setNN" the NN-th held-out set in bench/."""
    if name == "dev":  # ../shared beside the checkout (CI), or beside the worktrees' folder (/work/wt/x -> /work/shared)
        candidates = [base / "shared" / "bench" / "intents_dev.jsonl" for base in (root.parent, root.parent.parent)]
        return next((c for c in candidates if c.exists()), candidates[0])
    if name.startswith("set") and name[3:].isdigit():
        return root / "bench" / f"intents_holdout_new{name[3:]}.jsonl"
    raise SystemExit(f"cassette name {name!r}: expected dev_<prompt> or setNN_<prompt>")


def table(folder: Path, out: Path) -> list[dict]:
    """Replay every <set>_<prompt>.cassette.jsonl in `folder` through the backend and score it by the shared scorer's
    rules (bench/intent_families.py); writes the predictions next to each cassette and one CSV row per cassette."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from intent_families import judge, _levels  # the shared scorer's rules, not re-implemented

    root = Path(__file__).resolve().parents[1]
    rows = []
    for cassette in sorted(folder.glob("*.cassette.jsonl")):
        name, prompt = cassette.name.split(".")[0].rsplit("_", 1)
        gold = load_rows(_intents_for(name, root))
        pred_path = cassette.with_name(cassette.name.replace(".cassette.jsonl", ".pred.jsonl"))
        served, missed, fallbacks = replay(gold, load_cassette(cassette), pred_path, prompt)
        preds = {str(p["id"]): p for p in map(json.loads, pred_path.read_text(encoding="utf-8").splitlines())}
        verdicts = [judge(_levels(preds[str(g["id"])]["preference"], 4), _levels(g["levels"], 0)) for g in gold]
        oos = sum(bool(preds[str(g["id"])]["out_of_scope"]) == bool(g.get("out_of_scope")) for g in gold)
        rows.append({"set": name, "prompt": prompt, "intents": len(gold), "served": served, "fallbacks": fallbacks,
                     "translation_acc": round(sum(t for t, _ in verdicts) / len(gold), 3),
                     "activation_acc": round(sum(a for _, a in verdicts) / len(gold), 3),
                     "out_of_scope_acc": round(oos / len(gold), 3)})
        print(",".join(str(v) for v in rows[-1].values()))
    with out.open("w", encoding="utf-8") as f:
        f.write(",".join(rows[0]) + "\n" if rows else "")
        for row in rows:
            f.write(",".join(str(v) for v in row.values()) + "\n")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prompts", help="write the exact prompts for a set of intents")
    p.add_argument("intents", type=Path)
    p.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("replay", help="translate a set through the openai backend answered from a cassette")
    r.add_argument("intents", type=Path)
    r.add_argument("--cassette", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("table", help="replay and score every <set>_<prompt>.cassette.jsonl of a folder")
    t.add_argument("folder", type=Path)
    t.add_argument("--out", type=Path, required=True, help="CSV of scores, one row per cassette")
    for command in (p, r):
        command.add_argument("--prompt", choices=("scale", "paper"), default="scale",
                             help="the backend's system prompt (intent.llm.PROMPTS) the answers were recorded with")
    args = parser.parse_args(argv)
    if args.command == "table":
        table(args.folder, args.out)
        return 0
    rows = load_rows(args.intents)
    if args.command == "prompts":
        write_prompts(rows, args.out, args.prompt)
        print(f"{len(rows)} prompts -> {args.out}")
        return 0
    served, missed, fallbacks = replay(rows, load_cassette(args.cassette), args.out, args.prompt)
    print(f"{len(rows)} intents: {served} replies served, {missed} prompts not in the cassette, "
          f"{fallbacks} answered by the embedded fallback -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
