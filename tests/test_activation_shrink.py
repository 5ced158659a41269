"""hardshrink, softshrink and rrelu (functions and modules) and the in-place functional forms
(relu_, elu_, leaky_relu_, hardtanh_, threshold_, selu_, celu_, rrelu_) against PyTorch:
values and float64 gradients at the kinks and at NaN/inf, dtype handling of lambd, argument
errors, reprs, rrelu's random slopes in training, and the in-place contracts. Expected values
were computed with PyTorch 2.13 (CPU) and are hard-coded here."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F
from gradgpu.autograd import gradcheck, gradgradcheck

NAN = float("nan")
INF = float("inf")
X = [-2.0, -0.5, -0.25, -0.0, 0.0, 0.5, 0.75, 3.0]
W = [1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 1.5, 2.5]
MEAN = (1.0 / 8 + 1.0 / 3) / 2

POINTWISE = [  # (function, y, d(sum(y * W))/dx) at X
    (F.hardshrink, [-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.75, 3.0],
     [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5, 2.5]),
    (lambda x: F.hardshrink(x, 1.0), [-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0],
     [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.5]),
    (F.softshrink, [-1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 2.5],
     [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5, 2.5]),
    (lambda x: F.softshrink(x, 0.0), [-2.0, -0.5, -0.25, 0.0, 0.0, 0.5, 0.75, 3.0],
     [1.0, 2.0, -1.0, 0.0, 0.0, -2.0, 1.5, 2.5]),
    (F.rrelu, [-0.4583333333333333, -0.11458333333333333, -0.057291666666666664, -0.0, 0.0,
               0.5, 0.75, 3.0],
     [0.22916666666666666, 0.4583333333333333, -0.22916666666666666, 0.11458333333333333,
      0.6875, -2.0, 1.5, 2.5]),
    (lambda x: F.rrelu(x, -0.5, 0.1), [0.4, 0.1, 0.05, 0.0, -0.0, 0.5, 0.75, 3.0],
     [-0.2, -0.4, 0.2, -0.1, -0.6000000000000001, -2.0, 1.5, 2.5]),
]


def _t(values, device, dtype=gradgpu.float64, requires_grad=False):
    return gradgpu.tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


@pytest.mark.parametrize("fn,y,dx", POINTWISE)
def test_values_and_gradients_match_pytorch_at_the_kinks(fn, y, dx, device):
    x = _t(X, device, requires_grad=True)
    out = fn(x)
    (out * _t(W, device)).sum().backward()
    np.testing.assert_allclose(out.detach().cpu().numpy(), y, rtol=1e-15, atol=0)
    np.testing.assert_allclose(x.grad.cpu().numpy(), dx, rtol=1e-15, atol=0)


@pytest.mark.parametrize("fn,want_grad", [
    (F.hardshrink, [1.0, 1.0, 1.0]),
    (F.softshrink, [1.0, 1.0, 1.0]),
    (F.rrelu, [MEAN, 1.0, MEAN]),  # eval: leaky_relu's slope for NaN (NaN > 0 is false)
    (lambda t: F.rrelu(t, 0.2, 0.2, training=True), [1.0, 1.0, 0.2]),  # training: NaN keeps 1
])
def test_nan_passes_and_infinities_keep_their_sign(fn, want_grad, device):
    x = _t([NAN, INF, -INF], device, requires_grad=True)
    out = fn(x)
    out.backward(_t([1.0, 1.0, 1.0], device))
    got = out.detach().cpu().numpy()
    assert np.isnan(got[0]) and got[1] == INF and got[2] == -INF
    np.testing.assert_allclose(x.grad.cpu().numpy(), want_grad, rtol=1e-15)


def test_lambd_is_rounded_to_the_input_dtype(device):
    # float16(0.1) = 0.0999755859375: PyTorch compares and subtracts that value
    h = _t([0.0999755859375, 0.1, 0.10009765625], device, gradgpu.float16)
    np.testing.assert_array_equal(F.hardshrink(h, 0.1).cpu().numpy(), [0.0, 0.0, 0.10009765625])
    s = F.softshrink(_t([1.0, 2.0, -1.0], device, gradgpu.float16), 0.1)
    assert s.dtype == gradgpu.float16
    np.testing.assert_array_equal(s.cpu().numpy(), [0.89990234375, 1.900390625, -0.89990234375])


def test_gradcheck_and_gradgradcheck_away_from_the_kinks(device):
    x = _t([[-2.0, -0.3, 0.2], [0.9, 1.7, -0.8]], device, requires_grad=True)
    for fn in (F.hardshrink, F.softshrink, F.rrelu, lambda t: F.softshrink(t, 0.0)):
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("dtype,lambd,message", [
    (gradgpu.float32, -1.0, r"lambda must be in range \[0, 3.40282e\+38\] for input dtype "
                            r"Float, but found -1$"),
    (gradgpu.float64, INF, r"lambda must be in range \[0, 1.79769e\+308\] for input dtype "
                           r"Double, but found inf$"),
    (gradgpu.float16, 1e39, r"lambda must be in range \[0, 65504\] for input dtype Half, but "
                            r"found 1e\+39$"),
    (gradgpu.float32, NAN, r"for input dtype Float, but found nan$"),
])
def test_softshrink_refuses_lambd_out_of_range(dtype, lambd, message):
    with pytest.raises(RuntimeError, match=message):
        F.softshrink(gradgpu.ones(2, dtype=dtype), lambd)


def test_hardshrink_takes_any_lambd():
    x = gradgpu.tensor([-1.0, 0.25])
    np.testing.assert_array_equal(F.hardshrink(x, -1.0).numpy(), [-1.0, 0.25])
    np.testing.assert_array_equal(F.hardshrink(x, NAN).numpy(), [-1.0, 0.25])


@pytest.mark.parametrize("call,message", [
    (lambda: F.hardshrink(gradgpu.arange(3)), "\"hardshrink_cpu\" not implemented for 'Long'"),
    (lambda: F.hardshrink(gradgpu.tensor([True])),
     "\"hardshrink_cpu\" not implemented for 'Bool'"),
    (lambda: F.softshrink(gradgpu.arange(3)), "\"softshrink_check\" not implemented for 'Long'"),
    (lambda: F.rrelu(gradgpu.arange(3)), "\"leaky_relu_cpu\" not implemented for 'Long'"),
    (lambda: F.rrelu(gradgpu.arange(3), training=True),
     "\"rrelu_with_noise_out_cpu\" not implemented for 'Long'"),
])
def test_integer_inputs_are_not_implemented(call, message):
    with pytest.raises(NotImplementedError, match=message):
        call()


@pytest.mark.parametrize("training", [False, True])
def test_rrelu_refuses_lower_above_upper(training):
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the "
                                           "upper bound"):
        F.rrelu(gradgpu.ones(2), 0.5, 0.1, training)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        nn.RReLU(0.5, 0.1).train(training)(gradgpu.ones(2))


def test_module_reprs_and_defaults():
    assert repr(nn.Hardshrink()) == "Hardshrink(0.5)"
    assert repr(nn.Softshrink(0.3)) == "Softshrink(0.3)"
    assert repr(nn.RReLU()) == "RReLU(lower=0.125, upper=0.3333333333333333)"
    assert repr(nn.RReLU(0.1, 0.3, inplace=True)) == "RReLU(lower=0.1, upper=0.3, inplace=True)"
    m = nn.RReLU()
    assert (m.lower, m.upper, m.inplace, nn.Hardshrink().lambd) == (0.125, 1 / 3, False, 0.5)


def test_modules_apply_their_functions(device):
    x = _t(X, device)
    np.testing.assert_array_equal(nn.Hardshrink(1.0)(x).cpu().numpy(),
                                  F.hardshrink(x, 1.0).cpu().numpy())
    np.testing.assert_array_equal(nn.Softshrink(0.25)(x).cpu().numpy(),
                                  F.softshrink(x, 0.25).cpu().numpy())
    np.testing.assert_array_equal(nn.RReLU().eval()(x).cpu().numpy(), F.rrelu(x).cpu().numpy())


# ---- rrelu in training: one random slope per element ---------------------------------------
def test_rrelu_training_draws_slopes_in_the_bounds_for_x_at_or_below_zero(device):
    x = gradgpu.linspace(-3.0, 3.0, 4001, dtype=gradgpu.float64, device=device)
    x.requires_grad_()
    gradgpu.manual_seed(5)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.sum().backward()
    xs, ys, gs = (t.detach().cpu().numpy() for t in (x, y, x.grad))
    pos, neg = xs > 0, xs < 0
    np.testing.assert_array_equal(ys[pos], xs[pos])
    np.testing.assert_array_equal(gs[pos], 1.0)
    slopes = ys[neg] / xs[neg]
    assert slopes.min() >= 0.1 and slopes.max() < 0.3
    np.testing.assert_allclose(gs[neg], slopes, rtol=1e-12)  # dx is the slope drawn
    assert abs(slopes.mean() - 0.2) < 0.01 and np.unique(slopes).size > 1900
    zero = xs == 0  # x = 0 takes a random slope too (PyTorch's x <= 0)
    assert 0.1 <= gs[zero][0] < 0.3 and ys[zero][0] == 0.0


def test_rrelu_training_is_reproducible_from_the_seed_and_differs_per_call():
    x = gradgpu.tensor([-1.0, -2.0, -3.0, 4.0])
    gradgpu.manual_seed(9)
    a, b = F.rrelu(x, training=True), F.rrelu(x, training=True)
    gradgpu.manual_seed(9)
    np.testing.assert_array_equal(F.rrelu(x, training=True).numpy(), a.numpy())
    assert not np.array_equal(a.numpy(), b.numpy())
    assert a.dtype == gradgpu.float32


def test_rrelu_with_equal_bounds_is_leaky_relu_in_training():
    x = gradgpu.tensor([-1.0, -0.5, 0.0, 1.0], dtype=gradgpu.float64)
    np.testing.assert_array_equal(F.rrelu(x, 0.2, 0.2, training=True).numpy(),
                                  [-0.2, -0.1, 0.0, 1.0])


def test_rrelu_module_follows_training_mode():
    x = gradgpu.full((1000,), -1.0)
    m = nn.RReLU()
    assert np.unique(m(x).numpy()).size > 100  # training by default: random slopes
    np.testing.assert_allclose(m.eval()(x).numpy(), -MEAN, rtol=1e-6)


# ---- in-place functional forms --------------------------------------------------------------
INPLACE = [  # (in-place form, out-of-place equivalent)
    (F.relu_, F.relu),
    (lambda t: F.elu_(t, 0.5), lambda t: F.elu(t, 0.5)),
    (lambda t: F.leaky_relu_(t, 0.2), lambda t: F.leaky_relu(t, 0.2)),
    (lambda t: F.hardtanh_(t, -0.5, 0.7), lambda t: F.hardtanh(t, -0.5, 0.7)),
    (lambda t: F.threshold_(t, 0.3, -4.0), lambda t: F.threshold(t, 0.3, -4.0)),
    (F.selu_, F.selu),
    (lambda t: F.celu_(t, 2.0), lambda t: F.celu(t, 2.0)),
    (F.rrelu_, F.rrelu),
    (lambda t: F.rrelu_(t, 0.1, 0.4, False), lambda t: F.rrelu(t, 0.1, 0.4)),
]
XI = [-2.0, -0.6, 0.2, 0.45, 1.3, 2.5]


@pytest.mark.parametrize("inplace,outplace", INPLACE)
def test_inplace_forms_write_into_the_input_and_carry_the_gradient(inplace, outplace, device):
    leaf = _t(XI, device, requires_grad=True)
    want = outplace(leaf)
    (want * _t(W[:6], device)).sum().backward()
    want_grad = leaf.grad.cpu().numpy()
    leaf.grad = None
    y = leaf * 1.0
    version = y._version
    out = inplace(y)
    assert out is y and y._version > version
    np.testing.assert_array_equal(y.detach().cpu().numpy(), want.detach().cpu().numpy())
    (y * _t(W[:6], device)).sum().backward()
    np.testing.assert_array_equal(leaf.grad.cpu().numpy(), want_grad)


@pytest.mark.parametrize("inplace,name", [
    (F.relu_, "relu_"), (F.elu_, "elu_"), (F.leaky_relu_, "leaky_relu_"),
    (F.hardtanh_, "hardtanh_"), (lambda t: F.threshold_(t, 0.0, 1.0), "threshold_"),
    (F.selu_, "selu_"), (F.celu_, "celu_"), (F.rrelu_, "rrelu_"),
    (lambda t: F.rrelu_(t, training=True), "rrelu_"),
])
def test_inplace_forms_refuse_a_leaf_that_requires_grad(inplace, name):
    x = gradgpu.tensor([-1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"^{name}: a leaf Variable that requires grad is "
                                           "being used in an in-place operation"):
        inplace(x)
    np.testing.assert_array_equal(x.detach().numpy(), [-1.0, 1.0])  # refused before writing


def test_rrelu_inplace_training_keeps_its_slopes_in_the_gradient():
    leaf = gradgpu.tensor([-2.0, -1.0, 0.5, -4.0], dtype=gradgpu.float64, requires_grad=True)
    y = leaf * 1.0
    gradgpu.manual_seed(3)
    F.rrelu_(y, 0.1, 0.3, training=True)
    y.sum().backward()
    slopes = y.detach().numpy() / np.array([-2.0, -1.0, 0.5, -4.0])
    np.testing.assert_allclose(leaf.grad.numpy(), slopes, rtol=1e-12)
    assert slopes[2] == 1.0 and all(0.1 <= s < 0.3 for s in slopes[[0, 1, 3]])


def test_functional_exports():
    for name in ("hardshrink", "softshrink", "rrelu", "relu_", "elu_", "leaky_relu_",
                 "hardtanh_", "threshold_", "selu_", "celu_", "rrelu_"):
        assert name in F.__all__ and callable(getattr(F, name))
