"""conv1d, conv3d, conv_transpose1d/2d, unfold/fold and their modules: values copied from
PyTorch runs, the adjoint relations between the ops, error contracts and the layers' shapes,
init, repr and output_size. Forward vs NumPy references, gradcheck and gradgradcheck are in
the op registry (tests/op_db/conv_additions.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F


def _t(array, device, requires_grad=False):
    return gradgpu.tensor(np.asarray(array, dtype=np.float64), device=device,
                          requires_grad=requires_grad)


def _ramp(shape, scale, shift, device):
    """arange(prod(shape)).reshape(shape) / scale - shift (the inputs of the PyTorch runs)."""
    return _t(np.arange(math.prod(shape)).reshape(shape) / scale - shift, device)


def _close(got, want):
    np.testing.assert_allclose(got.detach().cpu().numpy(), np.asarray(want), rtol=1e-12,
                               atol=1e-12)


# ---- values from PyTorch 2.x (CPU, float64) -----------------------------------------------
def test_values_match_pytorch(device):
    x = _ramp((1, 2, 2, 3), 4, 1, device)
    w = _ramp((2, 2, 2, 2), 8, 1, device)
    _close(F.conv_transpose2d(x, w, _t([0.5, -0.25], device), stride=2, padding=1,
                              output_padding=1),
           [[[[1.3125, 1.25, 1.25, 1.125, 1.1875], [0.875, 0.5, 0.6875, 0.25, 0.5],
              [1.125, 0.875, 1.0625, 0.75, 1.0]],
             [[0.3125, 0.5, 0.5, 0.625, 0.6875], [0.625, 0.5, 0.6875, 0.5, 0.75],
              [0.875, 0.875, 1.0625, 1.0, 1.25]]]])
    x1, w1 = _ramp((1, 2, 5), 4, 1, device), _ramp((2, 2, 3), 8, 1, device)
    _close(F.conv1d(x1, w1, _t([0.5, -0.5], device), stride=2, padding=1),
           [[[1.625, 0.8125, -0.5], [-0.125, 0.375, 0.0]]])
    _close(F.conv_transpose1d(x1, w1[:, :1], None, stride=2, groups=2, output_padding=1),
           [[[1.0, 0.875, 1.5, 0.65625, 1.0625, 0.4375, 0.625, 0.21875, 0.1875, 0.0, 0.0, 0.0],
             [-0.0625, -0.03125, -0.125, -0.0625, -0.1875, -0.09375, -0.25, -0.125, -0.3125,
              -0.15625, 0.0, 0.0]]])
    _close(F.fold(_ramp((1, 4, 4), 8, 0, device), (3, 4), 2, stride=(1, 2)),
           [[[[0.0, 0.5, 0.125, 0.625], [1.25, 2.25, 1.5, 2.5], [1.25, 1.75, 1.375, 1.875]]]])
    _close(F.unfold(_ramp((1, 1, 3, 4), 1, 0, device), 2, padding=(0, 1), stride=(1, 2)),
           [[[0.0, 1.0, 3.0, 0.0, 5.0, 7.0], [0.0, 2.0, 0.0, 4.0, 6.0, 0.0],
             [0.0, 5.0, 7.0, 0.0, 9.0, 11.0], [4.0, 6.0, 0.0, 8.0, 10.0, 0.0]]])
    _close(F.conv3d(_ramp((1, 2, 2, 2, 2), 8, 1, device), _ramp((1, 2, 2, 2, 2), 16, 0, device),
                    padding=(1, 0, 0), stride=(2, 1, 1)),
           [[[[[-0.40625]], [[1.59375]]]]])


# ---- adjoint relations ------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    {"stride": 2, "padding": 1, "dilation": 1, "groups": 2},
    {"stride": (3, 1), "padding": (2, 0), "dilation": (1, 2), "groups": 1},
], ids=["groups", "uneven"])
def test_conv_transpose2d_is_conv2d_input_gradient(device, kw):
    rng = np.random.default_rng(0)
    x = _t(rng.standard_normal((2, 4, 7, 7)), device, requires_grad=True)
    w = _t(rng.standard_normal((6, 4 // kw["groups"], 3, 2)), device)
    y = F.conv2d(x, w, **kw)
    g = _t(rng.standard_normal(y.shape), device)
    (dx,) = gradgpu.autograd.grad(y, x, g)
    # output_padding recovers the input rows the strided windows skipped at the bottom/right
    pair = [v if isinstance(v, tuple) else (v, v) for v in
            (kw["stride"], kw["padding"], kw["dilation"])]
    full = [(o - 1) * s + d * (k - 1) + 1 - 2 * p for o, s, p, d, k in
            zip(y.shape[2:], *pair, (3, 2))]
    out_pad = tuple(s - f for s, f in zip(x.shape[2:], full))
    assert max(out_pad) > 0  # the case the output_padding argument exists for
    _close(F.conv_transpose2d(g, w, output_padding=out_pad, **kw), dx.detach().cpu().numpy())


def test_fold_is_unfold_adjoint(device):
    rng = np.random.default_rng(1)
    geom = {"kernel_size": (2, 3), "dilation": (2, 1), "padding": 1, "stride": (1, 2)}
    x = _t(rng.standard_normal((2, 3, 5, 6)), device)
    cols = F.unfold(x, **geom)
    c = _t(rng.standard_normal(cols.shape), device)
    back = F.fold(c, (5, 6), **geom)
    np.testing.assert_allclose(float((cols * c).sum()), float((x * back).sum()), rtol=1e-12)
    # fold(unfold(x)) counts how many blocks cover each pixel
    cover = F.fold(F.unfold(gradgpu.ones_like(x), **geom), (5, 6), **geom)
    _close(F.fold(cols, (5, 6), **geom), (x * cover).detach().cpu().numpy())


def test_conv_transpose2d_create_graph(device):
    rng = np.random.default_rng(2)
    x = _t(rng.standard_normal((1, 2, 3, 3)), device, requires_grad=True)
    w = _t(rng.standard_normal((2, 3, 2, 2)), device, requires_grad=True)
    y = F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    (dx,) = gradgpu.autograd.grad((y * y).sum(), x, create_graph=True)
    (dw,) = gradgpu.autograd.grad(dx.sum(), w)
    # d/dw sum(dx) with dx = 2 conv2d(y, w) is nonzero and matches a finite difference
    eps, i = 1e-6, (1, 2, 0, 1)
    wp = w.detach().cpu().numpy().copy()
    wp[i] += eps

    def dx_sum(wv):
        xv = x.detach().requires_grad_()
        yv = F.conv_transpose2d(xv, _t(wv, device), stride=2, padding=1, output_padding=1)
        return float(gradgpu.autograd.grad((yv * yv).sum(), xv)[0].sum())

    fd = (dx_sum(wp) - dx_sum(w.detach().cpu().numpy())) / eps
    assert abs(float(dw[i]) - fd) < 1e-4 and abs(fd) > 1e-3


# ---- error contracts -------------------------------------------------------------------------
@pytest.mark.parametrize("fn,exc,message", [
    (lambda: F.conv1d(gradgpu.randn(2, 4, 8, 8), gradgpu.randn(6, 2, 3)), RuntimeError,
     r"conv1d\(\): Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d, but got input "
     r"of size: \[2, 4, 8, 8\]"),
    (lambda: F.conv1d(gradgpu.randn(2, 4, 8), gradgpu.randn(6, 2, 3), groups=3), RuntimeError,
     r"Given groups=3, weight of size \[6, 2, 3\], expected input\[2, 4, 8\] to have 6 "
     r"channels, but got 4"),
    (lambda: F.conv1d(gradgpu.randn(2, 4, 8), gradgpu.randn(6, 2, 3), stride=(1, 2)),
     RuntimeError, r"expected stride to be a single integer value or a list of 1 values"),
    (lambda: F.conv1d(gradgpu.randn(2, 4, 8), gradgpu.randn(6, 2, 3), gradgpu.randn(5),
                      groups=2), RuntimeError,
     r"expected bias to be 1-dimensional with 6 elements, but got bias of size \[5\]"),
    (lambda: F.conv1d(gradgpu.randn(2, 4, 8), gradgpu.randn(6, 4, 3, 3)), RuntimeError,
     r"conv1d\(\): weight must be 3-D.*\[6, 4, 3, 3\]"),
    (lambda: F.conv1d(gradgpu.randn(2, 4, 8), gradgpu.randn(6, 4, 11)), RuntimeError,
     r"padded input size per channel: \(8\). Kernel size: \(11\)"),
    (lambda: F.conv1d(gradgpu.randn(1, 1, 8), gradgpu.randn(1, 1, 3), stride=2, padding="same"),
     ValueError, "strided"),
    (lambda: F.conv3d(gradgpu.randn(2, 4, 5, 5, 5), gradgpu.randn(6, 4, 3, 3, 3),
                      padding=(1, 2)), RuntimeError,
     r"expected padding to be a single integer value or a list of 3 values"),
    (lambda: F.conv3d(gradgpu.randn(4, 5, 5), gradgpu.randn(6, 4, 3, 3, 3)), RuntimeError,
     r"4D \(unbatched\) or 5D \(batched\) input to conv3d"),
    (lambda: F.conv_transpose2d(gradgpu.randn(2, 4, 5, 5), gradgpu.randn(4, 3, 3, 3), stride=2,
                                output_padding=2), RuntimeError,
     r"output padding must be smaller than either stride or dilation"),
    (lambda: F.conv_transpose2d(gradgpu.randn(2, 4, 5, 5), gradgpu.randn(3, 3, 3, 3)),
     RuntimeError, r"Given transposed=1, weight of size \[3, 3, 3, 3\], expected "
                   r"input\[2, 4, 5, 5\] to have 3 channels, but got 4"),
    (lambda: F.conv_transpose2d(gradgpu.randn(2, 4, 5, 5), gradgpu.randn(4, 3, 3, 3),
                                gradgpu.randn(4), groups=2), RuntimeError,
     r"expected bias to be 1-dimensional with 6 elements"),
    (lambda: F.conv_transpose2d(gradgpu.randn(2, 4, 5, 5), gradgpu.randn(4, 3, 3, 3),
                                padding=5), RuntimeError,
     r"Calculated output size per channel: \(-3 x -3\). Output size is too small"),
    (lambda: F.conv_transpose2d(gradgpu.randn(2, 4, 5, 5), gradgpu.randn(4, 3, 3, 3),
                                padding="same"), TypeError, "must be tuple of ints, not str"),
    (lambda: F.conv_transpose1d(gradgpu.randn(2, 4, 5), gradgpu.randn(4, 3, 3),
                                output_padding=-1), RuntimeError,
     "negative output_padding is not supported"),
    (lambda: F.conv_transpose1d(gradgpu.randn(2, 4, 5).double(), gradgpu.randn(4, 3, 3)),
     RuntimeError, r"Input type \(float64\), weight type \(float32\)"),
    (lambda: F.unfold(gradgpu.randn(2, 3, 5, 6), 7), RuntimeError,
     r"calculated shape of the array of sliding blocks as \(-1, 0\)"),
    (lambda: F.unfold(gradgpu.randn(2, 3, 5, 6), 2, stride=0), RuntimeError,
     "stride should be greater than zero"),
    (lambda: F.unfold(gradgpu.randn(2, 3, 5, 6), (2, 2, 2)), RuntimeError,
     "It is expected kernel_size equals to 2, but got size 3"),
    (lambda: F.unfold(gradgpu.randn(5, 6), 2), RuntimeError, r"Expected 3D or 4D"),
    (lambda: F.unfold(gradgpu.ones(1, 1, 3, 3, dtype=gradgpu.int64), 2), NotImplementedError,
     "int64"),
    (lambda: F.fold(gradgpu.randn(2, 13, 20), (5, 6), 2, stride=1), RuntimeError,
     r"divisible by the product of kernel_size, but got input.size\(1\)=13"),
    (lambda: F.fold(gradgpu.randn(2, 12, 19), (5, 6), 2, stride=1), RuntimeError,
     r"sliding blocks 4 \* 5 = 20, but got input.size\(2\)=19"),
    (lambda: F.fold(gradgpu.randn(12), (5, 6), 2), RuntimeError, r"Expected 2D or 3D"),
    (lambda: F.fold(gradgpu.randn(2, 12, 20), (5, 6), 2, padding=-1), RuntimeError,
     "padding should be non-negative"),
], ids=lambda v: None)
def test_errors(fn, exc, message):
    with pytest.raises(exc, match=message):
        fn()


# ---- modules ---------------------------------------------------------------------------------
def test_module_reprs_match_pytorch():
    cases = [
        (nn.Conv1d(2, 4, 3), "Conv1d(2, 4, kernel_size=(3,), stride=(1,))"),
        (nn.Conv1d(2, 4, 3, padding="same", dilation=2, bias=False),
         "Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=same, dilation=(2,), bias=False)"),
        (nn.Conv3d(2, 4, (1, 2, 3), padding=(1, 0, 1), stride=(1, 2, 1), bias=False),
         "Conv3d(2, 4, kernel_size=(1, 2, 3), stride=(1, 2, 1), padding=(1, 0, 1), bias=False)"),
        (nn.ConvTranspose1d(2, 4, 3), "ConvTranspose1d(2, 4, kernel_size=(3,), stride=(1,))"),
        (nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2,
                            bias=False, dilation=2),
         "ConvTranspose2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
         "dilation=(2, 2), output_padding=(1, 1), groups=2, bias=False)"),
        (nn.Fold((5, 6), 2),
         "Fold(output_size=(5, 6), kernel_size=2, dilation=1, padding=0, stride=1)"),
        (nn.Unfold(2, stride=(1, 2)),
         "Unfold(kernel_size=2, dilation=1, padding=0, stride=(1, 2))"),
    ]
    for module, want in cases:
        assert repr(module) == want


@pytest.mark.parametrize("make,weight_shape,fan_in", [
    (lambda: nn.Conv1d(6, 4, 5, groups=2), (4, 3, 5), 15),
    (lambda: nn.Conv3d(4, 6, (2, 3, 1), groups=2), (6, 2, 2, 3, 1), 12),
    (lambda: nn.ConvTranspose1d(4, 6, 3, groups=2), (4, 3, 3), 9),
    (lambda: nn.ConvTranspose2d(8, 6, (3, 2), groups=2), (8, 3, 3, 2), 18),
])
def test_module_parameters_and_default_init(make, weight_shape, fan_in):
    bounds = []
    for seed in range(3):
        gradgpu.manual_seed(seed)
        module = make()
        assert tuple(module.weight.shape) == weight_shape
        assert tuple(module.bias.shape) == (module.out_channels,)
        w, b = module.weight.detach().numpy(), module.bias.detach().numpy()
        bounds.append((np.abs(w).max(), np.abs(b).max()))
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) and the bias share it
    assert all(bw <= bound and bb <= bound for bw, bb in bounds)
    assert max(bw for bw, _ in bounds) > 0.8 * bound


def test_module_forward_uses_functional(device):
    rng = np.random.default_rng(3)
    conv = nn.Conv1d(4, 2, 3, padding="same", groups=2).double().to(device)
    x = _t(rng.standard_normal((2, 4, 7)), device)
    _close(conv(x), F.conv1d(x, conv.weight, conv.bias, padding="same",
                             groups=2).detach().cpu().numpy())
    conv3 = nn.Conv3d(2, 3, 2, stride=(1, 2, 1)).double().to(device)
    assert conv3(_t(rng.standard_normal((2, 3, 4, 3)), device)).shape == (3, 2, 2, 2)
    unfold, fold = nn.Unfold((2, 3), padding=1), nn.Fold((4, 5), (2, 3), padding=1)
    x4 = _t(rng.standard_normal((1, 2, 4, 5)), device)
    _close(fold(unfold(x4)), F.fold(F.unfold(x4, (2, 3), padding=1), (4, 5), (2, 3),
                                    padding=1).detach().cpu().numpy())


def test_conv_transpose_output_size(device):
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2).double().to(device)
    x = _t(np.random.default_rng(4).standard_normal((1, 2, 4, 4)), device)
    assert layer(x).shape == (1, 3, 9, 9)
    for size in [(10, 10), (9, 10), [1, 3, 9, 10]]:
        want = tuple(size[-2:])
        out = layer(x, output_size=size)
        assert tuple(out.shape[2:]) == want
        _close(out, F.conv_transpose2d(x, layer.weight, layer.bias, stride=2,
                                       output_padding=(want[0] - 9, want[1] - 9))
               .detach().cpu().numpy())
    with pytest.raises(ValueError, match=r"valid sizes range from \[9, 9\] to \[10, 10\]"):
        layer(x, output_size=(11, 10))
    with pytest.raises(ValueError, match=r"for 4D input, output_size must have 2 or 4 elements"):
        layer(x, output_size=(11, 10, 1))
    layer1 = nn.ConvTranspose1d(2, 3, 3, stride=3).double().to(device)
    assert layer1(_t(np.ones((2, 4)), device), output_size=[14]).shape == (3, 14)


def test_module_argument_errors():
    with pytest.raises(NotImplementedError, match="reflect"):
        nn.Conv1d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for '
                                         'ConvTranspose2d'):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="circular")
    with pytest.raises(ValueError, match="padding must be an int or a tuple of 3 ints"):
        nn.Conv3d(1, 1, 3, padding=(1, 2))
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.ConvTranspose1d(2, 3, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv1d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="'same'"):
        nn.ConvTranspose1d(1, 1, 3, padding="same")
