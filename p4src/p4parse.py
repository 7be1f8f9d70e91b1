"""A small reader of P4_16 declarations: tables (keys, actions, size), actions (parameters),
constants and header fields. Not a P4 compiler.

WHY: the P4Info is p4c's output (checked by recompiling when p4c is installed), but the tests that
tie the source to layout.py and the twin must also run where p4c is not; they read the declarations
out of the source. It handles the subset inml.p4 uses:
``#define NAME number``, ``const bit<W> NAME = value;``, ``typedef bit<W> name;``, ``header``
blocks, ``action name(bit<W> p, ...)`` and ``table name { key = {...} actions = {...} size = N; }``
inside controls (names are qualified with the control, as P4Info does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class P4Table:
    name: str
    keys: list[tuple[str, str, int]] = field(default_factory=list)  # (field, match kind, width)
    actions: list[str] = field(default_factory=list)
    size: int | None = None
    default_action: str | None = None


@dataclass
class P4Program:
    tables: dict[str, P4Table]
    actions: dict[str, list[tuple[str, int]]]  # qualified name -> [(param, width)]
    constants: dict[str, int]
    headers: dict[str, list[tuple[str, int]]]  # header type -> [(field, width)]
    structs: dict[str, list[tuple[str, str]]]  # struct type -> [(type, field)]


def _strip_comments(src: str) -> str:
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    return re.sub(r"//[^\n]*", " ", src)


def _block(src: str, start: int) -> tuple[str, int]:
    """Text between the brace at/after ``start`` and its match; returns (body, end index)."""
    i = src.index("{", start)
    depth = 0
    for j in range(i, len(src)):
        if src[j] == "{":
            depth += 1
        elif src[j] == "}":
            depth -= 1
            if depth == 0:
                return src[i + 1 : j], j + 1
    raise ValueError("unbalanced braces")


def _width(typ: str, typedefs: dict[str, int]) -> int:
    typ = typ.strip()
    m = re.fullmatch(r"bit<(\d+)>", typ)
    if m:
        return int(m.group(1))
    if typ in typedefs:
        return typedefs[typ]
    raise ValueError(f"unknown type {typ!r}")


def parse_p4(src: str) -> P4Program:
    src = _strip_comments(src)
    constants: dict[str, int] = {}
    for m in re.finditer(r"#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)", src):
        constants[m.group(1)] = int(m.group(2), 0)
    for m in re.finditer(r"const\s+bit<\d+>\s+(\w+)\s*=\s*(0x[0-9a-fA-F]+|\d+)\s*;", src):
        constants[m.group(1)] = int(m.group(2), 0)
    typedefs = {m.group(2): int(m.group(1)) for m in re.finditer(r"typedef\s+bit<(\d+)>\s+(\w+)\s*;", src)}

    headers: dict[str, list[tuple[str, int]]] = {}
    for m in re.finditer(r"header\s+(\w+)\s*\{", src):
        body, _ = _block(src, m.end() - 1)
        headers[m.group(1)] = [(f, _width(t, typedefs)) for t, f in re.findall(r"([\w<>]+)\s+(\w+)\s*;", body)]
    structs: dict[str, list[tuple[str, str]]] = {}
    for m in re.finditer(r"struct\s+(\w+)\s*\{", src):
        body, _ = _block(src, m.end() - 1)
        structs[m.group(1)] = [(t, f) for t, f in re.findall(r"([\w<>]+)\s+(\w+)\s*;", body)]

    actions: dict[str, list[tuple[str, int]]] = {}
    tables: dict[str, P4Table] = {}
    for cm in re.finditer(r"\bcontrol\s+(\w+)\s*\([^)]*\)\s*\{", src):
        cname = cm.group(1)
        cbody, _ = _block(src, cm.end() - 1)
        for am in re.finditer(r"\baction\s+(\w+)\s*\(([^)]*)\)\s*\{", cbody):
            params = []
            for p in filter(None, (x.strip() for x in am.group(2).split(","))):
                pm = re.fullmatch(r"(?:in\s+|out\s+|inout\s+)?([\w<>]+)\s+(\w+)", p)
                if not pm:
                    raise ValueError(f"cannot read parameter {p!r} of action {am.group(1)}")
                params.append((pm.group(2), _width(pm.group(1), typedefs)))
            actions[f"{cname}.{am.group(1)}"] = params
        for tm in re.finditer(r"\btable\s+(\w+)\s*\{", cbody):
            tbody, _ = _block(cbody, tm.end() - 1)
            t = P4Table(f"{cname}.{tm.group(1)}")
            km = re.search(r"key\s*=\s*\{([^}]*)\}", tbody)
            if km:
                for fld, kind in re.findall(r"([\w.]+)\s*:\s*(\w+)\s*;", km.group(1)):
                    t.keys.append((fld, kind, -1))
            am2 = re.search(r"actions\s*=\s*\{([^}]*)\}", tbody)
            if am2:
                t.actions = [a.strip() for a in am2.group(1).split(";") if a.strip()]
            sm = re.search(r"size\s*=\s*(\w+)\s*;", tbody)
            if sm:
                v = sm.group(1)
                t.size = int(v, 0) if v[0].isdigit() else constants[v]
            dm = re.search(r"default_action\s*=\s*(\w+)\s*\(", tbody)
            if dm:
                t.default_action = dm.group(1)
            tables[t.name] = t
    prog = P4Program(tables, actions, constants, headers, structs)
    for t in tables.values():
        t.keys = [(f, k, field_width(prog, f)) for f, k, _ in t.keys]
    return prog


def field_width(prog: P4Program, path: str) -> int:
    """Width of ``hdr.inml.visit`` / ``meta.key0`` by following headers_t / metadata_t."""
    root, *rest = path.split(".")
    struct = {"hdr": "headers_t", "meta": "metadata_t"}.get(root)
    if struct is None:
        raise ValueError(f"cannot resolve {path!r}")
    if len(rest) == 1:
        for typ, f in prog.structs[struct]:
            if f == rest[0]:
                m = re.fullmatch(r"bit<(\d+)>", typ)
                if m:
                    return int(m.group(1))
        raise ValueError(f"no scalar field {path!r}")
    hdr_field, fld = rest
    for typ, f in prog.structs[struct]:
        if f == hdr_field:
            for name, w in prog.headers[typ]:
                if name == fld:
                    return w
    raise ValueError(f"no field {path!r}")
