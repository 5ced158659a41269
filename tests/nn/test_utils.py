"""nn.utils: gradient clipping and parameter vectors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu import nn
from gradgpu.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)


def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(gradgpu.zeros(len(g), dtype=gradgpu.float64))
        p.grad = gradgpu.tensor(g, dtype=gradgpu.float64)
        ps.append(p)
    return ps


def test_clip_grad_norm_scales_when_above_max():
    ps = _params_with_grads([[3.0, 0.0], [0.0, 4.0, 0.0]])  # total 2-norm 5
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(total, gradgpu.Tensor) and total.dim() == 0
    assert total.item() == pytest.approx(5.0)
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(ps[0].grad.numpy(), [3 * coef, 0.0])
    np.testing.assert_allclose(ps[1].grad.numpy(), [0.0, 4 * coef, 0.0])


def test_clip_grad_norm_leaves_small_grads_and_skips_none():
    ps = _params_with_grads([[0.3, 0.4]])
    ps.append(nn.Parameter(gradgpu.zeros(2)))  # no grad
    total = clip_grad_norm_(iter(ps), max_norm=10.0)  # a generator works too
    assert total.item() == pytest.approx(0.5)
    assert ps[0].grad.tolist() == [0.3, 0.4]


@pytest.mark.parametrize("norm_type, expected", [
    (1.0, 3 + 4 + 2), (math.inf, 4.0), (3.0, (27 + 64 + 8) ** (1 / 3)),
])
def test_clip_grad_norm_other_norms(norm_type, expected):
    ps = _params_with_grads([[3.0, -4.0], [2.0]])
    total = clip_grad_norm_(ps, max_norm=1.0, norm_type=norm_type)
    assert total.item() == pytest.approx(expected)
    np.testing.assert_allclose(ps[0].grad.numpy(), np.array([3.0, -4.0]) / (expected + 1e-6))


def test_clip_grad_norm_nonfinite():
    ps = _params_with_grads([[math.inf, 1.0]])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_single_tensor_and_float32():
    p = nn.Parameter(gradgpu.zeros(2))
    p.grad = gradgpu.tensor([6.0, 8.0])
    total = clip_grad_norm_(p, 5.0)
    assert total.dtype is gradgpu.float32 and total.item() == pytest.approx(10.0)
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0], rtol=1e-5)


def test_clip_grad_value():
    ps = _params_with_grads([[-3.0, 0.5, 2.0]])
    assert clip_grad_value_(ps, 1.0) is None
    assert ps[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_to_vector_and_back():
    lin = nn.Linear(3, 2)
    vec = parameters_to_vector(lin.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(vec.detach().numpy()[:6], lin.weight.detach().numpy().ravel())
    vec.sum().backward()  # differentiable, as in PyTorch
    assert lin.weight.grad.tolist() == [[1.0] * 3] * 2
    new = gradgpu.arange(8.0)
    w = lin.weight
    vector_to_parameters(new, lin.parameters())
    assert lin.weight is w
    assert lin.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert lin.bias.tolist() == [6.0, 7.0]
    with pytest.raises(TypeError, match="expected gradgpu.Tensor"):
        vector_to_parameters([1.0], lin.parameters())
    with pytest.raises(RuntimeError, match="at least 8"):
        vector_to_parameters(gradgpu.zeros(5), lin.parameters())


def test_clip_grad_norm_of_float16_gradients_neither_overflows_nor_underflows():
    """float16 squares overflow (300^2) and underflow (1e-4^2): norms accumulate in float32, so
    a float16 gradient next to a float32 one is scaled, not zeroed."""
    big = nn.Parameter(gradgpu.full((3,), 300.0, dtype=gradgpu.float16))
    other = nn.Parameter(gradgpu.ones(3))
    big.grad, other.grad = big.detach().clone(), other.detach().clone()
    total = nn.utils.clip_grad_norm_([big, other], 1.0)
    assert abs(total.item() - (3 * 300.0**2 + 3) ** 0.5) < 0.5
    assert 0.5 < big.grad[0].item() < 0.6 and other.grad[0].item() > 0
    tiny = gradgpu.full((3,), 1e-4, dtype=gradgpu.float16)
    assert abs(tiny.norm().item() - 3**0.5 * 1e-4) < 1e-5


def _op_path_total(grads, norm_type):
    """get_total_norm as composed ops: each gradient's norm, stacked, normed again."""
    norms = [g.norm(norm_type) for g in grads]
    stacked = gradgpu.stack(norms)
    return stacked.max() if norm_type == math.inf else stacked.norm(norm_type)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_total_norm_on_arrays_matches_the_composed_ops(norm_type):
    """The array path (one reduction per gradient, no tensors in between) computes exactly what
    norm + stack + norm compute, mixed float16/float32/float64 gradients included."""
    rng = np.random.default_rng(0)
    grads = [gradgpu.tensor(rng.standard_normal(s).astype(dt))
             for s, dt in (((5, 3), np.float32), ((7,), np.float16), ((), np.float64),
                           ((2, 2, 2), np.float32))]
    total = nn.utils.get_total_norm(grads, norm_type)
    want = _op_path_total(grads, norm_type)
    assert total.dtype == want.dtype == gradgpu.float64 and total.dim() == 0
    assert total.item() == want.item()


def test_clip_grad_norm_scales_each_dtype_as_mul_would_and_bumps_versions():
    rng = np.random.default_rng(1)
    ps = [nn.Parameter(gradgpu.zeros(4, dtype=dt)) for dt in (gradgpu.float16, gradgpu.float32)]
    for p in ps:
        p.grad = gradgpu.tensor(rng.standard_normal(4) * 10).to(p.dtype)
    before = [p.grad.detach().clone() for p in ps]
    versions = [p.grad._version for p in ps]
    total = clip_grad_norm_(ps, max_norm=1.0)
    coef = (1.0 / (total + 1e-6)).clamp(max=1.0)
    for p, old, v in zip(ps, before, versions):
        assert p.grad.dtype == old.dtype
        assert p.grad.tolist() == old.mul(coef.to(old.dtype)).tolist()
        assert p.grad._version == v + 1  # a saved-for-backward gradient notices the write


@pytest.mark.parametrize("norm_type", [0.0, -math.inf, 0.5])
def test_clip_grad_norm_other_norm_types_take_the_general_path(norm_type):
    ps = _params_with_grads([[3.0, 0.0, -4.0], [0.5]])
    grads = [p.grad.detach().clone() for p in ps]
    total = clip_grad_norm_(ps, max_norm=0.25, norm_type=norm_type)
    want = gradgpu.stack([g.norm(norm_type) for g in grads]).norm(norm_type)
    assert total.item() == pytest.approx(want.item())


def test_clip_grad_norm_with_an_empty_gradient():
    """An empty gradient adds nothing to a p-norm; its inf-norm has no identity (PyTorch refuses
    it too)."""
    ps = _params_with_grads([[3.0, 4.0], []])
    assert clip_grad_norm_(ps, max_norm=10.0).item() == pytest.approx(5.0)
    with pytest.raises(IndexError, match="non-zero size"):
        clip_grad_norm_(ps, max_norm=1.0, norm_type=math.inf)
