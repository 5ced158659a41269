"""Reducing scatters: scatter_reduce (sum, prod, mean, amax, amin, with or without the input's
own values) and index_reduce (the same along a dim by a vector of positions).

The forward runs on the arrays, with calls both backends share (deterministic, no atomics
beyond the backend's ``add_at``): sums through ``add_at``; prod through a segmented tree
reduction (sort the targets, then log2(longest run) rounds that fold in each element's
neighbour 2^k places on within its run of equal targets); amax/amin by sorting on (target,
value) and taking each run's last element. The backward is PyTorch's, written in differentiable ops
(so create_graph works), including its conventions: ties of amax/amin share the gradient
evenly, and prod's gradient at a zero is the product of the other values.
"""

from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from .. import elementwise as ew
from .. import inplace
from .._common import Tensor, backend_of, xp_of
from ..shape import SliceScatter, reshape
from .gather_scatter import (
    _along,
    _check_along_dim,
    _check_vector_index,
    _src_block,
    gather,
    scatter,
    scatter_add,
)

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_FOLD = {"prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _segment_prod(be, targets, values):
    """(unique targets, the product of the values sent to each): a segmented tree reduction
    over the targets' stable sort order, log2(longest run) rounds."""
    xp = be.xp
    n = targets.size
    order = be.argsort_stable(targets, 0)
    t, v = targets[order], values[order]
    first = xp.ones(n, dtype=bool)
    first[1:] = t[1:] != t[:-1]
    starts = xp.nonzero(first)[0]  # the run starts (a sync on the GPU, as every scatter check)
    run = xp.cumsum(first) - 1
    pos = xp.arange(n)
    rank = pos - starts[run]
    ends = xp.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1:] = n
    lengths = ends - starts
    length = lengths[run]
    longest = int(lengths.max())  # (one more host read: the rounds a short run needs)
    step = 1
    while step < longest:  # after round k, rank r (r % 2^(k+1) == 0) holds r .. r+2^(k+1)-1
        partner = xp.minimum(pos + step, n - 1)
        take = (rank % (2 * step) == 0) & (rank + step < length)
        v = xp.where(take, v * v[partner], v)
        step *= 2
    return t[starts], v[starts]


def _segment_extremum(be, targets, values, largest: bool):
    """(unique targets, the max (or min) of the values sent to each; NaN if any is NaN): the
    values sorted by target, then by value (NaN last), so each run ends with its extremum."""
    xp = be.xp
    floating = values.dtype.kind == "f"
    key = values if largest or not floating else -values  # NaN stays last either way
    by_value = xp.argsort(key)  # (ties between equal values may land in any order)
    order = by_value[be.argsort_stable(targets[by_value], 0)]
    t, v = targets[order], values[order]
    pick = xp.ones(t.size, dtype=bool)
    if largest or floating:  # the last of each run
        pick[:-1] = t[:-1] != t[1:]
    else:  # integers' min: the first of each run
        pick[1:] = t[1:] != t[:-1]
    keep = xp.nonzero(pick)[0]
    return t[keep], v[keep]


def _flat_targets(xp, out_shape, dim: int, index):
    """The flat (C order) position in an array of ``out_shape`` that each element of ``index``
    addresses along ``dim`` (aranges in the other dims)."""
    flat = xp.zeros(index.shape, dtype=np.int64)
    stride = 1
    for d in range(len(out_shape) - 1, -1, -1):
        if d == dim:
            coord = index.astype(np.int64, copy=False)
        else:
            s = index.shape[d]
            coord = xp.arange(s, dtype=np.int64).reshape((s,) + (1,) * (index.ndim - d - 1))
        flat = flat + coord * stride
        stride *= out_shape[d]
    return flat.reshape(-1)


def _scatter_reduce_array(x, dim: int, index, src, reduce: str, include_self: bool):
    be = backend_of(x)
    xp = be.xp
    out = _along(x).copy()  # C order: its reshape(-1) is a view
    flat = out.reshape(-1)
    t = _flat_targets(xp, out.shape, dim, index)
    v = src.reshape(-1)
    if t.size == 0:
        return out.reshape(x.shape)
    if reduce in ("sum", "mean"):
        if not include_self:
            flat[t] = 0
        be.add_at(flat, t, v)
        if reduce == "mean":
            # counted in float32/64 (exact to 2^24 / 2^53), which every add_at supports
            cdt = np.float32 if flat.dtype.kind == "f" and flat.itemsize < 8 else np.float64
            count = xp.full(flat.shape, 1 if include_self else 0, dtype=cdt)
            be.add_at(count, t, xp.ones(t.shape, dtype=cdt))
            count = xp.maximum(count, 1)  # positions nothing was scattered to keep their value
            if flat.dtype.kind == "f":
                flat[...] = flat / count
            else:  # integers: floor division, as PyTorch
                flat[...] = xp.floor_divide(flat, count.astype(flat.dtype))
        return out.reshape(x.shape)
    if reduce == "prod":
        ut, uv = _segment_prod(be, t, v)
    else:
        ut, uv = _segment_extremum(be, t, v, reduce == "amax")
    flat[ut] = getattr(xp, _FOLD[reduce])(flat[ut], uv) if include_self else uv
    return out.reshape(x.shape)


