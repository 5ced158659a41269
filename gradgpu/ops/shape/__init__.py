"""View and shape ops: reshape/view, expand, permute/transpose, (un)squeeze, flatten, the
``sum_to_shape`` reduction every broadcasting backward relies on; slicing views (narrow, select,
split, chunk, unbind, diagonal), repeat/tile/repeat_interleave, cat/stack, flip/roll, tril/triu;
products built from reshapes (kron, tensordot, inner, vdot), constructors (block_diag,
cartesian_prod, combinations, atleast_nd, vander), the *_scatter ops, as_strided/empty_strided.

Views share the input's array (and version counter), like PyTorch's views. Every slicing view
goes through one op, ``Slice``, whose backward ``SliceScatter`` is itself differentiable.
"""

from __future__ import annotations

from . import (
    constructing,
    joining,
    products,
    reorder,
    scatters,
    slicing,
    splitting,
    strided,
    views,
)
from .joining import (
    Cat,
    Repeat,
    cat,
    concat,
    concatenate,
    hstack,
    repeat,
    repeat_interleave,
    row_stack,
    stack,
    tile,
    vstack,
)
from .reorder import (
    DiagEmbed,
    Diagonal,
    DiagonalScatter,
    Flip,
    Roll,
    Triangle,
    diag,
    diagonal,
    flip,
    fliplr,
    flipud,
    roll,
    tril,
    triu,
)
from .scatters import ViewScatter
from .slicing import Slice, SliceScatter, chunk, narrow, select, split, unbind
from .splitting import dsplit, hsplit, tensor_split, vsplit
from .strided import AsStrided
from .views import (
    Contiguous,
    Expand,
    Permute,
    Reshape,
    T,
    broadcast_tensors,
    broadcast_to,
    contiguous,
    expand,
    expand_as,
    flatten,
    movedim,
    mT,
    permute,
    reshape,
    reshape_as,
    squeeze,
    sum_to_shape,
    swapaxes,
    swapdims,
    t,
    transpose,
    unflatten,
    unsqueeze,
    view,
    view_as,
)

__all__ = [
    "Repeat", "repeat", "tile", "repeat_interleave", "Cat", "cat", "concat", "concatenate",
    "stack", "hstack", "vstack", "row_stack", "Flip", "flip", "fliplr", "flipud", "Roll", "roll",
    "Triangle", "tril", "triu", "Diagonal", "DiagonalScatter", "diagonal", "DiagEmbed", "diag",
    "Slice", "SliceScatter", "narrow", "select", "split", "chunk", "unbind", "Reshape", "reshape",
    "view", "view_as", "reshape_as", "flatten", "unflatten", "Expand", "expand", "expand_as",
    "broadcast_to", "broadcast_tensors", "Permute", "permute", "transpose", "swapaxes",
    "swapdims", "t", "T", "mT", "movedim", "unsqueeze", "squeeze", "sum_to_shape", "Contiguous",
    "contiguous", "tensor_split", "hsplit", "vsplit", "dsplit",
    "AsStrided", "ViewScatter",
]

TENSOR_METHODS = {
    **views.TENSOR_METHODS, **slicing.TENSOR_METHODS, **joining.TENSOR_METHODS,
    **reorder.TENSOR_METHODS, **splitting.TENSOR_METHODS, **products.TENSOR_METHODS,
    **constructing.TENSOR_METHODS, **scatters.TENSOR_METHODS, **strided.TENSOR_METHODS,
}
FUNCTIONS = {**joining.FUNCTIONS, **views.FUNCTIONS, **products.FUNCTIONS,
             **constructing.FUNCTIONS, **strided.FUNCTIONS}
