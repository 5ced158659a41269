"""Activations and nn.functional layers against PyTorch: in-place forms, special inputs
(NaN, kinks, large magnitudes), float16, implicit softmax dims, normalize's p, pad and linear
edge cases. Expected values were computed with PyTorch 2.x and are hard-coded here."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F

NAN = float("nan")
X0 = [-1.0, 0.5, 2.0, -3.0, 7.0]
W0 = [1.0, 2.0, 3.0, 4.0, 5.0]


# ---- in-place forms on a tensor in the graph -------------------------------------------------
@pytest.mark.parametrize("name, kw, want_y, want_grad", [
    ("silu", {}, [-0.2689414213699951, 0.3112296656009273, 1.7615941559557646,
                  -0.14227761953270035, 6.993622641639196],
     [0.07232948812851325, 1.4799223746053038, 3.2723527463546866, -0.35241642406067847,
      5.027302485332259]),
    ("mish", {}, [-0.30340146137410895, 0.3752452113048951, 1.9439589595339946,
                  -0.1456474612756246, 6.999988379809741],
     [0.059216755877395014, 1.7728487507154544, 3.207953802838469, -0.37357245812928336,
      5.000107795804444]),
    ("leaky_relu", {"negative_slope": 0.2}, [-0.2, 0.5, 2.0, -0.6, 7.0], [0.2, 2.0, 3.0, 0.8, 5.0]),
    ("relu6", {}, [0.0, 0.5, 2.0, 0.0, 6.0], [0.0, 2.0, 3.0, 0.0, 0.0]),
    ("hardtanh", {"min_val": -0.5, "max_val": 1.5}, [-0.5, 0.5, 1.5, -0.5, 1.5],
     [0.0, 2.0, 0.0, 0.0, 0.0]),
    ("elu", {"alpha": 1.5}, [-0.9481808382428365, 0.5, 2.0, -1.4253193974482041, 7.0],
     [0.5518191617571635, 2.0, 3.0, 0.2987224102071835, 5.0]),
    ("relu", {}, [0.0, 0.5, 2.0, 0.0, 7.0], [0.0, 2.0, 3.0, 0.0, 5.0]),
])
def test_inplace_activation_on_a_graph_tensor_backpropagates(name, kw, want_y, want_grad):
    # ReLU6(inplace=True) / LeakyReLU(0.2, inplace=True) after a conv: the backward used to
    # find its saved input overwritten and raise
    x = gradgpu.tensor(X0, dtype=gradgpu.float64, requires_grad=True)
    h = x * 1
    v0 = h._version
    y = getattr(F, name)(h, inplace=True, **kw)
    assert y is h and h._version == v0 + 1
    (y * gradgpu.tensor(W0, dtype=gradgpu.float64)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=1e-12)


@pytest.mark.parametrize("module", [nn.ReLU6(inplace=True), nn.LeakyReLU(0.2, inplace=True),
                                    nn.SiLU(inplace=True), nn.Mish(inplace=True),
                                    nn.Hardtanh(-0.5, 1.5, inplace=True), nn.ELU(inplace=True)])
def test_inplace_modules_train(module):
    lin = nn.Linear(3, 4).double()
    x = gradgpu.tensor([[0.3, -1.2, 2.0], [1.5, 0.1, -0.7]], dtype=gradgpu.float64)
    out = module(lin(x))
    out.sum().backward()
    assert lin.weight.grad is not None and np.isfinite(lin.weight.grad.numpy()).all()


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "hardtanh", "silu",
                                  "mish"])
def test_inplace_on_a_leaf_raises_before_writing(name):
    x = gradgpu.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(x, inplace=True)
    np.testing.assert_array_equal(x.detach().numpy(), [-1.0, 0.5, 2.0])
    assert x._version == 0


def test_inplace_without_grad_writes_and_bumps_the_version():
    x = gradgpu.tensor([-1.0, 0.5, 7.0])
    y = F.relu6(x, inplace=True)
    assert y is x and x._version == 1
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.5, 6.0])


def test_inplace_with_a_negative_slope_keeps_the_correct_gradient():
    # PyTorch refuses leaky_relu_/elu_ with a negative slope under autograd; gradgpu backprops
    # through a copy of the input instead, giving the out-of-place gradient
    x = gradgpu.tensor([-2.0, -0.5, 1.0], dtype=gradgpu.float64, requires_grad=True)
    F.elu(x * 1, alpha=-1.0, inplace=True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.1353352832366127, -0.6065306597126334, 1.0],
                               rtol=1e-12)
    x.grad = None
    F.leaky_relu(x * 1, -0.5, inplace=True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.5, -0.5, 1.0])


# ---- special inputs ------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [F.relu6, F.hardtanh,
                                lambda t: F.hardtanh(t, -0.5, 2.5)])
def test_hardtanh_passes_the_gradient_through_nan(fn):
    x = gradgpu.tensor([NAN, 10.0, 0.5, -10.0], dtype=gradgpu.float64, requires_grad=True)
    y = fn(x)
    y.backward(gradgpu.tensor([1.5, 1.0, 2.0, 1.0], dtype=gradgpu.float64))
    assert math.isnan(y[0].item())
    np.testing.assert_array_equal(x.grad.numpy(), [1.5, 0.0, 2.0, 0.0])


def test_hardtanh_keeps_negative_zero():
    y = F.relu6(gradgpu.tensor([-0.0, 0.0]))
    assert np.signbit(y.numpy()).tolist() == [True, False]


@pytest.mark.parametrize("dtype, want", [
    (gradgpu.float64, [3.0917304336578366e-09, 6.372531382937383e-18, 1.0, 1.5,
                       0.5518191617571635]),
    (gradgpu.float32, [3.0917304272293222e-09, 6.3725311967079896e-18, 1.0, 1.5,
                       0.5518191617571635]),
])
def test_elu_gradient_from_the_input(dtype, want):
    # alpha e^x: the old g * (y + alpha) cancelled to 0 for x << 0 and gave NaN at NaN
    x = gradgpu.tensor([-20.0, -40.0, NAN, 0.0, -1.0], dtype=dtype, requires_grad=True)
    F.elu(x, 1.5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6 if dtype is gradgpu.float32
                               else 1e-12)


def test_elu_negative_alpha_gradient():
    x = gradgpu.tensor([-2.0, -0.5, 1.0], dtype=gradgpu.float64, requires_grad=True)
    y = F.elu(x, alpha=-1.0)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [0.8646647167633873, 0.3934693402873666, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [-0.1353352832366127, -0.6065306597126334, 1.0],
                               rtol=1e-12)


def test_elu_double_backward_is_finite_for_large_inputs():
    x = gradgpu.tensor([-2.0, 800.0], dtype=gradgpu.float64, requires_grad=True)
    (dx,) = gradgpu.autograd.grad(F.elu(x).sum(), x, create_graph=True)
    (ddx,) = gradgpu.autograd.grad(dx.sum(), x)
    np.testing.assert_allclose(ddx.numpy(), [math.exp(-2.0), 0.0], rtol=1e-12)


@pytest.mark.parametrize("fn, x, want_y, want_grad", [
    (F.gelu, [0.0, -3.0, 710.0, 1.0], [0.0, -0.00405120849609375, 710.0, 0.84130859375],
     [0.5, -0.0119476318359375, 1.0, 1.0830078125]),
    (lambda t: F.gelu(t, approximate="tanh"), [0.0, -3.0, 710.0, 1.0],
     [0.0, -0.0036373138427734375, 710.0, 0.84130859375],
     [0.5, -0.0115814208984375, 1.0, 1.0830078125]),
    (F.silu, [-3.0, 0.0, 25.0], [-0.142333984375, 0.0, 25.0], [-0.08807373046875, 0.5, 1.0]),
    (F.elu, [-3.0, 0.5], [-0.9501953125, 0.5], [0.049774169921875, 1.0]),
])
def test_float16_activations_compute_in_float32(fn, x, want_y, want_grad):
    # half precision arithmetic gave NaN gradients (gelu at 0, gelu_tanh at 710) and lost every
    # digit of 1 + erf near x = -3; PyTorch (and our CUDA kernels) compute in float32
    t = gradgpu.tensor(x, dtype=gradgpu.float16, requires_grad=True)
    y = fn(t)
    y.sum().backward()
    assert y.dtype is gradgpu.float16 and t.grad.dtype is gradgpu.float16
    np.testing.assert_allclose(y.detach().numpy().astype(float), want_y, rtol=2e-3)
    np.testing.assert_allclose(t.grad.numpy().astype(float), want_grad, rtol=2e-3)


# ---- softmax family ------------------------------------------------------------------------
def test_softmax_implicit_dim_warns_and_follows_pytorch():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(gradgpu.tensor([[1.0, 2.0], [3.0, 5.0]]))
    np.testing.assert_allclose(y.numpy(), [[0.2689414322376251, 0.7310585975646973],
                                           [0.11920291185379028, 0.8807970285415649]], rtol=1e-6)
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        y = F.log_softmax(gradgpu.tensor([[[1.0, 2.0]], [[3.0, 5.0]]]))  # 3-D: dim 0
    np.testing.assert_allclose(y.numpy(), [[[-2.1269280910491943, -3.0485873222351074]],
                                           [[-0.12692804634571075, -0.04858732968568802]]],
                               rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax(gradgpu.ones(2, 3), 1)  # an explicit dim does not warn


def test_softmin_and_softmax2d():
    np.testing.assert_allclose(F.softmin(gradgpu.tensor([1.0, 2.0, 3.0]), dim=0).numpy(),
                               [0.6652409434318542, 0.2447284758090973, 0.09003057330846786],
                               rtol=1e-6)
    m = nn.Softmin(dim=0)
    assert repr(m) == "Softmin(dim=0)"
    np.testing.assert_allclose(m(gradgpu.tensor([1.0, 2.0, 3.0])).numpy()[0], 0.6652409434318542,
                               rtol=1e-6)
    s2 = nn.Softmax2d()
    assert repr(s2) == "Softmax2d()"
    np.testing.assert_allclose(s2(gradgpu.tensor([[[1.0]], [[2.0]]])).numpy().ravel(),
                               [0.2689414322376251, 0.7310585975646973], rtol=1e-6)
    with pytest.raises(ValueError, match="3D or 4D"):
        s2(gradgpu.ones(2, 3))


def test_softmax_module_without_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(gradgpu.ones(2, 4))
    np.testing.assert_allclose(y.numpy(), np.full((2, 4), 0.25))


# ---- normalize -----------------------------------------------------------------------------
_NX = [[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 2.0]]


@pytest.mark.parametrize("p, want_y, want_grad", [
    (math.inf, [[0.75, -1.0, 0.0], [0.0, 0.0, 0.0], [0.5, 1.0, 1.0]],
     [[0.0, 0.0, 0.5], [3e12, 4e12, 5e12], [3.0, -1.0, -0.5]]),
    (-math.inf, [[3e12, -4e12, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 2.0]],
     [[0.0, 1e12, 2e12], [3e12, 4e12, 5e12], [-30.0, 7.0, 8.0]]),
    (0.0, [[1.5, -2.0, 0.0], [0.0, 0.0, 0.0], [1 / 3, 2 / 3, 2 / 3]],
     [[0.0, 0.5, 1.0], [3e12, 4e12, 5e12], [2.0, 2.3333333333333335, 2.6666666666666665]]),
    (0.5, [[0.2153903091734725, -0.2871870788979633, 0.0], [0.0, 0.0, 0.0],
           [0.06822746429607389, 0.13645492859214778, 0.13645492859214778]],
     [[0.04442799572107951, 0.03332099679080963, 0.14359353944898165], [3e12, 4e12, 5e12],
      [-0.2322012241346102, 0.023936573885615542, 0.09216403818168944]]),
])
def test_normalize_any_p(p, want_y, want_grad):
    # p = inf used to divide by 1 (sum |x|^inf)^0, p = 0 raised ZeroDivisionError, p < 1 gave
    # NaN gradients at zero entries
    x = gradgpu.tensor(_NX, dtype=gradgpu.float64, requires_grad=True)
    y = F.normalize(x, p=p, dim=1)
    (y * gradgpu.arange(9.0).reshape(3, 3).double()).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=1e-12)


def test_normalize_rejects_integer_input():
    with pytest.raises(RuntimeError, match="floating point"):
        F.normalize(gradgpu.tensor([1, 2]), dim=0)


# ---- pad, linear ---------------------------------------------------------------------------
def test_pad_rejects_non_integer_widths():
    with pytest.raises(TypeError, match="tuple of ints"):
        F.pad(gradgpu.ones(3), (1.5, 1))
    assert F.pad(gradgpu.ones(3), (np.int64(1), 2)).shape == (6,)


def test_linear_with_no_input_features():
    x = gradgpu.ones(2, 0, requires_grad=True)
    w = gradgpu.ones(4, 0, requires_grad=True)
    b = gradgpu.ones(4, requires_grad=True)
    y = F.linear(x, w, b)
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), np.ones((2, 4)))
    assert w.grad.shape == (4, 0)
    np.testing.assert_array_equal(b.grad.numpy(), [2.0] * 4)


@pytest.mark.parametrize("wshape", [(4, 3), (3,)])
def test_linear_rejects_a_bias_of_another_dtype(wshape):
    x = gradgpu.ones(2, 3, dtype=gradgpu.float64)
    w = gradgpu.ones(*wshape, dtype=gradgpu.float64)
    b = gradgpu.ones(wshape[0] if len(wshape) == 2 else 1)
    with pytest.raises(RuntimeError, match="bias"):
        F.linear(x, w, b)
