"""Order statistics from a stable sort: nanmedian, mode, quantile and nanquantile.

The selected values are gathered from the input (``take_along`` / ``gather``), so the gradient
goes to the picked elements; interpolated quantiles are a lerp of two gathered values. Sorting
is the backend's stable argsort (NaN sorts last, equal values keep their order)."""

from __future__ import annotations

import math

from ... import _dtypes
from .._common import Tensor, backend_of, check_tensor, wrap_dim, xp_of
from ..elementwise import where
from ..shape import movedim, reshape, squeeze
from .cumulative_extrema import _doubling_scan
from .extrema import SelectEven, return_type
from .sums import _const, _quiet

_I64 = _dtypes.int64.np


def _argsort(xd, axis):
    return backend_of(xd).argsort_stable(xd, axis).astype(_I64, copy=False)


def _check_dim_nonempty(xd, axis, op):
    if xd.ndim and xd.shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")


# ---- nanmedian -------------------------------------------------------------------------------
class NanMedianAll(SelectEven):
    """y = the lower median of the non-NaN elements of x (NaN if there are none);
    dx = g / count at every x equal to y (at the NaNs when y is NaN), as SelectEven."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, kind, nan_ties):
        xd = x._data
        xp = xp_of(x)
        flat = xp.sort(xd.reshape(-1))  # NaN last
        valid = (~xp.isnan(flat)).sum()
        pos = xp.maximum(valid - 1, 0) // 2
        if flat.size == 0:
            yd = xp.full((), math.nan, dtype=xd.dtype)
        else:
            yd = xp.where(valid > 0, xp.take(flat, pos), flat[-1])
        y = Tensor._make(xp.asarray(yd).reshape((1,) * xd.ndim if keepdim else ()))
        ctx.meta = (xd.shape, None, keepdim, True)
        ctx.save_for_backward(x, y)
        return y


def nanmedian(input, dim=None, keepdim: bool = False):
    """nanmedian(x): the lower median of the non-NaN elements (ties share the gradient);
    nanmedian(x, dim): (values, indices) along ``dim``, NaN only for an all-NaN slice."""
    check_tensor(input, "nanmedian")
    xd = input._data
    if xd.dtype.kind != "f":
        from ..sorting import median  # no NaN to skip; lazy: sorting imports this package

        return median(input) if dim is None else return_type("nanmedian")(
            *median(input, dim, keepdim))
    if dim is None:
        return NanMedianAll.apply(input, None, False, "nanmedian", True)
    axis = wrap_dim(dim, xd.ndim, "nanmedian")
    cls = return_type("nanmedian")
    xp = xp_of(input)
    if xd.ndim == 0:
        return cls(reshape(input, ()), _const(xp.zeros((), dtype=_I64)))
    _check_dim_nonempty(xd, axis, "nanmedian")
    order = _argsort(xd, axis)
    valid = (~xp.isnan(xd)).sum(axis=axis, keepdims=True)
    # an all-NaN slice picks its first NaN
    idx = xp.take_along_axis(order, xp.maximum(valid - 1, 0) // 2, axis)
    return cls(*_take(input, idx, axis, keepdim))


def _take(input, idx, axis, keepdim):
    from .along import take_along

    return take_along(input, idx, axis, keepdim)


# ---- mode ------------------------------------------------------------------------------------
def mode(input, dim: int = -1, keepdim: bool = False):
    """(values, indices): the most frequent value along ``dim`` (the smallest among equally
    frequent ones; NaNs never count as equal) and the index of its last occurrence;
    the gradient goes to that index."""
    check_tensor(input, "mode")
    xd = input._data
    xp = xp_of(input)
    axis = wrap_dim(dim, xd.ndim, "mode")
    cls = return_type("mode")
    if xd.ndim == 0:
        return cls(reshape(input, ()), _const(xp.zeros((), dtype=_I64)))
    _check_dim_nonempty(xd, axis, "mode")
    order = _argsort(xd, axis)
    sv = xp.take_along_axis(xd, order, axis)
    n = xd.shape[axis]
    pos_shape = [1] * xd.ndim
    pos_shape[axis] = n
    pos = xp.broadcast_to(xp.arange(n, dtype=_I64).reshape(pos_shape), xd.shape)
    lead = (slice(None),) * axis
    first = xp.ones_like(sv[lead + (slice(0, 1),)], dtype=bool)
    changed = sv[lead + (slice(1, None),)] != sv[lead + (slice(None, -1),)]
    new_run = xp.concatenate([first, changed], axis=axis)
    (start,) = _doubling_scan(lambda e, lt: (xp.maximum(e[0], lt[0]),),
                              (xp.where(new_run, pos, 0),), axis)
    run_length = pos - start + 1
    # the first position reaching the largest run length ends the run of the smallest mode
    best = xp.expand_dims(xp.argmax(run_length, axis=axis), axis)
    idx = xp.take_along_axis(order, best, axis)
    return cls(*_take(input, idx, axis, keepdim))


# ---- quantile / nanquantile ------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_q(input, q, op):
    """q as a float64 host/device array of ndim 0 or 1, validated as PyTorch does."""
    xp = xp_of(input)
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q._data.dtype != input._data.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        qd = xp.asarray(q._data)
        # one host sync for the range check, as PyTorch's CPU path (its CUDA path asserts)
        if qd.size and not bool(((qd >= 0) & (qd <= 1)).all()):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
        return qd
    q = float(q)
    if not 0 <= q <= 1:
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
    return xp.asarray(q, dtype=input._data.dtype)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    from ..composite import lerp
    from ..indexing import gather

    check_tensor(input, op)
    xd = input._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    qd = _quantile_q(input, q, op)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if xd.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    xp = xp_of(input)
    nd = xd.ndim
    if dim is None:
        x, axis = reshape(input, (-1,)), 0
        keep_shape = (1,) * nd
    else:
        axis = wrap_dim(dim, nd, op)
        x = input if nd else reshape(input, (1,))
        keep_shape = tuple(1 if i == axis else s for i, s in enumerate(xd.shape))
        axis = axis if nd else 0
    # work along the last dim, with one leading dim per quantile: (Q, ..., n)
    x = movedim(x, axis, -1)
    n = x._data.shape[-1]
    qv = qd.reshape(-1)
    nq = qv.shape[0]
    order = _argsort(x._data, -1)
    nan = xp.isnan(x._data)
    q_shape = (nq,) + (1,) * x._data.ndim
    if ignore_nan:
        last = ((~nan).sum(axis=-1, keepdims=True) - 1).astype(xd.dtype)
        raw = qv.reshape(q_shape) * last
        fill = raw < 0  # all NaN: rank 0 picks a NaN
        ranks = xp.where(fill, 0, raw)
    else:
        last = n - 1
        raw = xp.broadcast_to(qv.reshape(q_shape) * last, (nq,) + x._data.shape[:-1] + (1,))
        fill = xp.broadcast_to(nan.any(axis=-1, keepdims=True), raw.shape)  # NaN: pick it
        ranks = xp.where(fill, n - 1, raw)
    ranks = ranks.astype(xd.dtype, copy=False)
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.round(ranks)  # half to even, as torch.round
    below = ranks.astype(_I64)
    order_q = xp.broadcast_to(order, (nq,) + order.shape)
    xq = x.unsqueeze(0).expand((nq,) + x._data.shape)
    values = gather(xq, -1, _const(xp.take_along_axis(order_q, below, -1)))
    if interpolation in ("linear", "midpoint"):
        above = xp.ceil(ranks).astype(_I64)
        upper = gather(xq, -1, _const(xp.take_along_axis(order_q, above, -1)))
        if interpolation == "midpoint":
            weights = _const(xp.full_like(ranks, 0.5))
        elif isinstance(q, Tensor) and q._requires_grad:
            # the weight is differentiable in q, as PyTorch's (rank - floor(rank))
            rank_t = reshape(q, q_shape) * _const(xp.asarray(last, dtype=xd.dtype))
            rank_t = where(_const(fill), 0.0 if ignore_nan else float(n - 1), rank_t)
            weights = rank_t - _const(below.astype(xd.dtype))
        else:
            weights = _const(ranks - below.astype(xd.dtype))
        with _quiet(input):  # inf - inf in the lerp is NaN, as in PyTorch
            values = lerp(values, upper, weights)
    values = squeeze(values, -1)  # (Q, ...)
    if keepdim:
        values = reshape(values, (nq,) + keep_shape)
    if qd.ndim == 0:
        values = squeeze(values, 0)
    return values


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """The q-th quantiles of ``input`` along ``dim`` (flattened when None): with
    rank = q (n - 1) in the sorted slice, y = lerp(x_(floor rank), x_(ceil rank), frac rank)
    (or lower/higher/midpoint/nearest); NaN if the slice has a NaN. A 1-D ``q`` adds a
    leading dim. dx: the lerp weights at the two gathered elements."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile over the non-NaN elements of each slice (NaN only for an all-NaN slice)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


TENSOR_METHODS = {
    "nanmedian": nanmedian, "mode": mode, "quantile": quantile, "nanquantile": nanquantile,
}
