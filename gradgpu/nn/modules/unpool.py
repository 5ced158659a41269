"""``MaxUnpool1d/2d/3d``: the partial inverses of ``MaxPool*d`` (values back at their argmax
positions, zeros elsewhere)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


def _ntuple(value, n: int) -> tuple:
    if isinstance(value, (tuple, list)):
        return tuple(value) * n if len(value) == 1 else tuple(value)
    return (value,) * n


class _MaxUnpoolNd(Module):
    _n = 0

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        n = self._n
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, n)
        self.padding = _ntuple(padding, n)

    def forward(self, input, indices, output_size=None):
        fn = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[self._n - 1]
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of MaxPool1d: (N, C, L_in) values placed at their indices in zeros of length
    (L_in - 1) * stride - 2 * padding + kernel_size (or ``output_size``)."""

    _n = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of MaxPool2d: (N, C, H, W) values placed at their indices in zeros of the
    default unpooled size (or ``output_size``)."""

    _n = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """Inverse of MaxPool3d: (N, C, D, H, W) values placed at their indices in zeros of the
    default unpooled size (or ``output_size``)."""

    _n = 3
