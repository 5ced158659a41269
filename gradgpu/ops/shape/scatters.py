"""Out-of-place writes into a view: select_scatter, slice_scatter, diagonal_scatter (a copy of
the input with ``src`` written over one of its views), and narrow_copy.

One op, ``ViewScatter``, serves the three scatters: the view is either a basic index key (select,
slice) or a diagonal. Its backward is made of differentiable ops (ViewScatter itself with zeros, and
the view's own op), so higher-order gradients work."""

from __future__ import annotations

import operator

from ...autograd.function import Function
from .._common import Tensor, check_tensor, same_device, wrap_dim, xp_of
from .reorder import Diagonal, _diagonal_view
from .slicing import Slice


def _view_of(arr, where):
    """The writable view of the array ``arr`` that ``where`` names."""
    if where[0] == "diagonal":
        return _diagonal_view(arr, *where[1:])
    return arr[where[1]]


def _view_op(t, where):
    """The differentiable view of tensor ``t`` that ``where`` names."""
    if where[0] == "diagonal":
        return Diagonal.apply(t, *where[1:])
    return Slice.apply(t, where[1])


class ViewScatter(Function):
    """y = x with its view ``where`` overwritten by src (cast to x's dtype);
    dx = g with that view zeroed,  dsrc = g's view"""

    @staticmethod
    def forward(ctx, x, src, where):
        ctx.where = where
        ctx.src_dtype = src.dtype
        out = x._data.copy()
        _view_of(out, where)[...] = src._data
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = gsrc = None
        if need[0]:
            zeros = Tensor._make(xp_of(g).zeros(_view_of(g._data, ctx.where).shape,
                                                dtype=g._data.dtype))
            gx = ViewScatter.apply(g, zeros, ctx.where)
        if need[1]:
            gsrc = _view_op(g, ctx.where)
            if gsrc.dtype is not ctx.src_dtype:
                gsrc = gsrc.to(ctx.src_dtype)
        return gx, gsrc, None


def _scatter(input, src, where, op: str) -> Tensor:
    check_tensor(input, op, "input")
    check_tensor(src, op, "src")
    same_device(op, input, src)
    view_shape = _view_of(input._data, where).shape
    if src._data.shape != view_shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(view_shape)}")
    return ViewScatter.apply(input, src, where)


def select_scatter(input, src, dim: int, index: int) -> Tensor:
    """A copy of input with input.select(dim, index) replaced by src."""
    check_tensor(input, "select_scatter", "input")
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd, "select_scatter")
    size = input._data.shape[d]
    index = operator.index(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    key = (slice(None),) * d + (index % size, Ellipsis)
    return _scatter(input, src, ("key", key), "select_scatter")


def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """A copy of input with input[..., start:end:step, ...] (along dim) replaced by src."""
    check_tensor(input, "slice_scatter", "input")
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd, "slice_scatter")
    step = operator.index(step)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    start = None if start is None else operator.index(start)
    end = None if end is None else operator.index(end)
    key = (slice(None),) * d + (slice(start, end, step), Ellipsis)
    return _scatter(input, src, ("key", key), "slice_scatter")


def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A copy of input with input.diagonal(offset, dim1, dim2) replaced by src."""
    check_tensor(input, "diagonal_scatter", "input")
    nd = input._data.ndim
    d1 = wrap_dim(dim1, nd, "diagonal_scatter")
    d2 = wrap_dim(dim2, nd, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    where = ("diagonal", operator.index(offset), d1, d2)
    return _scatter(input, src, where, "diagonal_scatter")


def narrow_copy(input, dim: int, start: int, length: int) -> Tensor:
    """A contiguous copy of input.narrow(dim, start, length)."""
    from ..conversion import clone
    from .slicing import narrow

    return clone(narrow(input, dim, start, length))


TENSOR_METHODS = {
    name: globals()[name]
    for name in "select_scatter slice_scatter diagonal_scatter narrow_copy".split()
}
