"""Sorting and selection along a dim: sort, argsort, topk, kthvalue, median (on the GPU through
CuPy's sort, a radix sort we would not improve on).

Each returns values picked from the input plus their indices; the values are gathered with
``reduction.TakeAlong``, so the gradient is scattered back to the picked positions.
"""

from __future__ import annotations

from .. import _dtypes
from ._common import Tensor, backend_of, check_tensor, wrap_dim, xp_of
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
