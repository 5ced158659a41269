"""Statistics over ``dim``: var/std, logsumexp, the vector norm, and the logical reductions
all/any/count_nonzero (not differentiable)."""

from __future__ import annotations

import builtins
import math
import warnings

from ... import _dtypes
from ...autograd.function import Function
from .._common import Tensor, backend_of, check_tensor, dims_arg, xp_of
from ..elementwise import abs as _abs
from ..elementwise import exp as _exp
from ..elementwise import pow as _pow
from ..elementwise import sign, sqrt, where
from .extrema import _amax_amin
from .sums import _const, _count, _expand_back, _keepdim_shape, _quiet, mean, sum


# ---- var / std -------------------------------------------------------------------------------
class Var(Function):
    """y = sum_{axes} (x - mean)^2 / (n - correction);  dx = 2 g (x - mean) / (n - correction)"""

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        xd = x._data
        n = _count(xd.shape, axes)
        dof = builtins.max(n - correction, 0)
        ctx.meta = (xd.shape, axes, keepdim, dof)
        ctx.save_for_backward(x)
        return backend_of(xd).reduce_var(xd, axes, keepdim, dof)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        in_shape, axes, keepdim, dof = ctx.meta
        scale = 2.0 / dof if dof else float("nan")
        centered = x - mean(x, axes, keepdim=True)
        return _expand_back(g, in_shape, axes, keepdim) * centered * scale, None, None, None


def _var_args(input, dim, unbiased, keepdim, correction, op):
    check_tensor(input, op)
    if isinstance(dim, bool):  # legacy var(input, unbiased)
        dim, unbiased = None, dim
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): std and var only support floating point and complex "
                           f"dtypes (got {input.dtype})")
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}(): cannot specify both 'unbiased' and 'correction'")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    axes = dims_arg(dim, input._data.ndim, op)
    if input._data.ndim == 0:
        axes = None
    n = _count(input._data.shape, axes)
    if n - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      f"than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return Var.apply(input, axes, correction, keepdim)


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance over ``dim`` with ``correction`` (default 1, Bessel) or legacy ``unbiased``."""
    return _var_args(input, dim, unbiased, keepdim, correction, "var")


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation: sqrt(var);  dx = g (x - mean) / ((n - correction) std), 0 where
    std is 0 (a constant slice: PyTorch's subgradient, not 0 * inf)."""
    v = _var_args(input, dim, unbiased, keepdim, correction, "std")
    zero = _const(v._data == 0)
    return where(zero, 0.0, sqrt(where(zero, 1.0, v)))


