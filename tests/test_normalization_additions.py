"""GroupNorm, InstanceNorm1d/2d/3d, RMSNorm, LocalResponseNorm, BatchNorm3d and their functional
forms: values vs NumPy and PyTorch-derived constants, running statistics, parameters, buffers,
state dicts and reprs as PyTorch 2.13, dtype rules, and the argument errors.

Forward vs NumPy float64, gradcheck and gradgradcheck of the functional ops are in the op registry
(tests/op_db/normalization_additions.py)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F
from gradgpu import nn


def _t(a, device="cpu", dtype=np.float64, requires_grad=False):
    t = gradgpu.from_numpy(np.array(a, dtype=dtype)).to(device)
    return t.requires_grad_(requires_grad)


def _np(t):
    return t.detach().cpu().numpy()


def _instance_ref(x, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


# ---- values pinned to PyTorch 2.13 outputs --------------------------------------------------
def test_group_and_instance_norm_match_pytorch_constants(device):
    x = _t([[[1.0, 2.0], [3.0, 5.0], [0.0, 4.0], [1.0, 1.0]]], device)
    np.testing.assert_allclose(_np(F.group_norm(x, 2)), [[
        [-1.18321325, -0.50709139], [0.16903046, 1.52127418],
        [-0.99999778, 1.66666296], [-0.33333259, -0.33333259]]], atol=1e-8)
    np.testing.assert_allclose(_np(F.instance_norm(x)), [[
        [-0.99998, 0.99998], [-0.999995, 0.999995], [-0.99999875, 0.99999875], [0.0, 0.0]]],
        atol=1e-8)


def test_local_response_norm_window_matches_pytorch_constants(device):
    x = _t(np.arange(1.0, 5.0).reshape(1, 4, 1), device)
    # even size: the window is c-1 .. c (size // 2 before, (size - 1) // 2 after)
    np.testing.assert_allclose(_np(F.local_response_norm(x, 2, alpha=1.0, beta=1.0, k=1.0)),
                               np.reshape([0.66666667, 0.57142857, 0.4, 0.2962963], (1, 4, 1)),
                               atol=1e-8)
    np.testing.assert_allclose(_np(F.local_response_norm(x, 3, alpha=1.0, beta=0.5, k=2.0)),
                               np.reshape([0.52223297, 0.77459667, 0.87831007, 1.24434203],
                                          (1, 4, 1)), atol=1e-8)


def test_rms_norm_default_eps_is_the_computation_dtypes(device):
    # float64: eps = 2.2e-16 leaves tiny inputs normalized (float32's eps would not)
    x = _t([[1e-8, 2e-8, -1e-8]], device)
    np.testing.assert_allclose(_np(F.rms_norm(x, (3,))), [[0.48676666, 0.97353332, -0.48676666]],
                               rtol=1e-7)
    # float16 is computed in float32 with float32's eps (float16's would give 0.0032, ...)
    h = _t([[1e-4, 2e-4, -1e-4]], device, dtype=np.float16)
    y = F.rms_norm(h, (3,))
    assert y.dtype == gradgpu.float16
    np.testing.assert_allclose(_np(y).astype(np.float64), [[0.26806641, 0.53613281, -0.26806641]],
                               rtol=1e-3)
    f = F.rms_norm(_t([[1e-4, 2e-4, -1e-4]], device, dtype=np.float32), [3])
    np.testing.assert_allclose(_np(f), [[0.26801917, 0.53603834, -0.26801917]], rtol=1e-5)


def test_rms_norm_result_has_the_input_dtype_whatever_the_weights(device):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3)), rng.standard_normal(3)
    y = F.rms_norm(_t(x, device, np.float32), (3,), _t(w, device))
    assert y.dtype == gradgpu.float32
    want = x / np.sqrt((x * x).mean(-1, keepdims=True) + np.finfo(np.float32).eps) * w
    np.testing.assert_allclose(_np(y), want, rtol=1e-5)


def test_rms_norm_float16_scales_by_the_weight_before_rounding(device):
    # PyTorch 2.13 multiplies by the weight in float32 and rounds once; rounding the normalized
    # values to float16 first gave 0.281982421875 for the last element
    x = _t([[0.1300048828125, -0.1300048828125, 0.64013671875, 0.0999755859375]], device,
           dtype=np.float16)
    w = _t([-0.5400390625, 0.360107421875, 1.2998046875, 0.9501953125], device, dtype=np.float16)
    y = F.rms_norm(x, (4,), w)
    assert y.dtype == gradgpu.float16
    np.testing.assert_array_equal(
        _np(y), np.array([[-0.20849609375, -0.1390380859375, 2.470703125, 0.2822265625]],
                         dtype=np.float16))


def test_group_norm_float16_computes_statistics_in_float32(device):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((2, 4, 3)) * 0.01 + 30).astype(np.float16)
    y = F.group_norm(_t(x, device, np.float16), 2)
    assert y.dtype == gradgpu.float16
    g = x.astype(np.float64).reshape(2, 2, 6)
    want = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + 1e-5))
    np.testing.assert_allclose(_np(y).astype(np.float64), want.reshape(2, 4, 3), atol=2e-2)


# ---- instance_norm running statistics --------------------------------------------------------
def test_instance_norm_folds_batch_averaged_instance_stats(device):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 5)) * 2 + 1
    rm0, rv0 = rng.standard_normal(2), rng.uniform(0.5, 2.0, 2)
    rm, rv = _t(rm0, device), _t(rv0, device)
    xt = _t(x, device, requires_grad=True)
    y = F.instance_norm(xt, rm, rv, momentum=0.3)
    np.testing.assert_allclose(_np(y), _instance_ref(x), atol=1e-12)
    # PyTorch's: mean over the batch of each instance's mean and UNBIASED variance
    np.testing.assert_allclose(_np(rm), 0.7 * rm0 + 0.3 * x.mean(2).mean(0), atol=1e-12)
    np.testing.assert_allclose(_np(rv), 0.7 * rv0 + 0.3 * x.var(2, ddof=1).mean(0),
                               atol=1e-12)
    assert rm.grad_fn is None and not rm.requires_grad  # updated outside autograd
    # evaluation with the running statistics leaves them alone
    y = F.instance_norm(_t(x, device), rm, rv, use_input_stats=False)
    want = (x - _np(rm)[:, None]) / np.sqrt(_np(rv)[:, None] + 1e-5)
    np.testing.assert_allclose(_np(y), want, atol=1e-12)
    np.testing.assert_allclose(_np(rm), 0.7 * rm0 + 0.3 * x.mean(2).mean(0), atol=1e-12)


# ---- modules ---------------------------------------------------------------------------------
def test_group_norm_module_parameters_state_dict_repr_and_forward(device):
    gn = nn.GroupNorm(2, 4).double().to(device)
    assert [n for n, _ in gn.named_parameters()] == ["weight", "bias"]
    assert list(gn.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(_np(gn.weight), np.ones(4))
    np.testing.assert_array_equal(_np(gn.bias), np.zeros(4))
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    rng = np.random.default_rng(3)
    w, b, x = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal((3, 4, 2, 2))
    with gradgpu.no_grad():
        gn.weight.copy_(_t(w, device))
        gn.bias.copy_(_t(b, device))
    g = x.reshape(3, 2, 8)
    want = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + 1e-5))
    want = want.reshape(x.shape) * w[:, None, None] + b[:, None, None]
    np.testing.assert_allclose(_np(gn(_t(x, device))), want, atol=1e-12)
    plain = nn.GroupNorm(2, 4, affine=False)
    assert list(plain.state_dict()) == [] and plain.weight is None
    assert repr(plain) == "GroupNorm(2, 4, eps=1e-05, affine=False, bias=False)"
    assert [n for n, _ in nn.GroupNorm(1, 3, bias=False).named_parameters()] == ["weight"]
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by "
                                         r"num_groups \(4\)"):
        nn.GroupNorm(4, 6)


def test_instance_norm_defaults_have_no_parameters_or_buffers():
    m = nn.InstanceNorm2d(3)
    assert list(m.parameters()) == [] and list(m.state_dict()) == []
    assert m.running_mean is None and m.weight is None
    assert repr(m) == ("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                       "track_running_stats=False)")
    full = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    assert list(full.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                       "num_batches_tracked"]
    assert repr(nn.InstanceNorm3d(2, affine=True, bias=False)) == (
        "InstanceNorm3d(2, eps=1e-05, momentum=0.1, affine=True, bias=False, "
        "track_running_stats=False)")


@pytest.mark.parametrize("cls,shape", [(nn.InstanceNorm1d, (2, 3, 5)),
                                       (nn.InstanceNorm2d, (2, 3, 2, 3)),
                                       (nn.InstanceNorm3d, (2, 3, 2, 2, 2))])
def test_instance_norm_modules_train_eval_and_unbatched(cls, shape, device):
    rng = np.random.default_rng(4)
    m = cls(3, momentum=0.2, affine=True, track_running_stats=True).double().to(device)
    rm, rv = np.zeros(3), np.ones(3)
    axes = tuple(range(2, len(shape)))
    for _ in range(2):
        x = rng.standard_normal(shape)
        np.testing.assert_allclose(_np(m(_t(x, device))), _instance_ref(x), atol=1e-12)
        per = x.reshape(2, 3, -1)
        rm = 0.8 * rm + 0.2 * per.mean(2).mean(0)
        rv = 0.8 * rv + 0.2 * per.var(2, ddof=1).mean(0)
    np.testing.assert_allclose(_np(m.running_mean), rm, atol=1e-12)
    np.testing.assert_allclose(_np(m.running_var), rv, atol=1e-12)
    assert m.num_batches_tracked.item() == 0  # PyTorch's InstanceNorm does not count
    m.eval()
    x = rng.standard_normal(shape)
    cshape = (1, 3) + (1,) * len(axes)
    want = (x - rm.reshape(cshape)) / np.sqrt(rv.reshape(cshape) + 1e-5)
    np.testing.assert_allclose(_np(m(_t(x, device))), want, atol=1e-12)
    # an unbatched (C, ...) sample is a batch of one
    plain = cls(3).double()
    single = rng.standard_normal(shape[1:])
    np.testing.assert_allclose(_np(plain(_t(single))), _instance_ref(single[None])[0],
                               atol=1e-12)


def test_instance_norm_module_input_checks():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 5D input\)"):
        nn.InstanceNorm2d(3)(gradgpu.zeros(1, 3, 2, 2, 2))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 1D input\)"):
        nn.InstanceNorm1d(3)(gradgpu.zeros(3))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match "
                                         r"num_features \(4\), but got: 3"):
        nn.InstanceNorm1d(4, affine=True)(gradgpu.zeros(2, 3, 5))
    with pytest.warns(UserWarning, match=r"input's size at dim=0 does not match num_features"):
        y = nn.InstanceNorm2d(4)(gradgpu.randn(3, 2, 2))
    assert tuple(y.shape) == (3, 2, 2)


def test_instance_norm_state_dict_round_trip_without_num_batches_tracked():
    src = nn.InstanceNorm1d(2, track_running_stats=True, affine=True)
    src(gradgpu.randn(3, 2, 4))
    # an old checkpoint: no num_batches_tracked and no version metadata saying it should exist
    state = {k: v for k, v in src.state_dict().items() if k != "num_batches_tracked"}
    dst = nn.InstanceNorm1d(2, track_running_stats=True, affine=True)
    dst.load_state_dict(state)
    np.testing.assert_array_equal(dst.running_mean.numpy(), src.running_mean.numpy())


def test_batch_norm_3d(device):
    rng = np.random.default_rng(5)
    bn = nn.BatchNorm3d(2, momentum=0.5).double().to(device)
    assert repr(bn) == ("BatchNorm3d(2, eps=1e-05, momentum=0.5, affine=True, bias=True, "
                        "track_running_stats=True)")
    assert list(bn.state_dict())[-1] == "num_batches_tracked"
    x = rng.standard_normal((2, 2, 2, 3, 2))
    axes = (0, 2, 3, 4)
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    np.testing.assert_allclose(_np(bn(_t(x, device))), (x - mu) / np.sqrt(var + 1e-5),
                               atol=1e-12)
    np.testing.assert_allclose(_np(bn.running_var), 0.5 + 0.5 * x.var(axis=axes, ddof=1),
                               atol=1e-12)
    assert bn.num_batches_tracked.item() == 1
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        bn(gradgpu.zeros(2, 2, 3, 3, dtype=gradgpu.float64).to(device))


def test_rms_norm_module(device):
    m = nn.RMSNorm([2, 3]).double().to(device)
    assert [n for n, _ in m.named_parameters()] == ["weight"] and m.eps is None
    np.testing.assert_array_equal(_np(m.weight), np.ones((2, 3)))
    assert repr(m) == "RMSNorm((2, 3), eps=None, elementwise_affine=True)"
    rng = np.random.default_rng(6)
    w, x = rng.standard_normal((2, 3)), rng.standard_normal((4, 2, 3))
    with gradgpu.no_grad():
        m.weight.copy_(_t(w, device))
    ms = (x * x).mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(_np(m(_t(x, device))), x / np.sqrt(ms + 2.0 ** -52) * w,
                               atol=1e-12)
    plain = nn.RMSNorm(3, eps=1e-3, elementwise_affine=False)
    assert list(plain.state_dict()) == [] and plain.normalized_shape == (3,)
    assert repr(plain) == "RMSNorm((3,), eps=0.001, elementwise_affine=False)"


def test_local_response_norm_module():
    m = nn.LocalResponseNorm(2, alpha=1.0, beta=1.0)
    assert repr(m) == "LocalResponseNorm(2, alpha=1.0, beta=1.0, k=1.0)"
    assert list(m.parameters()) == []
    y = m(_t(np.arange(1.0, 5.0).reshape(1, 4, 1)))
    np.testing.assert_allclose(y.numpy().ravel(), [0.66666667, 0.57142857, 0.4, 0.2962963],
                               atol=1e-8)
    empty = gradgpu.zeros(0, 3, 2)
    assert F.local_response_norm(empty, 3) is empty  # as PyTorch: the input itself


# ---- argument errors -------------------------------------------------------------------------
def test_group_norm_errors():
    x = gradgpu.zeros(2, 6, 3)
    with pytest.raises(RuntimeError, match=r"Expected at least 2 dimensions for input tensor "
                                           r"but received 1"):
        F.group_norm(gradgpu.zeros(6), 3)
    with pytest.raises(RuntimeError, match=r"divisible by num_groups, but got input of shape "
                                           r"\[2, 6, 3\] and num_groups=4"):
        F.group_norm(x, 4)
    with pytest.raises(RuntimeError, match=r"Expected num groups to be greater than 0, got 0"):
        F.group_norm(x, 0)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when "
                                         r"training, got input size \[1, 3\]"):
        F.group_norm(gradgpu.zeros(1, 3), 3)
    with pytest.raises(RuntimeError, match=r"Expected weight to be a vector of size equal to "
                                           r"the number of channels in input, but got weight of "
                                           r"shape \[2, 3\] and input of shape \[2, 6, 3\]"):
        F.group_norm(x, 3, gradgpu.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"bias of shape \[5\]"):
        F.group_norm(x, 3, None, gradgpu.ones(5))
    with pytest.raises(RuntimeError, match=r"group_norm\(\): expected weight of the input's "
                                           r"dtype"):
        F.group_norm(x, 3, gradgpu.ones(6, dtype=gradgpu.float64))
    with pytest.raises(NotImplementedError, match=r'"group_norm" not implemented for'):
        F.group_norm(gradgpu.zeros(2, 6, dtype=gradgpu.int64), 3)


def test_instance_norm_errors():
    x = gradgpu.zeros(2, 3, 4)
    with pytest.raises(ValueError, match=r"Expected more than 1 spatial element when "
                                         r"training, got input size"):
        F.instance_norm(gradgpu.zeros(2, 3))
    with pytest.raises(ValueError, match=r"running_mean and running_var must either both be "
                                         r"None or neither be None"):
        F.instance_norm(x, gradgpu.zeros(3))
    with pytest.raises(RuntimeError, match=r"Expected running_mean and running_var to be "
                                           r"defined when use_input_stats is false"):
        F.instance_norm(x, use_input_stats=False)
    with pytest.raises(RuntimeError, match=r"running_mean should contain 3 elements not 4"):
        F.instance_norm(x, gradgpu.zeros(4), gradgpu.ones(4))
    with pytest.raises(RuntimeError, match=r"weight should contain 3 elements not 2"):
        F.instance_norm(x, weight=gradgpu.ones(2))
    with pytest.raises(TypeError, match=r"argument 'momentum' must be float, not NoneType"):
        F.instance_norm(x, momentum=None)
    with pytest.raises(NotImplementedError, match=r'"instance_norm" not implemented for'):
        F.instance_norm(gradgpu.zeros(2, 3, 4, dtype=gradgpu.int64))


def test_rms_norm_errors():
    x = gradgpu.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[2\], expected input with "
                                           r"shape \[\*, 2\], but got input of size \[2, 3\]"):
        F.rms_norm(x, (2,))
    with pytest.raises(RuntimeError, match=r"Expected normalized_shape to be at least "
                                           r"1-dimensional"):
        F.rms_norm(x, [])
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as "
                                           r"normalized_shape, but got weight of shape \[2\] and "
                                           r"normalized_shape = \[3\]"):
        F.rms_norm(x, (3,), gradgpu.ones(2))
    with pytest.raises(NotImplementedError, match=r'"rms_norm" not implemented for'):
        F.rms_norm(gradgpu.zeros(2, 3, dtype=gradgpu.int64), (3,))
    with pytest.raises(TypeError, match=r"argument 'eps' must be float, not str"):
        F.rms_norm(x, (3,), eps="0.1")


def test_local_response_norm_errors():
    with pytest.raises(ValueError, match=r"Expected 3D or higher dimensionality input "
                                         r"\(got 2 dimensions\)"):
        F.local_response_norm(gradgpu.zeros(2, 3), 2)
    with pytest.raises(ValueError, match=r"size must be positive, got 0"):
        F.local_response_norm(gradgpu.zeros(1, 3, 2), 0)