class ScatterReduce(Function):
    """y = x with src reduced into y[.., index[i], ..] along dim by sum/prod/mean/amax/amin
    (x's own value included when include_self); dx, dsrc: PyTorch's scatter_reduce backward
    (mean: g / count; amax/amin: g shared evenly among the tied extrema; prod: g * y / value,
    the product of the others where a value is 0)."""

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, include_self):
        ctx.meta = (dim, reduce, include_self)
        arr = _scatter_reduce_array(x._data, dim, _along(index._data), _src_block(src, index),
                                    reduce, include_self)
        out = Tensor._make(arr)
        ctx.save_for_backward(x, index, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, index, src, result = ctx.saved_tensors
        dim, reduce, include_self = ctx.meta
        with backend_of(g._data).quiet():  # a NaN extremum has no ties: 0 * (g / 0), NaN
            gx, gsrc = _REDUCE_GRADS[reduce](g, x, dim, index, src, result, include_self)
        need = ctx.needs_input_grad
        if need[0] and not include_self:  # x's values never reached the scattered positions
            gx = scatter(gx, dim, index, value=0.0)
        if need[3] and gsrc is not None:
            gsrc = _pad_to_src(gsrc, dim, index, src)
        return (gx if need[0] else None), None, None, (gsrc if need[3] else None), None, None


def _pad_to_src(gsrc, dim, index, src):
    """dsrc shaped like src (src may be larger than index: its other entries get 0)."""
    if gsrc._data.shape == src._data.shape:
        return gsrc
    key = tuple(slice(0, s) for s in index._data.shape) + (Ellipsis,)
    return SliceScatter.apply(gsrc, src._data.shape, key)


def _sum_grads(g, x, dim, index, src, result, include_self):
    return g, gather(g, dim, index)


def _mean_grads(g, x, dim, index, src, result, include_self):
    xp = xp_of(g)
    count = Tensor._make(xp.full(g._data.shape, 1 if include_self else 0, dtype=g._data.dtype))
    ones = Tensor._make(xp.ones(index._data.shape, dtype=g._data.dtype))
    count = scatter_add(count, dim, index, ones)
    count = Tensor._make(xp.maximum(count._data, 1))
    gx = g / count
    return gx, gather(gx, dim, index)


def _extremum_grads(g, x, dim, index, src, result, include_self):
    # PyTorch counts x's ties even when include_self=False (and then zeroes x's share)
    value = gather(result, dim, index)
    x_is = ew.eq(x, result).to(g.dtype)
    src_is = ew.eq(_src_block_tensor(src, index), value).to(g.dtype)
    share = g / scatter_add(x_is, dim, index, src_is)
    return x_is * share, src_is * gather(share, dim, index)


def _prod_grads(g, x, dim, index, src, result, include_self):
    xp = xp_of(g)
    s = _src_block_tensor(src, index)
    x_zero = Tensor._make(x._data == 0)
    masked_x = ew.where(x_zero, 1.0, x)
    # y with x's zeros counted as 1: the product of everything but x at x's zeros
    gx = g * scatter_reduce(masked_x, dim, index, s, "prod", include_self=include_self) / masked_x
    s_zero = s._data == 0
    zeros_at = xp.zeros(g._data.shape, dtype=g._data.dtype)
    backend_of(zeros_at).scatter_add(_along(zeros_at), dim, _along(index._data),
                                     _along(s_zero.astype(g._data.dtype)))
    n_zeros = _along(zeros_at)[backend_of(zeros_at).along_dim_key(_along(index._data), dim)]
    single = Tensor._make(s_zero & (n_zeros.reshape(s_zero.shape) == 1))
    # at a lone zero of src: the product of the others, from y recomputed with it set to 1
    others = scatter_reduce(x, dim, index, ew.where(single, 1.0, s), "prod",
                            include_self=include_self)
    gsrc = ew.where(single, gather(g * others, dim, index),
                    gather(g * result, dim, index) / ew.where(Tensor._make(s_zero), 1.0, s))
    # with create_graph only (one host read): the formula above has no second derivative
    # where two zeros meet, so PyTorch refuses to differentiate it again
    if is_grad_enabled() and bool((s_zero & (n_zeros.reshape(s_zero.shape) > 1)).any()):
        gsrc = _NoDoubleBackward.apply(gsrc)
    return gx, gsrc


class _NoDoubleBackward(Function):
    """y = x;  backward raises (PyTorch's DelayedError for prod with repeated zeros)"""

    @staticmethod
    def forward(ctx, x):
        return Tensor._make(x._data)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("scatter_reduce(): Double backward is unsupported for src when >1 "
                           "zeros in src are scattered to the same position in self")


def _src_block_tensor(src, index):
    """src cut to index's shape, differentiably (a slice view when src is larger)."""
    if src._data.shape == index._data.shape:
        return src
    return src[tuple(slice(0, n) for n in index._data.shape)]


_REDUCE_GRADS = {"sum": _sum_grads, "mean": _mean_grads, "prod": _prod_grads,
                 "amax": _extremum_grads, "amin": _extremum_grads}


def _check_reduce(reduce, op: str) -> None:
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """A copy of ``input`` with ``src`` reduced into it at ``index`` along ``dim``:
    y[.., index[i], ..] = reduce(x[.., index[i], ..] (if include_self), the src values sent
    there) for reduce in 'sum', 'prod', 'mean' (integer: floor), 'amax', 'amin'."""
    _check_reduce(reduce, "scatter_reduce")
    d = _check_along_dim("scatter_reduce", input, dim, index, src)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' must be Tensor, not "
                        f"{type(src).__name__}")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(f"scatter_reduce(): Expected self.dtype to be equal to src.dtype "
                           f"(got {input.dtype} and {src.dtype})")
    if reduce == "mean" and input._data.dtype.kind == "b":
        raise NotImplementedError('"scatter_gather_tensor_cpu_reduce_mean" not implemented '
                                  "for 'Bool'")
    return ScatterReduce.apply(input, d, index, src, reduce, bool(include_self))


