"""Layers: forward against NumPy with the same weights, default initialization, reprs."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import gradgpu
from gradgpu import nn

RNG = np.random.default_rng(0)


def _t(a, dtype=gradgpu.float64):
    return gradgpu.tensor(np.asarray(a), dtype=dtype)


def _np(t):
    return t.detach().numpy()


def _conv_ref(x, w, b, stride, pad, dil, groups):
    """Direct-loop cross-correlation; pad = (top, bottom, left, right)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pad[:2], pad[2:]))
    oh = (xp.shape[2] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out + (0 if b is None else b[None, :, None, None])


# ---- Linear / Conv2d -------------------------------------------------------------------------
def test_linear_forward_and_repr():
    lin = nn.Linear(4, 3).double()
    x = RNG.standard_normal((5, 4))
    ref = x @ _np(lin.weight).T + _np(lin.bias)
    np.testing.assert_allclose(_np(lin(_t(x))), ref, rtol=1e-12)
    assert repr(lin) == "Linear(in_features=4, out_features=3, bias=True)"
    nobias = nn.Linear(4, 3, bias=False)
    assert nobias.bias is None and [n for n, _ in nobias.named_parameters()] == ["weight"]
    assert repr(nobias) == "Linear(in_features=4, out_features=3, bias=False)"
    assert lin.weight.shape == (3, 4) and lin.bias.shape == (3,)


def test_linear_dtype_argument():
    assert nn.Linear(2, 2, dtype=gradgpu.float64).weight.dtype is gradgpu.float64
    assert nn.Linear(2, 2).weight.dtype is gradgpu.float32


@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Linear(50, 40), 50),
    (lambda: nn.Conv2d(6, 8, 3), 54),
    (lambda: nn.Conv2d(6, 9, (3, 2), groups=3), 12),
])
def test_default_init_within_kaiming_bound(make, fan_in):
    # kaiming_uniform_(a=sqrt(5)): bound = sqrt(6 / ((1 + 5) fan_in)) = 1 / sqrt(fan_in)
    gradgpu.manual_seed(1)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    w, b = _np(layer.weight), _np(layer.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # the samples spread over the interval: U(-B, B) has std B / sqrt(3)
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.2)
    assert np.abs(w).max() > 0.8 * bound


def test_reset_parameters_redraws_with_seed():
    gradgpu.manual_seed(3)
    a = _np(nn.Linear(3, 2).weight).copy()
    gradgpu.manual_seed(3)
    b = nn.Linear(3, 2)
    np.testing.assert_array_equal(_np(b.weight), a)
    b.reset_parameters()
    assert not np.array_equal(_np(b.weight), a)


@pytest.mark.parametrize("kw, pad", [
    (dict(stride=1, padding=0), (0, 0, 0, 0)),
    (dict(stride=2, padding=1, groups=2), (1, 1, 1, 1)),
    (dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1)), (2, 2, 0, 0)),
    (dict(padding="valid"), (0, 0, 0, 0)),
    (dict(padding="same", dilation=2), (2, 2, 1, 1)),  # kernel (3, 2): total 4 and 2
])
def test_conv2d_forward_matches_loops(kw, pad):
    ks = (3, 2) if kw.get("padding") == "same" else 3
    conv = nn.Conv2d(4, 6, ks, **kw).double()
    x = RNG.standard_normal((2, 4, 7, 6))
    ref = _conv_ref(x, _np(conv.weight), _np(conv.bias), conv.stride, pad, conv.dilation,
                    conv.groups)
    out = _np(conv(_t(x)))
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)


def test_conv2d_repr_and_errors():
    assert repr(nn.Conv2d(3, 8, 3)) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(4, 8, (3, 5), stride=2, padding=1, dilation=2, groups=2,
                          bias=False)) == (
        "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
        "groups=2, bias=False)")
    assert repr(nn.Conv2d(1, 1, 3, padding="same")) == (
        "Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1), padding=same)")
    assert nn.Conv2d(4, 8, 3, groups=2).weight.shape == (8, 2, 3, 3)
    with pytest.raises(NotImplementedError, match="reflect"):
        nn.Conv2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string"):
        nn.Conv2d(1, 1, 3, padding="full")


