"""Normal(loc, scale): the Gaussian, reparameterized as loc + scale * eps, eps ~ N(0, 1)."""

from __future__ import annotations

import math

import gradgpu

from ..tensor import Tensor
from .loc_scale import LocScale
from .utils import LOG_SQRT_2PI, standard_normal

__all__ = ["Normal"]


class Normal(LocScale):
    """N(loc, scale^2): log_prob = -(x - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi))."""

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = standard_normal(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - LOG_SQRT_2PI

    def cdf(self, value: Tensor) -> Tensor:
        """0.5 (1 + erf((x - loc) / (scale sqrt(2))))."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + gradgpu.erf((value - self.loc) * self.scale.reciprocal()
                                      / math.sqrt(2)))

    def icdf(self, value: Tensor) -> Tensor:
        """loc + scale sqrt(2) erfinv(2 p - 1)."""
        return self.loc + self.scale * gradgpu.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        """0.5 + 0.5 log(2 pi) + log(scale)."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + gradgpu.log(self.scale)
