"""The classic ``Variable`` API our first users learned autograd from.

``Variable(data, requires_grad=False, volatile=False)`` returns a plain Tensor (as in PyTorch
>= 0.4), and ``isinstance(t, Variable)`` is true for every Tensor. ``volatile=True`` marks a leaf
whose results record no graph: every tensor computed from it is volatile too and does not
require grad, whatever ``requires_grad`` says.
"""

from __future__ import annotations


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        from ..tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """Wrap data (a Tensor, array or list) as a leaf Tensor, sharing a Tensor's memory."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        from .. import _factories
        from ..tensor import Tensor

        if data is None:
            data = _factories.empty(0)
        if isinstance(data, Tensor):
            out = Tensor._make(data._data)
            out._version_counter = data._version_counter
        else:
            out = _factories.as_tensor(data)
            if out is data:
                out = Tensor._make(out._data)
        if requires_grad:
            out.requires_grad_(True)
        if volatile:
            out._volatile = True
        return out