def test_conv2d_accepts_one_element_tuples():
    # PyTorch's _pair passes (k,) through and conv2d applies it to both dims
    conv = nn.Conv2d(3, 2, (3,), stride=(1,), padding=(1,), dilation=[1])
    assert conv.kernel_size == (3, 3) and conv.padding == (1, 1) and conv.stride == (1, 1)
    assert conv.weight.shape == (2, 3, 3, 3)
    assert conv(gradgpu.randn(1, 3, 5, 5)).shape == (1, 2, 5, 5)
    with pytest.raises(ValueError, match="padding must be an int or a pair"):
        nn.Conv2d(3, 2, 3, padding=(1, 2, 3))


# ---- pooling / reshaping ---------------------------------------------------------------------
def test_avg_pool2d_divisor_override_must_be_a_nonzero_int():
    F = nn.functional
    x = _t(np.arange(16.0).reshape(1, 1, 4, 4))
    # an integer divides as given: window sums [10, 18, 42, 50] / 4
    np.testing.assert_allclose(_np(F.avg_pool2d(x, 2, divisor_override=np.int64(4))),
                               [[[[2.5, 4.5], [10.5, 12.5]]]])
    for bad in (2.5, 2.0, True):  # PyTorch: TypeError, never a truncated divisor
        with pytest.raises(TypeError, match="'divisor_override' must be int, not "):
            F.avg_pool2d(x, 2, divisor_override=bad)
    with pytest.raises(TypeError, match="must be int, not float"):
        nn.AvgPool2d(2, divisor_override=2.5)(x)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(x, 2, divisor_override=0)


def test_pooling_layers():
    x = RNG.standard_normal((2, 3, 6, 6))
    mx = nn.MaxPool2d(2)
    ref = x.reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(_np(mx(_t(x))), ref)
    assert repr(mx) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    out, idx = nn.MaxPool2d(2, return_indices=True)(_t(x))
    assert idx.dtype is gradgpu.int64 and idx.shape == out.shape
    avg = nn.AvgPool2d(3, stride=3)
    np.testing.assert_allclose(_np(avg(_t(x))), x.reshape(2, 3, 2, 3, 2, 3).mean(axis=(3, 5)))
    assert repr(avg) == "AvgPool2d(kernel_size=3, stride=3, padding=0)"
    ada = nn.AdaptiveAvgPool2d((1, 2))
    np.testing.assert_allclose(_np(ada(_t(x))),
                               x.reshape(2, 3, 6, 2, 3).mean(axis=(2, 4))[:, :, None, :])
    assert repr(ada) == "AdaptiveAvgPool2d(output_size=(1, 2))"


def test_flatten_unflatten_identity():
    x = _t(RNG.standard_normal((2, 3, 4)))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(2, (2, 2))(x).shape == (2, 3, 2, 2)
    assert repr(nn.Unflatten(1, (2, 2))) == "Unflatten(dim=1, unflattened_size=(2, 2))"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    ident = nn.Identity(3, foo=1)
    assert ident(x) is x and repr(ident) == "Identity()"


# ---- activations -----------------------------------------------------------------------------
def _erf(x):
    return np.vectorize(math.erf)(x)


