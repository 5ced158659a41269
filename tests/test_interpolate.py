"""F.interpolate / F.upsample and nn.Upsample, UpsamplingNearest2d, UpsamplingBilinear2d:
values and input gradients checked against numbers recorded from PyTorch 2.13 (CPU, float64),
gradcheck / gradgradcheck, PyTorch's argument errors and module reprs."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F
from gradgpu.autograd import gradcheck, gradgradcheck


def _x(shape):
    n = int(np.prod(shape))
    return ((np.arange(n) * 7 % 11) - 5).reshape(shape) / 3.0


def _g(shape):
    n = int(np.prod(shape))
    return ((np.arange(n) * 5 % 13) - 6).reshape(shape) / 4.0


# (input shape, interpolate kwargs, output shape, output values, input gradient for the
# upstream gradient _g(output shape)), recorded from torch.nn.functional.interpolate
CASES = [((1, 2, 3), {'mode': 'nearest', 'size': 5}, (1, 2, 5),
  [-1.666666666666667, -1.666666666666667, 0.666666666666667, 0.666666666666667,
   -0.666666666666667, 1.666666666666667, 1.666666666666667, 0.333333333333333,
   0.333333333333333, -1.0],
  [-1.75, 0.0, 0.25, 1.0, -0.5, 0.0]),
 ((1, 1, 5), {'mode': 'nearest', 'scale_factor': 0.6}, (1, 1, 3),
  [-1.666666666666667, 0.666666666666667, 1.666666666666667], [-1.5, -0.25, 0.0, 1.0, 0.0]),
 ((1, 1, 3), {'mode': 'nearest', 'scale_factor': 1.7}, (1, 1, 5),
  [-1.666666666666667, -1.666666666666667, 0.666666666666667, 0.666666666666667,
   -0.666666666666667],
  [-1.75, 0.0, 0.25]),
 ((1, 1, 3), {'mode': 'nearest-exact', 'scale_factor': 1.7}, (1, 1, 5),
  [-1.666666666666667, -1.666666666666667, 0.666666666666667, -0.666666666666667,
   -0.666666666666667],
  [-1.75, 1.0, -0.75]),
 ((1, 1, 5), {'mode': 'nearest-exact', 'size': 3}, (1, 1, 3),
  [-1.666666666666667, -0.666666666666667, 0.333333333333333], [-1.5, 0.0, -0.25, 0.0, 1.0]),
 ((1, 2, 4), {'mode': 'linear', 'size': 7}, (1, 2, 7),
  [-1.666666666666667, -0.833333333333333, 0.5, 0.0, -0.500000000000001, 0.833333333333333,
   1.666666666666667, 0.333333333333333, -0.142857142857143, -0.904761904761905,
   0.166666666666667, 1.238095238095238, 0.476190476190476, 0.0],
  [-1.589285714285714, 0.339285714285714, 0.267857142857143, 0.482142857142857,
   -0.053571428571429, 0.178571428571429, 0.107142857142857, -1.232142857142857]),
 ((1, 2, 4), {'align_corners': True, 'mode': 'linear', 'size': 7}, (1, 2, 7),
  [-1.666666666666667, -0.5, 0.666666666666667, 0.0, -0.666666666666667, 0.5,
   1.666666666666667, 0.333333333333333, -0.333333333333333, -1.0, 0.166666666666667,
   1.333333333333333, 0.666666666666667, 0.0],
  [-1.625, 0.375, 0.5, 0.25, 0.125, 0.0, 0.125, -1.25]),
 ((1, 1, 5), {'mode': 'linear', 'scale_factor': 0.6}, (1, 1, 3),
  [-0.888888888888889, -0.666666666666667, 0.777777777777777],
  [-1.0, -0.5, -0.25, 0.333333333333333, 0.666666666666667]),
 ((1, 1, 5), {'align_corners': True, 'mode': 'linear', 'scale_factor': 0.6}, (1, 1, 3),
  [-1.666666666666667, -0.666666666666667, 0.333333333333333], [-1.5, 0.0, -0.25, 0.0, 1.0]),
 ((1, 1, 3), {'mode': 'linear', 'scale_factor': 1.7}, (1, 1, 5),
  [-1.666666666666667, -0.774509803921569, 0.598039215686275, -0.07843137254902,
   -0.666666666666667],
  [-1.625, 0.433823529411765, -0.308823529411765]),
 ((1, 1, 3), {'mode': 'linear', 'recompute_scale_factor': True, 'scale_factor': 1.7},
  (1, 1, 5),
  [-1.666666666666667, -0.733333333333334, 0.666666666666667, -0.133333333333333,
   -0.666666666666667],
  [-1.65, 0.5, -0.35]),
 ((1, 1, 1), {'align_corners': True, 'mode': 'linear', 'size': 3}, (1, 1, 3),
  [-1.666666666666667, -1.666666666666667, -1.666666666666667], [-0.75]),
 ((1, 1, 4), {'align_corners': True, 'mode': 'linear', 'size': 1}, (1, 1, 1),
  [-1.666666666666667], [-1.5, 0.0, 0.0, 0.0]),
 ((1, 2, 3, 5), {'mode': 'bilinear', 'scale_factor': (1.5, 0.7)}, (1, 2, 4, 3),
  [-1.166666666666667, -0.19047619047619, 1.571428571428571, -0.833333333333333,
   0.142857142857143, 0.202380952380953, -0.51984126984127, 0.369047619047619,
   -1.055555555555555, -0.599206349206349, -0.05952380952381, -0.611111111111111,
   0.047619047619048, 0.5, -0.095238095238095, 0.380952380952381, -0.345238095238095,
   0.238095238095238, 0.825396825396825, -1.07936507936508, 0.682539682539682,
   1.26984126984127, -0.634920634920635, 1.126984126984127],
  [-1.571428571428571, -0.473214285714286, -0.080357142857143, 1.625, 0.125,
   -0.720238095238095, 0.145833333333333, 0.616071428571429, -0.386904761904762,
   -0.029761904761905, -0.06547619047619, 0.398809523809524, 0.75, -0.773809523809524,
   -0.05952380952381, 0.785714285714286, -0.5, -1.285714285714286, -0.116071428571429,
   -0.008928571428571, 1.211309523809524, 0.00297619047619, -0.589285714285714,
   0.889880952380952, 0.068452380952381, -0.62202380952381, -0.199404761904762,
   -0.053571428571429, 1.083333333333333, 0.083333333333334]),
 ((1, 2, 3, 5),
  {'mode': 'bilinear', 'recompute_scale_factor': True, 'scale_factor': (1.5, 0.7)},
  (1, 2, 4, 3),
  [-0.888888888888889, -0.666666666666667, 0.777777777777777, -0.472222222222222, -0.25,
   0.430555555555556, -0.430555555555555, 0.25, 0.472222222222223, -0.777777777777778,
   0.666666666666667, 0.88888888888889, -0.111111111111111, 1.333333333333333,
   -0.888888888888889, 0.305555555555555, -0.541666666666667, -0.472222222222223,
   0.805555555555555, -1.416666666666667, 0.027777777777777, 1.222222222222222, -1.0,
   0.444444444444444],
  [-1.25, -0.625, -0.15625, 0.520833333333333, 1.041666666666667, -0.625, -0.3125, 0.625,
   0.052083333333333, 0.104166666666667, -0.125, -0.0625, 1.53125, -0.40625, -0.8125,
   0.583333333333333, 0.291666666666667, -1.875, -0.052083333333333, -0.104166666666667,
   1.041666666666667, 0.520833333333333, -0.9375, 0.208333333333333, 0.416666666666667,
   -0.458333333333333, -0.229166666666667, -0.1875, 0.510416666666666, 1.020833333333334]),
 ((1, 1, 3, 3), {'align_corners': True, 'mode': 'bilinear', 'size': (4, 2)}, (1, 1, 4, 2),
  [-1.666666666666667, -0.666666666666667, 0.555555555555555, -0.888888888888889,
   1.555555555555556, -1.111111111111111, 1.333333333333333, -1.333333333333333],
  [-1.166666666666667, 0.0, -0.583333333333333, 0.833333333333333, 0.0, 0.333333333333333,
   -0.416666666666667, 0.0, 1.25]),
 ((2, 1, 2, 3), {'mode': 'bilinear', 'scale_factor': 2}, (2, 1, 4, 6),
  [-1.666666666666667, -1.083333333333333, 0.083333333333333, 0.333333333333333,
   -0.333333333333333, -0.666666666666667, -0.833333333333333, -0.479166666666667,
   0.229166666666667, 0.25, -0.416666666666667, -0.75, 0.833333333333333, 0.729166666666667,
   0.520833333333333, 0.083333333333333, -0.583333333333333, -0.916666666666667,
   1.666666666666667, 1.333333333333333, 0.666666666666667, -0.0, -0.666666666666667, -1.0,
   1.333333333333333, 1.0, 0.333333333333333, -0.333333333333333, -1.0, -1.333333333333333,
   1.25, 0.916666666666667, 0.25, -0.416666666666667, -1.083333333333333, -1.416666666666667,
   1.083333333333333, 0.75, 0.083333333333333, -0.583333333333333, -1.25, -1.583333333333333,
   1.0, 0.666666666666667, 0.0, -0.666666666666667, -1.333333333333333, -1.666666666666667],
  [-1.796875, -0.34375, 1.515625, 0.734375, -0.65625, 0.796875, 0.390625, -1.0, -0.765625,
   0.484375, 0.3125, -0.671875]),
 ((1, 1, 2, 3), {'mode': 'nearest', 'scale_factor': (2.0, 1.5)}, (1, 1, 4, 4),
  [-1.666666666666667, -1.666666666666667, 0.666666666666667, -0.666666666666667,
   -1.666666666666667, -1.666666666666667, 0.666666666666667, -0.666666666666667,
   1.666666666666667, 1.666666666666667, 0.333333333333333, -1.0, 1.666666666666667,
   1.666666666666667, 0.333333333333333, -1.0],
  [0.0, 0.5, -0.25, -2.25, 1.0, 0.25]),
 ((1, 1, 4, 5), {'mode': 'nearest', 'size': (3, 2)}, (1, 1, 3, 2),
  [-1.666666666666667, -0.666666666666667, -1.0, 0.0, -0.333333333333333, 0.666666666666667],
  [-1.5, 0.0, -0.25, 0.0, 0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.25, 0.0, 1.5, 0.0, 0.0, 0.0, 0.0,
   0.0, 0.0, 0.0]),
 ((1, 1, 3, 4), {'mode': 'nearest-exact', 'size': (5, 3)}, (1, 1, 5, 3),
  [-1.666666666666667, -0.666666666666667, 1.666666666666667, -1.666666666666667,
   -0.666666666666667, 1.666666666666667, 0.333333333333333, 1.333333333333333, 0.0,
   -1.333333333333333, -0.333333333333333, -1.666666666666667, -1.333333333333333,
   -0.333333333333333, -1.666666666666667],
  [-2.5, 0.0, 0.0, 2.5, -0.5, 0.0, 0.75, -1.25, 0.5, 0.0, -0.25, -1.0]),
 ((1, 1, 2, 2, 4), {'mode': 'trilinear', 'scale_factor': (1.5, 2, 0.5)}, (1, 1, 3, 4, 2),
  [-0.5, 0.5, -0.458333333333333, 0.541666666666667, -0.375, 0.625, -0.333333333333333,
   0.666666666666667, -0.333333333333333, -0.25, -0.291666666666667, 0.020833333333333,
   -0.208333333333333, 0.5625, -0.166666666666667, 0.833333333333333, -0.166666666666667, -1.0,
   -0.125, -0.5, -0.041666666666667, 0.5, 0.0, 1.0],
  [-0.390625, -0.390625, -0.546875, -0.546875, 0.078125, 0.078125, 0.734375, 0.734375,
   0.109375, 0.109375, -0.453125, -0.453125, 0.578125, 0.578125, 0.015625, 0.015625]),
 ((1, 1, 2, 3, 2), {'align_corners': True, 'mode': 'trilinear', 'size': (3, 2, 3)},
  (1, 1, 3, 2, 3),
  [-1.666666666666667, -0.5, 0.666666666666667, 0.333333333333333, -0.333333333333333, -1.0,
   -0.166666666666667, 0.083333333333333, 0.333333333333333, 0.0, -0.666666666666667,
   -1.333333333333333, 1.333333333333333, 0.666666666666667, 0.0, -0.333333333333333, -1.0,
   -1.666666666666667],
  [-1.6875, 0.4375, 0.0, 0.0, -0.5625, 1.5625, -0.3125, -1.4375, 0.0, 0.0, 0.8125, -0.3125]),
 ((1, 1, 2, 2, 2), {'mode': 'nearest', 'scale_factor': 1.5}, (1, 1, 3, 3, 3),
  [-1.666666666666667, -1.666666666666667, 0.666666666666667, -1.666666666666667,
   -1.666666666666667, 0.666666666666667, -0.666666666666667, -0.666666666666667,
   1.666666666666667, -1.666666666666667, -1.666666666666667, 0.666666666666667,
   -1.666666666666667, -1.666666666666667, 0.666666666666667, -0.666666666666667,
   -0.666666666666667, 1.666666666666667, 0.333333333333333, 0.333333333333333, -1.0,
   0.333333333333333, 0.333333333333333, -1.0, 1.333333333333333, 1.333333333333333, 0.0],
  [-2.25, 1.5, 0.25, -1.0, -0.25, 2.0, -0.25, -1.5]),
 ((1, 1, 2, 3, 2), {'mode': 'nearest-exact', 'size': (3, 2, 1)}, (1, 1, 3, 2, 1),
  [0.666666666666667, -1.0, 0.0, -1.666666666666667, 0.0, -1.666666666666667],
  [0.0, -1.5, 0.0, 0.0, 0.0, -0.25, 0.0, 1.25, 0.0, 0.0, 0.0, 0.5])]
FORWARD_ONLY = [((1, 1, 12), {'mode': 'nearest', 'scale_factor': 1.05}, (1, 1, 12),
  [-1.666666666666667, -1.666666666666667, 0.666666666666667, -0.666666666666667,
   1.666666666666667, 0.333333333333333, -1.0, 1.333333333333333, 0.0, -1.333333333333333, 1.0,
   -0.333333333333333]),
 ((1, 1, 2, 3), {'mode': 'nearest', 'scale_factor': (2.25, 1.05)}, (1, 1, 4, 3),
  [-1.666666666666667, 0.666666666666667, -0.666666666666667, -1.666666666666667,
   0.666666666666667, -0.666666666666667, 1.666666666666667, 0.333333333333333, -1.0,
   1.666666666666667, 0.333333333333333, -1.0]),
 ((1, 1, 2), {'mode': 'nearest', 'scale_factor': 2.25}, (1, 1, 4),
  [-1.666666666666667, -1.666666666666667, -1.666666666666667, 0.666666666666667]),
 ((1, 1, 1, 1, 2), {'mode': 'nearest', 'scale_factor': (1, 1, 2.25)}, (1, 1, 1, 1, 4),
  [-1.666666666666667, -1.666666666666667, -1.666666666666667, 0.666666666666667]),
 ((1, 1, 4), {'mode': 'linear', 'scale_factor': 1.05}, (1, 1, 4),
  [-1.666666666666667, 0.666666666666667, -0.666666666666667, 1.666666666666667]),
 ((1, 1, 2, 4), {'mode': 'bilinear', 'scale_factor': (1.5, 1.05)}, (1, 1, 3, 4),
  [-1.666666666666667, 0.666666666666667, -0.666666666666667, 1.666666666666667,
   -0.666666666666667, -0.166666666666667, 0.333333333333333, 0.833333333333333,
   0.333333333333333, -1.0, 1.333333333333333, 0.0])]


def _ids(cases):
    return [f"{s}-{kw}" for s, kw, *_ in cases]


@pytest.mark.parametrize("shape, kw, out_shape, values, grad", CASES, ids=_ids(CASES))
def test_values_and_gradients_match_pytorch(device, shape, kw, out_shape, values, grad):
    x = gradgpu.tensor(_x(shape), dtype=gradgpu.float64, device=device, requires_grad=True)
    y = F.interpolate(x, **kw)
    assert tuple(y.shape) == out_shape
    assert y.dtype == gradgpu.float64 and y.device == x.device
    np.testing.assert_allclose(y.detach().cpu().numpy().ravel(), values, rtol=1e-12, atol=1e-13)
    y.backward(gradgpu.tensor(_g(out_shape), dtype=gradgpu.float64, device=device))
    np.testing.assert_allclose(x.grad.cpu().numpy().ravel(), grad, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("shape, kw, out_shape, values", FORWARD_ONLY,
                         ids=_ids(FORWARD_ONLY))
def test_pytorch_cpu_size_shortcuts(device, shape, kw, out_shape, values):
    # PyTorch's CPU kernels: 2-D 'nearest' copies a dim whose size does not change and takes
    # i // 2 for a doubled one, whatever the scale factor; 1-D / 3-D 'nearest' use the scale;
    # the linear modes copy an unchanged dim
    x = gradgpu.tensor(_x(shape), dtype=gradgpu.float64, device=device)
    y = F.interpolate(x, **kw)
    assert tuple(y.shape) == out_shape
    np.testing.assert_allclose(y.cpu().numpy().ravel(), values, rtol=1e-12, atol=1e-13)


def test_float32_keeps_its_dtype_and_nearest_is_exact(device):
    x = gradgpu.tensor(_x((1, 2, 3, 4)), dtype=gradgpu.float32, device=device)
    y = F.interpolate(x, scale_factor=(1.7, 0.6), mode="nearest")
    assert y.dtype == gradgpu.float32 and tuple(y.shape) == (1, 2, 5, 2)
    x64 = x.double()
    np.testing.assert_array_equal(
        y.double().cpu().numpy(), F.interpolate(x64, scale_factor=(1.7, 0.6)).cpu().numpy())
    z = F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True)
    assert z.dtype == gradgpu.float32
    np.testing.assert_allclose(
        z.cpu().numpy(), F.interpolate(x64, size=(5, 7), mode="bilinear",
                                       align_corners=True).cpu().numpy(), rtol=1e-6, atol=1e-6)


def test_uint8_nearest_and_integer_errors(device):
    x = gradgpu.tensor([[[1, 2, 3]]], dtype=gradgpu.uint8, device=device)
    y = F.interpolate(x, size=6)
    assert y.dtype == gradgpu.uint8 and y.cpu().tolist() == [[[1, 1, 2, 2, 3, 3]]]
    with pytest.raises(NotImplementedError, match="compute_indices_weights_linear.*'Byte'"):
        F.interpolate(x, size=6, mode="linear")
    with pytest.raises(NotImplementedError, match="compute_indices_weights_nearest.*'Long'"):
        F.interpolate(x.long(), size=6)


GRADCHECK = [
    ((1, 2, 3), dict(scale_factor=1.7, mode="linear")),
    ((1, 1, 5), dict(size=3, mode="linear", align_corners=True)),
    ((1, 1, 3, 4), dict(size=(4, 3), mode="bilinear")),
    ((1, 1, 3, 4), dict(scale_factor=(1.5, 0.7), mode="bilinear", align_corners=True)),
    ((1, 1, 2, 2, 3), dict(scale_factor=(1.5, 2, 0.7), mode="trilinear")),
    ((1, 1, 2, 3), dict(scale_factor=1.5, mode="nearest")),
    ((1, 1, 2, 2, 3), dict(size=(3, 1, 5), mode="nearest-exact")),
    ((1, 2, 3, 4), dict(size=(5, 3), mode="bicubic")),
    ((1, 1, 4, 3), dict(scale_factor=(0.7, 1.5), mode="bicubic", align_corners=True)),
    ((1, 2, 5, 4), dict(size=(2, 3), mode="area")),
]


@pytest.mark.parametrize("shape, kw", GRADCHECK, ids=_ids(GRADCHECK))
def test_gradcheck_and_gradgradcheck(device, shape, kw):
    x = gradgpu.tensor(_x(shape) + 0.1, dtype=gradgpu.float64, device=device,
                       requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, **kw), (x,))
    assert gradgradcheck(lambda t: F.interpolate(t, **kw) ** 2, (x,))


@pytest.mark.parametrize("kw, exc, message", [
    (dict(size=2, scale_factor=2), ValueError, "only one of size or scale_factor"),
    (dict(), ValueError, "either size or scale_factor should be defined"),
    (dict(size=2, align_corners=True), ValueError, "align_corners option can only be set"),
    (dict(size=2, mode="nearest-exact", align_corners=False), ValueError,
     "align_corners option can only be set"),
    (dict(size=(2, 2, 2)), ValueError, "same number of spatial dimensions"),
    (dict(scale_factor=(2,)), ValueError, "same number of spatial dimensions"),
    (dict(size=(2.0, 2)), TypeError, "expected size to be one of int"),
    (dict(size=2, recompute_scale_factor=True), ValueError, "not meaningful with an explicit"),
    (dict(size=2, antialias=True), ValueError, "Anti-alias option is restricted"),
    (dict(size=2, mode="bilinear", antialias=True), NotImplementedError, "antialias=True"),
    (dict(size=2, mode="lanczos"), NotImplementedError, "'lanczos' is not supported"),
    (dict(size=2, mode="area", align_corners=False), ValueError,
     "align_corners option can only be set"),
    (dict(size=2, mode="linear"), NotImplementedError,
     "Got 4D input, but linear mode needs 3D input"),
    (dict(size=2, mode="trilinear"), NotImplementedError,
     "Got 4D input, but trilinear mode needs 5D input"),
    (dict(size=2, mode="foo"), NotImplementedError, r"\(got 4D\) for the modes: .*\(got foo\)"),
    (dict(size=0), RuntimeError,
     r"greater than 0, but got input \(H: 4, W: 4\) output \(H: 0, W: 0\)"),
    (dict(scale_factor=0.1, mode="bilinear"), RuntimeError, r"output \(H: 0, W: 0\)"),
])
def test_argument_errors_match_pytorch(kw, exc, message):
    with pytest.raises(exc, match=message):
        F.interpolate(gradgpu.zeros(1, 1, 4, 4), **kw)


def test_dimension_errors():
    with pytest.raises(NotImplementedError, match=r"Only 3D, 4D and 5D input .*\(got 2D\)"):
        F.interpolate(gradgpu.zeros(4, 4), size=2)
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D"):
        F.interpolate(gradgpu.zeros(1, 1, 4), size=2, mode="bilinear")
    with pytest.raises(RuntimeError, match=r"input \(W: 4\) and output \(W: -4\)"):
        F.interpolate(gradgpu.zeros(1, 1, 4), scale_factor=-1.0)
    with pytest.raises(TypeError, match="must be Tensor"):
        F.interpolate([1.0, 2.0], size=2)


BICUBIC_AND_AREA = [
    ((2, 3, 5, 7), dict(size=(8, 11), mode="bicubic")),
    ((2, 3, 5, 7), dict(size=(3, 4), mode="bicubic")),
    ((1, 2, 5, 7), dict(scale_factor=(0.6, 2.5), mode="bicubic")),
    ((1, 2, 5, 7), dict(size=(9, 13), mode="bicubic", align_corners=True)),
    ((1, 1, 3, 3), dict(size=(1, 1), mode="bicubic")),
    ((1, 2, 7), dict(size=3, mode="area")),
    ((1, 2, 5, 7), dict(size=(3, 4), mode="area")),
    ((1, 1, 4, 5, 6), dict(scale_factor=0.5, mode="area")),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, kw", BICUBIC_AND_AREA, ids=_ids(BICUBIC_AND_AREA))
def test_bicubic_and_area_match_pytorch(shape, kw, dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    g = np.cos(np.arange(np.prod(shape) * 4)).astype(dtype)

    def run(lib):
        t = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.interpolate(t, **kw)
        y.backward(lib.tensor(g[:y.numel()].reshape(tuple(y.shape))))
        return y.detach().numpy(), t.grad.numpy()

    tol = dict(rtol=1e-12, atol=1e-13) if dtype == "float64" else dict(rtol=2e-6, atol=3e-6)
    for got, want in zip(run(gradgpu), run(torch)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, **tol)


def test_bicubic_needs_4d_float_input():
    with pytest.raises(NotImplementedError, match=r"\(got 3D\) for the modes: .*\(got bicubic\)"):
        F.interpolate(gradgpu.zeros(1, 1, 4), size=2, mode="bicubic")
    with pytest.raises(NotImplementedError, match="compute_indices_weights_cubic"):
        F.interpolate(gradgpu.zeros(1, 1, 4, 4, dtype=gradgpu.uint8), size=2, mode="bicubic")


def test_recompute_scale_factor_changes_the_source_positions():
    x = gradgpu.tensor(_x((1, 1, 3)), dtype=gradgpu.float64)
    a = F.interpolate(x, scale_factor=1.7, mode="linear")
    b = F.interpolate(x, scale_factor=1.7, mode="linear", recompute_scale_factor=True)
    assert tuple(a.shape) == tuple(b.shape) == (1, 1, 5)
    assert not np.allclose(a.numpy(), b.numpy())


def test_upsample_aliases_warn_like_pytorch():
    x = gradgpu.tensor(_x((1, 1, 2, 3)), dtype=gradgpu.float64)
    with pytest.warns(UserWarning, match=r"`nn.functional.upsample` is deprecated. Use "
                                         r"`nn.functional.interpolate` instead."):
        y = F.upsample(x, scale_factor=2, mode="bilinear")
    np.testing.assert_array_equal(y.numpy(),
                                  F.interpolate(x, scale_factor=2, mode="bilinear").numpy())
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        y = F.upsample_nearest(x, size=(3, 4))
    np.testing.assert_array_equal(y.numpy(), F.interpolate(x, size=(3, 4)).numpy())
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        y = F.upsample_bilinear(x, scale_factor=2)
    np.testing.assert_array_equal(
        y.numpy(), F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True).numpy())


def test_module_reprs_match_pytorch():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear")) == \
        "Upsample(size=(3, 4), mode='bilinear')"
    assert repr(nn.Upsample(scale_factor=(2, 3))) == \
        "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"
    assert repr(nn.UpsamplingNearest2d(scale_factor=2)) == \
        "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"
    assert repr(nn.UpsamplingBilinear2d(size=5)) == "UpsamplingBilinear2d(size=5, mode='bilinear')"


def test_modules_forward_to_interpolate(device):
    x = gradgpu.tensor(_x((1, 2, 2, 3)), dtype=gradgpu.float64, device=device,
                       requires_grad=True)
    m = nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=False,
                    recompute_scale_factor=True)
    assert m.align_corners is False and m.recompute_scale_factor is True
    np.testing.assert_array_equal(
        m(x).detach().cpu().numpy(),
        F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=False,
                      recompute_scale_factor=True).detach().cpu().numpy())
    y = nn.UpsamplingBilinear2d(scale_factor=2)(x)
    np.testing.assert_array_equal(
        y.detach().cpu().numpy(),
        F.interpolate(x, scale_factor=2, mode="bilinear",
                      align_corners=True).detach().cpu().numpy())
    y.sum().backward()
    assert x.grad is not None and tuple(x.grad.shape) == (1, 2, 2, 3)
    z = nn.UpsamplingNearest2d(size=(4, 6))(x)
    assert tuple(z.shape) == (1, 2, 4, 6)
    assert nn.UpsamplingNearest2d(size=(4, 6)).mode == "nearest"
