"""Categorical(probs or logits): an index in 0..K-1 drawn with weights along the last dim."""

from __future__ import annotations

import gradgpu

from .._size import Size
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import lazy_property, logits_to_probs, probs_to_logits, uniform

__all__ = ["Categorical"]


class Categorical(Distribution):
    """Categorical over the last dim of probs (normalized to sum 1) or logits (normalized to
    logsumexp 0); log_prob(k) = logits[..., k]."""

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = Size(batch_shape)
        param_shape = tuple(batch_shape) + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        super(Categorical, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return gradgpu.full(tuple(self._extended_shape()), float("nan"),
                            dtype=self.probs.dtype, device=self.probs.device)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return self.mean

    def sample(self, sample_shape=()) -> Tensor:
        """int64 indices of shape sample_shape + batch_shape, by inverting the CDF with a
        binary search (composed of tensor ops: no host sync, same draws on both backends'
        generators; O(log K) work and no (samples, batch, K) intermediate per draw)."""
        shape = tuple(self._extended_shape(sample_shape))
        with gradgpu.no_grad():
            cdf = self.probs.cumsum(-1)
            u = uniform(shape, dtype=cdf.dtype, device=cdf.device)
            # scale u by the total so rounding in the cumsum cannot push it past the end
            u = u * cdf[..., -1]
            n_sample, n_batch = len(shape) - len(self._batch_shape), len(self._batch_shape)
            if n_batch:  # one search row per batch index: the draws go to the last dim
                u = u.permute(tuple(range(n_sample, n_sample + n_batch))
                              + tuple(range(n_sample))).reshape(tuple(self._batch_shape)
                                                                + (-1,))
            # the number of cdf entries <= u: the first index whose cdf exceeds u
            index = gradgpu.searchsorted(cdf, u, right=True).clamp(max=self._num_events - 1)
            if n_batch:
                index = index.reshape(tuple(self._batch_shape) + shape[:n_sample]).permute(
                    tuple(range(n_batch, n_batch + n_sample)) + tuple(range(n_batch)))
            return index.reshape(shape)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = gradgpu.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        """-sum p log p (logits clamped to the dtype's min so 0 log 0 = 0)."""
        min_real = gradgpu.finfo(self.logits.dtype).min
        logits = gradgpu.clamp(self.logits, min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = gradgpu.arange(self._num_events, dtype=gradgpu.int64,
                                device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
