"""Joining and repeating: repeat/tile/repeat_interleave, and cat/stack/hstack/vstack."""

from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from .._common import Tensor, fused_ok, same_device, wrap_dim, xp_of
from .slicing import _slice
from .views import _shape_arg, expand, reshape, unsqueeze


# ---- repeat / tile / repeat_interleave --------------------------------------------------------
class Repeat(Function):
    """y = x tiled reps[i] times along dim i (torch.repeat);  dx = g summed over the tiles"""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape = x._data.shape
        ctx.reps = reps
        padded = (1,) * (len(reps) - x._data.ndim) + x._data.shape
        return xp_of(x).tile(x._data.reshape(padded), reps)

    @staticmethod
    def backward(ctx, g):
        from ..reduction import sum as _sum

        reps = ctx.reps
        padded = (1,) * (len(reps) - len(ctx.in_shape)) + ctx.in_shape
        # Output dim i is laid out tile-major: (reps[i], padded[i]) splits it exactly.
        split_shape = tuple(v for pair in zip(reps, padded) for v in pair)
        summed = _sum(reshape(g, split_shape), tuple(range(0, 2 * len(reps), 2)))
        return reshape(summed, ctx.in_shape), None


def repeat(input, *sizes):
    """The tensor tiled ``sizes[i]`` times along each dim (leading sizes add new dims)."""
    reps = _shape_arg(sizes, "repeat", "repeats")
    if len(reps) < input._data.ndim:
        raise RuntimeError(
            f"repeat(): number of dimensions of repeat dims ({len(reps)}) can not be smaller "
            f"than number of dimensions of tensor ({input._data.ndim})"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat(): repeats must be non-negative, got {list(reps)}")
    return Repeat.apply(input, reps)


def tile(input, dims):
    """Like repeat, but ``dims`` shorter than the tensor's rank is padded with leading 1s."""
    reps = _shape_arg((dims,) if isinstance(dims, int) else tuple(dims), "tile", "dims")
    reps = (1,) * (input._data.ndim - len(reps)) + reps
    return repeat(input, reps)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element repeated ``repeats`` times (an int, or one count per element of ``dim``)
    along ``dim`` (the flattened input when None). With only a tensor of counts, the indices
    0..n-1 repeated by those counts."""
    from ..indexing import index_select

    if repeats is None:  # repeat_interleave(counts): arange(n) repeated by counts
        if input._data.ndim != 1:
            raise RuntimeError(f"repeat_interleave(): repeat_interleave only accept 1D vector as "
                               f"repeat, got shape {list(input.shape)}")
        counts = _counts(input, None, "repeat_interleave")
        _check_output_size(output_size, counts)
        return Tensor._make(_repeated_arange(counts, xp_of(input)))
    if dim is None:
        input = reshape(input, -1)
        dim = 0
    nd = input._data.ndim
    if nd == 0:
        input = reshape(input, 1)
        nd = 1
    d = wrap_dim(dim, nd, "repeat_interleave")
    n = input._data.shape[d]
    if isinstance(repeats, Tensor) and repeats._data.size != 1:
        counts = _counts(repeats, n, "repeat_interleave")
        _check_output_size(output_size, counts)
        return index_select(input, d, Tensor._make(_repeated_arange(counts, xp_of(input))))
    r = int(repeats.item() if isinstance(repeats, Tensor) else repeats)
    if r < 0:
        raise RuntimeError(f"repeat_interleave(): repeats can not be negative, got {r}")
    if output_size is not None and output_size != n * r:
        raise RuntimeError(f"repeat_interleave(): Invalid output_size, expected {n * r} but got "
                           f"{output_size}")
    shp = input._data.shape
    spread = expand(unsqueeze(input, d + 1), shp[:d + 1] + (r,) + shp[d + 1:])
    return reshape(spread, shp[:d] + (n * r,) + shp[d + 1:])


def _counts(repeats, n, op):
    """Validated repeat counts (a 1-D int array, one per element when ``n`` is given)."""
    if repeats._data.ndim > 1 or repeats._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): repeats must be a 0-dim or 1-dim integer tensor, got "
                           f"shape {list(repeats.shape)} and dtype {repeats.dtype}")
    counts = repeats._data.reshape(-1)
    if n is not None and counts.size != n:
        raise RuntimeError(f"{op}(): repeats must have the same size as input along dim, but "
                           f"got repeats.size(0) = {counts.size} and input.size = {n}")
    if counts.size and int(counts.min()) < 0:
        raise RuntimeError(f"{op}(): repeats can not be negative")
    return counts


def _repeated_arange(counts, xp):
    """0..len(counts)-1, each i repeated counts[i] times, as an int64 array of ``xp``. Built on
    the host: the output's length is sum(counts), read there anyway (PyTorch syncs too), and
    the counts may live on another device than the input."""
    host = counts.get() if hasattr(counts, "get") else np.asarray(counts)
    return xp.asarray(np.repeat(np.arange(host.size, dtype=np.int64), host))


def _check_output_size(output_size, counts):
    """output_size is a promise of sum(counts) (it spares PyTorch a sync): a wrong one raises."""
    if output_size is not None and output_size != int(counts.sum()):
        raise RuntimeError(f"repeat_interleave(): allocated size does not match required size: "
                           f"output_size={output_size}, sum of repeats={int(counts.sum())}")


# ---- cat / stack --------------------------------------------------------------------------
def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if len(tensors) == 0:  # (PyTorch's cat raises ValueError here, stack & co RuntimeError)
        raise (ValueError if op == "cat" else RuntimeError)(
            f"{op}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 'tensors', but "
                            f"got {type(t).__name__}")
    same_device(op, *tensors)
    return list(tensors)


class Cat(Function):
    """y = [x_0, x_1, ...] joined along dim;  dx_i = the slice of g that x_i became"""

    @staticmethod
    def forward(ctx, dim, np_dtype, kept, *xs):
        ctx.dim = dim
        ctx.sizes = [x._data.shape[dim] if k else None for x, k in zip(xs, kept)]
        arrays = [x._data.astype(np_dtype, copy=False) for x, k in zip(xs, kept) if k]
        return xp_of(xs[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = [None, None, None]
        start = 0
        direct = fused_ok(g)  # no graph to build: views of g's array, no nodes
        lead = (slice(None),) * ctx.dim
        for size in ctx.sizes:
            if size is None:  # a skipped legacy empty tensor: its gradient is empty too
                grads.append(Tensor._make(xp_of(g).zeros((0,), dtype=g._data.dtype)))
                continue
            part = slice(start, start + size)
            grads.append(Tensor._make(g._data[lead + (part,)]) if direct
                         else _slice(g, ctx.dim, part))
            start += size
        return tuple(grads)


def cat(tensors, dim: int = 0, *, axis=None):
    """The tensors joined along an existing ``dim`` (dtypes promoted; 1-D empty tensors are
    skipped, as in PyTorch; ``axis`` is NumPy's name for ``dim``, which PyTorch accepts)."""
    from ... import _dtypes

    if axis is not None:
        dim = axis

    ts = _tensor_list(tensors, "cat")
    for i, t in enumerate(ts):
        if t._data.ndim == 0:
            raise RuntimeError(f"cat(): zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    kept = [not (t._data.ndim == 1 and t._data.shape[0] == 0) for t in ts]
    if not any(kept):
        kept = [True] * len(ts)
    ref_i = kept.index(True)
    ref = ts[ref_i]
    nd = ref._data.ndim
    d = wrap_dim(dim, nd, "cat")
    for i, (t, k) in enumerate(zip(ts, kept)):
        if not k or i == ref_i:
            continue
        if t._data.ndim != nd:
            raise RuntimeError(
                f"cat(): tensors must have same number of dimensions: got {nd} and "
                f"{t._data.ndim} (shapes {list(ref.shape)} at position {ref_i} and "
                f"{list(t.shape)} at position {i})"
            )
        for j in range(nd):
            if j != d and t._data.shape[j] != ref._data.shape[j]:
                raise RuntimeError(
                    f"cat(): sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref._data.shape[j]} but got size {t._data.shape[j]} for tensor number {i} "
                    f"in the list (shapes {list(ref.shape)} and {list(t.shape)})"
                )
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = _dtypes.promote_types(dt, t.dtype)
    return Cat.apply(d, dt.np, tuple(kept), *ts)


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    """The equally-shaped tensors joined along a new ``dim``."""
    ts = _tensor_list(tensors, "stack")
    shape = ts[0]._data.shape
    for i, t in enumerate(ts[1:], 1):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1, "stack")
    return cat([unsqueeze(t, d) for t in ts], d)


def hstack(tensors):
    """Joined along dim 1 (dim 0 for 1-D tensors); 0-d tensors count as 1-D."""
    ts = [reshape(t, 1) if t._data.ndim == 0 else t for t in _tensor_list(tensors, "hstack")]
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """Joined along dim 0, after making every tensor at least 2-D (rows)."""
    ts = [reshape(t, 1, -1) if t._data.ndim < 2 else t for t in _tensor_list(tensors, "vstack")]
    return cat(ts, 0)


row_stack = vstack


def dstack(tensors):
    """Joined along dim 2 (depth), after making every tensor at least 3-D like NumPy's
    atleast_3d: (n) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    def at_least_3d(t):
        nd = t._data.ndim
        if nd == 0:
            return reshape(t, 1, 1, 1)
        if nd == 1:
            return reshape(t, 1, -1, 1)
        return unsqueeze(t, 2) if nd == 2 else t

    return cat([at_least_3d(t) for t in _tensor_list(tensors, "dstack")], 2)


def column_stack(tensors):
    """0-d and 1-d tensors become columns (n, 1), then all are joined along dim 1."""
    ts = _tensor_list(tensors, "column_stack")
    return cat([reshape(t, -1, 1) if t._data.ndim < 2 else t for t in ts], 1)


TENSOR_METHODS = {
    name: globals()[name]
    for name in "repeat tile repeat_interleave".split()
}
FUNCTIONS = {
    name: globals()[name]
    for name in "cat concat concatenate stack hstack vstack row_stack dstack column_stack".split()
}
