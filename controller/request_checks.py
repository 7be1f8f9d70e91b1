"""Hygiene checks on what a northbound client sends, before any of it is parsed further or stored.

Why each check exists (each was an observed failure, issue 10):

* **Nesting depth.** ``json.loads`` recurses per nesting level; a body of 100k ``[`` raised
  ``RecursionError`` and answered 500. The depth is measured on the raw text first (strings
  skipped), so a deep body is refused before the parser sees it.
* **Control characters.** A NUL or ESC in an intent text was accepted (202), failed later, and the
  ESC was echoed raw to the operator's terminal by ``intent list``. Every string in the body, key
  or value, and every query parameter is refused if it holds a C0 control other than tab, newline
  and carriage return, DEL, or a C1 control (U+0080..U+009F, e.g. the 8-bit CSI U+009B).
"""

from __future__ import annotations

import re
from typing import Any

#: Deepest JSON nesting accepted. A workload document nests ~6 levels and a compiled program ~8;
#: 400 leaves room for any real document and stays far below Python's recursion limit (1000).
MAX_JSON_DEPTH = 400

#: Characters refused in any client-supplied string (tab, LF and CR are allowed: multi-line text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL", 0x9B: "CSI"}


class RequestRejected(ValueError):
    """One line saying what in the request was refused; the API answers it as a 400."""


def json_depth(text: str) -> int:
    """Deepest bracket nesting of a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub('""', text)):
        if m.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    depth = json_depth(text)
    if depth > limit:
        raise RequestRejected(f"JSON nested {depth} levels deep; at most {limit} are accepted")


def describe_control(ch: str) -> str:
    code = ord(ch)
    name = _NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def find_control(value: str) -> tuple[int, str] | None:
    """Position and description of the first refused control character in ``value``, if any."""
    m = _CONTROL.search(value)
    return None if m is None else (m.start(), describe_control(m.group()))


def check_strings(data: Any, where: str = "body") -> None:
    """Refuse the first key or string value (at any depth) holding a control character; names its path."""
    stack: list[tuple[str, Any]] = [(where, data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            _refuse_control(path, value)
        elif isinstance(value, dict):
            for k, v in value.items():
                _refuse_control(f"{path} key {k!r}" if path else repr(k), k)
                stack.append((f"{path}.{k}" if path != "body" else str(k), v))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))


def check_query(params: Any) -> None:
    for key, value in params.items():
        _refuse_control(f"query parameter {key!r}", key)
        _refuse_control(f"query parameter {key!r}", value)


def _refuse_control(path: str, value: str) -> None:
    found = find_control(value)
    if found is not None:
        pos, what = found
        raise RequestRejected(f"{path}: control character {what} at position {pos} is not allowed")


def printable(text: Any) -> str:
    """``text`` with refused control characters shown as ``\\x1b``-style escapes (for terminals and logs)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
