"""The gather/scatter pair ``TakeAlong``/``PutAlong``, each other's backward, through which the
reductions that pick elements (max with dim, sort, topk) route their gradient."""

from __future__ import annotations

from ...autograd.function import Function
from .._common import xp_of
from ..shape import squeeze
from .sums import _const


class TakeAlong(Function):
    """y = x gathered at ``index`` along ``axis``;  dx = g put back at ``index`` (zeros elsewhere)

    ``index`` holds distinct positions within each slice (argmax, a sort permutation, topk)."""

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.meta = (index, axis, x._data.shape)
        return x._data[_along(xp_of(x), index._data, axis)]

    @staticmethod
    def backward(ctx, g):
        index, axis, in_shape = ctx.meta
        return PutAlong.apply(g, index, axis, in_shape), None, None


class PutAlong(Function):
    """y = zeros(shape) with g written at ``index`` along ``axis``;  dg = dy gathered at index"""

    @staticmethod
    def forward(ctx, g, index, axis, shape):
        ctx.meta = (index, axis)
        xp = xp_of(g)
        out = xp.zeros(shape, dtype=g._data.dtype)
        out[_along(xp, index._data, axis)] = g._data
        return out

    @staticmethod
    def backward(ctx, gy):
        index, axis = ctx.meta
        return TakeAlong.apply(gy, index, axis), None, None, None


def _along(xp, index, axis):
    """The advanced-index tuple that reads ``index`` along ``axis`` and every other dim in
    place (NumPy's take_along_axis, spelled with indexing both backends support)."""
    nd = index.ndim
    out = []
    for d in range(nd):
        if d == axis:
            out.append(index)
        else:
            shape = [1] * nd
            shape[d] = index.shape[d]
            out.append(xp.arange(index.shape[d]).reshape(shape))
    return tuple(out)


def take_along(input, index_arr, axis, keepdim=True):
    """Values of ``input`` at ``index_arr`` (an int64 array, same ndim) along ``axis``, and the
    indices as a tensor; squeezes ``axis`` from both unless ``keepdim``."""
    index = _const(index_arr)
    values = TakeAlong.apply(input, index, axis)
    if not keepdim:
        values, index = squeeze(values, axis), _const(index_arr.squeeze(axis))
    return values, index
