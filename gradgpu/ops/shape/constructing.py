"""Tensors built from the elements of others: block_diag, cartesian_prod, combinations,
atleast_1d/2d/3d, diagflat, vander, and unravel_index (integer coordinates).

The differentiable ones are compositions of reshape/expand/cat/stack, index_select and cumprod,
so they run on every backend and support create_graph. Index tables (combinations) depend only
on shapes and are built with array ops on the input's device."""

from __future__ import annotations

import math
import operator

import numpy as np

from ... import _dtypes
from .._common import Tensor, check_tensor, same_device, xp_of
from .joining import cat, stack
from .reorder import DiagEmbed, flip
from .views import expand, reshape


def _tensor_args(tensors, op: str) -> list:
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    same_device(op, *tensors)
    return list(tensors)


def block_diag(*tensors) -> Tensor:
    """The tensors (0-d as 1x1, 1-d as one row) placed on the diagonal of a block matrix,
    zeros elsewhere, dtypes promoted;  d tensor_i = its block of g."""
    ts = _tensor_args(tensors, "block_diag")
    if not ts:
        return Tensor._make(np.zeros((1, 0), dtype=_dtypes.get_default_dtype().np))
    for i, t in enumerate(ts):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t._data.ndim} dimensions")
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = _dtypes.promote_types(dt, t.dtype)
    mats = [reshape(t, (1, -1) if t._data.ndim < 2 else t._data.shape) for t in ts]
    mats = [m if m.dtype is dt else m.to(dt) for m in mats]
    cols = sum(m._data.shape[1] for m in mats)
    xp = xp_of(ts[0])
    rows, left = [], 0
    for m in mats:
        r, c = m._data.shape
        pad_l = Tensor._make(xp.zeros((r, left), dtype=dt.np))
        pad_r = Tensor._make(xp.zeros((r, cols - left - c), dtype=dt.np))
        rows.append(cat([pad_l, m, pad_r], 1))
        left += c
    return cat(rows, 0)


def _check_vector(t, op: str) -> None:
    check_tensor(t, op)
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")


def cartesian_prod(*tensors) -> Tensor:
    """Every tuple (a_i, b_j, ...) of elements of the 1-D tensors, in row-major order, as the
    rows of a (prod n_k, k) tensor (one tensor: itself);  d input_k = g's column k summed back
    over the repeats."""
    ts = _tensor_args(tensors, "cartesian_prod")
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in ts:
        _check_vector(t, "cartesian_prod")
    if len(ts) == 1:
        return ts[0]
    if any(t._data.dtype != ts[0]._data.dtype for t in ts):
        raise RuntimeError(f"meshgrid expects all tensors to have the same dtype (got "
                           f"{', '.join(str(t.dtype) for t in ts)})")
    sizes = tuple(t._data.shape[0] for t in ts)
    cols = []
    for k, t in enumerate(ts):
        lone = tuple(s if i == k else 1 for i, s in enumerate(sizes))
        cols.append(reshape(expand(reshape(t, lone), sizes), -1))
    return stack(cols, 1)


def combinations(input, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-r combinations of the elements of a 1-D tensor (itertools order), as the rows
    of a (C, r) tensor;  dx = g's entries added back at their elements."""
    from ..indexing.gather_scatter import IndexSelect

    _check_vector(input, "combinations")
    r = operator.index(r)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    xp = xp_of(input)
    if r == 0:
        return Tensor._make(xp.empty((0,), dtype=input._data.dtype))
    table = _combination_table(xp, input._data.shape[0], r, with_replacement)
    index = Tensor._make(table.reshape(-1))
    # IndexSelect without index_select's bounds check: the table is in range by construction
    return reshape(IndexSelect.apply(input, 0, index), table.shape)


def _combination_table(xp, n: int, r: int, with_replacement: bool):
    """The (C, r) int64 table of itertools' combinations of range(n), built on the device with
    array ops: column by column, each prefix row ending in a extended by every allowed b
    (b > a, or b >= a with replacement; without replacement b <= n - r + k, so that the prefix
    can still be completed). Row counts come from math.comb on the host (no sync)."""
    rep = 1 if with_replacement else 0  # b starts at a + 1 - rep
    first = n if with_replacement else n - r + 1
    table = xp.arange(max(first, 0), dtype=np.int64).reshape(-1, 1)
    for k in range(1, r):
        last = table[:, -1]
        top = n - 1 if with_replacement else n - r + k  # largest value allowed in column k
        counts = xp.maximum(top + rep - last, 0)
        rows = (math.comb(n + k, k + 1) if with_replacement
                else math.comb(max(n - r + k + 1, 0), k + 1))
        ends = xp.cumsum(counts)
        pos = xp.arange(rows, dtype=np.int64)
        parent = xp.searchsorted(ends, pos, side="right")
        new = last[parent] + (1 - rep) + pos - (ends[parent] - counts[parent])
        table = xp.concatenate([table[parent], new.reshape(-1, 1)], axis=1)
    return table


def _atleast(tensors, op: str, fix):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fix(tensors[0])
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor or a sequence of Tensors, but got "
                            f"{type(t).__name__} at position {i}")
    return tuple(fix(t) for t in tensors)


