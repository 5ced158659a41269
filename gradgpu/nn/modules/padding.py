"""Padding layers: ``ConstantPad{1,2,3}d``, ``ZeroPad{1,2,3}d``, ``ReflectionPad{1,2,3}d``,
``ReplicationPad{1,2,3}d``, ``CircularPad{1,2,3}d`` (each is ``F.pad`` with a fixed mode)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _widths(padding, n: int) -> tuple:
    """An int pads every side; a sequence is (left, right, top, bottom, front, back)[:2n]."""
    if isinstance(padding, (tuple, list)):
        return tuple(padding)
    return (padding,) * (2 * n)


class _PadNd(Module):
    """y = F.pad(x, padding, mode) over the last n dims."""

    mode = "constant"
    n = 1

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _widths(padding, self.n)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with ``value``: (left, right), or one int for both."""

    n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last 2 dims with ``value``: (left, right, top, bottom), or one int for all."""

    n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last 3 dims with ``value``: (left, right, top, bottom, front, back), or one
    int for all."""

    n = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last 2 dims with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last 3 dims with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pads the last dim with its reflection about the edge element (x[1], x[2], ...)."""

    mode, n = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Pads the last 2 dims with their reflection about the edge elements."""

    mode, n = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Pads the last 3 dims with their reflection about the edge elements."""

    mode, n = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Pads the last dim with copies of its edge elements."""

    mode, n = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Pads the last 2 dims with copies of their edge elements."""

    mode, n = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Pads the last 3 dims with copies of their edge elements."""

    mode, n = "replicate", 3


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input):
        nd = input.dim()
        if nd not in (self.n + 1, self.n + 2):
            raise ValueError(f"expected {self.n + 1}D or {self.n + 2}D input (got {nd}D input)")
        return F.pad(input, self.padding, self.mode)


class CircularPad1d(_CircularPadNd):
    """Pads the last dim with the elements from its other end (wrapping around)."""

    n = 1


class CircularPad2d(_CircularPadNd):
    """Pads the last 2 dims with the elements from their other ends (wrapping around)."""

    n = 2


class CircularPad3d(_CircularPadNd):
    """Pads the last 3 dims with the elements from their other ends (wrapping around)."""

    n = 3