ACTIVATIONS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0), "ReLU()"),
    (nn.ReLU6(), lambda x: np.clip(x, 0, 6), "ReLU6()"),
    (nn.Hardtanh(-0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
     "Hardtanh(min_val=-0.5, max_val=0.5)"),
    (nn.GELU(), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), "GELU(approximate='none')"),
    (nn.GELU("tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
     "GELU(approximate='tanh')"),
    (nn.Tanh(), np.tanh, "Tanh()"),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), "Sigmoid()"),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x)), "SiLU()"),
    (nn.Mish(), lambda x: x * np.tanh(np.log1p(np.exp(x))), "Mish()"),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), "LeakyReLU(negative_slope=0.2)"),
    (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)), "ELU(alpha=0.7)"),
    (nn.Softplus(2.0), lambda x: np.log1p(np.exp(2 * x)) / 2, "Softplus(beta=2.0, threshold=20.0)"),
    (nn.LogSigmoid(), lambda x: -np.log1p(np.exp(-x)), "LogSigmoid()"),
    (nn.Softmax(1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True), "Softmax(dim=1)"),
    (nn.LogSoftmax(-1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
     "LogSoftmax(dim=-1)"),
]


@pytest.mark.parametrize("layer, ref, text", ACTIVATIONS, ids=[a[2] for a in ACTIVATIONS])
def test_activation_forward_and_repr(layer, ref, text):
    x = RNG.standard_normal((3, 5)) * 2
    np.testing.assert_allclose(_np(layer(_t(x))), ref(x), rtol=1e-7, atol=1e-12)
    assert repr(layer) == text


