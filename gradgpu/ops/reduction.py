"""Reductions over ``dim`` (int, tuple or None) with ``keepdim``: sum, mean, ...

Backward broadcasts the output gradient back over the reduced dims (``_expand_back``).
"""

from __future__ import annotations

from .. import _dtypes
from ..autograd.function import Function
from ._common import dims_arg
from .shape import expand, reshape


def _keepdim_shape(in_shape, axes):
    """The shape of a keepdim=True reduction of ``in_shape`` over ``axes`` (None = all)."""
    if axes is None:
        return (1,) * len(in_shape)
    return tuple(1 if i in axes else s for i, s in enumerate(in_shape))


def _expand_back(g, in_shape, axes, keepdim):
    """Broadcast a reduction's gradient back to the input shape."""
    if not keepdim:
        g = reshape(g, _keepdim_shape(in_shape, axes))
    return expand(g, in_shape)


class Sum(Function):
    """y = sum_{axes} x;  dx = g broadcast back over axes"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.meta = (x._data.shape, axes, keepdim)
        return x._data.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        in_shape, axes, keepdim = ctx.meta
        return _expand_back(g, in_shape, axes, keepdim), None, None, None


def _sum_dtype(x, dtype):
    if dtype is not None:
        return _dtypes.as_dtype(dtype).np
    kind = x._data.dtype.kind
    return _dtypes.int64.np if kind in "biu" else None


def sum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum over ``dim`` (all dims when None); ints and bools sum in int64."""
    axes = dims_arg(dim, input._data.ndim, "sum")
    return Sum.apply(input, axes, keepdim, _sum_dtype(input, dtype))


class Mean(Function):
    """y = mean_{axes} x;  dx = g / n broadcast back over axes"""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        shape = x._data.shape
        n = 1
        for i in range(len(shape)) if axes is None else axes:
            n *= shape[i]
        ctx.meta = (shape, axes, keepdim, n)
        be_quiet = _quiet(x)
        with be_quiet:
            return x._data.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        in_shape, axes, keepdim, n = ctx.meta
        return _expand_back(g / n if n else g * float("nan"), in_shape, axes, keepdim), None, None


def _quiet(x):
    from ..backend import backend_of

    return backend_of(x._data).quiet()


def mean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Mean over ``dim``; float (or the given dtype) inputs only, as in PyTorch."""
    if dtype is not None:
        input = input.to(_dtypes.as_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.name.capitalize()}"
        )
    axes = dims_arg(dim, input._data.ndim, "mean")
    return Mean.apply(input, axes, keepdim)




TENSOR_METHODS = {"sum": sum, "mean": mean}
