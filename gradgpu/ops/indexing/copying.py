"""Copies into positions: index_copy (slices at a vector of positions along a dim) and
masked_scatter (a source's elements, in order, where a mask is True), with their in-place
forms. Both are composed of differentiable ops (scatter, gather by index, where)."""

from __future__ import annotations

import numpy as np

from .. import elementwise as ew
from .._common import Tensor, index_bounds, same_device, wrap_dim, xp_of
from ..shape import expand, reshape
from .gather_scatter import Scatter
from .inplace_variants import _inplace_variant
from .subscript import getitem


def _slice_shape(shape, d: int) -> str:
    return " ".join(str(s) for i, s in enumerate(shape) if i != d)


def index_copy(input, dim: int, index, source):
    """A copy of ``input`` whose slices at ``index`` along ``dim`` are the slices of
    ``source``: y[.., index[i], ..] = source[.., i, ..];  dx = g zeroed in those slices,
    dsource = g's slices at index. (With repeated indices, which copy wins is unspecified.)"""
    for name, t in (("index", index), ("source", source)):
        if not isinstance(t, Tensor):
            raise TypeError(f"index_copy(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
    same_device("index_copy", input, index, source)
    if index._data.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{index.dtype}")
    if index._data.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got "
                         f"{index._data.ndim})")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {input.dtype} and (source) {source.dtype}")
    nd, sd = input._data.ndim, source._data.ndim
    d = wrap_dim(dim, max(nd, 1), "index_copy")
    count = index._data.size
    if nd == 0 or sd == 0:  # scalars: one element each, written through the 1-d form
        if count != 1 or source._data.size != 1 or input._data.size != 1:
            raise IndexError(f"index_copy_(): When source and destination are not scalars, "
                             f"their dimensionality must match. Source dimensionality ({sd}), "
                             f"destination dimensionality ({nd})")
        out = index_copy(reshape(input, 1), 0, reshape(index, 1), reshape(source, 1))
        return reshape(out, input._data.shape)
    if sd != nd:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({sd}), "
                         f"destination dimensionality ({nd})")
    if source._data.shape[d] != count:
        raise IndexError(f"index_copy_(): Number of indices ({count}) should be equal to "
                         f"source.size(dim) ({source._data.shape[d]})")
    xs, ss = input._data.shape, source._data.shape
    if any(a != b for i, (a, b) in enumerate(zip(xs, ss)) if i != d):
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {_slice_shape(xs, d)} at "
                           f"dimension {d} and source slice shape: {_slice_shape(ss, d)} at "
                           f"dimension {d}.")
    if count:
        for bad in index_bounds(index._data):  # one host read of min and max
            if not 0 <= bad < xs[d]:
                raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension "
                                 f"{d} with size {xs[d]}")
    shape = [1] * nd
    shape[d] = count
    full = expand(reshape(index, shape), ss)
    return Scatter.apply(input, d, full, source)


def masked_scatter(input, mask, source):
    """``input`` (broadcast with ``mask``) with the first elements of ``source``, in order,
    where ``mask`` is True: y = where(mask, source.flatten()[cumsum(mask) - 1], x);
    dx = g where not mask, dsource[k] = g at the k-th True of mask (0 past the last)."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_scatter(): argument 'mask' must be Tensor, not "
                        f"{type(mask).__name__}")
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    same_device("masked_scatter", input, mask, source)
    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got {input.dtype} and {source.dtype}")
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise RuntimeError(f"masked_scatter(): shapes {list(input.shape)} (self) and "
                           f"{list(mask.shape)} (mask) cannot be broadcast together") from None
    xp = xp_of(mask)
    m = xp.broadcast_to(mask._data, shape)
    x = input if input._data.shape == shape else expand(input, shape)
    pos = xp.cumsum(m.reshape(-1)) - 1
    n_true = int(pos[-1]) + 1 if pos.size else 0  # the count (a sync on the GPU, as PyTorch)
    if n_true > source._data.size:
        raise RuntimeError(f"masked_scatter(): Number of elements of source "
                           f"({source._data.size}) < number of ones in mask ({n_true})")
    if n_true == 0:
        return x.clone()
    # where mask is False the pick is source[0], which where() discards (and its gradient 0)
    picks = Tensor._make(xp.maximum(pos, 0).reshape(shape))
    return ew.where(Tensor._make(m), getitem(reshape(source, -1), picks), x)


index_copy_ = _inplace_variant("index_copy_", index_copy)
masked_scatter_ = _inplace_variant("masked_scatter_", masked_scatter)

TENSOR_METHODS = {
    "index_copy": index_copy,
    "index_copy_": index_copy_,
    "masked_scatter": masked_scatter,
    "masked_scatter_": masked_scatter_,
}
