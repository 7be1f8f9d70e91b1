"""Where the P4 reference toolchain is, and compiling inml.p4 with it (``make p4``).

WHY one module: ``make p4``, the P4Info check in tests, the BMv2 launcher and the differential
tests all need the same answers: which ``p4c-bm2-ss`` / ``simple_switch_grpc`` to run (PATH first,
then the bundle ``make setup`` unpacks into ``.p4-toolchain/p4-toolchain``), where ``core.p4`` and
``v1model.p4`` are, and where the compiled JSON and P4Info land (``p4src/build``, ignored by git).

Usage: ``python -m p4src.toolchain compile`` (writes p4src/build/inml.json and
inml.p4info.txtpb, exit 1 with p4c's message on a compile error, 2 when no compiler is found);
``python -m p4src.toolchain where`` prints what was found.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
P4_SOURCE = REPO / "p4src" / "inml.p4"
#: committed P4Info: p4c's output, byte for byte (tests/test_p4_program.py recompiles and compares)
COMMITTED_P4INFO = REPO / "p4src" / "inml.p4info.txtpb"
BUILD_DIR = REPO / "p4src" / "build"
BUILD_JSON = BUILD_DIR / "inml.json"
BUILD_P4INFO = BUILD_DIR / "inml.p4info.txtpb"
#: what `make setup` unpacks (tools/setup_p4_toolchain.sh); override with P4_TOOLCHAIN_HOME
BUNDLE_HOME = Path(os.environ.get("P4_TOOLCHAIN_HOME", REPO / ".p4-toolchain" / "p4-toolchain"))
COMPILER = "p4c-bm2-ss"
BMV2 = "simple_switch_grpc"
#: how to get the toolchain, for skip reasons and error messages
HOW_TO_GET = ("run `make setup` (unpacks ../shared/p4-toolchain into .p4-toolchain/) or "
              "tools/build_p4_toolchain.sh (builds p4c + BMv2 from upstream git), or put "
              f"{COMPILER} and {BMV2} on PATH")


@dataclass(frozen=True)
class Toolchain:
    """Paths of the tools found; None where absent.

    Example: ``Toolchain(compiler=Path('/usr/local/bin/p4c-bm2-ss'), include=None, bmv2=None)``
    (a PATH install knows its own include dir, so ``include`` is only set for the bundle).
    """

    compiler: Path | None
    include: Path | None
    bmv2: Path | None


def _tool(name: str) -> Path | None:
    found = shutil.which(name)
    if found:
        return Path(found)
    local = BUNDLE_HOME / "bin" / name
    return local if local.is_file() and os.access(local, os.X_OK) else None


def find_toolchain() -> Toolchain:
    compiler = _tool(COMPILER)
    include = None
    if compiler is not None and compiler.parent == BUNDLE_HOME / "bin":
        # the bundle's p4c was configured for its build folder: point it at the shipped p4include
        include = BUNDLE_HOME / "share" / "p4c" / "p4include"
    return Toolchain(compiler, include, _tool(BMV2))


@dataclass(frozen=True)
class CompileResult:
    returncode: int
    output: str  # p4c's stdout + stderr (warnings and errors)
    json_path: Path
    p4info_path: Path


def compile_inml(out_dir: Path = BUILD_DIR, source: Path = P4_SOURCE, toolchain: Toolchain | None = None) -> CompileResult:
    """p4c-bm2-ss --arch v1model --p4runtime-files; raises FileNotFoundError without a compiler.

    The source is given relative to the repository root so the JSON's source_info (and so the
    pipeline cookie the controller computes from it) does not depend on where the checkout is.
    """
    tc = toolchain or find_toolchain()
    if tc.compiler is None:
        raise FileNotFoundError(f"{COMPILER} not found; {HOW_TO_GET}")
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, p4info_path = out_dir / "inml.json", out_dir / "inml.p4info.txtpb"
    env = dict(os.environ)
    if tc.include is not None:
        env["P4C_16_INCLUDE_PATH"] = str(tc.include)
    src = os.path.relpath(source, REPO)
    cmd = [str(tc.compiler), "--arch", "v1model", "--p4runtime-files", str(p4info_path), "-o", str(json_path), src]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    return CompileResult(proc.returncode, (proc.stdout + proc.stderr).strip(), json_path, p4info_path)


def built_json() -> Path | None:
    """The compiled BMv2 JSON if ``make p4`` has produced it and it is newer than the source."""
    if BUILD_JSON.exists() and BUILD_JSON.stat().st_mtime >= P4_SOURCE.stat().st_mtime:
        return BUILD_JSON
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m p4src.toolchain", description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("compile", "where"))
    args = ap.parse_args(argv)
    tc = find_toolchain()
    if args.command == "where":
        print(f"{COMPILER}: {tc.compiler or 'not found'}\ninclude: {tc.include or '(compiler default)'}\n"
              f"{BMV2}: {tc.bmv2 or 'not found'}")
        return 0 if tc.compiler and tc.bmv2 else 1
    try:
        res = compile_inml(toolchain=tc)
    except FileNotFoundError as exc:
        print(f"p4: {exc}", file=sys.stderr)
        return 2
    if res.output:
        print(res.output, file=sys.stderr)
    if res.returncode != 0:
        print(f"p4: {COMPILER} failed on {P4_SOURCE.name} (exit {res.returncode})", file=sys.stderr)
        return 1
    same = res.p4info_path.read_bytes() == COMMITTED_P4INFO.read_bytes()
    print(f"p4: wrote {res.json_path.relative_to(REPO)} and {res.p4info_path.relative_to(REPO)}; "
          f"committed P4Info {'identical' if same else 'DIFFERS (copy the build one over it and commit)'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
