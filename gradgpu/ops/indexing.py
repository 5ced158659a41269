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

import warnings

import numpy as np

from .. import _dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend import NUMPY
from . import elementwise as ew
from . import inplace
from ._common import Tensor, backend_of, same_device, wrap_dim, xp_of
from .shape import Slice, SliceScatter, expand, reshape

_INDEX_DTYPE_ERROR = "tensors used as indices must be long, int, byte or bool tensors"


# ---- parsing a key ----------------------------------------------------------------------------
class _Index:
    """A parsed key: ``basic`` (a view key) then ``adv`` (an advanced key, or None)."""

    __slots__ = ("basic", "adv", "copy")

    def __init__(self, basic: tuple, adv: tuple | None, copy: bool) -> None:
        self.basic = basic
        self.adv = adv
        self.copy = copy  # a 0-d int tensor index: PyTorch gives a copy, not a view

    def take(self, arr):
        view = arr[self.basic]
        return view if self.adv is None else view[self.adv]

    def put(self, arr, values) -> None:
        view = arr[self.basic]
        if self.adv is None:
            view[...] = values
        else:
            view[self.adv] = values

    def accumulate(self, arr, values) -> None:
        """arr[key] += values, summing over repeated indices."""
        view = arr[self.basic]
        if self.adv is None:
            view += values
        else:
            backend_of(arr).index_put_add(view, self.adv, values)


def _host_or_device(arr, like):
    """``arr`` (a host or device index array) on the backend of the array ``like``."""
    if type(arr) is type(like):
        return arr
    be = backend_of(like)
    host = arr if isinstance(arr, np.ndarray) else NUMPY.from_foreign(arr)
    return host if be is NUMPY else be.asarray(host)


def _index_array(k, x):
    """An index entry that is a tensor, ndarray or sequence, as an array on x's backend
    (int64 or bool); a 0-d int becomes a Python int."""
    if isinstance(k, Tensor):
        arr = k._data
    elif isinstance(k, np.ndarray):
        arr = k
    else:
        if any(isinstance(v, (Tensor, slice)) or v is None or v is Ellipsis for v in k):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices inside an index list; use a "
                             f"tuple for multi-dimensional indexing (got {k!r})")
        arr = np.asarray(k)
        if arr.size == 0:
            arr = arr.astype(np.int64)
    kind = arr.dtype.kind
    if kind == "u" and arr.dtype.itemsize == 1:
        warnings.warn("indexing with dtype uint8 is deprecated, please use a dtype bool "
                      "instead.", UserWarning, stacklevel=4)
        arr = arr.astype(bool)
        kind = "b"
    if kind not in "iub":
        raise IndexError(f"{_INDEX_DTYPE_ERROR} (got dtype {arr.dtype})")
    if kind != "b" and arr.ndim == 0 and isinstance(k, Tensor):
        return int(arr)
    return _host_or_device(arr, x._data)


def _check_int(i: int, d: int, size: int) -> None:
    if not -size <= i < size:
        raise IndexError(f"index {i} is out of bounds for dimension {d} with size {size}")


def _check_array(arr, d: int, size: int) -> None:
    if arr.size == 0:
        return
    lo, hi = int(arr.min()), int(arr.max())
    if hi >= size:
        _check_int(hi, d, size)
    if lo < -size:
        _check_int(lo, d, size)


