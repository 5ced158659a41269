"""NAdam, RAdam, Adamax, Adadelta and Rprop on the GPU (their fused kernels, kernels/optim.cu)
take the same steps as on the CPU (the NumPy reference), for float32 and float64.

The first parameter spans several kernel chunks and ends mid-chunk; a 0-d and a one-element
tensor sit beside it. On the CPU both sides run the reference, which checks the harness in CI.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import optim
from gradgpu.backend.cuda.optim_kernels import CHUNK_SIZE

_SHAPES = [(2 * CHUNK_SIZE + 17,), (7, 5), (), (1,)]
_STEPS = 7  # past RAdam's switch to the rectified update (rho_t > 5 from step 6)

CASES = {
    "nadam": (optim.NAdam, dict(lr=1e-2, weight_decay=0.01)),
    "nadamw-maximize": (optim.NAdam, dict(lr=1e-2, weight_decay=0.1, maximize=True,
                                          decoupled_weight_decay=True, momentum_decay=0.1)),
    "radam": (optim.RAdam, dict(lr=1e-2, weight_decay=0.01)),
    "radamw": (optim.RAdam, dict(lr=1e-2, betas=(0.5, 0.6), weight_decay=0.1,
                                 decoupled_weight_decay=True)),
    "adamax": (optim.Adamax, dict(lr=1e-2, weight_decay=0.01, maximize=True)),
    "adadelta": (optim.Adadelta, dict(lr=1.0, rho=0.8, weight_decay=0.01)),
    "rprop": (optim.Rprop, dict(lr=1e-2, etas=(0.4, 1.5), step_sizes=(1e-3, 0.05))),
}

_TOLERANCE = {gradgpu.float32: dict(rtol=2e-5, atol=2e-6),
              gradgpu.float64: dict(rtol=1e-12, atol=1e-13)}


def _trajectory(case: str, device: str, dtype) -> tuple[list[np.ndarray], dict]:
    """(the parameters, the first one's state) after _STEPS steps from fixed values."""
    cls, options = CASES[case]
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(s) for s in _SHAPES]
    # Rprop needs gradients whose signs sometimes repeat and sometimes flip
    grads = [[rng.standard_normal(s) + 0.5 for s in _SHAPES] for _ in range(_STEPS)]
    params = [gradgpu.tensor(p, dtype=dtype, device=device, requires_grad=True) for p in start]
    opt = cls(params, **options)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = gradgpu.tensor(g, dtype=dtype, device=device)
        opt.step()
    state = {k: v.cpu().numpy() for k, v in opt.state[params[0]].items()}
    return [p.detach().cpu().numpy() for p in params], state


@pytest.mark.parametrize("dtype", [gradgpu.float32, gradgpu.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_steps_on_each_device_match_the_cpu_reference(device, case, dtype):
    want, want_state = _trajectory(case, "cpu", dtype)
    got, got_state = _trajectory(case, device, dtype)
    for g, w, shape in zip(got, want, _SHAPES):
        assert g.shape == shape and g.dtype == dtype.np
        np.testing.assert_allclose(g, w, **_TOLERANCE[dtype])
    assert got_state.keys() == want_state.keys()
    for key in want_state:
        np.testing.assert_allclose(got_state[key], want_state[key], **_TOLERANCE[dtype],
                                   err_msg=key)
    start = np.random.default_rng(0).standard_normal(_SHAPES[0]).astype(dtype.np)
    moved = np.abs(want[0] - start)
    assert moved.min() > 0 and moved.mean() > 1e-3  # every element took real steps
