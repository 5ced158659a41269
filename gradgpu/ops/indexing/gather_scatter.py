"""Ops along a dim by an index tensor: gather, scatter/scatter_add, take_along_dim,
index_select/index_add, and take."""

from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from .._common import Tensor, backend_of, index_bounds, same_device, wrap_dim, xp_of
from ..shape import SliceScatter, expand, reshape
from .subscript import getitem


# ---- gather / scatter ---------------------------------------------------------------------
def _check_index_tensor(index, op: str, allow=("int64", "int32")):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype.name not in allow:
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {index.dtype}")


def _check_along_dim(op: str, input, dim, index, src=None) -> int:
    """PyTorch's gather/scatter shape and range rules; returns the normalized dim."""
    _check_index_tensor(index, op)
    same_device(op, input, index, src)
    nd = input._data.ndim
    d = wrap_dim(dim, nd, op)
    ind = index._data
    if max(ind.ndim, 1) != max(nd, 1):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"input tensor (got {ind.ndim} and {nd})")
    ishape = ind.shape if ind.ndim else (1,)
    xshape = input._data.shape if nd else (1,)
    sshape = None
    if isinstance(src, Tensor):
        sshape = src._data.shape if src._data.ndim else (1,)
        if len(sshape) != len(ishape):
            raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions "
                               f"as src tensor (got {ind.ndim} and {src._data.ndim})")
    if ind.size:
        for j in range(len(ishape)):
            if (j != d and ishape[j] > xshape[j]) or (sshape and ishape[j] > sshape[j]):
                raise RuntimeError(
                    f"{op}(): Size does not match at dimension {j}: expected index "
                    f"{list(index.shape)} to be no larger than self {list(input.shape)} apart "
                    f"from dimension {d}"
                    + (f" and to be no larger than src {list(src.shape)}" if sshape else "")
                )
        lo, hi = index_bounds(ind)
        for bad in (lo, hi):
            if not 0 <= bad < xshape[d]:
                raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {d} "
                                   f"with size {xshape[d]}")
    return d


def _along(arr):
    return arr if arr.ndim else arr.reshape(1)


class Gather(Function):
    """y[i][j] = x[i][index[i][j]] (dim 1; likewise for any dim);
    dx = scatter_add(zeros, dim, index, g)"""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape = x._data.shape
        ctx.dim = dim
        ctx.save_for_backward(index)
        be = backend_of(x._data)
        out = _along(x._data)[be.along_dim_key(_along(index._data), dim)]
        return out.reshape(index._data.shape)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        zeros = Tensor._make(xp_of(g).zeros(ctx.in_shape, dtype=g._data.dtype))
        return ScatterAdd.apply(zeros, ctx.dim, index, g), None, None


def gather(input, dim: int, index, *, sparse_grad: bool = False):
    """Values of ``input`` picked along ``dim`` at ``index`` (output shaped like index)."""
    d = _check_along_dim("gather", input, dim, index)
    return Gather.apply(input, d, index)


def _src_block(src, index):
    """The leading block of src that index addresses (src may be larger than index)."""
    arr = _along(src._data)
    ishape = _along(index._data).shape
    if arr.shape != ishape:
        arr = arr[tuple(slice(0, s) for s in ishape)]
    return arr


def _src_grad(g, dim, index, src):
    """d src of a scatter: g gathered at index, zero-padded to src's shape."""
    picked = Gather.apply(g, dim, index)
    if picked._data.shape == src._data.shape:
        return picked
    key = tuple(slice(0, s) for s in index._data.shape) + (Ellipsis,)
    return SliceScatter.apply(picked, src._data.shape, key)


class ScatterAdd(Function):
    """y = x with src[i][j] added at y[index[i][j]][j] (dim 0), summing repeats;
    dx = g,  dsrc = gather(g, dim, index)"""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.save_for_backward(index, src)
        out = x._data.copy()
        be = backend_of(out)
        be.scatter_add(_along(out), dim, _along(index._data), _src_block(src, index))
        return out

    @staticmethod
    def backward(ctx, g):
        index, src = ctx.saved_tensors
        need = ctx.needs_input_grad
        gsrc = _src_grad(g, ctx.dim, index, src) if need[3] else None
        return (g if need[0] else None), None, None, gsrc


