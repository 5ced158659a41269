"""``LazyLinear`` and ``LazyConv2d``: Linear / Conv2d whose input size is read from the first
input. Until then the weight is a (out, 0, ...) placeholder; the first call resizes it (and
the bias) in place, so optimizers built before it keep the same Parameter objects, redraws
them with the default init, and turns the module into a plain Linear / Conv2d."""

from __future__ import annotations

from ... import _factories
from .conv import Conv2d
from .linear import Linear

__all__ = ["LazyLinear", "LazyConv2d"]


class _LazyModuleMixin:
    """Materializes the parameters on the first call, then becomes ``cls_to_become``."""

    cls_to_become: type | None = None

    def has_uninitialized_params(self) -> bool:
        """True until the first forward has fixed the input size."""
        return True  # the class changes to cls_to_become once materialized

    def _materialize(self, param, shape: tuple) -> None:
        param.data = _factories.empty(shape, device=param.device, dtype=param.dtype)

    def __call__(self, *args, **kwargs):
        self.initialize_parameters(*args, **kwargs)
        self.__class__ = self.cls_to_become
        self.reset_parameters()
        return self(*args, **kwargs)


class LazyLinear(_LazyModuleMixin, Linear):
    """Linear(in_features, out_features) with in_features = input.shape[-1] of the first call."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, out_features, bias, device, dtype)

    def reset_parameters(self) -> None:
        if self.in_features != 0:  # nothing to draw before the size is known
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        """Fix in_features from ``input`` and size the weight (out_features, in_features)."""
        self.in_features = int(input.shape[-1])
        self._materialize(self.weight, (self.out_features, self.in_features))


class LazyConv2d(_LazyModuleMixin, Conv2d):
    """Conv2d with in_channels = the channel dim of the first input ((N, C, H, W) or
    (C, H, W))."""

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__(0, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)

    def reset_parameters(self) -> None:
        if self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        """Fix in_channels from ``input`` and size the weight (out, in / groups, kh, kw)."""
        self.in_channels = int(input.shape[0] if input.dim() == 3 else input.shape[1])
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        self._materialize(self.weight, (self.out_channels, self.in_channels // self.groups,
                                         *self.kernel_size))
