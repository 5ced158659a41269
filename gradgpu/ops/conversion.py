"""Copies and conversions: ``to`` (dtype and/or device), ``clone``, ``type_as``."""

from __future__ import annotations

from .. import _dtypes
from .._device import device as _device
from ..autograd.function import Function
from ..backend import get_backend
from ._common import Tensor, backend_of


class ToDtype(Function):
    """y = x cast to dtype;  dx = g cast back to x's dtype"""

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.in_dtype = x._data.dtype
        return x._data.astype(np_dtype)

    @staticmethod
    def backward(ctx, g):
        return g.to(_dtypes.from_numpy_dtype(ctx.in_dtype)), None


class ToDevice(Function):
    """y = x copied to another device;  dx = g copied back"""

    @staticmethod
    def forward(ctx, x, target_backend):
        ctx.source = backend_of(x._data)
        return target_backend.from_foreign(x._data)

    @staticmethod
    def backward(ctx, g):
        return ToDevice.apply(g, ctx.source), None


class Clone(Function):
    """y = copy of x;  dx = g"""

    @staticmethod
    def forward(ctx, x):
        return x._data.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input, *, memory_format=None):
    """A copy of ``input`` that stays in the graph."""
    return Clone.apply(input)


def _parse_to_args(args, kwargs):
    """Tensor.to(device), .to(dtype), .to(device, dtype), .to(other), keywords too."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, _dtypes.dtype):
            dtype = a
        elif isinstance(a, (str, _device, int)):
            device = a
        elif isinstance(a, bool):
            copy = a
        else:
            dtype = _dtypes.as_dtype(a)
    return device, dtype, copy


def to(input, *args, **kwargs):
    """This tensor with another dtype and/or on another device (itself when nothing changes)."""
    device, dtype, copy = _parse_to_args(args, dict(kwargs))
    out = input
    if device is not None:
        target = get_backend(_device(device))  # raises a clear error when CUDA is unusable
        if target is not backend_of(out._data):
            out = ToDevice.apply(out, target)
            copy = False
    if dtype is not None:
        dt = _dtypes.as_dtype(dtype)
        if dt.np != out._data.dtype:
            out = ToDtype.apply(out, dt.np)
            copy = False
    if copy:
        out = Clone.apply(out)
    return out


def type_as(input, other):
    return to(input, other.dtype)


TENSOR_METHODS = {"to": to, "clone": clone, "type_as": type_as}
