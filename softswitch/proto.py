"""One place that names the P4Runtime/P4Info protobuf modules we use.

We take them from the ``finsy`` package (which ships protobuf-6 compatible builds) rather than the
PyPI ``p4runtime`` wheel, whose pins clash with the rest of our environment.
"""

from __future__ import annotations

from finsy.proto import p4d, p4i, p4r, p4r_grpc, rpc_code, rpc_status

__all__ = ["p4d", "p4i", "p4r", "p4r_grpc", "rpc_code", "rpc_status", "u128", "to_u128"]


def u128(value: "p4r.Uint128") -> int:
    """Decode a P4Runtime Uint128 (election ids) into an int."""
    return (value.high << 64) | value.low


def to_u128(value: int) -> "p4r.Uint128":
    return p4r.Uint128(high=value >> 64, low=value & 0xFFFFFFFFFFFFFFFF)
