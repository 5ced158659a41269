"""Shared fixtures: the ``device`` fixture runs a test on every backend this machine has."""

from __future__ import annotations

import pytest

import gradgpu
from gradgpu.backend import cuda as _cuda

_CUDA_REASON = _cuda.unavailable_reason()

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(_CUDA_REASON is not None,
                                 reason=f"no usable CUDA device: {_CUDA_REASON}"),
    ),
]


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """'cpu' always; 'cuda' when CuPy sees a GPU (skipped otherwise, with the reason)."""
    return request.param


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with grad mode on, the default dtype and a fixed seed."""
    gradgpu.manual_seed(0)
    yield
    gradgpu.set_default_dtype(gradgpu.float32)
    gradgpu.set_grad_enabled(True)
