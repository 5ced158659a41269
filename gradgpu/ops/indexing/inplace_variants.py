"""The in-place forms of the indexing ops: masked_fill_, index_add_, index_put_, scatter_ and
scatter_add_."""

from __future__ import annotations

from .. import inplace
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
