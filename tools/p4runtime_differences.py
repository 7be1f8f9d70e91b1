"""Send the same bad (and borderline) P4Runtime requests to omniplan-switch and to BMv2; tabulate codes.

WHY: BMv2 (PI's P4Runtime server) is the reference implementation most controllers are tested
against. Where our switch answers a request with another status code, a controller written
against one may misread the other; this lists every such difference, measured, not recalled.

    python -m tools.p4runtime_differences            # prints the table
    python -m tools.p4runtime_differences --write    # rewrites docs/p4runtime-differences.md

Both switches load the compiled inml.p4 (p4src/build, `make p4`); each probe runs on a fresh
connection of the same primary controller, starting from the same table contents (one valid
entry). Needs root (BMv2 runs in a private network namespace).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import grpc

from p4src.entries import DefaultAction, Match, TableEntry
from p4src.toolchain import COMMITTED_P4INFO, REPO, built_json, compile_inml
from softswitch.client import P4RuntimeClient, WriteError, update
from softswitch.codec import encode_entry
from softswitch.embedded import EmbeddedSwitch
from softswitch.p4info import P4InfoIndex, load_p4info
from softswitch.proto import p4r

DOC = REPO / "docs" / "p4runtime-differences.md"
DEVICE_ID = 1
ELECTION_ID = 10


def _sel(visit: int = 1) -> tuple[Match, ...]:
    return (Match("hdr.inml.task_id", "exact", 7), Match("hdr.inml.version", "exact", 1),
            Match("hdr.inml.visit", "exact", visit))


#: a valid entry every probe starts with (so duplicates / modifies have something to hit)
BASE = TableEntry("MyIngress.route", _sel(), "MyIngress.deliver", (("port", 3),))
STAGE = TableEntry("MyIngress.stage0", _sel() + (Match("meta.key0", "range", 10, high=20),), "MyIngress.set_label",
                   (("label", 2),), priority=5)


@dataclass(frozen=True)
class Probe:
    """One request. ``run(client, index)`` performs it; exceptions carry the status."""

    name: str
    run: Callable[[P4RuntimeClient, P4InfoIndex], None]


def _insert(entry_fn: Callable[[P4InfoIndex], "p4r.TableEntry"]):
    return lambda c, ix: c.write([update(p4r.Update.INSERT, entry_fn(ix))])


def _mutated(entry: TableEntry, mutate: Callable[["p4r.TableEntry"], None]):
    def make(ix: P4InfoIndex) -> "p4r.TableEntry":
        pb = encode_entry(ix, entry)
        mutate(pb)
        return pb
    return make


def _set_field(path: str, value):
    def mutate(pb):
        obj = pb
        *parents, last = path.split(".")
        for p in parents:
            obj = obj[int(p)] if p.isdigit() else getattr(obj, p)
        setattr(obj, last, value)
    return mutate


def _drop_match(i: int):
    return lambda pb: pb.match.pop(i)


def _non_primary_write(c: P4RuntimeClient, ix: P4InfoIndex) -> None:
    other = P4RuntimeClient(c.address, device_id=DEVICE_ID, election_id=c.election_id - 1)
    try:
        other.arbitrate()
        other.write([update(p4r.Update.INSERT, encode_entry(ix, STAGE))])
    finally:
        other.close()


def _wrong_device(c: P4RuntimeClient, ix: P4InfoIndex) -> None:
    req = p4r.WriteRequest(device_id=DEVICE_ID + 41, updates=[update(p4r.Update.INSERT, encode_entry(ix, STAGE))])
    req.election_id.high, req.election_id.low = 0, c.election_id
    try:
        c.stub.Write(req)
    except grpc.RpcError as exc:
        raise WriteError(exc) from None


def _read_unknown_table(c: P4RuntimeClient, ix: P4InfoIndex) -> None:
    c.read_table(0x02FFFFFF)


def _garbage_config(c: P4RuntimeClient, ix: P4InfoIndex) -> None:
    c.set_pipeline(load_p4info(str(COMMITTED_P4INFO)), b"{not json", cookie=99,
                   action=p4r.SetForwardingPipelineConfigRequest.VERIFY)


def _modify_default(action: str, params=()):
    return lambda c, ix: c.write([update(p4r.Update.MODIFY, encode_entry(ix, DefaultAction("MyIngress.route", action, params)))])


PROBES = [
    Probe("valid insert (control)", _insert(lambda ix: encode_entry(ix, STAGE))),
    Probe("write from a non-primary client", _non_primary_write),
    Probe("write to another device id", _wrong_device),
    Probe("duplicate insert", _insert(lambda ix: encode_entry(ix, BASE))),
    Probe("modify of a missing entry", lambda c, ix: c.write([update(p4r.Update.MODIFY, encode_entry(ix, STAGE))])),
    Probe("delete of a missing entry", lambda c, ix: c.write([update(p4r.Update.DELETE, encode_entry(ix, STAGE))])),
    Probe("unknown table id", _insert(_mutated(STAGE, _set_field("table_id", 0x02FFFFFF)))),
    Probe("unknown action id", _insert(_mutated(STAGE, _set_field("action.action.action_id", 0x01FFFFFF)))),
    Probe("action not in the table's action refs", _insert(lambda ix: encode_entry(
        ix, TableEntry("MyIngress.stage0", STAGE.matches, "MyIngress.stamp", (("version", 1), ("visit", 1)), priority=5)))),
    Probe("unknown match field id", _insert(_mutated(STAGE, _set_field("match.3.field_id", 99)))),
    Probe("missing exact field", _insert(_mutated(STAGE, _drop_match(0)))),
    Probe("exact value wider than the field", _insert(_mutated(STAGE, _set_field("match.0.exact.value", b"\x01\x00\x00")))),
    Probe("range low > high", _insert(_mutated(STAGE, _set_field("match.3.range.low", b"\x30")))),
    Probe("range 0..2^16-1 (don't care spelled out)", _insert(lambda ix: encode_entry(
        ix, TableEntry("MyIngress.stage0", _sel() + (Match("meta.key0", "range", 0, high=0xFFFF),), "MyIngress.set_label",
                       (("label", 2),), priority=5)))),
    Probe("range 0..255 on a 16-bit key, canonical bytes", _insert(lambda ix: encode_entry(
        ix, TableEntry("MyIngress.stage0", _sel(2) + (Match("meta.key0", "range", 0, high=255),), "MyIngress.set_label",
                       (("label", 2),), priority=5)))),
    Probe("ternary value outside its mask", _insert(lambda ix: encode_entry(
        ix, TableEntry("MyIngress.stage1", _sel() + (Match("hdr.inml_regs.regs", "ternary", 3, mask=1),),
                       "MyIngress.set_label", (("label", 2),), priority=5)))),
    Probe("ternary mask 0 (don't care spelled out)", _insert(lambda ix: encode_entry(
        ix, TableEntry("MyIngress.stage1", _sel() + (Match("hdr.inml_regs.regs", "ternary", 0, mask=0),),
                       "MyIngress.set_label", (("label", 2),), priority=5)))),
    Probe("priority 0 on a range/ternary table", _insert(_mutated(STAGE, _set_field("priority", 0)))),
    Probe("priority on an exact-only table", _insert(_mutated(BASE, _set_field("priority", 9)))),
    Probe("missing action parameter", _insert(lambda ix: _without_params(encode_entry(ix, STAGE)))),
    Probe("action parameter wider than declared", _insert(_mutated(STAGE, _set_field("action.action.params.0.value", b"\x01\x00\x00")))),
    Probe("padded (non-canonical) exact value", _insert(_mutated(
        TableEntry("MyIngress.route", _sel(3), "MyIngress.deliver", (("port", 3),)), _set_field("match.0.exact.value", b"\x00\x07")))),
    Probe("modify default action to a listed action", _modify_default("MyIngress.send_to_cpu")),
    Probe("modify default action to an unlisted action", _modify_default("MyIngress.stamp", (("version", 1), ("visit", 1)))),
    Probe("read of an unknown table id", _read_unknown_table),
    Probe("VERIFY a pipeline whose device config is not BMv2 JSON", _garbage_config),
]


def _without_params(pb: "p4r.TableEntry") -> "p4r.TableEntry":
    del pb.action.action.params[:]
    return pb


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "OK"
    if isinstance(exc, WriteError):
        inner = sorted({e.code.name for e in exc.errors if e.code != grpc.StatusCode.OK})
        return exc.code.name + (f" ({', '.join(inner)})" if inner and inner != [exc.code.name] else "")
    if isinstance(exc, grpc.RpcError):
        return exc.code().name
    return f"{type(exc).__name__}"


def probe_switch(address: str, p4info, device_config: bytes) -> dict[str, str]:
    """Outcome of every probe on the switch at ``address`` (pipeline pushed first)."""
    index = P4InfoIndex(p4info)
    out = {}
    for i, pr in enumerate(PROBES):
        # a new, higher election id each time: the previous connection may still be registered
        c = P4RuntimeClient(address, device_id=DEVICE_ID, election_id=ELECTION_ID + 2 * i)
        try:
            c.arbitrate()
            c.set_pipeline(p4info, device_config, cookie=1)  # fresh tables for every probe
            c.write([update(p4r.Update.INSERT, encode_entry(index, BASE))])
            try:
                pr.run(c, index)
                out[pr.name] = _outcome(None)
            except (WriteError, grpc.RpcError) as exc:
                out[pr.name] = _outcome(exc)
        finally:
            c.close()
    return out


def measure() -> tuple[dict[str, str], dict[str, str]]:
    from softswitch.netns_network import NamespaceNetwork

    program = built_json()
    if program is None:
        res = compile_inml()
        if res.returncode != 0:
            raise SystemExit(f"p4c failed:\n{res.output}")
        program = res.json_path
    config = Path(program).read_bytes()
    p4info = load_p4info(str(COMMITTED_P4INFO))
    with EmbeddedSwitch(device_id=DEVICE_ID) as omni:
        ours = probe_switch(omni.address, p4info, config)
    with NamespaceNetwork({"s1": {"h1": 1}}, kind="bmv2", device_ids={"s1": DEVICE_ID}) as net:
        theirs = probe_switch(net.address("s1"), p4info, config)
    return ours, theirs


def table(ours: dict[str, str], theirs: dict[str, str]) -> str:
    rows = ["| request | omniplan-switch | BMv2 (PI) | same |", "|---|---|---|---|"]
    for pr in PROBES:
        a, b = ours[pr.name], theirs[pr.name]
        rows.append(f"| {pr.name} | {a} | {b} | {'yes' if a == b else '**no**'} |")
    return "\n".join(rows)


def document(ours: dict[str, str], theirs: dict[str, str]) -> str:
    n_diff = sum(ours[p.name] != theirs[p.name] for p in PROBES)
    return f"""# P4Runtime behaviour: omniplan-switch vs BMv2

