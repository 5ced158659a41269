"""Binds the ops as Tensor methods and operators.

Each module in ``gradgpu.ops`` may define ``TENSOR_METHODS = {"name": function}``: the function is
installed as ``Tensor.name`` and takes the tensor as its first argument. This file adds what every
module shares: Python operators and properties.
"""

from __future__ import annotations

from . import ops
from .ops import elementwise as ew
from .ops import linalg, shape
from .ops.shape import windows
from .tensor import Tensor


def _rsub(self, other):
    return ew.sub(other, self)


def _rmatmul(self, other):
    return linalg.matmul(other, self)


def _invert(self):
    if self._data.dtype.kind == "b":
        return ew.logical_not(self)
    return ew.bitwise_not(self)


def _pos(self):
    return self


def _not_implemented_on_type_error(op):
    """``==``/``!=`` with an operand the op refuses (None, a str, a list) defers to Python, which
    compares identities (``t == None`` is False), as PyTorch's operators do."""

    def method(self, other):
        try:
            return op(self, other)
        except TypeError:
            if hasattr(other, "__array__"):  # an array operand: a real error, never False
                raise
            return NotImplemented

    method.__name__ = op.__name__
    return method


OPERATORS = {
    "__add__": ew.add,
    "__radd__": ew.radd,
    "__sub__": ew.sub,
    "__rsub__": _rsub,
    "__mul__": ew.mul,
    "__rmul__": ew.rmul,
    "__truediv__": ew.div,
    "__rtruediv__": ew.rtruediv,
    "__floordiv__": ew.floor_divide,
    "__rfloordiv__": ew.rfloordiv,
    "__mod__": ew.remainder,
    "__rmod__": ew.rmod,
    "__pow__": ew.pow,
    "__rpow__": ew.rpow,
    "__matmul__": linalg.matmul,
    "__rmatmul__": _rmatmul,
    "__neg__": ew.neg,
    "__pos__": _pos,
    "__abs__": ew.abs,
    "__invert__": _invert,
    "__and__": ew.bitwise_and,
    "__rand__": ew.rand_,
    "__or__": ew.bitwise_or,
    "__ror__": ew.ror_,
    "__xor__": ew.bitwise_xor,
    "__rxor__": ew.rxor_,
    "__eq__": _not_implemented_on_type_error(ew.eq),
    "__ne__": _not_implemented_on_type_error(ew.ne),
    "__lt__": ew.lt,
    "__le__": ew.le,
    "__gt__": ew.gt,
    "__ge__": ew.ge,
}

PROPERTIES = {"T": shape.T, "mT": shape.mT}

# methods with no top-level function of the same name in PyTorch (torch.unfold does not exist)
METHODS_ONLY = {**windows.TENSOR_METHODS}


def install() -> None:
    """Attach every op module's TENSOR_METHODS, the operators and properties to Tensor."""
    for module in ops.MODULES:
        for name, fn in getattr(module, "TENSOR_METHODS", {}).items():
            setattr(Tensor, name, fn)
    for name, fn in {**OPERATORS, **METHODS_ONLY}.items():
        setattr(Tensor, name, fn)
    Tensor.__hash__ = object.__hash__  # defining __eq__ must not make tensors unhashable
    for name, fn in PROPERTIES.items():
        setattr(Tensor, name, property(fn))
