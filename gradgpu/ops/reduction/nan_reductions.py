"""Reductions that skip NaN (nansum, nanmean) and pairs of reductions in one call (aminmax,
std_mean, var_mean), composed of the differentiable reductions in this package."""

from __future__ import annotations

from ... import _dtypes
from ...autograd.function import Function
from .._common import Tensor, backend_of, check_tensor, dims_arg, xp_of
from .extrema import _amax_amin, _check_nonempty, return_type
from .statistics import std, var
from .sums import _const, _expand_back, _quiet, _sum_dtype, mean, sum


class NanSum(Function):
    """y = sum_{axes} x with NaN counted as 0;  dx = g * (x is not NaN)  (a product, as
    PyTorch's: a NaN or inf g gives NaN at the NaN entries)"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        xd = x._data
        nan = xp_of(x).isnan(xd)
        ctx.meta = (xd.shape, axes, keepdim, (~nan).astype(xd.dtype))
        return backend_of(xd).reduce_sum(xp_of(x).where(nan, 0, xd), axes, keepdim, dtype)

    @staticmethod
    def backward(ctx, g):
        in_shape, axes, keepdim, keep = ctx.meta
        with _quiet(g):
            return _expand_back(g, in_shape, axes, keepdim) * _const(keep), None, None, None


def nansum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """y = sum over ``dim`` of x with NaN counted as 0;  dx = g * (x is not NaN).
    Ints and bools sum in int64, as sum does."""
    check_tensor(input, "nansum")
    if input._data.dtype.kind != "f":
        return sum(input, dim, keepdim, dtype=dtype)
    axes = dims_arg(dim, input._data.ndim, "nansum")
    if input._data.ndim == 0:
        axes = None
    return NanSum.apply(input, axes, keepdim, _sum_dtype(input, dtype))


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """y = nansum(x) / (number of non-NaN x) over ``dim`` (NaN where every x is NaN);
    dx = g / count where x is not NaN, else 0 (NaN throughout an all-NaN slice, as PyTorch)."""
    check_tensor(input, "nanmean")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {input.dtype.name.capitalize()}")
    if dtype is not None:
        input = input.to(_dtypes.as_dtype(dtype))
    xd = input._data
    axes = dims_arg(dim, xd.ndim, "nanmean")
    if xd.ndim == 0:
        axes = None
    count = (~xp_of(input).isnan(xd)).sum(axis=axes, keepdims=keepdim).astype(xd.dtype)
    with _quiet(input):  # an all-NaN slice is 0 / 0 = NaN, as in PyTorch
        return nansum(input, dim, keepdim) / _const(xp_of(input).asarray(count))


def aminmax(input, *, dim=None, keepdim: bool = False):
    """(min, max) of ``input`` over ``dim`` (all elements when None) as the named tuple
    ``return_types.aminmax``; ties share each gradient, as amin/amax."""
    check_tensor(input, "aminmax")
    xd = input._data
    if dim is None:
        if xd.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        axes = tuple(range(xd.ndim))
    else:
        if isinstance(dim, (tuple, list)):
            raise TypeError("aminmax(): argument 'dim' must be int, not "
                            f"{type(dim).__name__}")
        axes = dims_arg(dim, xd.ndim, "aminmax")
        if xd.ndim:
            _check_nonempty(input, axes, "aminmax")
    cls = return_type("aminmax", ("min", "max"))
    return cls(_amax_amin(input, axes, keepdim, "min", "aminmax"),
               _amax_amin(input, axes, keepdim, "max", "aminmax"))


def _stat_mean(input, dim, unbiased, keepdim, correction, op, stat):
    check_tensor(input, op)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op} only support floating point and complex dtypes "
                           f"(got {input.dtype})")
    if isinstance(dim, bool):  # legacy std_mean(input, unbiased)
        dim, unbiased = None, dim
    spread = stat(input, dim, unbiased, keepdim, correction=correction)
    return spread, mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(std, mean) over ``dim``: the two reductions std and mean in one call (a plain tuple)."""
    return _stat_mean(input, dim, unbiased, keepdim, correction, "std_mean", std)


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(var, mean) over ``dim``: the two reductions var and mean in one call (a plain tuple)."""
    return _stat_mean(input, dim, unbiased, keepdim, correction, "var_mean", var)


TENSOR_METHODS = {"nansum": nansum, "nanmean": nanmean, "aminmax": aminmax}
FUNCTIONS = {"std_mean": std_mean, "var_mean": var_mean}
