"""Shared by the distribution tests: float64 tensors on a device, moments of samples."""

from __future__ import annotations

import numpy as np

import gradgpu


def t64(values, device: str, requires_grad: bool = False) -> gradgpu.Tensor:
    return gradgpu.tensor(np.asarray(values, dtype=np.float64), device=device,
                          requires_grad=requires_grad)


def close(actual: gradgpu.Tensor, expected, rtol: float = 1e-9, atol: float = 1e-12) -> None:
    np.testing.assert_allclose(actual.detach().cpu().numpy(), np.asarray(expected, np.float64),
                               rtol=rtol, atol=atol)


def sample_moments(samples: gradgpu.Tensor) -> tuple:
    """Mean and variance over dim 0 of a (N, ...) sample, as NumPy arrays."""
    s = samples.cpu().numpy().astype(np.float64)
    return s.mean(0), s.var(0)
