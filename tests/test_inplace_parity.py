"""In-place methods, composite ops and sampling against PyTorch's behaviour: values, dtype and
overflow rules, errors (expected values computed with torch 2.x)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu

T = gradgpu.tensor
NAN, INF = float("nan"), float("inf")


# ---- lerp: PyTorch's two-sided formula ------------------------------------------------------
def test_lerp_is_exact_at_weight_one():
    # input + weight * (end - input) would give 0 for the first element in float32
    start, end = T([1e8, 3.0]), T([1.0, 5.0])
    assert gradgpu.lerp(start, end, 1.0).tolist() == [1.0, 5.0]
    assert gradgpu.lerp(start, end, T([1.0, 1.0])).tolist() == [1.0, 5.0]
    assert T([1e8, 3.0]).lerp_(end, 1.0).tolist() == [1.0, 5.0]  # the no-graph fast path
    assert T([1e8, 3.0]).lerp_(end, T([1.0, 1.0])).tolist() == [1.0, 5.0]


def test_lerp_with_an_infinite_start_and_large_weight():
    out = gradgpu.lerp(T([1.0, INF]), T([3.0, 5.0]), 0.9)
    assert out.tolist() == pytest.approx([2.799999952316284, INF])


def test_lerp_gradients_float64_with_tensor_weight():
    a = T([1.0, 2.0, -1.0], dtype=gradgpu.float64, requires_grad=True)
    b = T([3.0, 0.5, 4.0], dtype=gradgpu.float64, requires_grad=True)
    w = T([0.2, 0.7, 1.5], dtype=gradgpu.float64, requires_grad=True)
    out = a.mul(1).lerp_(b, w)
    np.testing.assert_allclose(out.detach().numpy(), [1.4, 0.95, 6.5])
    ga, gb, gw = gradgpu.autograd.grad(out.pow(2).sum(), (a, b, w), create_graph=True)
    np.testing.assert_allclose(ga.detach().numpy(), [2.24, 0.57, -6.5])
    np.testing.assert_allclose(gb.detach().numpy(), [0.56, 1.33, 19.5])
    np.testing.assert_allclose(gw.detach().numpy(), [5.6, -2.85, 65.0])
    (g2a,) = gradgpu.autograd.grad(gw.sum(), (a,))
    np.testing.assert_allclose(g2a.detach().numpy(), [0.4, -2.8, -18.0])


def test_lerp_dtype_rules():
    with pytest.raises(RuntimeError, match="end"):
        gradgpu.lerp(T([1.0, 2.0]), T([3.0, 5.0], dtype=gradgpu.float64), 0.5)
    with pytest.raises(RuntimeError, match="weight"):
        T([1.0, 2.0]).lerp_(T([3.0, 5.0]), T([0.5, 0.5], dtype=gradgpu.float64))
    with pytest.raises(NotImplementedError, match="lerp"):
        gradgpu.lerp(T([1, 2]), T([3, 5]), 0.5)
    with pytest.raises(TypeError, match="end"):
        gradgpu.lerp(T([1.0, 3.0]), 2.0, 0.5)
    # a 0-d weight is a number to PyTorch, whatever its dtype
    assert gradgpu.lerp(T([1.0]), T([3.0]), T(0.5, dtype=gradgpu.float64)).tolist() == [2.0]
    with pytest.raises(RuntimeError, match="shape"):
        T([1.0, 2.0]).lerp_(T([[1.0, 5.0], [1.0, 1.0]]), 0.5)


# ---- integer arithmetic wraps like PyTorch's --------------------------------------------------
def test_integer_inplace_arithmetic_wraps_out_of_range_numbers():
    assert T([1, 2], dtype=gradgpu.uint8).add_(-3).tolist() == [254, 255]
    assert T([1, 2], dtype=gradgpu.uint8).add_(300).tolist() == [45, 46]
    assert T([1], dtype=gradgpu.uint8).sub_(1000).tolist() == [25]
    assert T([1, 2], dtype=gradgpu.int8).mul_(200).tolist() == [-56, -112]
    assert T([1], dtype=gradgpu.int16).mul_(70000).tolist() == [4464]
    assert T([1]).add_(2**63).tolist() == [-(2**63) + 1]
    t = T([1, 2], dtype=gradgpu.uint8)
    t += -3
    assert t.tolist() == [254, 255]
    with pytest.raises(RuntimeError, match="can't be cast"):
        T([1, 2]).add_(0.5)


# ---- fill values: PyTorch's checked conversion ------------------------------------------------
def test_fill_converts_values_like_pytorch():
    assert T([1, 2], dtype=gradgpu.uint8).fill_(-1).tolist() == [255, 255]
    assert T([1, 2], dtype=gradgpu.uint8).fill_(-129).tolist() == [127, 127]
    assert T([True, False]).fill_(2).tolist() == [True, True]
    assert T([1, 2]).fill_(-2.7).tolist() == [-2, -2]
    for dtype, value in [(gradgpu.uint8, 256), (gradgpu.uint8, -256), (gradgpu.uint8, -1.0),
                         (gradgpu.int8, 200), (gradgpu.int64, NAN), (gradgpu.int64, INF),
                         (gradgpu.int64, 2**63), (gradgpu.int32, 2**31),
                         (gradgpu.float16, 1e6), (gradgpu.float32, 3.5e38)]:
        with pytest.raises(RuntimeError, match="cannot be converted"):
            gradgpu.zeros(2, dtype=dtype).fill_(value)
    assert gradgpu.zeros(2, dtype=gradgpu.float16).fill_(-INF).tolist() == [-INF, -INF]
    assert math.isnan(gradgpu.zeros(1).fill_(NAN).item())
    with pytest.raises(TypeError, match="fill_"):
        gradgpu.zeros(2).fill_(None)


def test_masked_fill_refuses_values_the_dtype_cannot_hold():
    mask = T([True, False])
    for dtype, value in [(gradgpu.uint8, 300), (gradgpu.int8, 128), (gradgpu.int8, -129),
                         (gradgpu.int64, NAN), (gradgpu.int64, INF), (gradgpu.int64, 2**63),
                         (gradgpu.float16, 1e6), (gradgpu.float32, 1e300)]:
        with pytest.raises(RuntimeError, match="cannot be converted"):
            gradgpu.zeros(2, dtype=dtype).masked_fill_(mask, value)
        with pytest.raises(RuntimeError, match="cannot be converted"):
            gradgpu.zeros(2, dtype=dtype).masked_fill(mask, value)
    with pytest.raises(RuntimeError, match="cannot be converted"):
        T([1, 2], dtype=gradgpu.uint8).masked_fill_(mask, T(300))
    assert T([1, 2], dtype=gradgpu.uint8).masked_fill_(mask, -1).tolist() == [255, 2]
    assert T([1, 2], dtype=gradgpu.uint8).masked_fill_(mask, T(-1)).tolist() == [255, 2]
    assert T([1, 2]).masked_fill_(mask, 2.7).tolist() == [2, 2]
    assert T([1.0, 2.0]).masked_fill_(mask, -INF).tolist() == [-INF, 2.0]


# ---- clamp_ on integer tensors ----------------------------------------------------------------
def test_inplace_clamp_refuses_bounds_that_promote_self():
    for call in (lambda t: t.clamp_(0.5, 3.5), lambda t: t.clamp_min_(2.5),
                 lambda t: t.clamp_max_(2.5), lambda t: t.clamp_(T([2.0, 2.0])),
                 lambda t: t.clamp_(2.0)):
        with pytest.raises(RuntimeError, match="can't be cast"):
            call(T([1, 5]))
    with pytest.raises(RuntimeError, match="can't be cast"):
        T([True, False]).clamp_(0, 1)
    assert T([1, 5]).clamp_(2, 3).tolist() == [2, 3]
    assert T([1, 5], dtype=gradgpu.int32).clamp_(T([2, 2])).tolist() == [2, 5]
    assert T([1.0, 5.0]).clamp_(T([2.0, 2.0], dtype=gradgpu.float64)).tolist() == [2.0, 5.0]


# ---- addcmul / addcdiv / addmm / baddbmm / trace ----------------------------------------------
def test_addcdiv_refuses_integer_division():
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        gradgpu.addcdiv(T([1.0]), T([1]), T([2]))
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        T([1.0, 2.0]).addcdiv_(T([3, 5]), T([2, 4]))
    assert gradgpu.addcdiv(T([1.0]), T([1]), T([2.0])).tolist() == [1.5]


def test_addcmul_inplace_with_a_tensor_value():
    out = T([1.0, 2.0]).addcmul_(T([3.0, 5.0]), T([2.0, 2.0]), value=T(2.0))
    assert out.tolist() == [13.0, 22.0]


def test_addmm_and_baddbmm_dtype_and_shape_rules():
    m = T([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="same dtype"):
        gradgpu.addmm(m.double(), m, m)
    with pytest.raises(RuntimeError, match="expanded"):
        gradgpu.addmm(m[None], m, m)
    with pytest.raises(RuntimeError, match="expanded"):
        gradgpu.baddbmm(T([1.0, 2.0, 3.0]), m[None], m[None])
    i = T([[1, 2], [3, 4]])
    out = gradgpu.addmm(i, i, i, alpha=0.5)  # PyTorch takes alpha as an integer: 0
    assert out.dtype == gradgpu.int64 and out.tolist() == [[1, 2], [3, 4]]
    out = gradgpu.addmm(T([[NAN, INF], [1.0, 2.0]]), m, m, beta=0)
    assert out.tolist() == [[7.0, 10.0], [15.0, 22.0]]


def test_trace_of_bool_raises():
    with pytest.raises(NotImplementedError, match="trace"):
        gradgpu.trace(T([[True, False], [True, True]]))


# ---- reshaping in place -----------------------------------------------------------------------
def test_reshaping_a_view_of_a_leaf_in_place_raises():
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x.unsqueeze(0).transpose_(0, 1)
    with gradgpu.no_grad():
        assert x.unsqueeze(0).transpose_(0, 1).shape == (3, 1)


# ---- sampling -----------------------------------------------------------------------------------
def test_multinomial_without_rows_and_num_samples_type():
    out = gradgpu.multinomial(gradgpu.ones(0, 3), 2)
    assert out.shape == (0, 2) and out.dtype == gradgpu.int64
    for bad in (1.5, True):
        with pytest.raises(TypeError, match="num_samples"):
            gradgpu.multinomial(T([1.0, 2.0]), bad)


def test_bernoulli_needs_floating_probabilities():
    with pytest.raises(NotImplementedError):
        gradgpu.bernoulli(T([0, 1]))
    with pytest.raises(NotImplementedError):
        gradgpu.bernoulli(T([False, True]))
    with pytest.raises(NotImplementedError):
        T([0.0, 5.0]).bernoulli_(T([1, 0]))
    assert gradgpu.bernoulli(T([0, 5]), 0.5).dtype == gradgpu.int64  # p given: any dtype


def test_uniform_and_normal_bounds():
    for a, b in ((0, INF), (-3e38, 3e38), (NAN, 1.0)):
        with pytest.raises(RuntimeError):
            gradgpu.zeros(2).uniform_(a, b)
    with pytest.raises(RuntimeError, match="out of bounds"):
        gradgpu.zeros(2, dtype=gradgpu.float16).uniform_(0, 1e5)
    with pytest.raises(RuntimeError, match="std"):
        gradgpu.zeros(2).normal_(0, NAN)
    with pytest.raises(NotImplementedError):
        gradgpu.zeros(2, dtype=gradgpu.int64).uniform_()
    with pytest.raises(NotImplementedError):
        gradgpu.zeros(2, dtype=gradgpu.int64).normal_()
    wide = gradgpu.zeros(100).uniform_(-3e38, 0)
    assert wide.min().item() >= -3e38 and wide.max().item() <= 0


# ---- Generator ----------------------------------------------------------------------------------
def test_generator_manual_seed_checks_its_argument():
    g = gradgpu.Generator()
    for bad in (1.5, "1", True):
        with pytest.raises(RuntimeError, match="manual_seed expected a long"):
            g.manual_seed(bad)
    for bad in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError, match="Overflow"):
            g.manual_seed(bad)
    assert g.manual_seed(-1).initial_seed() == 2**64 - 1
    assert g.manual_seed(np.int64(3)).initial_seed() == 3


def test_global_manual_seed_stores_negative_seeds_modulo_2_64():
    try:
        gradgpu.manual_seed(-1)
        assert gradgpu.initial_seed() == 2**64 - 1
        with pytest.raises(ValueError, match="Overflow"):
            gradgpu.manual_seed(2**64)
    finally:
        gradgpu.manual_seed(0)


def test_generator_set_state_restores_the_seed_and_returns_self():
    g = gradgpu.Generator().manual_seed(3)
    state = g.get_state()
    first = gradgpu.rand(3, generator=g).tolist()
    g.manual_seed(9)
    assert g.set_state(state) is g
    assert g.initial_seed() == 3
    assert gradgpu.rand(3, generator=g).tolist() == first
