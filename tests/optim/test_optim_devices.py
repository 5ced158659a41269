"""The optimizers on the GPU (their fused multi-tensor kernels from kernels/optim.cu) take the
same steps as on the CPU (the NumPy reference), option by option, for float32 and float64.

The parameters span several kernel chunks (``CHUNK_SIZE`` elements each), end mid-chunk, and
include a 0-d and a one-element tensor, so the chunk table's edges are exercised. The CPU-only
case runs the same harness with the CPU on both sides, so the harness itself is checked in CI.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import optim
from gradgpu.backend import cuda as cuda_backend
from gradgpu.backend.cuda.optim_kernels import CHUNK_SIZE

_NO_CUDA = cuda_backend.unavailable_reason()
_SHAPES = [(3 * CHUNK_SIZE + 17,), (7, 5), (), (1,)]
_STEPS = 4

CASES = {
    "sgd": (optim.SGD, dict(lr=0.1)),
    "sgd-momentum-nesterov-decay": (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True,
                                                    weight_decay=0.01)),
    "sgd-dampening-maximize": (optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3,
                                               maximize=True)),
    "adam": (optim.Adam, dict(lr=1e-2)),
    "adam-amsgrad-decay": (optim.Adam, dict(lr=1e-2, amsgrad=True, weight_decay=0.1)),
    "adamw": (optim.AdamW, dict(lr=1e-2, weight_decay=0.1)),
    "rmsprop-centered-momentum": (optim.RMSprop, dict(lr=1e-2, momentum=0.9, centered=True,
                                                      weight_decay=0.01)),
    "rmsprop": (optim.RMSprop, dict(lr=1e-2)),
    "adagrad-decay": (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.01)),
}


def trajectory(case: str, device: str, dtype) -> list[np.ndarray]:
    """The parameters after ``_STEPS`` steps from fixed values and gradients, on ``device``."""
    cls, options = CASES[case]
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(s) for s in _SHAPES]
    grads = [[rng.standard_normal(s) for s in _SHAPES] for _ in range(_STEPS)]
    assert np.array_equal(start[0], _start())
    params = [gradgpu.tensor(p, dtype=dtype, device=device, requires_grad=True) for p in start]
    opt = cls(params, **options)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = gradgpu.tensor(g, dtype=dtype, device=device)
        opt.step()
    return [p.detach().cpu().numpy() for p in params]


def _start() -> np.ndarray:
    """The first parameter's starting values (the same draws as ``trajectory``'s)."""
    return np.random.default_rng(0).standard_normal(_SHAPES[0])


_TOLERANCE = {gradgpu.float32: dict(rtol=2e-5, atol=2e-6),
              gradgpu.float64: dict(rtol=1e-12, atol=1e-13)}


@pytest.mark.parametrize("dtype", [gradgpu.float32, gradgpu.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("device", [
    "cpu",
    pytest.param("cuda", marks=[pytest.mark.cuda, pytest.mark.skipif(
        _NO_CUDA is not None, reason=f"no usable CUDA device: {_NO_CUDA}")]),
])
def test_steps_on_each_device_match_the_cpu_reference(device, case, dtype):
    want = trajectory(case, "cpu", dtype)
    got = trajectory(case, device, dtype)
    for g, w, shape in zip(got, want, _SHAPES):
        assert g.shape == shape and g.dtype == dtype.np
        np.testing.assert_allclose(g, w, **_TOLERANCE[dtype])
    moved = np.abs(want[0] - _start().astype(dtype.np))
    assert moved.min() > 0 and moved.mean() > 1e-3  # every element took real steps
