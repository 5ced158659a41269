"""``x[key]``, ``x[key] = value`` and index_put, on keys parsed by ``keys._parse``."""

from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import _state
from .. import inplace
from .._common import Tensor, same_device, xp_of
from ..shape import Slice, reshape
from .keys import _host_or_device, _Index, _parse


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
        ctx.index.check_unchanged()
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
        ctx.index.check_unchanged()
        return Index.apply(gg, ctx.index), None, None


def _getitem(x: Tensor, index: _Index) -> Tensor:
    if index.adv is None:
        out = Slice.apply(x, index.basic)
        if index.copy:
            from ..conversion import clone

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
        ctx.index.check_unchanged()
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
        if index.adv is not None:  # PyTorch's index_put casts nothing (basic keys copy_)
            raise RuntimeError(f"{op}: Index put requires the source and destination dtypes "
                               f"match, got {x.dtype} for the destination and {value.dtype} "
                               "for the source.")
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


TENSOR_METHODS = {"__getitem__": getitem, "__setitem__": setitem, "index_put": index_put}
