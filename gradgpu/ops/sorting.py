"""Sorting and selection along a dim: sort, argsort, topk, kthvalue, median (on the GPU through
CuPy's sort, a radix sort we would not improve on).

Each returns values picked from the input plus their indices; the values are gathered with
``reduction.TakeAlong``, so the gradient is scattered back to the picked positions.
"""

from __future__ import annotations

from .. import _dtypes
from ..autograd.function import Function
from ._common import Tensor, backend_of, check_tensor, device_mismatch, wrap_dim, xp_of
from .reduction import SelectEven, return_type, take_along
from .shape import reshape


def _sorted_indices(xp, xd, axis, descending):
    """Stable sort permutation along ``axis`` (int64); NaN sorts as the largest value.

    Descending keeps equal elements in their original order: sort the reversed slice
    ascending (stable), reverse the result and map positions back."""
    be = backend_of(xd)
    if not descending:
        return be.argsort_stable(xd, axis).astype(_dtypes.int64.np, copy=False)
    n = xd.shape[axis]
    rev = be.argsort_stable(xp.flip(xd, axis), axis)
    return (n - 1 - xp.flip(rev, axis)).astype(_dtypes.int64.np, copy=False)


def _zero_index(input):
    return Tensor._make(xp_of(input).zeros((), dtype=_dtypes.int64.np))


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) sorted along ``dim``; always stable (equal values keep their order)."""
    check_tensor(input, "sort")
    xd = input._data
    axis = wrap_dim(dim, xd.ndim, "sort")
    cls = return_type("sort")
    if xd.ndim == 0:
        return cls(reshape(input, ()), _zero_index(input))
    idx = _sorted_indices(xp_of(input), xd, axis, descending)
    return cls(*take_along(input, idx, axis))


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices that sort ``input`` along ``dim`` (stable)."""
    check_tensor(input, "argsort")
    xd = input._data
    axis = wrap_dim(dim, xd.ndim, "argsort")
    if xd.ndim == 0:
        return _zero_index(input)
    return Tensor._make(_sorted_indices(xp_of(input), xd, axis, descending))


def msort(input):
    """The values sorted along dim 0: ``sort(input, 0).values``."""
    check_tensor(input, "msort")
    return sort(input, 0).values


def _slice_along(arr, axis, start, stop):
    index = [slice(None)] * arr.ndim
    index[axis] = slice(start, stop)
    return arr[tuple(index)]


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the ``k`` largest (or smallest) elements along ``dim``, in sorted
    order (also when ``sorted=False``: any order is allowed there)."""
    check_tensor(input, "topk")
    xd = input._data
    axis = wrap_dim(dim, xd.ndim, "topk")
    size = xd.shape[axis] if xd.ndim else 1
    k = int(k)
    if not 0 <= k <= size:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, but dim {axis} of "
                           f"input shape {list(xd.shape)} has size {size})")
    cls = return_type("topk")
    if xd.ndim == 0:
        if k == 1:
            return cls(reshape(input, ()), _zero_index(input))
        xp = xp_of(input)
        return cls(Tensor._make(xp.zeros((0,), dtype=xd.dtype)),
                   Tensor._make(xp.zeros((0,), dtype=_dtypes.int64.np)))
    idx = _slice_along(_sorted_indices(xp_of(input), xd, axis, largest), axis, 0, k)
    return cls(*take_along(input, idx, axis))


def _kth(input, position, axis, keepdim, op):
    """(values, indices) of the element at sorted ``position`` along ``axis``."""
    cls = return_type(op)
    if input._data.ndim == 0:
        return cls(reshape(input, ()), _zero_index(input))
    idx = _slice_along(_sorted_indices(xp_of(input), input._data, axis, False), axis,
                       position, position + 1)
    return cls(*take_along(input, idx, axis, keepdim))


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the k-th smallest element (1-based) along ``dim``."""
    check_tensor(input, "kthvalue")
    xd = input._data
    axis = wrap_dim(dim, xd.ndim, "kthvalue")
    size = xd.shape[axis] if xd.ndim else 1
    if not 1 <= int(k) <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis} "
                           f"(k={k}, size {size}, input shape {list(xd.shape)})")
    return _kth(input, int(k) - 1, axis, keepdim, "kthvalue")


