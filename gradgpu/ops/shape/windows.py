"""Tensor.unfold: the sliding windows of one dimension, as a strided view."""

from __future__ import annotations

from ...autograd.function import Function
from .._common import Tensor, wrap_dim, xp_of
from .views import _as_view, movedim, reshape


def _window_index(xp, count: int, size: int, step: int):
    """Flat positions along the unfolded dim of window w, element j: w * step + j."""
    w = xp.arange(count, dtype="int64").reshape(-1, 1) * step
    return (w + xp.arange(size, dtype="int64").reshape(1, -1)).reshape(-1)


class Unfold(Function):
    """y[.., w, .., j] = x[.., w * step + j, ..] (a view: windows of ``size`` along dim, the
    window position in dim and its elements in a new last dim);
    dx = the windows' gradients added back at their positions (overlaps summed)"""

    @staticmethod
    def forward(ctx, x, dim, size, step):
        arr = x._data
        count = (arr.shape[dim] - size) // step + 1
        ctx.meta = (arr.shape, dim, size, step, count)
        shape = arr.shape[:dim] + (count,) + arr.shape[dim + 1:] + (size,)
        strides = (arr.strides[:dim] + (arr.strides[dim] * step,) + arr.strides[dim + 1:]
                   + (arr.strides[dim],))
        view = xp_of(x).lib.stride_tricks.as_strided(arr, shape, strides)
        return _as_view(Tensor._make(view), x, always=True)

    @staticmethod
    def backward(ctx, g):
        from ..indexing.gather_scatter import IndexAdd  # indexing builds on shape

        in_shape, dim, size, step, count = ctx.meta
        xp = xp_of(g)
        # [.., count, .., size] -> [.., count, size, ..] -> [.., count * size, ..]
        moved = movedim(g, -1, dim + 1)
        flat = reshape(moved, in_shape[:dim] + (count * size,) + in_shape[dim + 1:])
        zeros = Tensor._make(xp.zeros(in_shape, dtype=g._data.dtype))
        index = Tensor._make(_window_index(xp, count, size, step))
        return IndexAdd.apply(zeros, dim, index, flat, 1), None, None, None


def unfold(input, dimension: int, size: int, step: int):
    """The windows of ``size`` elements every ``step`` along ``dimension``, as a view: that
    dim becomes the window count (size_d - size) // step + 1 and a last dim of ``size`` is
    added."""
    nd = input._data.ndim
    d = wrap_dim(dimension, max(nd, 1), "unfold")
    size, step = int(size), int(step)
    length = input._data.shape[d] if nd else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is "
                           f"{size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if nd == 0:  # PyTorch: a 0-d tensor unfolds to its element (size 1) or nothing (size 0)
        return reshape(input, (1,))[:size]
    return Unfold.apply(input, d, size, step)


TENSOR_METHODS = {"unfold": unfold}
