"""Sampling ops: statistical checks with fixed seeds and generous bounds, reproducibility, the
in-place samplers' autograd rules, and error contracts."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu


def _freq(samples, n):
    return np.bincount(np.asarray(samples).ravel(), minlength=n) / np.asarray(samples).size


# ---- multinomial ------------------------------------------------------------------------------
def test_multinomial_with_replacement_matches_unnormalized_weights():
    gradgpu.manual_seed(1)
    w = gradgpu.tensor([1.0, 0.0, 2.0, 7.0])
    s = gradgpu.multinomial(w, 20000, replacement=True)
    assert s.shape == (20000,) and s.dtype is gradgpu.int64
    np.testing.assert_allclose(_freq(s.numpy(), 4), [0.1, 0.0, 0.2, 0.7], atol=0.015)


def test_multinomial_rows_are_sampled_independently():
    gradgpu.manual_seed(2)
    w = gradgpu.tensor([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [0.25, 0.5, 0.25]],
                       dtype=gradgpu.float64)
    s = w.multinomial(6000, True).numpy()
    assert s.shape == (3, 6000)
    assert (s[0] == 2).all()
    np.testing.assert_allclose(_freq(s[1], 3), [0.5, 0.5, 0.0], atol=0.03)
    np.testing.assert_allclose(_freq(s[2], 3), [0.25, 0.5, 0.25], atol=0.03)


def test_multinomial_last_category_with_zero_weight_is_never_drawn():
    gradgpu.manual_seed(3)
    s = gradgpu.multinomial(gradgpu.tensor([[3.0, 1.0, 0.0]] * 50), 200, replacement=True)
    assert int(s.max()) <= 1


def test_multinomial_without_replacement_never_repeats():
    gradgpu.manual_seed(4)
    w = gradgpu.rand(20, 8) + 0.01
    s = gradgpu.multinomial(w, 8).numpy()
    for row in s:
        assert sorted(row.tolist()) == list(range(8))
    s = gradgpu.multinomial(gradgpu.tensor([0.0, 1.0, 1.0, 0.0, 5.0]), 3).numpy()
    assert sorted(s.tolist()) == [1, 2, 4]


def test_multinomial_without_replacement_first_draw_follows_weights():
    gradgpu.manual_seed(5)
    w = gradgpu.tensor([[1.0, 3.0, 6.0]] * 8000)
    s = gradgpu.multinomial(w, 2).numpy()
    np.testing.assert_allclose(_freq(s[:, 0], 3), [0.1, 0.3, 0.6], atol=0.02)
    # P(second = 0) = P(1 first) * 1/7 + P(2 first) * 1/4
    assert abs((s[:, 1] == 0).mean() - (0.3 / 7 + 0.6 / 4)) < 0.02
    assert (s[:, 0] != s[:, 1]).all()


@pytest.mark.parametrize("args,kwargs,match", [
    ((gradgpu.tensor([1.0, -1.0, 1.0]), 1), {}, "contains either `inf`, `nan` or element < 0"),
    ((gradgpu.tensor([1.0, float("nan")]), 1), {}, "`nan`"),
    ((gradgpu.tensor([1.0, 1.0, 1.0]), 4), {}, r"n_sample > prob_dist.size\(-1\).*4 > 3"),
    ((gradgpu.tensor([1.0, 0.0, 1.0]), 3), {}, "only 2 non-zero categories"),
    ((gradgpu.tensor([0.0, 0.0]), 1), {"replacement": True}, r"sum of probabilities <= 0"),
    ((gradgpu.tensor([1, 2]), 1), {}, "only supports floating-point dtypes.*int64"),
    ((gradgpu.ones(2, 2, 2), 1), {}, "must be 1 or 2 dim, got 3-D"),
    ((gradgpu.ones(3), 0), {}, "cannot sample n_sample <= 0"),
])
def test_multinomial_errors(args, kwargs, match):
    with pytest.raises(RuntimeError, match=match):
        gradgpu.multinomial(*args, **kwargs)


# ---- reproducibility --------------------------------------------------------------------------
def _draws(generator=None):
    p = gradgpu.tensor([0.2, 0.3, 0.5])
    return (gradgpu.multinomial(p, 20, True, generator=generator).tolist(),
            gradgpu.multinomial(p, 3, generator=generator).tolist(),
            gradgpu.bernoulli(gradgpu.full((10,), 0.5), generator=generator).tolist(),
            gradgpu.empty(5).uniform_(-1, 1, generator=generator).tolist(),
            gradgpu.empty(5).normal_(2.0, 3.0, generator=generator).tolist(),
            gradgpu.empty(8).bernoulli_(0.3, generator=generator).tolist())


def test_sampling_is_reproducible_with_manual_seed():
    gradgpu.manual_seed(123)
    first = _draws()
    gradgpu.manual_seed(123)
    assert _draws() == first
    gradgpu.manual_seed(124)
    assert _draws() != first


def test_sampling_is_reproducible_with_a_generator_and_leaves_default_stream_alone():
    gradgpu.manual_seed(0)
    expected_default = gradgpu.rand(3).tolist()
    gradgpu.manual_seed(0)
    first = _draws(gradgpu.Generator().manual_seed(7))
    assert gradgpu.rand(3).tolist() == expected_default
    assert _draws(gradgpu.Generator().manual_seed(7)) == first


# ---- bernoulli --------------------------------------------------------------------------------
def test_bernoulli_frequency_dtype_and_shape():
    gradgpu.manual_seed(8)
    p = gradgpu.tensor([[0.0, 0.2, 0.9, 1.0]], dtype=gradgpu.float64).expand(5000, 4)
    s = gradgpu.bernoulli(p)
    assert s.dtype is gradgpu.float64 and s.shape == (5000, 4)
    assert set(np.unique(s.numpy()).tolist()) <= {0.0, 1.0}
    np.testing.assert_allclose(s.numpy().mean(0), [0.0, 0.2, 0.9, 1.0], atol=0.02)
    fixed = gradgpu.zeros(4000).bernoulli(0.25)
    assert fixed.dtype is gradgpu.float32 and abs(fixed.numpy().mean() - 0.25) < 0.03


def test_bernoulli_rejects_probabilities_outside_unit_interval():
    with pytest.raises(RuntimeError, match=r"bernoulli\(\): expected all probabilities"):
        gradgpu.bernoulli(gradgpu.tensor([0.5, 1.5]))
    with pytest.raises(RuntimeError, match=r"bernoulli\(\): expected p in \[0, 1\]"):
        gradgpu.bernoulli(gradgpu.zeros(2), -0.1)
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\]"):
        gradgpu.zeros(2).bernoulli_(2.0)


def test_bernoulli_inplace_with_tensor_probabilities_broadcasts():
    gradgpu.manual_seed(9)
    x = gradgpu.zeros(4000, 2)
    out = x.bernoulli_(gradgpu.tensor([0.1, 0.8]))
    assert out is x
    np.testing.assert_allclose(x.numpy().mean(0), [0.1, 0.8], atol=0.03)
    with pytest.raises(RuntimeError, match=r"p of shape \[3\] cannot be broadcast"):
        x.bernoulli_(gradgpu.tensor([0.1, 0.2, 0.3]))


# ---- uniform_ / normal_ -----------------------------------------------------------------------
def test_uniform_fills_half_open_interval():
    gradgpu.manual_seed(10)
    x = gradgpu.empty(20000)
    assert x.uniform_(-2.0, 3.0) is x
    v = x.numpy()
    assert v.min() >= -2.0 and v.max() < 3.0
    assert abs(v.mean() - 0.5) < 0.06 and abs(v.var() - 25 / 12) < 0.1
    y = gradgpu.empty(1000, dtype=gradgpu.float64).uniform_(**{"from": 5.0, "to": 6.0})
    assert y.numpy().min() >= 5.0 and y.numpy().max() < 6.0


def test_normal_fills_with_mean_and_std():
    gradgpu.manual_seed(11)
    v = gradgpu.empty(20000, dtype=gradgpu.float64).normal_(1.5, 0.5).numpy()
    assert abs(v.mean() - 1.5) < 0.02 and abs(v.std() - 0.5) < 0.02
    with pytest.raises(RuntimeError, match="normal_ expects std >= 0.0, but found std -1"):
        gradgpu.empty(2).normal_(0.0, -1)


def test_uniform_checks_bounds_and_dtype():
    with pytest.raises(RuntimeError, match=r"\[from, to\) range, but found from=2.0 > to=1.0"):
        gradgpu.empty(2).uniform_(2.0, 1.0)
    with pytest.raises(RuntimeError, match=r"uniform_: expected a floating point tensor.*int64"):
        gradgpu.zeros(2, dtype=gradgpu.int64).uniform_()


@pytest.mark.parametrize("fill", [
    lambda t: t.uniform_(), lambda t: t.normal_(), lambda t: t.bernoulli_(0.5),
])
def test_inplace_samplers_refuse_leaves_that_require_grad_but_work_under_no_grad(fill):
    w = gradgpu.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        fill(w)
    before = w._version
    with gradgpu.no_grad():
        fill(w)
    assert w._version == before + 1
    assert w.requires_grad and w.is_leaf


def test_inplace_sampler_bumps_version_and_invalidates_saved_tensors():
    a = gradgpu.ones(3, requires_grad=True)
    b = a * 2
    y = (b * b).sum()  # saves b
    b.uniform_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_inplace_sampler_on_non_leaf_cuts_gradient_to_old_values():
    a = gradgpu.ones(3, requires_grad=True)
    b = a * 2
    b.normal_()
    (b * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0, 0.0])


def test_uniform_on_float32_never_reaches_upper_bound():
    gradgpu.manual_seed(12)
    x = gradgpu.empty(50000).uniform_(0.0, 1e-7)
    assert x.numpy().max() < np.float32(1e-7)