def _parse(x: Tensor, key) -> _Index:
    """Validate ``key`` against x's shape and split it into basic and advanced parts."""
    if not isinstance(key, tuple):
        key = (key,)
    entries = []  # (kind, value, dims consumed)
    copy = False
    for k in key:
        if k is None:
            entries.append(("new", None, 0))
        elif k is Ellipsis:
            entries.append(("ellipsis", None, 0))
        elif isinstance(k, (bool, np.bool_)):
            entries.append(("bool", bool(k), 0))
        elif isinstance(k, (int, np.integer)):
            entries.append(("int", int(k), 1))
        elif isinstance(k, slice):
            k = slice(*(None if v is None else _as_int(v) for v in (k.start, k.stop, k.step)))
            if k.step is not None and k.step <= 0:
                raise ValueError(f"step must be greater than zero (got slice step {k.step}; "
                                 "use flip() to reverse)")
            entries.append(("slice", k, 1))
        elif isinstance(k, (Tensor, np.ndarray, list, tuple)):
            arr = _index_array(k, x)
            if isinstance(arr, int):
                entries.append(("int", arr, 1))
                copy = True
            elif arr.dtype.kind == "b":
                if arr.ndim == 0:
                    entries.append(("bool", bool(arr), 0))
                else:
                    entries.append(("mask", arr, arr.ndim))
            else:
                entries.append(("array", arr, 1))
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(k).__name__})")
    nd = x._data.ndim
    n_ellipsis = sum(e[0] == "ellipsis" for e in entries)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(e[2] for e in entries)
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd} (got {used} indices "
                         f"for shape {list(x.shape)})")
    shape = x._data.shape
    basic, adv = [], []
    has_adv = False
    d = 0
    for kind, v, _ in entries:
        if kind == "ellipsis":
            fill = nd - used
            basic.extend([slice(None)] * fill)
            adv.extend([slice(None)] * fill)
            d += fill
        elif kind == "new":
            basic.append(None)
            adv.append(slice(None))
        elif kind == "bool":  # x[True] adds a dim of 1, x[False] a dim of 0
            basic.append(None)
            if v:
                adv.append(slice(None))
            else:
                adv.append(xp_of(x).zeros((0,), dtype=np.int64))
                has_adv = True
        elif kind == "int":
            _check_int(v, d, shape[d])
            basic.append(v)
            d += 1
        elif kind == "slice":
            basic.append(v)
            adv.append(slice(None))
            d += 1
        elif kind == "array":
            _check_array(v, d, shape[d])
            basic.append(slice(None))
            adv.append(v)
            has_adv = True
            d += 1
        else:  # mask: covers v.ndim dims, which must match exactly
            k = v.ndim
            for j in range(k):
                if v.shape[j] != shape[d + j]:
                    raise IndexError(
                        f"The shape of the mask {list(v.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {list(shape)} at index {d + j}"
                    )
            basic.extend([slice(None)] * k)
            adv.extend(v.nonzero())
            has_adv = True
            d += k
    basic.append(Ellipsis)  # trailing dims, and a 0-d view rather than a scalar
    return _Index(tuple(basic), tuple(adv) if has_adv else None, copy)


def _as_int(v) -> int:
    if isinstance(v, Tensor):
        return v.__index__()
    return int(v) if isinstance(v, (int, np.integer)) else v.__index__()


# ---- getitem ------------------------------------------------------------------------------
class Index(Function):
    """y = x[key] with advanced indices (a copy);  dx = zeros with g added at key (repeated
    indices accumulate)"""

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape = x._data.shape
        ctx.index = index
        return index.take(x._data)

    @staticmethod
    def backward(ctx, g):
        return IndexAccumulate.apply(g, ctx.in_shape, ctx.index), None


class IndexAccumulate(Function):
    """y = zeros(shape) with g summed in at key;  dg = dy[key]"""

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = xp_of(g).zeros(shape, dtype=g._data.dtype)
        index.accumulate(out, g._data)
        return out

    @staticmethod
    def backward(ctx, gg):
        return Index.apply(gg, ctx.index), None, None


def _getitem(x: Tensor, index: _Index) -> Tensor:
    if index.adv is None:
        out = Slice.apply(x, index.basic)
        if index.copy:
            from .conversion import clone

            return clone(out)
        return out
    return Index.apply(x, index)


def getitem(self, key):
    """``self[key]``: basic keys (ints, slices, None, ...) give views; integer tensors/lists
    and bool masks give copies (NumPy/PyTorch advanced indexing)."""
    return _getitem(self, _parse(self, key))


# ---- setitem / index_put --------------------------------------------------------------------
class IndexPut(Function):
    """y = x with y[key] = v (or += v when accumulating);  dx = g with zeros at key (g when
    accumulating),  dv = g[key]"""

    @staticmethod
    def forward(ctx, x, value, index, accumulate):
        ctx.index = index
        ctx.accumulate = accumulate
        out = x._data.copy()
        v = value._data if isinstance(value, Tensor) else value
        if accumulate:
            index.accumulate(out, xp_of(x).broadcast_to(v, index.take(out).shape))
        else:
            index.put(out, v)
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = gv = None
        if need[0]:
            gx = g if ctx.accumulate else IndexPut.apply(g, 0.0, ctx.index, False)
        if need[1]:
            gv = _getitem(g, ctx.index)
        return gx, gv, None, None


