"""The shared body of the location-scale families (Normal, Laplace): parameters broadcast
together, ``expand``, mean and mode at ``loc``."""

from __future__ import annotations

from numbers import Number

from .._size import Size
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


class LocScale(Distribution):
    """A distribution of ``loc + scale * Z`` for a fixed, symmetric, unimodal Z."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = Size() if isinstance(loc, Number) and isinstance(scale, Number) \
            else self.loc.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        # the family (Normal, Laplace) this instance belongs to, so that a subclass with its own
        # __init__ and no expand still raises, as PyTorch's (type(self) always passed the check)
        cls = next(c for c in type(self).__mro__ if LocScale in c.__bases__)
        new = self._get_checked_instance(cls, _instance)
        batch_shape = Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc
