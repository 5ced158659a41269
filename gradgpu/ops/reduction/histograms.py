"""Counting: histc, histogram and bincount (not differentiable).

The counts are a scatter-add of each element's bin index (the backend's ``scatter_add_flat``:
an atomic scatter on the GPU). The output size, and the range when it is taken from the data,
must be known on the host: that costs one device-to-host sync on the GPU (``bincount`` syncs
in PyTorch too, for its output size)."""

from __future__ import annotations

import math

from ... import _dtypes
from .._common import Tensor, backend_of, check_tensor, describe, same_device, xp_of
from .extrema import return_type
from .sums import _const, _quiet

_I64 = _dtypes.int64.np


def _no_derivative(tensors, yd, op):
    """``yd`` as a tensor whose backward raises, when an input requires grad (PyTorch's
    histogram/bincount outputs have a NotImplemented grad_fn)."""
    from ..sorting import NoDerivative  # lazy: sorting imports this package

    for t in tensors:
        if isinstance(t, Tensor) and t._requires_grad:
            return NoDerivative.apply(t, yd, op)
    return _const(yd)


def _float_input(input, op):
    check_tensor(input, op)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"{op}(): not implemented for '{input.dtype}' "
                                  "(floating point inputs only)")


def _data_range(xd):
    """(min, max) of ``xd`` as Python floats, (0, 1) when empty: one host sync on the GPU."""
    if xd.size == 0:
        return 0.0, 1.0
    xp = backend_of(xd).xp
    lo, hi = xp.stack((xd.min(), xd.max())).tolist()
    return float(lo), float(hi)


def _fma(xp, a, b, c):
    """a * b + c rounded once (float64 arrays; ``b`` holds small integers): the product's
    rounding error recovered by Dekker's split, the sum's by Knuth's two-sum."""
    split = a * 134217729.0  # 2^27 + 1
    a_hi = split - (split - a)
    a_lo = a - a_hi
    p = a * b
    p_err = (a_hi * b - p) + a_lo * b  # exact: b needs no split
    s = p + c
    bb = s - p
    s_err = (p - (s - bb)) + (c - bb)
    return s + (s_err + p_err)


def _linspace_edges(xd, lo, hi, bins):
    """``bins + 1`` evenly spaced edges in ``xd``'s dtype, as torch.linspace computes them:
    lo + step i for the first half, hi - step (bins - i) for the rest, each one fused
    multiply-add in that dtype (emulated in float64, so float64 edges match bit for bit)."""
    xp = backend_of(xd).xp
    dt = xd.dtype
    f64 = xp.float64
    lo_d, hi_d = xp.asarray(lo, dtype=dt), xp.asarray(hi, dtype=dt)
    step = ((hi_d - lo_d) / xp.asarray(bins, dtype=dt)).astype(f64)
    i = xp.arange(bins + 1, dtype=f64)
    first = _fma(xp, step, i, lo_d.astype(f64))
    second = _fma(xp, -step, bins - i, hi_d.astype(f64))
    return xp.where(i < (bins + 1) // 2, first, second).astype(dt)


def _count(xd, pos, valid, bins, weight):
    """hist[b] = sum of ``weight`` (1 without) over the valid elements whose bin is b."""
    be = backend_of(xd)
    xp = be.xp
    pos = xp.where(valid, pos, bins)  # invalid elements land in a dropped overflow bin
    w = xp.ones(pos.shape, dtype=xd.dtype) if weight is None else weight.reshape(-1)
    return be.scatter_add_flat(w, pos, bins + 1)[:bins]


def histc(input, bins: int = 100, min=0, max=0) -> Tensor:
    """Counts of ``input``'s elements in ``bins`` equal bins over [min, max] (the data's range
    when min == max; elements outside are ignored, max falls in the last bin), in input's
    dtype. Not differentiable."""
    _float_input(input, "histc")
    xd = input._data.reshape(-1)
    bins = int(bins)
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and xd.size:
        lo, hi = _data_range(xd)
    if lo > hi:
        raise RuntimeError(f"histc(): max must be larger than min (got min {lo}, max {hi})")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"histc(): range of [{lo}, {hi}] is not finite")
    xp = xp_of(input)
    edges = _linspace_edges(xd, lo, hi, bins)
    left, right = edges[0], edges[-1]
    with _quiet(input):  # NaN compares False: it is not counted
        valid = (xd >= left) & (xd <= right)
        pos = ((xd - left) / (right - left) * bins).astype(_I64)
    pos = xp.minimum(xp.where(valid, pos, 0), bins - 1)
    return _const(_count(xd, pos, valid, bins, None))


