"""The `omniplan` command: one sub-command module per job, imported only when it runs.

Each module under ``omniplan_cli.commands`` exposes ``add_parser(subparsers)`` and ``run(args) -> int``.
Operator-facing errors (OmniPlanError) print one line and exit 2; nothing is written.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

#: sub-command -> module under omniplan_cli.commands
COMMANDS = {
    "plan": "plan",
    "translate": "translate",
    "compile": "compile",
    "serve": "serve",
    "intent": "client",
    "status": "client",
    "switches": "client",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omniplan", description="Intent-driven in-network ML placement.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    seen = set()
    for module in dict.fromkeys(COMMANDS.values()):
        try:
            mod = importlib.import_module(f"omniplan_cli.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"omniplan_cli.commands.{module}":
                continue
            raise
        if module not in seen:
            mod.add_parser(sub)
            seen.add(module)
    return parser


def main(argv: list[str] | None = None) -> int:
    from omniplan.errors import OmniPlanError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except OmniPlanError as exc:
        print(f"omniplan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