def atleast_1d(*tensors):
    """Each tensor as is if it has a dim, a 0-d one as shape (1,) (a view); one tensor gives a
    tensor, several (or a sequence) a tuple."""
    return _atleast(tensors, "atleast_1d", lambda t: reshape(t, 1) if t._data.ndim == 0 else t)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: () -> (1, 1), (n,) -> (1, n) (views)."""
    return _atleast(tensors, "atleast_2d",
                    lambda t: reshape(t, 1, -1) if t._data.ndim < 2 else t)


def _to_3d(t):
    nd = t._data.ndim
    if nd == 0:
        return reshape(t, 1, 1, 1)
    if nd == 1:
        return reshape(t, 1, -1, 1)
    return reshape(t, t._data.shape + (1,)) if nd == 2 else t


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: () -> (1, 1, 1), (n,) -> (1, n, 1),
    (m, n) -> (m, n, 1) (views)."""
    return _atleast(tensors, "atleast_3d", _to_3d)


def diagflat(input, offset: int = 0) -> Tensor:
    """The flattened input on diagonal ``offset`` of a square matrix, zeros elsewhere;
    dx = that diagonal of g, reshaped back."""
    check_tensor(input, "diagflat")
    return DiagEmbed.apply(reshape(input, -1), operator.index(offset))


def vander(x, N=None, increasing: bool = False) -> Tensor:
    """Vandermonde matrix: y[i, j] = x_i^(N-1-j) (x_i^j when increasing), as a cumulative
    product of x so that x = 0 has finite gradients; integer and bool x give int64."""
    from ..reduction import cumprod

    check_tensor(x, "vander", "x")
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0]
    N = n if N is None else operator.index(N)
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    if x._data.dtype.kind in "biu":
        x = x.to(_dtypes.int64)
    xp = xp_of(x)
    if N == 0:
        return Tensor._make(xp.empty((n, 0), dtype=x._data.dtype))
    ones = Tensor._make(xp.ones((n, 1), dtype=x._data.dtype))
    if N == 1:
        return ones
    powers = cumprod(cat([ones, expand(reshape(x, n, 1), (n, N - 1))], 1), 1)
    return powers if increasing else flip(powers, (1,))


def unravel_index(indices, shape) -> tuple:
    """The coordinates (one int64 tensor per dim of ``shape``, each shaped like ``indices``)
    of flat indices into a tensor of ``shape``: c_k = (i // prod(shape[k+1:])) % shape[k]
    (PyTorch's formula: indices out of range wrap around, no check)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"unravel_index(): expected 'indices' to be a Tensor, but got "
                        f"{type(indices).__name__}")
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, (list, tuple)):
        for s in shape:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise TypeError(f"expected 'shape' sequence to only contain ints, but got "
                                f"{type(s)}")
        shape = tuple(int(s) for s in shape)
    else:
        try:
            shape = (operator.index(shape),)
        except TypeError:
            raise TypeError(f"expected 'shape' to be int or sequence of ints, but got "
                            f"{type(shape)}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    if 0 in shape and indices._data.size:
        raise RuntimeError(f"unravel_index(): ZeroDivisionError: shape {shape} has a "
                           "zero-size dimension")
    xp = xp_of(indices)
    flat = indices._data.astype(np.int64)
    return tuple(Tensor._make(xp.mod(xp.floor_divide(flat, math.prod(shape[k + 1:])), s))
                 for k, s in enumerate(shape))


TENSOR_METHODS = {"diagflat": diagflat}
FUNCTIONS = {
    name: globals()[name]
    for name in ("block_diag cartesian_prod combinations atleast_1d atleast_2d atleast_3d "
                 "vander unravel_index").split()
}