def median(input, dim=None, keepdim: bool = False):
    """median(x): the lower of the two middle values of all elements (ties share the
    gradient); median(x, dim): (values, indices) along ``dim``."""
    check_tensor(input, "median")
    xd = input._data
    if dim is None:
        if xd.size == 0:
            return Tensor._make(xp_of(input).full((), float("nan"), dtype=xd.dtype))
        return SelectEven.apply(input, None, False, "median", True)
    axis = wrap_dim(dim, xd.ndim, "median")
    if xd.ndim and xd.shape[axis] == 0:
        raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size "
                         f"(input shape {list(xd.shape)}).")
    size = xd.shape[axis] if xd.ndim else 1
    if xd.ndim == 0 or xd.dtype.kind != "f":
        return _kth(input, (size - 1) // 2, axis, keepdim, "median")
    # NaN sorts last, NaNs in input order: a slice with a NaN gives its first NaN (PyTorch)
    xp = xp_of(input)
    order = _sorted_indices(xp, xd, axis, False)
    valid = (~xp.isnan(xd)).sum(axis=axis, keepdims=True)
    idx = xp.take_along_axis(order, xp.where(valid < size, valid, (size - 1) // 2), axis)
    return return_type("median")(*take_along(input, idx, axis, keepdim))


TENSOR_METHODS = {
    "sort": sort, "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue,
    "median": median,
}
FUNCTIONS: dict = {}


# ---- unique / unique_consecutive / searchsorted / bucketize ----------------------------------
# Built from sort, cumsum, searchsorted on sorted integers and gathers, all of which NumPy and
# CuPy share (CuPy's unique has no axis=, and its searchsorted takes 1-D sequences only).
_I64 = _dtypes.int64.np


class NoDerivative(Function):
    """y = values selected by a data-dependent rule (unique's output);  dx: not implemented.

    PyTorch's unique / unique_consecutive outputs require grad when the input does, and their
    backward raises; this node does the same."""

    @staticmethod
    def forward(ctx, x, yd, op):
        ctx.op = op
        return Tensor._make(yd)

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError(f"the derivative for '{ctx.op}' is not implemented.")


def _values(input, yd, op):
    return NoDerivative.apply(input, yd, op) if input._requires_grad else Tensor._make(yd)


def _sortable(xp, xd):
    return xd.astype(xp.uint8) if xd.dtype.kind == "b" else xd


def _runs(xp, group, n: int):
    """Run starts and lengths of the sorted group ids ``group`` (0, 0, 1, 2, 2, ...).

    The number of groups decides the output shapes, so it is read back to the host: this is the
    one device-to-host sync unique and unique_consecutive make (PyTorch's CUDA unique too)."""
    k = int(group[-1]) + 1
    starts = xp.searchsorted(group, xp.arange(k, dtype=_I64), side="left")
    counts = xp.diff(xp.concatenate([starts, xp.full((1,), n, dtype=_I64)]))
    return starts, counts


def _run_starts(xp, changed, n: int):
    """Group ids (cumsum of the run-start flags) from ``changed[i] = row i differs from i-1``."""
    is_new = xp.empty((n,), dtype=bool)
    is_new[:1] = True
    is_new[1:] = changed
    return xp.cumsum(is_new, dtype=_I64) - 1


def _dense_ranks(xp, keys):
    """Per column of ``keys`` (n, c): the dense rank of each entry (equal entries share one;
    NaN equals nothing, and ranks after every number, in input order)."""
    n, c = keys.shape
    order = backend_of(keys).argsort_stable(_sortable(xp, keys), 0)
    s = xp.take_along_axis(keys, order, 0)
    is_new = xp.empty(s.shape, dtype=bool)
    is_new[:1] = True
    is_new[1:] = s[1:] != s[:-1]
    ranks_sorted = xp.cumsum(is_new, axis=0, dtype=_I64) - 1
    ranks = xp.empty_like(ranks_sorted)
    ranks[order, xp.arange(c)[None, :]] = ranks_sorted
    return ranks


def _row_ranks(xp, rows):
    """The dense lexicographic rank of each row of ``rows`` (n, c), by prefix doubling: rank
    every column, then repeatedly fuse neighbouring columns' ranks (a * n + b keeps the order)
    and re-rank, so log2(c) batched sorts instead of one sort per column."""
    n = rows.shape[0]
    ranks = _dense_ranks(xp, rows)
    while ranks.shape[1] > 1:
        if ranks.shape[1] % 2:
            ranks = xp.concatenate([ranks, xp.zeros((n, 1), dtype=_I64)], axis=1)
        ranks = _dense_ranks(xp, ranks[:, 0::2] * n + ranks[:, 1::2])
    return ranks[:, 0]


def _unique_impl(input, consecutive: bool, return_inverse: bool, return_counts: bool, dim, op):
    check_tensor(input, op)
    xp = xp_of(input)
    xd = input._data
    if dim is None:
        flat = xd.reshape(-1)
        n, axis, rows = flat.size, 0, flat.reshape(-1, 1)
        source, inverse_shape = flat, xd.shape
    else:
        if xd.ndim == 0:
            raise IndexError(f"{op}(): Dimension specified as {dim} but tensor has no dimensions")
        axis = wrap_dim(dim, xd.ndim, op)
        n = xd.shape[axis]
        if xd.size == 0 and any(s == 0 for a, s in enumerate(xd.shape) if a != axis):
            raise RuntimeError(f"{op}(): There are 0 sized dimensions, and they aren't selected, "
                               f"so unique cannot be applied (input shape {list(xd.shape)}, "
                               f"dim={dim})")
        rows = xp.moveaxis(xd, axis, 0).reshape(n, xd.size // n if n else 0)
        source, inverse_shape = xd, (n,)
    if n == 0:
        yd = source.copy()
        inverse = xp.zeros(inverse_shape, dtype=_I64)
        counts = xp.zeros((0,), dtype=_I64)
    elif consecutive:
        inverse = _run_starts(xp, (rows[1:] != rows[:-1]).any(axis=1), n)
        starts, counts = _runs(xp, inverse, n)
        yd = xp.take(source, starts, axis=axis)
        inverse = inverse.reshape(inverse_shape)
    elif dim is None:  # a stable sort, then runs; NaN != NaN keeps every NaN apart
        order = backend_of(flat).argsort_stable(_sortable(xp, flat), 0)
        s = flat[order]
        group = _run_starts(xp, s[1:] != s[:-1], n)
        starts, counts = _runs(xp, group, n)
        yd = s[starts]
        inverse = xp.empty((n,), dtype=_I64)
        inverse[order] = group
        inverse = inverse.reshape(inverse_shape)
    else:  # slices: dense lexicographic ranks are the inverse; sort them to find the runs
        inverse = _row_ranks(xp, rows)
        order = backend_of(inverse).argsort_stable(inverse, 0)
        starts, counts = _runs(xp, inverse[order], n)
        yd = xp.take(source, order[starts], axis=axis)
    values = _values(input, yd, op)
    extra = ((Tensor._make(inverse),) if return_inverse else ()) + (
        (Tensor._make(counts),) if return_counts else ())
    return (values, *extra) if extra else values


def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The distinct elements of ``input`` (flattened, or the distinct slices along ``dim``),
    in ascending order (also with ``sorted=False``, as PyTorch's kernels); NaNs are all distinct
    and come last. Optionally the inverse (each element's index into the output) and counts."""
    return _unique_impl(input, False, return_inverse, return_counts, dim, "unique")


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False,
                       dim=None):
    """``input`` with each run of equal consecutive elements (or slices along ``dim``) kept
    once; optionally the inverse (each element's run) and the run lengths."""
    return _unique_impl(input, True, return_inverse, return_counts, dim, "unique_consecutive")


def _binary_search(xp, seq, vals, right: bool, sorter):
    """PyTorch's lower/upper-bound loop, run on all values at once: ``seq`` (B, n) and
    ``vals`` (B, m) give (B, m) positions. Copying the loop (not calling a library search)
    keeps PyTorch's answers where its comparisons are false both ways: a NaN value lands
    past the end, and NaNs inside the sequence steer the search as they do in PyTorch."""
    n = seq.shape[1]
    start = xp.zeros(vals.shape, dtype=_I64)
    end = xp.full(vals.shape, n, dtype=_I64)
    for _ in range(n.bit_length()):  # the interval at least halves each step
        mid = (start + end) >> 1
        pos = xp.minimum(mid, n - 1)
        if sorter is not None:
            pos = xp.take_along_axis(sorter, pos, 1)
        mid_val = xp.take_along_axis(seq, pos, 1)
        go_right = ~(mid_val > vals) if right else ~(mid_val >= vals)
        active = start < end
        start = xp.where(active & go_right, mid + 1, start)
        end = xp.where(active & ~go_right, mid, end)
    return start


def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None):
    """For each value of ``input``, the index in the last dim of ``sorted_sequence`` where it
    would be inserted to keep that dim sorted (the first such index, or the last with
    ``right=True`` / ``side='right'``). A 1-D sequence serves every value; an N-D one has a
    row per leading index of ``input``. int64 indices, int32 with ``out_int32``."""
    op = "torch.searchsorted()"
    check_tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}: side can only be 'left' or 'right' but got {side}")
        if right and side != "right":
            raise RuntimeError(f"{op}: side and right can't be set to opposites, got side of "
                               f"{side} while right was True")
        right = side == "right"
    is_tensor = isinstance(input, Tensor)
    if not is_tensor and not isinstance(input, (bool, int, float)):
        raise TypeError(f"searchsorted(): argument 'input' must be Tensor or Number, not "
                        f"{type(input).__name__}")
    seq = sorted_sequence._data
    for other in (input, sorter):
        if isinstance(other, Tensor) and other.device != sorted_sequence.device:
            raise device_mismatch("searchsorted", sorted_sequence.device, other.device)
    in_shape = tuple(input.shape) if is_tensor else ()
    if not in_shape and seq.ndim != 1:
        raise RuntimeError(f"{op}: input value can be a scalar only when boundaries tensor "
                           f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) "
                           f"and input value's dim(0) numel(1)")
    if seq.ndim == 0:
        raise RuntimeError(f"{op}: boundaries tensor should have positive dimension, but got 0 "
                           f"dimension")
    if seq.ndim > 1:
        if len(in_shape) != seq.ndim or in_shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"{op}: boundaries tensor should be 1 dimension or the first N-1 "
                               f"dimensions of boundaries tensor and input value tensor must "
                               f"match, but we got boundaries tensor {list(seq.shape)} and "
                               f"input value tensor {list(in_shape)}")
    if seq.dtype.kind == "b":
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    xp = xp_of(sorted_sequence)
    n = seq.shape[-1]
    rows = _prod(seq.shape[:-1])
    sorter_d = None
    if sorter is not None:
        check_tensor(sorter, "searchsorted", "sorter")
        if sorter.dtype != _dtypes.int64:
            raise RuntimeError(f"{op}: sorter must be a tensor of long dtype but got dtype "
                               f"{_TORCH_TYPE_NAMES.get(sorter.dtype.name, sorter.dtype.name)}")
        if tuple(sorter.shape) != seq.shape:
            raise RuntimeError(f"{op}: boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)} and got sorter tensor "
                               f"{list(sorter.shape)}")
        sorter_d = sorter._data.reshape(rows, n)
        # An index out of range would read garbage; checking it costs one device-to-host
        # read, made only when a sorter is given (PyTorch checks it the same way).
        if n and bool(((sorter_d < 0) | (sorter_d >= n)).any()):
            raise RuntimeError(f"{op}: sorter index out of range")
    common = _dtypes.result_type(sorted_sequence, input).np
    if is_tensor:
        vals = input._data.astype(common, copy=False)
    else:
        vals = xp.full((), input, dtype=common)
    seq_c = seq.astype(common, copy=False).reshape(rows, n)
    vals_c = vals.reshape(rows, in_shape[-1]) if seq.ndim > 1 else vals.reshape(1, vals.size)
    pos = _binary_search(xp, seq_c, vals_c, bool(right), sorter_d).reshape(in_shape)
    return Tensor._make(pos.astype(xp.int32) if out_int32 else pos)


_TORCH_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                     "bfloat16": "BFloat16", "int32": "Int", "int16": "Short", "int8": "Char",
                     "uint8": "Byte", "bool": "Bool"}


def _prod(shape) -> int:
    out = 1
    for s in shape:
        out *= s
    return out


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False):
    """The bucket of each value of ``input`` among the 1-D ``boundaries``: the index i with
    boundaries[i-1] < x <= boundaries[i] (``right=True``: boundaries[i-1] <= x < boundaries[i])."""
    check_tensor(boundaries, "bucketize", "boundaries")
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


TENSOR_METHODS.update({"unique": unique, "unique_consecutive": unique_consecutive})
FUNCTIONS.update({"searchsorted": searchsorted, "bucketize": bucketize})
