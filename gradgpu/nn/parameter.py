"""``nn.Parameter``: a leaf tensor that a Module registers as one of its parameters."""

from __future__ import annotations

from .. import _factories
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad by default and is found by ``Module.parameters()``.

    ``Parameter(t)`` shares ``t``'s memory (no copy), as in PyTorch.
    """

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            data = _factories.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, got {type(data).__name__}")
        p = cls._make(data._data)
        p._version_counter = data._version_counter
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self._requires_grad))

    def __deepcopy__(self, memo):
        # the data and requires_grad only: PyTorch's Parameter leaves the gradient behind
        out = type(self)(Tensor._make(self._data.copy()), self._requires_grad)
        memo[id(self)] = out
        return out


def _rebuild_parameter(data, requires_grad):
    return Parameter(data.clone(), requires_grad)
