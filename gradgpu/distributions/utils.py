"""Helpers shared by the distributions: broadcast_all, probs <-> logits, lazy_property."""

from __future__ import annotations

import math
from functools import update_wrapper
from numbers import Number

import gradgpu

from ..tensor import Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "probs_to_logits"]


def broadcast_all(*values) -> tuple:
    """The arguments broadcast to one shape as tensors; Python numbers take the dtype and device
    of the first tensor argument (the default dtype when there is none)."""
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "gradgpu.Tensor or objects implementing __torch_function__.")
    if all(isinstance(v, Number) for v in values):
        dtype = gradgpu.get_default_dtype()
        return tuple(gradgpu.tensor(float(v), dtype=dtype) for v in values)
    first = next(v for v in values if isinstance(v, Tensor))
    tensors = [v if isinstance(v, Tensor)
               else gradgpu.tensor(v, dtype=first.dtype, device=first.device) for v in values]
    return tuple(gradgpu.broadcast_tensors(*tensors))


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its ``dim`` rightmost dimensions."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) when binary, else softmax over the last dim."""
    if is_binary:
        return gradgpu.sigmoid(logits)
    return gradgpu.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps] of their dtype, so their logits stay finite."""
    eps = gradgpu.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log(p) - log(1 - p) when binary, else log(p) (eps-clamped)."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return gradgpu.log(ps_clamped) - gradgpu.log1p(-ps_clamped)
    return gradgpu.log(ps_clamped)


def standard_normal(shape, dtype, device) -> Tensor:
    """N(0, 1) draws from gradgpu's generator (gradgpu.manual_seed makes them reproducible)."""
    return gradgpu.randn(tuple(shape), dtype=dtype, device=device)


def uniform(shape, dtype, device, low: float = 0.0, high: float = 1.0) -> Tensor:
    """U[low, high) draws from gradgpu's generator."""
    u = gradgpu.rand(tuple(shape), dtype=dtype, device=device)
    return u if (low, high) == (0.0, 1.0) else u * (high - low) + low


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))

class lazy_property:
    """A property computed on first access and then stored on the instance (so a distribution
    built from ``probs`` computes ``logits`` only when asked)."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with gradgpu.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
