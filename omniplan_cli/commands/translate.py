"""`omniplan translate`: natural-language intent -> preference vector, one intent or a JSONL batch.

Single intent: a rich view (intensity bars, the words that drove each objective, out-of-scope asks
with the operator's two options) or --json. Batch: every input line is checked (UTF-8, JSON, a
non-empty "text") before anything is translated, then all intents are translated in one encoder
pass and written as JSONL that bench/score_intents.py reads. A bad line stops the run with the
line named and nothing written (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
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
                                 max_tries=args.llm_tries)


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


def read_batch(path: str) -> list[tuple[Any, str]]:
    """(id, text) per non-blank line; raises IntentInputError naming the file and line of the first bad one."""
    from intent import MAX_INTENT_CHARS, IntentInputError

    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise IntentInputError(f"cannot read batch file: {exc.strerror or exc}", path=path) from None
    items: list[tuple[Any, str]] = []
    seen: set[str] = set()
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IntentInputError(f"not UTF-8 (byte {exc.start + 1})", path=path, line=number) from None
        if not decoded.strip():
            continue
        try:
            row = json.loads(decoded)
        except json.JSONDecodeError as exc:
            raise IntentInputError(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=number) from None
        if not isinstance(row, dict):
            raise IntentInputError("expected a JSON object with \"text\"", path=path, line=number)
        text = row.get("text")
        if not isinstance(text, str):
            raise IntentInputError("field \"text\" is missing or not a string", path=path, line=number)
        if not text.strip():
            raise IntentInputError("field \"text\" is empty", path=path, line=number)
        if len(text.strip()) > MAX_INTENT_CHARS:
            raise IntentInputError(f"field \"text\" is {len(text.strip())} characters; the limit is "
                                   f"{MAX_INTENT_CHARS}", path=path, line=number)
        key = row.get("id", number)
        if str(key) in seen:
            raise IntentInputError(f"duplicate id {key!r}", path=path, line=number)
        seen.add(str(key))
        items.append((key, text))
    if not items:
        raise IntentInputError("no intents (the file is empty)", path=path)
    return items


def _run_batch(args: argparse.Namespace) -> int:
    from intent import translate_batch

    items = read_batch(args.batch)
    translations = translate_batch([t for _, t in items], config=_config(args))
    lines = []
    for (key, _), translation in zip(items, translations):
        row = {"id": key, **translation.as_dict()}
        if args.proceed:
            row["preference_with_mapping"] = translation.with_mapping().as_dict()
        lines.append(json.dumps(row, ensure_ascii=False))
    for translation in translations if args.register else []:
        _apply_choice(args, translation)
    payload = "\n".join(lines) + "\n"
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
    return 0


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
