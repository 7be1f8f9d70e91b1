"""P4Runtime binary strings (spec section "Bytestrings").

A server must accept both the canonical form (no leading zero bytes) and the padded
full-width form, reject a value that does not fit in the field's bit width with OUT_OF_RANGE,
and answer reads in canonical form.
"""

from __future__ import annotations

from softswitch.errors import invalid, out_of_range


def decode(value: bytes, bitwidth: int, what: str) -> int:
    """The unsigned integer in ``value``; raises if empty or wider than ``bitwidth``."""
    if not value:
        raise invalid(f"{what}: empty byte string")
    number = int.from_bytes(value, "big")
    if number >> bitwidth:
        raise out_of_range(f"{what}: value 0x{value.hex()} does not fit in {bitwidth} bits")
    return number


def canonical(value: bytes) -> bytes:
    """``value`` with leading zero bytes removed (zero stays one byte)."""
    stripped = value.lstrip(b"\x00")
    return stripped if stripped else value[:1]


def encode(number: int) -> bytes:
    """Canonical byte string of a non-negative integer."""
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")
