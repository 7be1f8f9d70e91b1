"""`omniplan serve`: run the controller service (northbound API + planning queue + P4Runtime southbound).

The admin token comes from --token or OMNIPLAN_TOKEN; without either a random one is generated and
printed once, so a fresh install is never open for writes. Reads need a token too: the admin token,
or the read-only one (--read-token or OMNIPLAN_READ_TOKEN) that dashboards and scrapers can hold
without being able to change anything; --public-reads opens every GET instead (an explicit choice).
/health and /openapi.json are always open.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the controller service", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8181, help="HTTP port (default 8181; 0 = any free port)")
    p.add_argument("--db", default="omniplan.db", help="SQLite state file (default omniplan.db)")
    p.add_argument("--token", default=None, help="admin API bearer token (default: $OMNIPLAN_TOKEN, else random)")
    p.add_argument("--read-token", default=None,
                   help="read-only bearer token for GETs (default: $OMNIPLAN_READ_TOKEN; none: reads need the admin token)")
    p.add_argument("--public-reads", action="store_true", help="serve GETs without any token (writes still need it)")
    p.add_argument("--keepalive", type=float, default=10.0,
                   help="seconds between keep-alive comments on idle /events streams (default 10)")
    p.add_argument("--topology", default="abilene", help="topology name or .graphml (default abilene)")
    p.add_argument("--switches", default=None, help="switch list (YAML/JSON, see controller/config.py)")
    p.add_argument("--workload", default=None, help="workload file whose tasks intents may reference by name")
    p.add_argument("--max-body", type=int, default=1 << 20, help="largest accepted request body in bytes")
    p.add_argument("--time-limit", type=float, default=10.0, help="default solver time limit per intent (s)")
    p.add_argument("--batch-size", type=int, default=256, help="table updates per P4Runtime WriteRequest")
    p.add_argument("--drain", type=float, default=0.02, help="seconds between the flip and deleting old entries")
    p.add_argument("--link-probe", type=float, default=0.5,
                   help="seconds between link probes (PacketOut/PacketIn per inter-switch port; 0 = off)")
    p.add_argument("--no-warm", action="store_true", help="do not preload the intent translator at start")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from omniplan.errors import InputError

    token = args.token or os.environ.get("OMNIPLAN_TOKEN")
    generated = not token
    if generated:
        token = secrets.token_urlsafe(24)
    if not 0 <= args.link_probe <= 60:
        raise InputError(f"--link-probe {args.link_probe}: must be between 0 (off) and 60 seconds")
    if args.batch_size < 1:
        raise InputError(f"--batch-size {args.batch_size}: must be >= 1")
    if args.port < 0 or args.port > 65535:
        raise InputError(f"--port {args.port}: not a TCP port")
    if not args.keepalive > 0:
        raise InputError(f"--keepalive {args.keepalive}: must be > 0 seconds")
    args.read_token = args.read_token or os.environ.get("OMNIPLAN_READ_TOKEN") or None
    if args.read_token is not None and args.read_token == token:
        raise InputError("--read-token: must differ from the admin token")
    return asyncio.run(_serve(args, token, generated))


async def _serve(args: argparse.Namespace, token: str, generated: bool) -> int:
    from aiohttp import web

    from controller.app import build_controller
    from controller.api import build_app

    from controller.service import ServiceOptions

    controller = build_controller(db=args.db, topology=args.topology, switches=args.switches,
                                  workload=args.workload, time_limit_s=args.time_limit,
                                  options=ServiceOptions(batch_size=args.batch_size, drain_s=args.drain,
                                                         warm_translator=not args.no_warm,
                                                         link_probe_s=args.link_probe))
    app = build_app(controller, token, max_body=args.max_body, read_token=args.read_token,
                    public_reads=args.public_reads, keepalive_s=args.keepalive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        from omniplan.errors import InputError

        raise InputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"omniplan serve: listening on http://{args.host}:{port} (topology {controller.topology.name}, "
          f"{len(controller.switches)} switches, db {args.db})", flush=True)
    if generated:
        print(f"omniplan serve: API token (generated): {token}", flush=True)
    reads = ("open to anyone (--public-reads)" if args.public_reads
             else "need the admin or the read-only token" if args.read_token else "need the admin token")
    print(f"omniplan serve: reads {reads}; /health is open", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("omniplan serve: stopping", file=sys.stderr, flush=True)
    await runner.cleanup()
    controller.store.close()
    return 0
