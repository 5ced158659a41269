"""The largest and smallest elements: amax/amin, max/min (over a dim: values and indices as the
named tuple ``return_type`` builds) and argmax/argmin."""

from __future__ import annotations

import collections

from ... import _dtypes
from ...autograd.function import Function
from .._common import Tensor, backend_of, check_tensor, dims_arg, wrap_dim, xp_of
from ..elementwise import maximum, minimum
from ..shape import reshape
from .along import take_along
from .sums import _const, _expand_back, _keepdim_shape, _quiet

_RETURN_TYPES: dict = {}


def return_type(name: str, fields=("values", "indices")):
    """The named tuple class PyTorch returns from ``name`` (``torch.return_types.max``)."""
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        cls = collections.namedtuple(name, fields)
        cls.__module__ = "gradgpu.return_types"
        _RETURN_TYPES[name] = cls
    return cls


def _check_nonempty(x, axes, op):
    """PyTorch refuses to pick an element (max, argmax...) out of an empty reduced dim."""
    shape = x._data.shape
    for a in range(len(shape)) if axes is None else axes:
        if shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size "
                             f"(input shape {list(shape)}).")


# ---- amax / amin / max / min -----------------------------------------------------------------
class SelectEven(Function):
    """y = max / min / lower median of x over axes;  dx = g / count at every x equal to y
    (ties share the gradient evenly, as PyTorch's amax/amin and full max()/min()/median();
    with ``nan_ties``, as in the latter three, a NaN result's gradient goes to the NaNs)"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, kind, nan_ties):
        xd = x._data
        xp = xp_of(x)
        if kind == "max":
            yd = backend_of(xd).reduce_max(xd, axes, keepdim)
        elif kind == "min":
            yd = backend_of(xd).reduce_min(xd, axes, keepdim)
        else:  # median of all elements (axes is None): the lower of the two middle values
            flat = xp.sort(xd.reshape(-1))
            yd = flat[(flat.size - 1) // 2]
            if xd.dtype.kind == "f":  # NaN sorts last; PyTorch's median is NaN if any is
                yd = xp.where(xp.isnan(flat[-1]), flat[-1], yd)
            yd = yd.reshape((1,) * xd.ndim if keepdim else ())
        y = Tensor._make(xp.asarray(yd))
        ctx.meta = (xd.shape, axes, keepdim, nan_ties and xd.dtype.kind == "f")
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        in_shape, axes, keepdim, nan_ties = ctx.meta
        yk = y._data if keepdim else y._data.reshape(_keepdim_shape(in_shape, axes))
        hit = x._data == yk
        if nan_ties:
            xp = xp_of(x)
            hit |= xp.isnan(x._data) & xp.isnan(yk)
        with _quiet(x):
            weights = (hit / hit.sum(axis=axes, keepdims=True)).astype(x._data.dtype)
        return _expand_back(g, in_shape, axes, keepdim) * _const(weights), None, None, None, None


def _amax_amin(input, dim, keepdim, kind, op):
    check_tensor(input, op)
    axes = dims_arg(dim, input._data.ndim, op)
    if input._data.ndim == 0:
        axes = None
    _check_nonempty(input, axes, op)
    return SelectEven.apply(input, axes, keepdim, kind, False)


def amax(input, dim=(), keepdim: bool = False):
    """Maximum over ``dim`` (int or tuple; all dims when empty); ties share the gradient."""
    return _amax_amin(input, dim, keepdim, "max", "amax")


def amin(input, dim=(), keepdim: bool = False):
    """Minimum over ``dim`` (int or tuple; all dims when empty); ties share the gradient."""
    return _amax_amin(input, dim, keepdim, "min", "amin")


def _max_min_dim(input, dim, keepdim, largest, op):
    xd = input._data
    nd = xd.ndim
    axis = wrap_dim(dim, nd, op)
    cls = return_type(op)
    if nd == 0:
        values = reshape(input, ())
        return cls(values, _const(xp_of(input).zeros((), dtype=_dtypes.int64.np)))
    _check_nonempty(input, (axis,), op)
    _, idx = backend_of(xd).arg_reduce(xd, axis, largest)
    return cls(*take_along(input, idx, axis, keepdim))


def _max_min(input, dim, keepdim, other, largest):
    op = "max" if largest else "min"
    check_tensor(input, op)
    if isinstance(dim, Tensor) or other is not None:
        return (maximum if largest else minimum)(input, dim if other is None else other)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        return SelectEven.apply(input, None, False, op, True)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__} "
                        f"(use amax/amin to reduce over several dims)")
    return _max_min_dim(input, dim, keepdim, largest, op)


def max(input, dim=None, keepdim: bool = False, *, other=None):
    """max(x): largest element (ties share the gradient); max(x, dim): (values, indices) with
    the gradient sent to the returned index; max(x, other): elementwise maximum."""
    return _max_min(input, dim, keepdim, other, True)


def min(input, dim=None, keepdim: bool = False, *, other=None):
    """min(x): smallest element (ties share the gradient); min(x, dim): (values, indices) with
    the gradient sent to the returned index; min(x, other): elementwise minimum."""
    return _max_min(input, dim, keepdim, other, False)


def _arg(input, dim, keepdim, largest, op):
    check_tensor(input, op)
    xd = input._data
    be = backend_of(xd)
    if dim is None:
        if xd.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0 (input shape {list(xd.shape)}).")
        _, out = be.arg_reduce(xd.reshape(-1), 0, largest)
        return _const(out.reshape((1,) * xd.ndim if keepdim else ()))
    axis = wrap_dim(dim, xd.ndim, op)
    if xd.ndim == 0:
        return _const(be.xp.zeros((), dtype=_dtypes.int64.np))
    _check_nonempty(input, (axis,), op)
    _, out = be.arg_reduce(xd, axis, largest)
    return _const(out if keepdim else out.squeeze(axis))


def argmax(input, dim=None, keepdim: bool = False):
    """Index of the largest element (of the flattened input when ``dim`` is None)."""
    return _arg(input, dim, keepdim, True, "argmax")


def argmin(input, dim=None, keepdim: bool = False):
    """Index of the smallest element (of the flattened input when ``dim`` is None)."""
    return _arg(input, dim, keepdim, False, "argmin")


TENSOR_METHODS = {
    name: globals()[name]
    for name in "amax amin max min argmax argmin".split()
}