# ---- logsumexp -------------------------------------------------------------------------------
class LogSumExp(Function):
    """y = log sum_{axes} exp(x) (shifted by the max for stability);  dx = g * exp(x - y)
    (0 in slices that are all -inf, where PyTorch gives NaN)"""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xd = x._data
        xp = xp_of(x)
        with _quiet(x):
            if _count(xd.shape, axes) == 0:
                shape = _keepdim_shape(xd.shape, axes)
                y = xp.full(shape, -math.inf, dtype=xd.dtype)
            else:
                y = backend_of(xd).reduce_logsumexp(xd, axes)
        if not keepdim:
            y = y.reshape(tuple(s for i, s in enumerate(xd.shape)
                                if not (axes is None or i in axes)))
        out = Tensor._make(y)
        ctx.meta = (xd.shape, axes, keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        in_shape, axes, keepdim = ctx.meta
        yk = _expand_back(y, in_shape, axes, keepdim)
        dead = _const(yk._data == -math.inf)
        with _quiet(x):
            w = _exp(x - where(dead, 0.0, yk))
        return _expand_back(g, in_shape, axes, keepdim) * w, None, None


def logsumexp(input, dim, keepdim: bool = False):
    """log(sum(exp(x))) over ``dim``, exact for large |x| and -inf slices."""
    check_tensor(input, "logsumexp")
    if input._data.dtype.kind != "f":
        input = input.to(_dtypes.get_default_dtype())
    axes = dims_arg(dim, input._data.ndim, "logsumexp")
    if input._data.ndim == 0:
        axes = None
    return LogSumExp.apply(input, axes, keepdim)


# ---- norm ------------------------------------------------------------------------------------
class PNorm(Function):
    """y = (sum_{axes} |x|^p)^(1/p);  dx = g * sign(x) |x|^(p-1) / y^(p-1)  (0 where y == 0,
    PyTorch's subgradient at the zero vector, and where x == 0 for p < 1)"""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        xd = x._data
        out = Tensor._make(backend_of(xd).reduce_norm(xd, p, axes, keepdim))
        ctx.meta = (xd.shape, p, axes, keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        in_shape, p, axes, keepdim = ctx.meta
        yk = _expand_back(y, in_shape, axes, keepdim)
        zero = _const(yk._data == 0)
        y_safe = where(zero, 1.0, yk)
        gk = _expand_back(g, in_shape, axes, keepdim)
        with _quiet(x):
            if p == 2:
                dx = gk * x / y_safe
            elif p < 1:  # |x|^(p-1) is inf at x == 0: that entry's gradient is 0, as PyTorch's
                x_zero = _const(x._data == 0)
                dx = (gk * sign(x) * _pow(where(x_zero, 1.0, _abs(x)), p - 1)
                      / _pow(y_safe, p - 1))
            else:
                dx = gk * sign(x) * _pow(_abs(x), p - 1) / _pow(y_safe, p - 1)
        return where(zero, 0.0, dx), None, None, None


class CountNorm(Function):
    """y = the number of nonzero entries over ``axes`` (the p = 0 "norm");  dx = 0 (a node all
    the same, as PyTorch's: backward through it works and gives zeros)"""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xd = x._data
        ctx.like = (xd.shape, xd.dtype)
        return backend_of(xd).reduce_sum((xd != 0).astype(xd.dtype), axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        shape, dtype = ctx.like
        return Tensor._make(xp_of(g).zeros(shape, dtype)), None, None


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """Vector p-norm over ``dim`` (all elements when None): p = 2 ('fro'), 1, inf, -inf, 0 or
    any p > 0."""
    check_tensor(input, "norm")
    if dtype is not None:
        input = input.to(_dtypes.as_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"norm(): Expected a floating point tensor as input. Got "
                           f"{input.dtype}")
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm(): unsupported norm type '{p}' (supported: 'fro' and "
                           "numbers p > 0, inf, -inf, 0)")
    axes = dims_arg(dim, input._data.ndim, "norm")
    if input._data.ndim == 0:
        axes = None
    if p == math.inf:
        return _amax_amin(_abs(input), axes or (), keepdim, "max", "norm")
    if p == -math.inf:
        return _amax_amin(_abs(input), axes or (), keepdim, "min", "norm")
    if p == 0:
        return CountNorm.apply(input, axes, keepdim)
    if p == 1:
        return sum(_abs(input), axes, keepdim)
    if p < 0:
        raise RuntimeError(f"norm(): p must be positive, inf, -inf or 0 (got {p})")
    return PNorm.apply(input, float(p), axes, keepdim)


# ---- all / any / count_nonzero (not differentiable) ------------------------------------------
def _logical_reduce(input, dim, keepdim, op):
    check_tensor(input, op)
    xd = input._data
    axes = dims_arg(dim, xd.ndim, op)
    if xd.ndim == 0:
        axes = None
    out = getattr(xd, op)(axis=axes, keepdims=keepdim)
    out = xp_of(input).asarray(out)
    # PyTorch keeps uint8 for uint8 inputs and gives bool otherwise
    return _const(out.astype(xd.dtype) if xd.dtype == _dtypes.uint8.np else out)


def all(input, dim=None, keepdim: bool = False):
    """Whether every element (over ``dim``) is nonzero, as a bool tensor."""
    return _logical_reduce(input, dim, keepdim, "all")


def any(input, dim=None, keepdim: bool = False):
    """Whether some element (over ``dim``) is nonzero, as a bool tensor."""
    return _logical_reduce(input, dim, keepdim, "any")


def count_nonzero(input, dim=None):
    """Number of nonzero elements over ``dim`` (int or tuple), as int64."""
    check_tensor(input, "count_nonzero")
    xd = input._data
    axes = dims_arg(dim, xd.ndim, "count_nonzero")
    if xd.ndim == 0:
        axes = None
    out = (xd != 0).sum(axis=axes, dtype=_dtypes.int64.np)
    return _const(xp_of(input).asarray(out))


TENSOR_METHODS = {
    name: globals()[name]
    for name in "var std logsumexp norm all any count_nonzero".split()
}
