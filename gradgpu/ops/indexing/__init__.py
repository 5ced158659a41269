"""Indexing ops: ``x[key]`` and ``x[key] = value``, gather/scatter, index_select/index_add,
masked_fill/masked_select, nonzero, one_hot.

A key is parsed once into an ``_Index``: a basic part (ints, slices, None) applied first as a
view, then an advanced part (integer arrays; bool masks become their nonzero() arrays) applied
to that view with NumPy's rules. Applying the ints first is PyTorch's order: ``x[0, :, [0, 1]]``
has shape ``[x.size(1), 2]`` (NumPy would put the advanced dim first). Every index is checked
against the tensor's shape before any array is touched.

Backward of an advanced index accumulates (``x[[0, 0]]`` sends 2 * g to x[0]) through the
backend's ``index_put_add`` / ``scatter_add`` kernels.
"""

from __future__ import annotations

from . import copying, gather_scatter, inplace_variants, masking, reducing, subscript
from .copying import index_copy, index_copy_, masked_scatter, masked_scatter_
from .gather_scatter import (
    Gather,
    IndexAdd,
    IndexSelect,
    Scatter,
    ScatterAdd,
    gather,
    index_add,
    index_select,
    scatter,
    scatter_add,
    take,
    take_along_dim,
)
from .inplace_variants import index_add_, index_put_, masked_fill_, scatter_, scatter_add_
from .masking import argwhere, masked_fill, masked_select, nonzero, one_hot
from .reducing import (
    ScatterReduce,
    index_reduce,
    index_reduce_,
    scatter_reduce,
    scatter_reduce_,
)
from .subscript import Index, IndexAccumulate, IndexPut, getitem, index_put, setitem

__all__ = [
    "Gather", "gather", "ScatterAdd", "scatter_add", "Scatter", "scatter", "take_along_dim",
    "IndexSelect", "index_select", "IndexAdd", "index_add", "take", "masked_fill_", "index_add_",
    "index_put_", "scatter_", "scatter_add_", "masked_fill", "masked_select", "nonzero",
    "argwhere", "one_hot", "Index", "IndexAccumulate", "getitem", "IndexPut", "setitem",
    "index_put", "index_copy", "index_copy_", "masked_scatter", "masked_scatter_",
    "ScatterReduce", "scatter_reduce", "scatter_reduce_", "index_reduce", "index_reduce_",
]

TENSOR_METHODS = {
    **subscript.TENSOR_METHODS, **gather_scatter.TENSOR_METHODS, **masking.TENSOR_METHODS,
    **inplace_variants.TENSOR_METHODS, **copying.TENSOR_METHODS, **reducing.TENSOR_METHODS,
}
FUNCTIONS = {**masking.FUNCTIONS}
