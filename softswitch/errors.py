"""The error type every P4Runtime check raises: a gRPC status code plus a message.

Keeping the code next to the message lets the same validation code serve per-update Write
errors (p4.v1.Error in the status details) and whole-RPC errors.
"""

from __future__ import annotations

import grpc


class P4RuntimeError(Exception):
    """A spec-defined P4Runtime failure (``code`` is the canonical gRPC status)."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


def invalid(msg: str) -> P4RuntimeError:
    return P4RuntimeError(grpc.StatusCode.INVALID_ARGUMENT, msg)


def not_found(msg: str) -> P4RuntimeError:
    return P4RuntimeError(grpc.StatusCode.NOT_FOUND, msg)


def out_of_range(msg: str) -> P4RuntimeError:
    return P4RuntimeError(grpc.StatusCode.OUT_OF_RANGE, msg)
