"""Laplace(loc, scale), reparameterized by inverting its CDF at u ~ U(eps - 1, 1)."""

from __future__ import annotations

import gradgpu

from ..tensor import Tensor
from .loc_scale import LocScale
from .utils import uniform

__all__ = ["Laplace"]

class Laplace(LocScale):
    """Laplace(loc, scale): log_prob = -log(2 scale) - |x - loc| / scale."""

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        # u in [eps - 1, 1): log1p(-|u|) stays finite
        eps = gradgpu.finfo(self.loc.dtype).eps
        u = uniform(shape, dtype=self.loc.dtype, device=self.loc.device, low=eps - 1, high=1.0)
        return self.loc - self.scale * u.sign() * gradgpu.log1p(-u.abs())

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -gradgpu.log(2 * self.scale) - gradgpu.abs(value - self.loc) / self.scale

    def cdf(self, value: Tensor) -> Tensor:
        """0.5 - 0.5 sign(x - loc) expm1(-|x - loc| / scale)."""
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * gradgpu.expm1(-d.abs() / self.scale)

    def icdf(self, value: Tensor) -> Tensor:
        """loc - scale sign(p - 0.5) log1p(-2 |p - 0.5|)."""
        term = value - 0.5
        return self.loc - self.scale * term.sign() * gradgpu.log1p(-2 * term.abs())

    def entropy(self) -> Tensor:
        """1 + log(2 scale)."""
        return 1 + gradgpu.log(2 * self.scale)

