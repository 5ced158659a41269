"""Running extrema and the running log-sum-exp along a dim: cummax/cummin (values and indices,
as the named tuple ``return_type`` builds) and logcumsumexp.

The forward scans are Hillis-Steele doubling scans of elementwise array ops (log2(n) steps),
the same on NumPy and CuPy, with no host synchronization: CuPy's ``ufunc.accumulate`` covers
only add and multiply, and a running index has to travel with the running maximum anyway.
"""

from __future__ import annotations

from ... import _dtypes
from ...autograd.function import Function
from .._common import Tensor, backend_of, check_tensor, wrap_dim, xp_of
from ..elementwise import abs, exp, log, where
from ..shape import flip
from .extrema import return_type
from .sums import _const, _quiet


def _scan_axis(x, dim, op):
    """``dim`` wrapped against ``x``'s ndim; None for a 0-d input (its own running result)."""
    nd = x._data.ndim
    axis = wrap_dim(dim, nd, op)
    return axis if nd else None


def _doubling_scan(combine, arrays, axis):
    """Inclusive prefix scan of the tuple ``arrays`` along ``axis`` with the associative
    ``combine(earlier, later) -> tuple``: step s combines each element with the one s before."""
    xp = backend_of(arrays[0]).xp
    n = arrays[0].shape[axis]
    s = 1
    while s < n:
        head = (slice(None),) * axis + (slice(None, s),)
        early = (slice(None),) * axis + (slice(None, n - s),)
        late = (slice(None),) * axis + (slice(s, None),)
        merged = combine(tuple(a[early] for a in arrays), tuple(a[late] for a in arrays))
        arrays = tuple(xp.concatenate([a[head], m], axis=axis) for a, m in zip(arrays, merged))
        s *= 2
    return arrays


# ---- cummax / cummin -------------------------------------------------------------------------
def _extremum_indices(xd, axis, largest):
    """The index of the running max (min) along ``axis``: on ties the LAST occurrence, and once
    a NaN is seen the index of the latest NaN (PyTorch's rule:
    take x_k when isnan(x_k) or (not isnan(best) and x_k >= best))."""
    xp = backend_of(xd).xp
    shape = [1] * xd.ndim
    shape[axis] = xd.shape[axis]
    idx = xp.broadcast_to(xp.arange(xd.shape[axis], dtype=_dtypes.int64.np).reshape(shape),
                          xd.shape)
    floating = xd.dtype.kind in "fc"

    def combine(early, late):
        (ve, ie), (vl, il) = early, late
        take = (vl >= ve) if largest else (vl <= ve)
        if floating:
            take = xp.isnan(vl) | (~xp.isnan(ve) & take)
        return xp.where(take, vl, ve), xp.where(take, il, ie)

    out = _doubling_scan(combine, (xd, idx), axis)[1]
    return out.copy() if out is idx else out  # a length-1 dim: no step ran, own the array


def _gather(input, axis, index):
    """x gathered at ``index`` along ``axis``; its backward scatter-adds g back, summing repeated
    indices (imported here: the indexing ops import the reductions)."""
    from ..indexing.gather_scatter import Gather

    return Gather.apply(input, axis, index)


def _cummax_cummin(input, dim, largest, op):
    check_tensor(input, op)
    axis = _scan_axis(input, dim, op)
    cls = return_type(op)
    xd = input._data
    if axis is None:  # 0-d: the element itself, at index 0
        index = _const(xp_of(input).zeros((), dtype=_dtypes.int64.np))
        return cls(_gather(input, 0, index), index)
    index = _const(_extremum_indices(xd, axis, largest))
    return cls(_gather(input, axis, index), index)


def cummax(input, dim):
    """Running maximum along ``dim`` and its index (the last occurrence on ties; NaN
    propagates); the gradient of the values goes to the recorded indices, summed."""
    return _cummax_cummin(input, dim, True, "cummax")


def cummin(input, dim):
    """Running minimum along ``dim`` and its index (the last occurrence on ties; NaN
    propagates); the gradient of the values goes to the recorded indices, summed."""
    return _cummax_cummin(input, dim, False, "cummin")


# ---- logcumsumexp ----------------------------------------------------------------------------
def _logaddexp(xp, a, b):
    """log(e^a + e^b), stable; both infinite with one sign gives that infinity, NaN propagates
    (PyTorch's _log_add_exp_helper)."""
    hi = xp.maximum(a, b)
    lo = xp.minimum(a, b)
    out = hi + xp.log1p(xp.exp(lo - hi))
    return xp.where((lo == hi) & ~xp.isfinite(lo), a, out)


class LogCumSumExp(Function):
    """y_k = log sum_{i<=k} e^{x_i};
    dx_j = sum_{k>=j} g_k e^{x_j - y_k}, taken as PyTorch does, with g split by sign:
    dx = exp(x + revlogcumsumexp(log g+ - y)) - exp(x + revlogcumsumexp(log g- - y))"""

    @staticmethod
    def forward(ctx, x, axis):
        xd = x._data
        ctx.axis = axis
        if axis is None:
            y = Tensor._make(xd.copy())
        else:
            xp = xp_of(x)
            with _quiet(x):
                (yd,) = _doubling_scan(lambda a, b: (_logaddexp(xp, a[0], b[0]),), (xd,), axis)
            y = Tensor._make(yd if yd is not xd else xd.copy())
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        axis = ctx.axis
        if axis is None:
            return g, None
        lowest = float(xp_of(g).finfo(g._data.dtype).min)

        def rev(t):
            return flip(LogCumSumExp.apply(flip(t, (axis,)), axis), (axis,))

        with _quiet(g):  # log(0), and inf - inf where a prefix is all -inf: IEEE results
            log_abs = log(abs(g))
            pos = where(g > 0, log_abs, lowest)
            neg = where(g < 0, log_abs, lowest)
            return exp(rev(pos - y) + x) - exp(rev(neg - y) + x), None


_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                "int64": "Long"}


def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along ``dim``, computed stably; float inputs only."""
    check_tensor(input, "logcumsumexp")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"logcumsumexp\" not implemented for '{_TORCH_NAMES.get(input.dtype.name)}'"
        )
    return LogCumSumExp.apply(input, _scan_axis(input, dim, "logcumsumexp"))


TENSOR_METHODS = {
    name: globals()[name]
    for name in "cummax cummin logcumsumexp".split()
}