def scatter_add(input, dim: int, index, src):
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats summed)."""
    d = _check_along_dim("scatter_add", input, dim, index, src)
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(f"scatter_add(): Expected self.dtype to be equal to src.dtype "
                           f"(got {input.dtype} and {src.dtype})")
    return ScatterAdd.apply(input, d, index, src)


class Scatter(Function):
    """y = x with y[index[i][j]][j] = src[i][j] (dim 0);  dx = g zeroed where written,
    dsrc = gather(g, dim, index)"""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.save_for_backward(index, src if isinstance(src, Tensor) else None)
        out = x._data.copy()
        be = backend_of(out)
        key = be.along_dim_key(_along(index._data), dim)
        _along(out)[key] = _src_block(src, index) if isinstance(src, Tensor) else src
        return out

    @staticmethod
    def backward(ctx, g):
        index, src = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = Scatter.apply(g, ctx.dim, index, 0.0) if need[0] else None
        gsrc = _src_grad(g, ctx.dim, index, src) if need[3] else None
        return gx, None, None, gsrc


def scatter(input, dim: int, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (a tensor, or a number) written at ``index`` along
    ``dim``. With repeated indices, which write wins is unspecified (as in PyTorch)."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected 'src' (a Tensor) or 'value' (a number)")
    if reduce is not None:
        if reduce != "add" or not isinstance(src, Tensor):
            raise RuntimeError(f"scatter(): reduce={reduce!r} is not supported; use "
                               "scatter_add or scatter_reduce")
        return scatter_add(input, dim, index, src)
    d = _check_along_dim("scatter", input, dim, index, src)
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype "
                               f"(got {input.dtype} and {src.dtype})")
    elif not isinstance(src, (int, float, bool, np.number, np.bool_)):
        raise TypeError(f"scatter(): src must be a Tensor or a number, not "
                        f"{type(src).__name__}")
    return Scatter.apply(input, d, index, src)


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (the flattened input when None); the
    two broadcast against each other in every other dim."""
    _check_index_tensor(indices, "take_along_dim", allow=("int64",))
    same_device("take_along_dim", input, indices)
    if dim is None:
        return gather(reshape(input, -1), 0, _wrapped(reshape(indices, -1), input._data.size))
    nd = input._data.ndim
    if indices._data.ndim != nd:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {nd} and {indices._data.ndim}")
    d = wrap_dim(dim, nd, "take_along_dim")
    xs, ids = list(input._data.shape), list(indices._data.shape)
    xs[d] = ids[d] = 1
    try:
        b = np.broadcast_shapes(tuple(xs), tuple(ids))
    except ValueError:
        raise RuntimeError(
            f"take_along_dim(): shapes {list(input.shape)} and {list(indices.shape)} cannot be "
            f"broadcast apart from dim {d}"
        ) from None
    in_shape = b[:d] + (input._data.shape[d],) + b[d + 1:]
    ix_shape = b[:d] + (indices._data.shape[d],) + b[d + 1:]
    indices = _wrapped(indices, input._data.shape[d])
    return gather(expand(input, in_shape), d, expand(indices, ix_shape))


def _wrapped(indices, size: int):
    """Negative indices counted from the end (take_along_dim allows them, gather does not);
    one select on the array, no host sync."""
    idx = indices._data
    return Tensor._make(xp_of(indices).where(idx < 0, idx + size, idx))


# ---- index_select / index_add -------------------------------------------------------------
def _check_vector_index(op: str, input, dim, index) -> int:
    _check_index_tensor(index, op)
    same_device(op, input, index)
    if index._data.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape "
                         f"{list(index.shape)}")
    nd = input._data.ndim
    d = wrap_dim(dim, nd, op)
    size = input._data.shape[d] if nd else 1
    if index._data.size:
        lo, hi = index_bounds(index._data)
        for bad in (lo, hi):
            if not 0 <= bad < size:
                raise IndexError(f"{op}(): index {bad} is out of range for dimension {d} with "
                                 f"size {size} (input shape {list(input.shape)})")
    return d


class IndexSelect(Function):
    """y = x[..., index, ...] along dim;  dx = index_add(zeros, dim, index, g)"""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape = x._data.shape
        ctx.dim = dim
        ctx.save_for_backward(index)
        return xp_of(x).take(x._data, index._data.reshape(-1), axis=dim)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        zeros = Tensor._make(xp_of(g).zeros(ctx.in_shape, dtype=g._data.dtype))
        return IndexAdd.apply(zeros, ctx.dim, index, g, 1), None, None


def index_select(input, dim: int, index):
    """The slices of ``input`` at ``index`` (a vector of positions) along ``dim``."""
    d = _check_vector_index("index_select", input, dim, index)
    if input._data.ndim == 0:
        return reshape(IndexSelect.apply(reshape(input, 1), 0, index), index._data.shape)
    return IndexSelect.apply(input, d, index)


class IndexAdd(Function):
    """y = x with alpha * source[..., i, ...] added at x[..., index[i], ...] (repeats summed);
    dx = g,  dsource = alpha * index_select(g, dim, index)"""

    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        ctx.dim = dim
        ctx.alpha = alpha
        ctx.save_for_backward(index)
        out = x._data.copy()
        src = source._data if alpha == 1 else source._data * alpha
        key = (slice(None),) * dim + (index._data.reshape(-1),)
        backend_of(out).index_put_add(out, key, src)
        return out

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        need = ctx.needs_input_grad
        gs = None
        if need[3]:
            gs = IndexSelect.apply(g, ctx.dim, index)
            if ctx.alpha != 1:
                gs = gs * ctx.alpha
        return (g if need[0] else None), None, None, gs, None


def index_add(input, dim: int, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim``."""
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool):
        raise TypeError(f"index_add(): alpha must be a number, not {type(alpha).__name__}")
    same_device("index_add", input, index, source)
    d = _check_vector_index("index_add", input, dim, index)
    want = list(input._data.shape)
    if want:
        want[d] = index._data.size
    if list(source._data.shape) != want:
        raise RuntimeError(f"index_add(): source shape {list(source.shape)} must be the input "
                           f"shape {list(input.shape)} with dimension {d} of size "
                           f"{index._data.size} (the index length)")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_add(): self ({input.dtype}) and source ({source.dtype}) "
                           "must have the same scalar type")
    if input._data.ndim == 0:
        return reshape(index_add(reshape(input, 1), 0, index, reshape(source, 1), alpha=alpha),
                       ())
    return IndexAdd.apply(input, d, index, source, alpha)


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (output shaped like index)."""
    if not isinstance(index, Tensor) or index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{index.dtype if isinstance(index, Tensor) else type(index).__name__}")
    return getitem(reshape(input, -1), index)


TENSOR_METHODS = {
    "gather": gather,
    "scatter": scatter,
    "scatter_add": scatter_add,
    "take_along_dim": take_along_dim,
    "index_select": index_select,
    "index_add": index_add,
    "take": take,
}