def histogram(input, bins, *, range=None, weight=None, density: bool = False):
    """(hist, bin_edges): counts (or ``weight`` sums) of ``input``'s elements in the bins, as
    ``return_types.histogram``. ``bins`` is a count (equal bins over ``range``, the data's
    range by default) or a 1-D tensor of increasing edges; the last bin holds its right edge.
    ``density`` divides by the total and the bin widths. Not differentiable."""
    _float_input(input, "histogram")
    xd = input._data.reshape(-1)
    xp = xp_of(input)
    if weight is not None:
        check_tensor(weight, "histogram", "weight")
        same_device("histogram", input, weight)
        if tuple(weight.shape) != tuple(input.shape):
            raise RuntimeError(f"histogram(): weight should have the same shape as input, but "
                               f"got input {describe(input)} and weight {describe(weight)}")
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"histogram(): weight should have input's dtype {input.dtype}, "
                               f"got {weight.dtype}")
    if isinstance(bins, Tensor):
        same_device("histogram", input, bins)
        if bins._data.ndim != 1 or bins._data.shape[0] < 1:
            raise RuntimeError(f"histogram(): bins tensor should have one dimension and at "
                               f"least 1 element, but got shape {list(bins.shape)}")
        if bins._data.dtype != input._data.dtype:
            raise RuntimeError(f"histogram(): input tensor and bins tensors should have the "
                               f"same dtype, but got input with dtype {input.dtype} and bins "
                               f"with dtype {bins.dtype}")
        edges = bins._data.copy()
    else:
        bins = int(bins)
        if bins <= 0:
            raise RuntimeError(f"histogram(): bins must be > 0, but got {bins} for dimension 0")
        lo, hi = (float(range[0]), float(range[1])) if range is not None else _data_range(xd)
        if lo > hi:
            raise RuntimeError(f"histogram(): min should not exceed max, but got min {lo} "
                               f"max {hi}")
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"histogram(): range [{lo}, {hi}] is not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = _linspace_edges(xd, lo, hi, bins)
    nbins = edges.shape[0] - 1
    with _quiet(input):
        valid = (xd >= edges[0]) & (xd <= edges[-1])
    # the bin whose left edge is the last one <= x; x equal to the last edge: the last bin
    pos = xp.searchsorted(edges, xd, side="right") - 1
    pos = xp.minimum(pos, max(nbins - 1, 0)).astype(_I64)
    wd = None if weight is None else weight._data
    hist = _count(xd, pos, valid, nbins, wd)
    if density:
        with _quiet(input):
            hist = hist / hist.sum() / (edges[1:] - edges[:-1])
    hist = hist.astype(xd.dtype, copy=False)
    grad_from = (input, weight)
    return return_type("histogram", ("hist", "bin_edges"))(
        _no_derivative(grad_from, hist, "histogram"),
        _no_derivative(grad_from, edges, "histogram"))


def bincount(input, weights=None, minlength: int = 0) -> Tensor:
    """out[k] = the number of elements of ``input`` equal to k (or the sum of their
    ``weights``), for k < max(max(input) + 1, minlength): int64 counts; float32 weights sum
    in float32, other weights in float64. One host sync on the GPU (the output size and
    the sign check). Not differentiable."""
    check_tensor(input, "bincount")
    xd = input._data
    if xd.dtype.kind not in "iu":
        raise NotImplementedError(f"bincount(): not implemented for '{input.dtype}' "
                                  "(integral inputs only)")
    if xd.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    minlength = int(minlength)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None:
        check_tensor(weights, "bincount", "weights")
        same_device("bincount", input, weights)
        if weights._data.ndim != 1 or weights._data.shape[0] != xd.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
    xp = xp_of(input)
    if xd.size == 0:
        return _const(xp.zeros(minlength, dtype=_I64))
    from .._common import index_bounds

    lo, hi = index_bounds(xd)
    if lo < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    size = max(hi + 1, minlength)
    be = backend_of(xd)
    if weights is None:  # (CuPy's add.at, behind scatter_add_flat, takes no int64)
        return _const(xp.bincount(xd.astype(_I64), minlength=size).astype(_I64, copy=False))
    wd = weights._data
    acc = _dtypes.float32.np if wd.dtype == _dtypes.float32.np else _dtypes.float64.np
    out = be.scatter_add_flat(wd.astype(acc, copy=False), xd.astype(_I64), size)
    return _no_derivative((weights,), out, "bincount")


TENSOR_METHODS = {"histc": histc, "histogram": histogram, "bincount": bincount}
