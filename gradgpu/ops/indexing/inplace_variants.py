"""The in-place forms of the indexing ops: masked_fill_, index_add_, index_put_, scatter_ and
scatter_add_."""

from __future__ import annotations

import numbers

from .. import inplace
from .._common import Tensor, check_tensor, index_bounds, same_device, wrap_dim, xp_of
from .gather_scatter import index_add, scatter, scatter_add
from .masking import masked_fill
from .subscript import index_put


# ---- in-place variants ----------------------------------------------------------------------
def _inplace_variant(name: str, fn):
    """``self.<name>(...)``: the out-of-place op's result written into self (PyTorch's
    in-place autograd rules: leaf check, version bump, self takes over the new history)."""

    def op(self, *args, **kwargs):
        inplace._check_writable(self, name)
        return inplace.commit(self, fn(self, *args, **kwargs), name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{name[:-1]}``; returns self."
    return op


masked_fill_ = _inplace_variant("masked_fill_", masked_fill)
index_add_ = _inplace_variant("index_add_", index_add)
index_put_ = _inplace_variant("index_put_", index_put)
scatter_ = _inplace_variant("scatter_", scatter)
scatter_add_ = _inplace_variant("scatter_add_", scatter_add)


TENSOR_METHODS = {
    "masked_fill_": masked_fill_,
    "index_add_": index_add_,
    "index_put_": index_put_,
    "scatter_": scatter_,
    "scatter_add_": scatter_add_,
}


# ---- index_fill -----------------------------------------------------------------------------
def index_fill(input, dim: int, index, value):
    """``input`` with ``value`` (a number or 0-d tensor) in the slices at ``index`` along
    ``dim`` (negative indices wrap); composed as masked_fill with a broadcast slice mask, so
    dinput = g outside the slices and dvalue = the sum of g inside them."""
    check_tensor(input, "index_fill")
    if not isinstance(index, Tensor):
        raise TypeError(f"index_fill(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    if not isinstance(value, (Tensor, numbers.Number)):
        raise TypeError(f"index_fill(): argument 'value' must be Number or Tensor, not "
                        f"{type(value).__name__}")
    same_device("index_fill", input, index)
    if index._data.dtype.name != "int64":
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index._data.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    nd = input._data.ndim
    d = wrap_dim(dim, max(nd, 1), "index_fill")
    size = input._data.shape[d] if nd else 1
    if index._data.size:  # one host read of min and max (a sync on the GPU), as index_select
        for bad in index_bounds(index._data):
            if not -size <= bad < size:
                raise IndexError(f"index {bad} is out of bounds for dimension {d} with size "
                                 f"{size}")
    xp = xp_of(input)
    mask = xp.zeros(size, dtype=bool)
    mask[index._data.reshape(-1)] = True
    shape = [1] * nd
    if nd:
        shape[d] = size
    mask = Tensor._make(mask.reshape(shape))
    return masked_fill(input, mask, value)


index_fill_ = _inplace_variant("index_fill_", index_fill)
TENSOR_METHODS.update({"index_fill": index_fill, "index_fill_": index_fill_})
