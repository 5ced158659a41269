"""Boolean masks and the indices of nonzero elements: masked_fill, masked_select,
nonzero/argwhere, and one_hot."""

from __future__ import annotations

import numpy as np

from ... import _dtypes
from .. import elementwise as ew
from .._common import Tensor, index_bounds, same_device, xp_of
from ..fill_values import checked_value
from ..shape import expand, reshape
from .keys import _Index
from .subscript import Index


# ---- masks --------------------------------------------------------------------------------
def _check_mask(mask, op: str) -> None:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype}")


def masked_fill(input, mask, value):
    """``input`` with ``value`` (a number or 0-d tensor) where the broadcast ``mask`` is True;
    dinput = g where not mask,  dvalue = sum of g where mask."""
    _check_mask(mask, "masked_fill")
    same_device("masked_fill", input, mask)
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value._data.ndim} dimension(s).")
        if value._data.dtype != input._data.dtype:
            # PyTorch converts the value with an overflow check (reads it: a sync on the GPU,
            # only when the dtypes differ)
            checked_value(value.item(), input._data.dtype, "masked_fill")
            value = value.to(input.dtype)
    elif isinstance(value, (int, float, complex, np.number, np.bool_)):
        # a value the dtype cannot hold raises (uint8 300, NaN into an integer) like PyTorch
        value = checked_value(value, input._data.dtype, "masked_fill")
    out = ew.where(mask, value, input)
    return out if out._data.dtype == input._data.dtype else out.to(input.dtype)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True (both broadcast), as a 1-D tensor."""
    _check_mask(mask, "masked_select")
    same_device("masked_select", input, mask)
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise RuntimeError(f"masked_select(): shapes {list(input.shape)} and "
                           f"{list(mask.shape)} cannot be broadcast together") from None
    m = mask._data if mask._data.shape == shape else xp_of(mask).broadcast_to(mask._data, shape)
    x = input if input._data.shape == shape else expand(input, shape)
    if not shape:  # 0-d: a 1-D result of 0 or 1 elements
        x, m = reshape(x, 1), m.reshape(1)
    return Index.apply(x, _Index((Ellipsis,), tuple(m.nonzero()), False))


def nonzero(input, *, as_tuple: bool = False):
    """Indices of the nonzero elements: an int64 [n, ndim] tensor, or one 1-D tensor per dim."""
    xp = xp_of(input)
    arr = input._data
    if as_tuple:
        idx = (arr if arr.ndim else arr.reshape(1)).nonzero()
        return tuple(Tensor._make(i.astype(np.int64, copy=False)) for i in idx)
    if arr.ndim == 0:
        return Tensor._make(xp.zeros((int(bool(arr)), 0), dtype=np.int64))
    return Tensor._make(xp.argwhere(arr).astype(np.int64, copy=False))


def argwhere(input):
    """Same as nonzero(input): the [n, ndim] indices of the nonzero elements."""
    return nonzero(input)


def one_hot(tensor, num_classes: int = -1):
    """int64 one-hot encoding: out[..., c] = 1 where tensor == c, with a last dim of
    ``num_classes`` (max + 1 when -1)."""
    if not isinstance(tensor, Tensor) or tensor.dtype is not _dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor "
                           f"(got {tensor.dtype if isinstance(tensor, Tensor) else tensor!r})")
    arr = tensor._data
    xp = xp_of(tensor)
    num_classes = int(num_classes)
    if arr.size:
        lo, hi = index_bounds(arr)
        if lo < 0:
            raise RuntimeError(f"one_hot(): Class values must be non-negative (got {lo}).")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise RuntimeError(f"one_hot(): Class values must be smaller than num_classes "
                               f"(got {hi} with num_classes={num_classes}).")
    elif num_classes == -1:
        raise RuntimeError("one_hot(): Can not infer total number of classes from empty tensor.")
    if num_classes < 0:
        raise RuntimeError(f"one_hot(): num_classes should be -1 or non-negative, got "
                           f"{num_classes}")
    classes = xp.arange(num_classes, dtype=np.int64)
    return Tensor._make((arr[..., None] == classes).astype(np.int64))


TENSOR_METHODS = {
    "masked_fill": masked_fill,
    "masked_select": masked_select,
    "nonzero": nonzero,
    "argwhere": argwhere,
}
FUNCTIONS = {"one_hot": one_hot}
