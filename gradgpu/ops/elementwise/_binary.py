"""Plumbing shared by the two-input elementwise ops: broadcast errors reported in PyTorch's
words, and the reflected (``other op self``) forms behind Python's ``__r*__`` operators."""

from __future__ import annotations

from .._common import broadcast_error


def _apply_binary(fn, a, b, op: str):
    try:
        return fn.apply(a, b)
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise broadcast_error(op, a, b) from None
        raise


def _reflected(fn):
    def op(self, other):
        return fn(other, self)

    op.__name__ = f"r{fn.__name__}"
    return op
