"""`omniplan translate`: natural-language intent -> preference vector, one intent or a JSONL batch.

Single intent: a rich view (intensity bars, the words that drove each objective, out-of-scope asks
with the operator's two options) or --json. Batch: every input line gets one output line, in order.
Good lines are translated in one encoder pass and written as JSONL that score_intents.py reads; a bad
line (empty, not UTF-8, malformed JSON, no "text", over the length limit, duplicate id) gets
{"id", "error"} and the run goes on. The exit status is the number of failed lines (capped at 125);
an unreadable or empty file exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omniplan.errors import InputError

_BAR = 24


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "translate",
        help="translate a natural-language intent into a preference vector",
        description="Translate an operator intent into intensities in [0,1] over the seven objectives "
                    "(paper section 4: standardized text per objective scored on the anchor curve).",
    )
    p.add_argument("text", nargs="?", help="the intent, e.g. \"minimize latency, then SRAM\"")
    p.add_argument("--batch", metavar="FILE", help="JSONL file of {\"id\", \"text\"} lines ('-' reads stdin); "
                                                   "writes JSONL predictions to stdout (or --output)")
    p.add_argument("--output", "-o", metavar="FILE", help="with --batch: write predictions here instead of stdout")
    p.add_argument("--backend", choices=("embedded", "openai", "local"), default=None,
                   help="embedded (offline default), openai (OpenAI-compatible endpoint) or local (transformers LM)")
    p.add_argument("--json", action="store_true", help="print the translation as JSON")
    p.add_argument("--llm-url", metavar="URL", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 "
                                                   "(default $OMNIPLAN_LLM_BASE_URL)")
    p.add_argument("--llm-model", metavar="NAME", help="model name for the endpoint (default $OMNIPLAN_LLM_MODEL)")
    p.add_argument("--llm-path", metavar="DIR", help="local causal LM directory (default $OMNIPLAN_LLM_LOCAL_PATH)")
    p.add_argument("--llm-prompt", choices=("scale", "paper"), default=None,
                   help="LLM system prompt: scale (default: the paper's prompt plus the scale's conventions) or paper "
                        "(the paper's prompt alone) (default $OMNIPLAN_LLM_PROMPT)")
    p.add_argument("--llm-timeout", type=float, default=None, metavar="S", help="LLM request timeout (default 20)")
    p.add_argument("--llm-tries", type=int, default=None, metavar="N",
                   help="queries per intent before falling back when replies are out of format (default 3)")
    choice = p.add_mutually_exclusive_group()
    choice.add_argument("--proceed", action="store_true",
                        help="out-of-scope asks: proceed with the mapping onto the closest objective")
    choice.add_argument("--register", action="store_true",
                        help="out-of-scope asks: register them as custom objectives ($OMNIPLAN_HOME)")
    p.set_defaults(func=run)
    return p


def _config(args: argparse.Namespace):
    from intent import IntentConfig

    if args.llm_tries is not None and args.llm_tries < 1:
        raise InputError("--llm-tries must be at least 1")
    if args.llm_timeout is not None and args.llm_timeout <= 0:
        raise InputError("--llm-timeout must be positive")
    return IntentConfig.from_env(backend=args.backend, base_url=args.llm_url, model=args.llm_model,
                                 local_model_path=args.llm_path, timeout_s=args.llm_timeout,
                                 max_tries=args.llm_tries, prompt=args.llm_prompt)


def run(args: argparse.Namespace) -> int:
    if args.batch and args.text:
        raise InputError("give either an intent text or --batch FILE, not both")
    if not args.batch and args.text is None:
        raise InputError("no intent given: omniplan translate \"minimize latency\" or --batch FILE")
    if args.output and not args.batch:
        raise InputError("--output is for --batch")
    if args.batch:
        return _run_batch(args)
    from intent import translate

    translation = translate(args.text, config=_config(args))
    registered = _apply_choice(args, translation)
    if args.json:
        out = translation.as_dict()
        if args.proceed:
            out["preference_with_mapping"] = translation.with_mapping().as_dict()
        out["registered"] = registered
        print(json.dumps(out, indent=2))
    else:
        _show(translation, registered, args.proceed)
    return 0


def _apply_choice(args: argparse.Namespace, translation) -> list[str]:
    if not args.register:
        return []
    from intent import register_custom_objective

    names = []
    for ask in translation.out_of_scope:
        register_custom_objective(ask.ask, closest_objective=ask.closest_objective, similarity=ask.similarity)
        names.append(ask.ask)
    return names


#: exit statuses above 125 mean "killed by a signal" to shells, so the failed-line count is capped here.
MAX_EXIT_COUNT = 125


@dataclass(frozen=True)
class BatchLine:
    """One input line of a batch: its id and either the intent text or why it cannot be translated.

    Example: BatchLine(line=3, key="a", text="minimize delay") or BatchLine(line=4, key=4, error="line is empty").
    """

    line: int
    key: Any
    text: str | None = None
    error: str | None = None


def read_batch(path: str) -> list[BatchLine]:
    """One BatchLine per input line, in order; a bad line carries its error instead of stopping the read.

    WHY per line: one empty or garbled line in a file of thousands must not cost the other results.
    Only an unreadable or entirely empty file raises IntentInputError.
    """
    from intent import MAX_INTENT_CHARS, IntentInputError

    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise IntentInputError(f"cannot read batch file: {exc.strerror or exc}", path=path) from None
    chunks = raw.split(b"\n")
    if chunks and chunks[-1] in (b"", b"\r"):  # the newline that ends the last line opens no new line
        chunks.pop()
    if not chunks:
        raise IntentInputError("no intents (the file is empty)", path=path)
    lines: list[BatchLine] = []
    seen: set[str] = set()
    for number, chunk in enumerate(chunks, start=1):
        key, text, error = number, None, None
        try:
            decoded = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            error = f"not UTF-8 (byte {exc.start + 1})"
        else:
            key, text, error = _parse_line(decoded, number, MAX_INTENT_CHARS)
        if error is None and str(key) in seen:
            error, key = f"duplicate id {key!r}", number
        if error is None:
            seen.add(str(key))
        lines.append(BatchLine(number, key, text if error is None else None, error))
    return lines


def _parse_line(decoded: str, number: int, max_chars: int) -> tuple[Any, str | None, str | None]:
    """(id, text, error) for one decoded line; the id is the line number when the line has none."""
    if not decoded.strip():
        return number, None, "line is empty"
    if len(decoded) > 4 * max_chars:  # far beyond any intent: do not even parse it
        return number, None, f"line is {len(decoded)} characters; the limit is {max_chars}"
    try:
        row = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return number, None, f"malformed JSON: {exc.msg} (column {exc.colno})"
    if not isinstance(row, dict):
        return number, None, "expected a JSON object with \"text\""
    key = row.get("id", number)
    if not isinstance(key, (str, int)) or isinstance(key, bool):
        return number, None, "field \"id\" must be a string or an integer"
    text = row.get("text")
    if not isinstance(text, str):
        return key, None, "field \"text\" is missing or not a string"
    if not text.strip():
        return key, None, "field \"text\" is empty"
    if len(text.strip()) > max_chars:
        return key, None, f"field \"text\" is {len(text.strip())} characters; the limit is {max_chars}"
    if "\x00" in text:
        return key, None, "field \"text\" contains a NUL character"
    return key, text, None


def _translate_lines(lines: list[BatchLine], config) -> list[Any]:
    """A Translation or an error string per line; good lines go through the translator in one pass."""
    from intent import IntentInputError, translate_batch

    good = [i for i, line in enumerate(lines) if line.error is None]
    results: list[Any] = [line.error for line in lines]
    try:
        translated = translate_batch([lines[i].text for i in good], config=config) if good else []
    except IntentInputError:
        # a text the line checks let through but the translator refuses: isolate it, keep the rest
        translated = []
        for i in good:
            try:
                translated.extend(translate_batch([lines[i].text], config=config))
            except IntentInputError as exc:
                translated.append(str(exc))
    for i, result in zip(good, translated):
        results[i] = result
    return results


def _run_batch(args: argparse.Namespace) -> int:
    lines = read_batch(args.batch)
    results = _translate_lines(lines, _config(args))
    rows, failed = [], 0
    for line, result in zip(lines, results):
        if isinstance(result, str):
            failed += 1
            rows.append(json.dumps({"id": line.key, "error": result}, ensure_ascii=False))
            print(f"{args.batch}: line {line.line}: {result}", file=sys.stderr)
            continue
        row = {"id": line.key, **result.as_dict()}
        if args.proceed:
            row["preference_with_mapping"] = result.with_mapping().as_dict()
        rows.append(json.dumps(row, ensure_ascii=False))
        _apply_choice(args, result)
    payload = "\n".join(rows) + "\n"
    if args.output:
        target = Path(args.output)
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            tmp.write_text(payload, encoding="utf-8")
            tmp.replace(target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(f"--output {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(payload)
    if failed:
        print(f"{args.batch}: {failed} of {len(lines)} lines failed (exit status = failed lines, at most "
              f"{MAX_EXIT_COUNT})", file=sys.stderr)
    return min(failed, MAX_EXIT_COUNT)


def _show(translation, registered: list[str], proceed: bool) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    from omniplan.objectives import OBJECTIVES

    console = Console()
    table = Table(title=f"Intent: {translation.text}", title_justify="left")
    table.add_column("objective")
    table.add_column("intensity", no_wrap=True)
    table.add_column("value", justify="right")
    table.add_column("level", justify="right")
    table.add_column("evidence (words that drove it)")
    levels = translation.levels()
    for o in OBJECTIVES:
        value = translation.preference[o]
        filled = int(round(value * _BAR))
        colour = "green" if levels[o] >= 4 else "cyan" if value > 0 else "dim"
        bar = f"[{colour}]{'█' * filled}[/{colour}][dim]{'·' * (_BAR - filled)}[/dim]"
        table.add_row(o, bar, f"{value:.2f}", str(levels[o]), ", ".join(translation.evidence.get(o, [])))
    console.print(table)
    console.print(f"backend: {translation.backend}   confidence: {translation.confidence:.2f}   "
                  f"normalized s: [{', '.join(f'{x:.2f}' for x in translation.preference.normalized())}]")
    for o in OBJECTIVES:
        if levels[o]:
            console.print(f"  [dim]{o}:[/dim] {translation.standardized[o]}")
    for name, score in translation.custom.items():
        console.print(f"custom objective [bold]{name}[/bold]: {score:.2f}")
    for ask in translation.out_of_scope:
        lines = [f"[bold]{ask.ask}[/bold] is not one of the seven objectives (asked with intensity "
                 f"{ask.intensity:.2f}; words: {', '.join(ask.words)}).",
                 f"Closest objective: [bold]{ask.closest_objective}[/bold] (similarity {ask.similarity:.2f}).",
                 "Options:",
                 f"  1. proceed with the mapping: treat it as {ask.closest_objective}  (--proceed)",
                 "  2. register a custom objective, recognised from now on  (--register)"]
        if ask.ask in registered:
            lines.append(f"[green]registered {ask.ask!r} as a custom objective[/green]")
        console.print(Panel("\n".join(lines), title="out of scope", border_style="yellow"))
    if proceed and translation.out_of_scope:
        mapped = translation.with_mapping()
        console.print("with mapping: " + ", ".join(f"{o}={v:.2f}" for o, v in mapped.as_dict().items() if v))
    for note in translation.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