def test_inplace_activation_reprs():
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.LeakyReLU(inplace=True)) == "LeakyReLU(negative_slope=0.01, inplace=True)"
    x = _t([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x and x.tolist() == [0.0, 2.0]


def test_softmax_without_dim_warns_and_picks_legacy_dim():
    x = _t(RNG.standard_normal((2, 3)))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(x)
    np.testing.assert_allclose(_np(y).sum(1), 1.0)


# ---- dropout ---------------------------------------------------------------------------------
def test_dropout_train_and_eval():
    d = nn.Dropout(0.25)
    x = gradgpu.ones(4000, dtype=gradgpu.float64)
    y = _np(d(x))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    assert kept.mean() == pytest.approx(0.75, abs=0.04)
    d.eval()
    assert d(x) is x
    assert repr(d) == "Dropout(p=0.25, inplace=False)"
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


# ---- LayerNorm / Embedding -------------------------------------------------------------------
def test_layer_norm():
    ln = nn.LayerNorm((2, 3), eps=1e-3).double()
    assert np.all(_np(ln.weight) == 1) and np.all(_np(ln.bias) == 0)
    with gradgpu.no_grad():
        ln.weight.copy_(_t(RNG.standard_normal((2, 3))))
        ln.bias.copy_(_t(RNG.standard_normal((2, 3))))
    x = RNG.standard_normal((4, 2, 3))
    mu = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    ref = (x - mu) / np.sqrt(var + 1e-3) * _np(ln.weight) + _np(ln.bias)
    np.testing.assert_allclose(_np(ln(_t(x))), ref, rtol=1e-10)
    assert repr(ln) == "LayerNorm((2, 3), eps=0.001, elementwise_affine=True, bias=True)"
    plain = nn.LayerNorm(3, elementwise_affine=False)
    assert plain.weight is None and list(plain.parameters()) == []
    assert repr(plain) == "LayerNorm((3,), eps=1e-05, elementwise_affine=False, bias=False)"
    assert nn.LayerNorm(3, bias=False).bias is None


def test_embedding():
    gradgpu.manual_seed(0)
    emb = nn.Embedding(2000, 8, padding_idx=-1)
    w = _np(emb.weight)
    assert emb.padding_idx == 1999 and np.all(w[1999] == 0)
    assert w[:-1].mean() == pytest.approx(0, abs=0.03) and w[:-1].std() == pytest.approx(1,
                                                                                     abs=0.03)
    idx = gradgpu.tensor([[3, 1999], [0, 3]])
    out = emb(idx)
    np.testing.assert_array_equal(_np(out), w[[[3, 1999], [0, 3]]])
    out.sum().backward()
    g = _np(emb.weight.grad)
    assert g[3].tolist() == [2.0] * 8 and g[1999].tolist() == [0.0] * 8
    assert repr(emb) == "Embedding(2000, 8, padding_idx=1999)"


def test_embedding_from_pretrained():
    table = _t([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb.weight.data_ptr() == table.data_ptr()
    assert emb(gradgpu.tensor([1])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(gradgpu.zeros(3))


# ---- losses ----------------------------------------------------------------------------------
def _log_softmax(x):
    m = x.max(1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(1, keepdims=True))


def test_cross_entropy_and_nll_modules():
    x = RNG.standard_normal((5, 4))
    t = np.array([0, 3, 1, 1, 2])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    lp = _log_softmax(x)
    picked = -lp[np.arange(5), t] * w[t]
    ce = nn.CrossEntropyLoss(weight=_t(w))
    np.testing.assert_allclose(ce(_t(x), gradgpu.tensor(t)).item(), picked.sum() / w[t].sum())
    assert "weight" in ce.state_dict()
    np.testing.assert_allclose(nn.NLLLoss(reduction="sum")(_t(lp), gradgpu.tensor(t)).item(),
                               -lp[np.arange(5), t].sum())
    t_ign = t.copy()
    t_ign[0] = -100
    ref = -lp[np.arange(1, 5), t[1:]].mean()
    np.testing.assert_allclose(nn.CrossEntropyLoss()(_t(x), gradgpu.tensor(t_ign)).item(), ref)
    eps = 0.2
    smooth = (1 - eps) * -lp[np.arange(5), t] + eps * -lp.mean(1)
    np.testing.assert_allclose(
        nn.CrossEntropyLoss(label_smoothing=eps)(_t(x), gradgpu.tensor(t)).item(), smooth.mean())
    none = nn.CrossEntropyLoss(reduction="none")(_t(x), gradgpu.tensor(t))
    assert none.shape == (5,)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")


def test_regression_and_binary_losses():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    d = a - b
    np.testing.assert_allclose(nn.MSELoss()(_t(a), _t(b)).item(), (d**2).mean())
    np.testing.assert_allclose(nn.L1Loss(reduction="sum")(_t(a), _t(b)).item(), np.abs(d).sum())
    np.testing.assert_allclose(
        nn.SmoothL1Loss(beta=0.5)(_t(a), _t(b)).item(),
        np.where(np.abs(d) < 0.5, 0.5 * d**2 / 0.5, np.abs(d) - 0.25).mean())
    np.testing.assert_allclose(
        nn.HuberLoss(delta=0.5)(_t(a), _t(b)).item(),
        np.where(np.abs(d) < 0.5, 0.5 * d**2, 0.5 * (np.abs(d) - 0.25)).mean())
    p = 1 / (1 + np.exp(-a))
    y = (b > 0).astype(float)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(nn.BCELoss()(_t(p), _t(y)).item(), bce.mean())
    np.testing.assert_allclose(nn.BCEWithLogitsLoss()(_t(a), _t(y)).item(), bce.mean())
    pw = np.array([1.0, 2.0, 3.0, 0.5])
    weighted = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    mod = nn.BCEWithLogitsLoss(pos_weight=_t(pw))
    np.testing.assert_allclose(mod(_t(a), _t(y)).item(), weighted.mean())
    assert list(mod.state_dict()) == ["pos_weight"]  # a None weight buffer is not saved
    assert repr(mod) == "BCEWithLogitsLoss()"


def test_legacy_reduction_flags_warn():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        loss = nn.MSELoss(size_average=False)
    assert loss.reduction == "sum"


def test_ordered_dict_sequential_forward():
    seq = nn.Sequential(OrderedDict(fc=nn.Linear(2, 3), act=nn.Tanh())).double()
    x = RNG.standard_normal((4, 2))
    ref = np.tanh(x @ _np(seq.fc.weight).T + _np(seq.fc.bias))
    np.testing.assert_allclose(_np(seq(_t(x))), ref, rtol=1e-12)
