"""Copies and conversions: ``to`` (dtype and/or device), ``clone``, ``type_as``."""

from __future__ import annotations

import numpy as np

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
        return backend_of(x._data).copy(x._data)

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input, *, memory_format=None):
    """A copy of ``input`` that stays in the graph."""
    return Clone.apply(input)


def parse_to_args(args, kwargs) -> tuple:
    """The arguments of ``Tensor.to`` and ``Module.to`` as (device or None, dtype or None, copy).

    Positionally: a device (str, device, int), a dtype (ours, NumPy's, or a Python type), or a
    tensor (its device and dtype), then up to two bools, ``non_blocking`` (accepted; copies are
    synchronous) and ``copy``, as PyTorch orders them. Keywords: device, dtype, non_blocking,
    copy, memory_format (accepted; arrays are always contiguous-or-strided NumPy/CuPy)."""
    kwargs = dict(kwargs)
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    flags = []
    for a in args:
        if isinstance(a, bool):  # before int: a bool is an int, never a device index here
            flags.append(a)
        elif isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, _dtypes.dtype):
            dtype = a
        elif isinstance(a, (str, _device, int)):
            device = a
        elif isinstance(a, (np.dtype, type)):
            dtype = a
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    if len(flags) > 2:
        raise TypeError(f"to() takes at most two bool arguments (non_blocking, copy), got "
                        f"{len(flags)}")
    if len(flags) == 2:
        copy = flags[1]
    return (None if device is None else _device(device),
            None if dtype is None else _dtypes.as_dtype(dtype), bool(copy))


def to(input, *args, **kwargs):
    """This tensor with another dtype and/or on another device (itself when nothing changes)."""
    device, dtype, copy = parse_to_args(args, kwargs)
    out = input
    if device is not None:
        target = get_backend(device)  # raises a clear error when CUDA is unusable
        if target is not backend_of(out._data):
            out = ToDevice.apply(out, target)
            copy = False
    if dtype is not None:
        if dtype.np != out._data.dtype:
            out = ToDtype.apply(out, dtype.np)
            copy = False
    if copy:
        out = Clone.apply(out)
    return out


def type_as(input, other):
    return to(input, other.dtype)


TENSOR_METHODS = {"to": to, "clone": clone, "type_as": type_as}
