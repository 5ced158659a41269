"""torch.get_rng_state/set_rng_state, seed/initial_seed and randint_like: PyTorch's
semantics (state round trips exactly; errors as PyTorch's)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu


def test_rng_state_round_trip_restores_the_stream():
    gradgpu.manual_seed(5)
    state = gradgpu.get_rng_state()
    assert state.dtype == gradgpu.uint8 and state.ndim == 1 and state.device.type == "cpu"
    first = gradgpu.rand(4).tolist(), gradgpu.randint(0, 100, (3,)).tolist()
    gradgpu.manual_seed(7)
    gradgpu.set_rng_state(state)
    assert gradgpu.initial_seed() == 5
    assert (gradgpu.rand(4).tolist(), gradgpu.randint(0, 100, (3,)).tolist()) == first


def test_set_rng_state_errors():
    state = gradgpu.get_rng_state()
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list"):
        gradgpu.set_rng_state([1, 2])
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        gradgpu.set_rng_state(state.float())
    with pytest.raises(RuntimeError, match="expected a state returned by get_rng_state"):
        gradgpu.set_rng_state(state[:10])


def test_seed_reseeds_from_entropy():
    a = gradgpu.seed()
    assert gradgpu.initial_seed() == a and 0 <= a < 2**64
    first = gradgpu.rand(3).tolist()
    gradgpu.manual_seed(a)
    assert gradgpu.rand(3).tolist() == first
    assert gradgpu.seed() != a  # 63 random bits: equal only by a 2**-63 chance


def test_randint_like(device):
    t = gradgpu.ones(2, 3, dtype=gradgpu.float64, device=device)
    r = gradgpu.randint_like(t, 3, 10)
    assert r.shape == (2, 3) and r.dtype == gradgpu.float64 and r.device == t.device
    vals = r.cpu().numpy()
    assert ((vals >= 3) & (vals < 10) & (vals == np.round(vals))).all()
    assert (gradgpu.randint_like(t, 2).cpu().numpy() < 2).all()
    assert gradgpu.randint_like(t, high=10, dtype=gradgpu.int32).dtype == gradgpu.int32
    assert gradgpu.randint_like(t, 10, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="from=5 >= to=3"):
        gradgpu.randint_like(t, 5, 3)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for uint8"):
        gradgpu.randint_like(t.to(gradgpu.uint8), 300)
    with pytest.raises(RuntimeError, match="floating point"):
        gradgpu.randint_like(t.long(), 10, requires_grad=True)