def index_reduce(input, dim: int, index, source, reduce: str, *, include_self: bool = True):
    """A copy of ``input`` with the slices of ``source`` reduced into the slices at ``index``
    along ``dim`` (reduce in 'prod', 'mean', 'amax', 'amin'); scatter_reduce with the index
    broadcast over the other dims."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d = _check_vector_index("index_reduce", input, dim, index)
    if not isinstance(source, Tensor):
        raise TypeError(f"index_reduce(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    if input._data.dtype != source._data.dtype:
        raise RuntimeError(f"index_reduce_(): self ({input.dtype}) and source ({source.dtype}) "
                           "must have the same scalar type")
    nd = input._data.ndim
    count = index._data.size
    src_shape = list(source._data.shape)
    along = src_shape[d] if len(src_shape) > d else 1
    if along != count:
        raise RuntimeError(f"index_reduce_(): Number of indices ({count}) should be equal to "
                           f"source.size(dim): ({along}), for dim: {d}")
    want = list(input._data.shape)
    if want:
        want[d] = count
    if src_shape != want:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {src_shape}")
    if nd == 0:
        return reshape(index_reduce(reshape(input, 1), 0, index.reshape(-1),
                                    reshape(source, 1), reduce, include_self=include_self), ())
    shape = [1] * nd
    shape[d] = index._data.size
    full = reshape(index, shape).expand(tuple(source._data.shape))
    return ScatterReduce.apply(input, d, full, source, reduce, bool(include_self))


def _reducing_inplace(name: str, fn):
    """``self.<name>(dim, index, src, reduce, ...)``: the result written into self. The
    backward needs self's old values, so the op runs on a copy of them when a graph is
    recorded (the write would otherwise invalidate what the node saved)."""

    def op(self, dim, index, src, *args, **kwargs):
        inplace._check_writable(self, name)
        old = inplace._original(self, src)
        return inplace.commit(self, fn(old, dim, index, src, *args, **kwargs), name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{name[:-1]}``; returns self."
    return op


scatter_reduce_ = _reducing_inplace("scatter_reduce_", scatter_reduce)
index_reduce_ = _reducing_inplace("index_reduce_", index_reduce)

TENSOR_METHODS = {
    "scatter_reduce": scatter_reduce,
    "scatter_reduce_": scatter_reduce_,
    "index_reduce": index_reduce,
    "index_reduce_": index_reduce_,
}

__all__ = ["ScatterReduce", "scatter_reduce", "scatter_reduce_", "index_reduce",
           "index_reduce_"]