def _indexed_shape(x: Tensor, index: _Index) -> tuple:
    """The shape of x[key] without gathering (the view's shape; advanced dims from the
    broadcast index arrays, placed as NumPy places them)."""
    view_shape = x._data[index.basic].shape
    if index.adv is None:
        return view_shape
    arrays = [i for i, a in enumerate(index.adv) if not isinstance(a, slice)]
    bshape = np.broadcast_shapes(*(index.adv[i].shape for i in arrays))
    rest = view_shape[len(index.adv):]
    sliced = [view_shape[i] for i, a in enumerate(index.adv) if isinstance(a, slice)]
    if arrays == list(range(arrays[0], arrays[-1] + 1)):  # adjacent: the dims stay in place
        first = arrays[0]
        return tuple(sliced[:first]) + bshape + tuple(sliced[first:]) + rest
    return bshape + tuple(sliced) + rest


def _value_for(x: Tensor, value, index: _Index, op: str):
    """``value`` as a number or a tensor of x's dtype whose shape broadcasts to x[key]."""
    if isinstance(value, (int, float, bool, np.number, np.bool_)):
        return value
    if not isinstance(value, Tensor):
        if isinstance(value, (list, tuple, np.ndarray)):
            value = Tensor._make(_host_or_device(np.asarray(value), x._data))
        else:
            raise TypeError(f"{op}: can't assign a {type(value).__name__} to a "
                            f"{x.dtype} tensor")
    if value._data.ndim:
        same_device(op, x, value)
    target = _indexed_shape(x, index)
    vshape = tuple(value._data.shape)
    while vshape and vshape[0] == 1 and len(vshape) > len(target):
        vshape = vshape[1:]  # extra leading 1s are allowed (PyTorch strips them)
    ok = len(vshape) <= len(target) and all(
        v in (1, t) for v, t in zip(vshape[::-1], target[::-1])
    )
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot "
                           f"be broadcast to indexing result of shape {list(target)}")
    if vshape != value._data.shape:
        value = reshape(value, vshape)
    if value._data.dtype != x._data.dtype:
        value = value.to(x.dtype)
    return value


def setitem(self, key, value) -> None:
    """``self[key] = value`` (a number or tensor, broadcast), in place, with PyTorch's
    autograd rules: the old values at key get zero gradient, value gets g[key]."""
    inplace._check_writable(self, "setitem")
    index = _parse(self, key)
    value = _value_for(self, value, index, "setitem")
    v_grad = isinstance(value, Tensor) and value._requires_grad
    if _state.enabled and (self._requires_grad or v_grad):
        inplace.commit(self, IndexPut.apply(self, value, index, False), "setitem")
        return
    index.put(self._data, value._data if isinstance(value, Tensor) else value)
    self._version_counter[0] += 1


def index_put(input, indices, values, accumulate: bool = False):
    """A copy of ``input`` with ``input[indices] = values`` (``+=`` with accumulate, summing
    repeated indices)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    index = _parse(input, tuple(indices))
    values = _value_for(input, values, index, "index_put")
    return IndexPut.apply(input, values, index, bool(accumulate))


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
        lo, hi = int(ind.min()), int(ind.max())
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
    _check_index_tensor(indices, "take_along_dim")
    if dim is None:
        return gather(reshape(input, -1), 0, reshape(indices, -1))
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
    return gather(expand(input, in_shape), d, expand(indices, ix_shape))


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
        lo, hi = int(index._data.min()), int(index._data.max())
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
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{index.dtype if isinstance(index, Tensor) else type(index).__name__}")
    return getitem(reshape(input, -1), index)


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
            value = value.to(input.dtype)
    elif input._data.dtype.kind != "f":
        value = np.asarray(value).astype(input._data.dtype).item()  # cast like PyTorch
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
        lo, hi = int(arr.min()), int(arr.max())
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
    "__getitem__": getitem,
    "__setitem__": setitem,
    "gather": gather,
    "scatter": scatter,
    "scatter_add": scatter_add,
    "take_along_dim": take_along_dim,
    "index_select": index_select,
    "index_add": index_add,
    "index_put": index_put,
    "take": take,
    "masked_fill": masked_fill,
    "masked_select": masked_select,
    "nonzero": nonzero,
    "argwhere": argwhere,
    "masked_fill_": masked_fill_,
    "index_add_": index_add_,
    "index_put_": index_put_,
    "scatter_": scatter_,
    "scatter_add_": scatter_add_,
}

FUNCTIONS = {"one_hot": one_hot}
