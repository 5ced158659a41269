"""nn.init: gains, fans, and the statistics of each initializer."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu import nn
from gradgpu.nn import init


def _np(t):
    return t.detach().numpy()


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(gradgpu.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(gradgpu.empty(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(gradgpu.empty(4))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(gradgpu.empty(3, 3), mode="fan_avg")


W_SHAPE = (200, 100, 3)  # fan_in 300, fan_out 600; 60000 samples


@pytest.mark.parametrize("fn, bound, std", [
    (lambda t: init.uniform_(t, -0.3, 0.5), None, 0.8 / math.sqrt(12)),
    (lambda t: init.kaiming_uniform_(t), math.sqrt(6 / 300), None),
    (lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
     math.sqrt(6 / 600), None),
    (lambda t: init.xavier_uniform_(t, gain=2.0), 2 * math.sqrt(6 / 900), None),
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), None, math.sqrt(2 / 300)),
    (lambda t: init.xavier_normal_(t), None, math.sqrt(2 / 900)),
    (lambda t: init.normal_(t, 0.0, 0.02), None, 0.02),
])
def test_initializer_statistics(fn, bound, std):
    gradgpu.manual_seed(0)
    t = gradgpu.empty(*W_SHAPE, dtype=gradgpu.float64)
    assert fn(t) is t
    a = _np(t)
    if bound is not None:  # uniform on [-bound, bound]: max close to bound, std bound / sqrt 3
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound
        std = bound / math.sqrt(3)
    assert a.std() == pytest.approx(std, rel=0.02)


def test_normal_mean_and_constant_fills():
    t = gradgpu.empty(10000, dtype=gradgpu.float64)
    init.normal_(t, mean=3.0, std=0.5)
    assert _np(t).mean() == pytest.approx(3.0, abs=0.02)
    assert _np(init.constant_(t, 0.25)).tolist() == [0.25] * 10000
    assert np.all(_np(init.ones_(t)) == 1) and np.all(_np(init.zeros_(t)) == 0)
    e = init.eye_(gradgpu.empty(2, 3))
    assert e.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def test_trunc_normal_statistics():
    gradgpu.manual_seed(0)
    t = init.trunc_normal_(gradgpu.empty(100000, dtype=gradgpu.float64), mean=0.5, std=1.0,
                           a=-1.0, b=2.0)
    a = _np(t)
    assert a.min() >= -1.0 and a.max() <= 2.0
    # truncated normal moments: alpha = -1.5, beta = 1.5 (symmetric around the mean)
    z = 0.5 * math.erf(1.5 / math.sqrt(2)) * 2
    phi = math.exp(-1.5**2 / 2) / math.sqrt(2 * math.pi)
    var = 1 - 2 * 1.5 * phi / z
    assert a.mean() == pytest.approx(0.5, abs=0.01)
    assert a.std() == pytest.approx(math.sqrt(var), rel=0.01)
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(gradgpu.empty(10), mean=10.0)


def test_orthogonal():
    for shape in [(4, 6), (6, 4), (3, 2, 2)]:
        t = init.orthogonal_(gradgpu.empty(*shape, dtype=gradgpu.float64), gain=2.0)
        m = _np(t).reshape(shape[0], -1)
        small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        np.testing.assert_allclose(small, 4 * np.eye(small.shape[0]), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(gradgpu.empty(3))


def test_init_on_parameters_records_no_graph_and_accepts_generator():
    p = nn.Parameter(gradgpu.empty(3, 4))
    init.kaiming_uniform_(p, a=math.sqrt(5))
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    g1, g2 = gradgpu.Generator().manual_seed(7), gradgpu.Generator().manual_seed(7)
    a = init.xavier_normal_(gradgpu.empty(5, 5), generator=g1)
    b = init.xavier_normal_(gradgpu.empty(5, 5), generator=g2)
    np.testing.assert_array_equal(_np(a), _np(b))
    c = init.trunc_normal_(gradgpu.empty(5), generator=gradgpu.Generator().manual_seed(7))
    d = init.trunc_normal_(gradgpu.empty(5), generator=gradgpu.Generator().manual_seed(7))
    np.testing.assert_array_equal(_np(c), _np(d))


def test_zero_element_tensor_warns():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_normal_(gradgpu.empty(0, 3))