Generated by `python -m tools.p4runtime_differences --write` (checked by
`tests/test_p4runtime_differences.py`): the same {len(PROBES)} requests sent to both switches, each
after a fresh SetForwardingPipelineConfig of the compiled inml.p4 and one valid route entry.
A cell is the gRPC status of the RPC, with the per-update `p4.v1.Error` codes in parentheses
when they differ from it. BMv2 is `simple_switch_grpc` {_bmv2_version()} (PI's P4Runtime server).

{n_diff} of {len(PROBES)} requests get a different answer.

{table(ours, theirs)}

Notes
- BMv2 rejects a legal range whose canonical bytes look like a don't-care range of a narrower
  field (PI derives the width from the byte length); the controller's southbound therefore pads
  range bounds to the field width (`controller.southbound.pad_range_bounds`). The same check
  lets the real don't-care range 0..65535 through when its canonical low bound is one byte.
- BMv2 accepts a SetForwardingPipelineConfig whose JSON it cannot load and then fails every
  write ("Error when adding match entry to target"): found while porting inml.p4; omniplan-switch
  ignores the device config.
"""


def _bmv2_version() -> str:
    import subprocess

    from p4src.toolchain import find_toolchain

    exe = find_toolchain().bmv2
    if exe is None:
        return "(not installed)"
    return subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.p4runtime_differences", description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"rewrite {DOC.relative_to(REPO)}")
    args = ap.parse_args(argv)
    ours, theirs = measure()
    text = document(ours, theirs)
    if args.write:
        DOC.write_text(text)
        print(f"wrote {DOC.relative_to(REPO)}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
