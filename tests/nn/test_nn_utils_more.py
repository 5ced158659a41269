"""nn.utils: batch-norm fusion, functional_call (gradgpu.func and the deprecated stateless
alias), skip_init and clip_grads_with_norm_."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import nn
from gradgpu.func import functional_call
from gradgpu.nn.utils import (
    clip_grads_with_norm_,
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    get_total_norm,
    skip_init,
)

F64 = gradgpu.float64


def _np(t):
    return t.detach().cpu().numpy()


def _bn_with_stats(bn, n, device):
    with gradgpu.no_grad():
        bn.running_mean.copy_(gradgpu.linspace(-1.0, 1.0, n, dtype=F64, device=device))
        bn.running_var.copy_(gradgpu.linspace(0.5, 2.0, n, dtype=F64, device=device))
        bn.weight.copy_(gradgpu.linspace(0.5, 1.5, n, dtype=F64, device=device))
        bn.bias.copy_(gradgpu.linspace(-0.3, 0.3, n, dtype=F64, device=device))
    return bn.eval()


@pytest.mark.parametrize("conv_cls, bn_cls, x_shape, transpose", [
    (nn.Conv2d, nn.BatchNorm2d, (2, 3, 5, 5), False),
    (nn.Conv1d, nn.BatchNorm1d, (2, 3, 7), False),
    (nn.ConvTranspose2d, nn.BatchNorm2d, (2, 3, 4, 4), True),
])
def test_fuse_conv_bn_eval_matches_bn_of_conv(device, conv_cls, bn_cls, x_shape, transpose):
    conv = conv_cls(3, 4, 3, device=device).double().eval()
    bn = _bn_with_stats(bn_cls(4, device=device).double(), 4, device)
    fused = fuse_conv_bn_eval(conv, bn, transpose=transpose)
    assert fused is not conv and isinstance(fused.weight, nn.Parameter)
    x = gradgpu.randn(*x_shape, dtype=F64, device=device)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(conv(x))), rtol=1e-10, atol=1e-12)


def test_fuse_conv_bn_weights_without_bias_or_affine():
    w = gradgpu.randn(4, 3, 1, 1, dtype=F64)
    rm, rv = gradgpu.rand(4, dtype=F64), gradgpu.rand(4, dtype=F64) + 0.5
    fw, fb = fuse_conv_bn_weights(w, None, rm, rv, 1e-5, None, None)
    scale = 1 / np.sqrt(_np(rv) + 1e-5)
    np.testing.assert_allclose(_np(fw), _np(w) * scale[:, None, None, None])
    np.testing.assert_allclose(_np(fb), -_np(rm) * scale)
    assert fw.requires_grad is False and fb.requires_grad is False


def test_fuse_linear_bn_eval(device):
    lin = nn.Linear(3, 4, device=device).double().eval()
    bn = _bn_with_stats(nn.BatchNorm1d(4, device=device).double(), 4, device)
    fused = fuse_linear_bn_eval(lin, bn)
    x = gradgpu.randn(5, 3, dtype=F64, device=device)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(lin(x))), rtol=1e-10, atol=1e-12)
    assert fused.weight.requires_grad and fused.bias.requires_grad


def test_fusion_errors():
    conv, bn = nn.Conv2d(2, 2, 1), nn.BatchNorm2d(2)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fuse_conv_bn_eval(conv, bn)
    with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
        fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(2).eval())


# ---- functional_call ---------------------------------------------------------------------

def test_functional_call_on_a_parametrized_name_sets_and_restores_through_the_property():
    # the name is a class property, not a parameter: it was set through the property but
    # "restored" by deleting it from the instance __dict__ (KeyError), leaving the original
    # overwritten. PyTorch sets it (through right_inverse) and sets the old value back.
    from gradgpu.nn.utils import parametrize

    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

        def right_inverse(self, y):
            return y / 2

    m = nn.Linear(2, 2, bias=False).to(gradgpu.float64)
    with gradgpu.no_grad():
        m.weight.copy_(gradgpu.eye(2, dtype=gradgpu.float64))
    parametrize.register_parametrization(m, "weight", Double())
    x = gradgpu.ones(1, 2, dtype=gradgpu.float64)
    out = functional_call(m, {"weight": gradgpu.full((2, 2), 3.0, dtype=gradgpu.float64)}, (x,))
    np.testing.assert_allclose(out.detach().numpy(), [[6.0, 6.0]])
    np.testing.assert_allclose(m.weight.detach().numpy(), np.eye(2))


def test_functional_call_replaces_and_restores(device):
    m = nn.Linear(2, 2, device=device).double()
    weight, bias = m.weight, m.bias
    w = gradgpu.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64, device=device, requires_grad=True)
    x = gradgpu.ones(2, dtype=F64, device=device)
    out = functional_call(m, {"weight": w}, (x,))
    np.testing.assert_allclose(_np(out), np.array([3.0, 7.0]) + _np(bias))
    assert m.weight is weight and m.bias is bias
    out.sum().backward()
    np.testing.assert_allclose(_np(w.grad), np.ones((2, 2)))
    assert weight.grad is None
    # a single positional arg need not be a tuple; kwargs go through too
    np.testing.assert_allclose(_np(functional_call(m, {"bias": gradgpu.zeros(2, dtype=F64,
                                                                     device=device)}, x)),
                               _np(weight.sum(1)))
    np.testing.assert_allclose(_np(functional_call(m, ({"weight": w}, {}), kwargs={"input": x})),
                               _np(out))


def test_functional_call_restores_after_error():
    m = nn.Linear(2, 2)
    weight = m.weight
    with pytest.raises(RuntimeError):
        functional_call(m, {"weight": gradgpu.zeros(3, 3)}, gradgpu.ones(2))
    assert m.weight is weight


def test_functional_call_buffers_and_nested():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).double().eval()
    mean = gradgpu.tensor([1.0, -1.0], dtype=F64)
    x = gradgpu.zeros(1, 2, dtype=F64)
    bn = net[1]
    expected = (-_np(mean) / np.sqrt(1 + bn.eps)) * _np(bn.weight) + _np(bn.bias)
    np.testing.assert_allclose(_np(functional_call(net, {"0.bias": gradgpu.zeros(2, dtype=F64),
                                                         "1.running_mean": mean}, x)), [expected])
    assert np.all(_np(net[1].running_mean) == 0)


def test_functional_call_tied_weights():
    s = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)).double()
    s[1].weight = s[0].weight
    eye = gradgpu.eye(2, dtype=F64)
    x = gradgpu.tensor([1.0, 2.0], dtype=F64)
    np.testing.assert_allclose(_np(functional_call(s, {"0.weight": eye}, x)), [1.0, 2.0])
    untied = functional_call(s, {"0.weight": eye}, x, tie_weights=False)
    np.testing.assert_allclose(_np(untied), _np(x @ s[0].weight.mT))
    with pytest.raises(ValueError, match=r"functional_call got multiple values for keys "
                                         r"\['0.weight', '1.weight'\], which are tied"):
        functional_call(s, {"0.weight": eye, "1.weight": 2 * eye}, x)


def test_functional_call_errors():
    m = nn.Linear(2, 2)
    x = gradgpu.ones(2)
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for Linear:\n\t"
                                           "Missing key\\(s\\): 'bias'."):
        functional_call(m, {"weight": gradgpu.zeros(2, 2)}, x, strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key\\(s\\): 'foo'.\n\tMissing"):
        functional_call(m, {"weight": gradgpu.zeros(2, 2), "foo": x}, x, strict=True)
    with pytest.raises(ValueError, match=r"\['weight'\] appeared in multiple dictionaries"):
        functional_call(m, ({"weight": x}, {"weight": x}), x)
    with pytest.raises(AttributeError, match="Linear has no attribute `foo`"):
        functional_call(m, {"foo.bar": x}, x)


def test_stateless_functional_call_is_deprecated_alias():
    m = nn.Linear(2, 2)
    with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
        out = nn.utils.stateless.functional_call(m, {"bias": gradgpu.zeros(2)}, gradgpu.ones(2))
    np.testing.assert_allclose(_np(out), _np(m.weight.sum(1)), rtol=1e-6)
    assert gradgpu.func.functional_call is functional_call


# ---- skip_init, clip_grads_with_norm_ ----------------------------------------------------

def test_skip_init():
    m = skip_init(nn.Linear, 3, 4)
    assert isinstance(m, nn.Linear) and m.weight.shape == (4, 3) and m.bias.shape == (4,)
    assert m.weight.device.type == "cpu"
    with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
        skip_init(int, 3)
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
        skip_init(nn.Identity)


def test_clip_grads_with_norm_():
    ps = [nn.Parameter(gradgpu.zeros(2, dtype=F64)), nn.Parameter(gradgpu.zeros(1, dtype=F64))]
    ps[0].grad = gradgpu.tensor([3.0, 0.0], dtype=F64)
    ps[1].grad = gradgpu.tensor([4.0], dtype=F64)
    total = get_total_norm([p.grad for p in ps])
    assert clip_grads_with_norm_(ps, 1.0, total) is None
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(_np(ps[0].grad), [3 * coef, 0.0])
    np.testing.assert_allclose(_np(ps[1].grad), [4 * coef])
    clip_grads_with_norm_(ps, 10.0, 1.0)  # a number works; the factor is clamped at 1
    np.testing.assert_allclose(_np(ps[1].grad), [4 * coef])
