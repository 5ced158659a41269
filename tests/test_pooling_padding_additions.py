"""1-D / 3-D / adaptive / Lp pooling, pixel and channel shuffles, pad's non-constant modes and
their modules: values copied from PyTorch 2 runs, error contracts, module reprs. Forward vs
NumPy, gradcheck and gradgradcheck of every op are in tests/op_db/pooling_additions.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F
from gradgpu.autograd import gradcheck


def _t(values, device, requires_grad=False):
    return gradgpu.tensor(values, device=device, requires_grad=requires_grad)


# ---- values and gradients from PyTorch -------------------------------------------------------
def test_pad_modes_match_pytorch_values(device):
    x = gradgpu.arange(5.0, device=device).reshape(1, 1, 5)
    want = {  # torch.nn.functional.pad(torch.arange(5.).view(1, 1, 5), pad, mode)
        ("circular", (-1, 3)): [1, 2, 3, 4, 1, 2, 3],
        ("circular", (3, -2)): [0, 1, 2, 0, 1, 2],
        ("reflect", (-1, 3)): [1, 2, 3, 4, 3, 2, 1],
        ("reflect", (-2, 4)): [2, 3, 4, 3, 2, 1, 0],
        ("reflect", (3, -2)): [3, 2, 1, 0, 1, 2],
        ("replicate", (-1, 3)): [1, 2, 3, 4, 4, 4, 4],
    }
    for (mode, pad), values in want.items():
        got = F.pad(x, pad, mode)
        assert got.device.type == device
        np.testing.assert_array_equal(got.cpu().numpy()[0, 0], values, err_msg=f"{mode} {pad}")
    x = gradgpu.arange(24.0, device=device).reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(F.pad(x, (1, 2, 2, 1), "reflect").cpu().numpy()[0, 1], [
        [21, 20, 21, 22, 23, 22, 21], [17, 16, 17, 18, 19, 18, 17],
        [13, 12, 13, 14, 15, 14, 13], [17, 16, 17, 18, 19, 18, 17],
        [21, 20, 21, 22, 23, 22, 21], [17, 16, 17, 18, 19, 18, 17]])
    np.testing.assert_array_equal(F.pad(x, (2, 1, 1, 0), "circular").cpu().numpy()[0, 0], [
        [10, 11, 8, 9, 10, 11, 8], [2, 3, 0, 1, 2, 3, 0], [6, 7, 4, 5, 6, 7, 4],
        [10, 11, 8, 9, 10, 11, 8]])


@pytest.mark.parametrize("mode,n,pad,grad", [
    ("replicate", 3, (0, 2), [1, 1, 3]),
    ("reflect", 4, (2, 3), [2, 3, 3, 1]),
    ("circular", 4, (2, 3), [2, 2, 3, 2]),
])
def test_pad_gradient_collects_the_copies(device, mode, n, pad, grad):
    x = gradgpu.arange(float(n), device=device, requires_grad=True)
    F.pad(x.reshape(1, n), pad, mode).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), grad)


def test_pad_integer_and_bool_inputs():
    x = gradgpu.tensor([[1, 2, 3]])
    assert F.pad(x, (1, 1), "reflect").tolist() == [[2, 1, 2, 3, 2]]
    assert F.pad(x, (2, 0), "replicate").dtype == gradgpu.int64
    b = gradgpu.tensor([[True, False]])
    assert F.pad(b, (1, 1), "circular").tolist() == [[False, True, False, True]]
    with pytest.raises(NotImplementedError, match="reflection_pad1d.*Bool"):
        F.pad(b, (1, 1), "reflect")


def test_max_pool3d_and_adaptive_max_values_match_pytorch(device):
    t = _t([[[[[3., 1, 4], [1, 5, 9]], [[2, 6, 5], [3, 5, 8]]],
             [[[9., 7, 9], [3, 2, 3]], [[8, 4, 6], [2, 6, 4]]]]], device)
    out, idx = F.max_pool3d(t, (2, 2, 2), 1, return_indices=True)
    np.testing.assert_array_equal(out.cpu().numpy().ravel(), [6, 9, 9, 9])
    np.testing.assert_array_equal(idx.cpu().numpy().ravel(), [7, 5, 0, 2])
    out, idx = F.adaptive_max_pool1d(_t([[3., 1, 4, 1, 5, 9, 2]], device), 3, True)
    assert out.tolist() == [[4.0, 5.0, 9.0]] and idx.tolist() == [[2, 4, 5]]
    out, idx = F.max_pool2d_with_indices(_t([[[1., 3], [4, 2]]], device), 2)
    assert out.tolist() == [[[4.0]]] and idx.tolist() == [[[2]]]


def test_avg_pool3d_ceil_exclude_matches_pytorch():
    x = gradgpu.arange(27.0).reshape(1, 1, 3, 3, 3)
    got = F.avg_pool3d(x, 2, 1, 1, ceil_mode=True, count_include_pad=False)
    assert got.shape == (1, 1, 4, 4, 4)
    np.testing.assert_allclose(got.numpy().ravel()[:8], [0, 0.5, 1.5, 2, 1.5, 2, 3, 3.5])


def test_lp_pool_follows_pytorch_formula():
    x = gradgpu.tensor([[[-1.0, 2, 3, -4, 5]]])
    # PyTorch: odd p of a negative window sum is NaN; ceil windows scale by the full kernel
    np.testing.assert_allclose(F.lp_pool1d(x, 3, 2, ceil_mode=True).numpy().ravel(),
                               [1.9129, np.nan, 6.2996], rtol=1e-4)
    assert F.lp_pool1d(x, 1, 2).tolist() == [[[1.0, -1.0]]]
    assert F.lp_pool1d(x, math.inf, 2).tolist() == [[[2.0, 4.0]]]
    assert F.lp_pool1d(x, -math.inf, 2).tolist() == [[[1.0, 3.0]]]


def test_lp_pool_gradient_is_zero_on_windows_that_sum_to_zero(device):
    # a window of zeros (as after a ReLU): PyTorch's gradient there is 0; it was NaN here,
    # with "invalid value encountered in multiply" from inf * 0
    x = gradgpu.tensor([[[0.0, 0.0, 1.0, 2.0, 0.0, -0.0]]], device=device, requires_grad=True)
    y = F.lp_pool1d(x, 2, 2)
    np.testing.assert_allclose(y.detach().cpu().numpy().ravel(), [0.0, 5 ** 0.5, 0.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy().ravel(),
                               [0.0, 0.0, 0.4472135954999579, 0.8944271909999159, 0.0, 0.0])
    x.grad = None
    F.lp_pool2d(x.reshape(1, 2, 3), 3, (1, 2), 1).sum().backward()
    # float32 through pow: CUDA's powf may be an ulp off NumPy's
    np.testing.assert_allclose(x.grad.cpu().numpy().ravel(), [0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
                               rtol=3e-7)


def test_shuffles_match_pytorch(device):
    got = F.pixel_shuffle(gradgpu.arange(8.0, device=device).reshape(1, 8, 1, 1), 2)
    assert got.shape == (1, 2, 2, 2) and got.cpu().numpy().ravel().tolist() == list(range(8))
    got = F.pixel_unshuffle(gradgpu.arange(16.0, device=device).reshape(1, 1, 4, 4), 2)
    assert got.cpu().numpy().ravel().tolist() == [0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14,
                                                  5, 7, 13, 15]
    got = F.channel_shuffle(gradgpu.arange(6.0, device=device).reshape(1, 6, 1), 2)
    assert got.cpu().numpy().ravel().tolist() == [0, 3, 1, 4, 2, 5]
    x = gradgpu.randn(2, 3, 4, 6, device=device)
    assert gradgpu.equal(F.pixel_shuffle(F.pixel_unshuffle(x, 2), 2), x)


def test_nan_propagates_through_new_max_pools():
    nan = float("nan")
    x = gradgpu.tensor([[[1.0, nan, 0.0, 2.0, 1.0]]])
    assert math.isnan(F.max_pool1d(x, 5).item())
    out = F.adaptive_max_pool1d(x, 2)
    assert math.isnan(out[0, 0, 0].item()) and out[0, 0, 1].item() == 2.0
    assert math.isnan(F.max_pool3d(x.reshape(1, 1, 1, 1, 5), (1, 1, 5)).item())


def test_empty_outputs_and_batches():
    assert F.adaptive_max_pool2d(gradgpu.randn(1, 3, 4, 5), 0, True)[1].shape == (1, 3, 0, 0)
    assert F.max_pool3d(gradgpu.randn(0, 3, 4, 5, 5), 2, return_indices=True)[1].shape == (
        0, 3, 2, 2, 2)
    assert F.adaptive_avg_pool3d(gradgpu.randn(0, 3, 4, 5, 5), 2).shape == (0, 3, 2, 2, 2)
    assert F.pad(gradgpu.randn(0, 3, 5), (2, 2), "reflect").shape == (0, 3, 9)


def test_separable_3d_pooling_gradcheck_with_padding():
    x = gradgpu.randn(1, 1, 3, 4, 3, dtype=gradgpu.float64, requires_grad=True)
    assert gradcheck(lambda t: F.avg_pool3d(t, 2, 1, 1, count_include_pad=False), (x,))
    assert gradcheck(lambda t: F.lp_pool3d(t * t + 0.5, 2.0, 2, 1), (x,))


# ---- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.pad(gradgpu.randn(1, 2, 5), (5, 1), "reflect"), RuntimeError,
     r"Argument #4: Padding size should be less than the corresponding input dimension, but "
     r"got: padding \(5, 1\) at dimension 2 of input \[1, 2, 5\]"),
    (lambda: F.pad(gradgpu.randn(2, 3, 3), (1, 1, 4, 1), "reflect"), RuntimeError,
     r"Argument #6: .*padding \(4, 1\) at dimension 1"),
    (lambda: F.pad(gradgpu.randn(1, 2, 5), (6, 2), "circular"), RuntimeError,
     "wrapping around more than once"),
    (lambda: F.pad(gradgpu.randn(1, 2, 3), (-2, -2), "circular"), RuntimeError,
     "Negative padding value is resulting in an empty dimension"),
    (lambda: F.pad(gradgpu.randn(1, 1, 5), (5, -3), "circular"), RuntimeError,
     "wraps around more than the 2 elements left"),
    (lambda: F.pad(gradgpu.randn(1, 2, 5), (-2, -3), "replicate"), RuntimeError,
     r"input \(W: 5\) is too small. Calculated output W: 0"),
    (lambda: F.pad(gradgpu.randn(1, 2, 5), (1, 1, 1, 1, 1, 1), "circular"), NotImplementedError,
     "Padding size 6 is not supported for 3D input tensor"),
    (lambda: F.pad(gradgpu.randn(5), (1, 1), "reflect"), NotImplementedError,
     "Padding size 2 is not supported for 1D input tensor"),
    (lambda: F.pad(gradgpu.randn(1, 2, 5), (1, 1), "reflect", 1.0), RuntimeError,
     "Padding mode \"reflect\" doesn't take in value argument"),
    (lambda: F.pad(gradgpu.randn(1, 2, 5), (1, 1), "foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
    (lambda: F.pad(gradgpu.randn(1, 2, 0), (1, 1), "replicate"), RuntimeError,
     r"Expected 2D or 3D \(batch mode\) tensor with possibly 0 batch size and other non-zero "
     r"dimensions for input, but got: \[1, 2, 0\]"),
    (lambda: F.pad(gradgpu.randn(1, 2, 5), (1, 1, 1)), RuntimeError,
     "Padding length must be divisible by 2"),
    (lambda: F.pad(gradgpu.randn(2, 5), (1, 1) * 3), RuntimeError,
     "padding length 6 and input of dimension 2"),
    (lambda: F.max_pool1d(gradgpu.randn(2, 3, 4, 5), 2), RuntimeError,
     r"Expected 2D \(unbatched\) or 3D \(batched\) input to max_pool1d, but got input of size: "
     r"\[2, 3, 4, 5\]"),
    (lambda: F.max_pool1d(gradgpu.randn(1, 2, 5), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2"),
    (lambda: F.max_pool1d(gradgpu.randn(1, 2, 1), 2), RuntimeError,
     r"Given input size: \(2x1\). Calculated output size: \(2x0\). Output size is too small"),
    (lambda: F.max_pool1d(gradgpu.randn(1, 2, 5), 0), RuntimeError,
     "kernel_size must be greater than zero"),
    (lambda: F.avg_pool1d(gradgpu.randn(1, 2, 5), 2, stride=0), RuntimeError,
     "stride must be greater than zero"),
    (lambda: F.max_pool1d(gradgpu.tensor([[[1, 2]]]), 2), NotImplementedError,
     "max_pool1d.*floating point"),
    (lambda: F.max_pool3d(gradgpu.randn(2, 3, 4), 2), RuntimeError,
     r"Expected 4D \(unbatched\) or 5D \(batched\) input to max_pool3d"),
    (lambda: F.avg_pool3d(gradgpu.randn(1, 1, 3, 3, 4), 2, divisor_override=0), RuntimeError,
     "divisor must be not zero"),
    (lambda: F.avg_pool3d(gradgpu.randn(1, 1, 3, 3, 4), 2, divisor_override=2.5), TypeError,
     "divisor_override' must be int"),
    (lambda: F.max_pool3d(gradgpu.randn(1, 1, 2, 3, 4), (2, 2)), RuntimeError,
     "kernel_size must either be a single int, or a tuple of 3 ints"),
    (lambda: F.adaptive_avg_pool1d(gradgpu.randn(2, 3, 5), (2, 3)), RuntimeError,
     r"argument 'output_size' should contain 1 int\(s\) \(got 2\)"),
    (lambda: F.adaptive_max_pool1d(gradgpu.randn(2, 3, 0), 2), RuntimeError,
     r"Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     r"\[2, 3, 0\] with dimension 2 being empty"),
    (lambda: F.adaptive_max_pool2d(gradgpu.randn(1, 3, 4, 5), -1), RuntimeError,
     "elements of output_size must be greater than or equal to 0"),
    (lambda: F.adaptive_avg_pool3d(gradgpu.randn(3, 4, 5), 2), RuntimeError,
     r"Expected 4D \(unbatched\) or 5D \(batched\) input to adaptive_avg_pool3d"),
    (lambda: F.pixel_shuffle(gradgpu.randn(2, 8, 2, 3), 3), RuntimeError,
     r"input.size\(-3\)=8 is not divisible by 9"),
    (lambda: F.pixel_shuffle(gradgpu.randn(8, 2), 2), RuntimeError,
     r"pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 "
     r"dimension\(s\)"),
    (lambda: F.pixel_shuffle(gradgpu.randn(1, 8, 2, 3), 0), RuntimeError,
     "pixel_shuffle expects a positive upscale_factor, but got 0"),
    (lambda: F.pixel_unshuffle(gradgpu.randn(1, 2, 5, 6), 2), RuntimeError,
     r"pixel_unshuffle expects height to be divisible by downscale_factor, but "
     r"input.size\(-2\)=5 is not divisible by 2"),
    (lambda: F.pixel_unshuffle(gradgpu.randn(1, 2, 4, 5), 2), RuntimeError,
     r"expects width .* input.size\(-1\)=5"),
    (lambda: F.channel_shuffle(gradgpu.randn(1, 6), 3), RuntimeError,
     r"channel_shuffle expects input with > 2 dims, but got input with sizes \[1, 6\]"),
    (lambda: F.channel_shuffle(gradgpu.randn(1, 6, 2), 4), RuntimeError,
     "Number of channels must be divisible by groups. Got 6 channels and 4 groups."),
    (lambda: F.channel_shuffle(gradgpu.randn(1, 6, 2), 0), RuntimeError,
     "Number of groups to divide channels in must be positive. Value of groups:0"),
])
def test_error_contracts(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---- modules -----------------------------------------------------------------------------------
def test_module_reprs_match_pytorch():
    want = {  # repr() of the same torch.nn modules
        nn.MaxPool1d(3): "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, "
                         "ceil_mode=False)",
        nn.MaxPool3d(2, 1): "MaxPool3d(kernel_size=2, stride=1, padding=0, dilation=1, "
                            "ceil_mode=False)",
        nn.AvgPool1d(3): "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))",
        nn.AvgPool3d(2): "AvgPool3d(kernel_size=2, stride=2, padding=0)",
        nn.AdaptiveAvgPool1d(3): "AdaptiveAvgPool1d(output_size=3)",
        nn.AdaptiveAvgPool3d((2, None, 1)): "AdaptiveAvgPool3d(output_size=(2, None, 1))",
        nn.AdaptiveMaxPool2d((2, None)): "AdaptiveMaxPool2d(output_size=(2, None))",
        nn.LPPool2d(2, 3, 1): "LPPool2d(norm_type=2, kernel_size=3, stride=1, ceil_mode=False)",
        nn.PixelShuffle(2): "PixelShuffle(upscale_factor=2)",
        nn.PixelUnshuffle(2): "PixelUnshuffle(downscale_factor=2)",
        nn.ChannelShuffle(3): "ChannelShuffle(groups=3)",
        nn.ZeroPad2d((1, 2, 3, 4)): "ZeroPad2d((1, 2, 3, 4))",
        nn.ZeroPad3d(1): "ZeroPad3d((1, 1, 1, 1, 1, 1))",
        nn.ConstantPad1d(2, 3.5): "ConstantPad1d(padding=(2, 2), value=3.5)",
        nn.ReflectionPad1d((1, 2)): "ReflectionPad1d((1, 2))",
        nn.ReplicationPad2d(1): "ReplicationPad2d((1, 1, 1, 1))",
        nn.CircularPad3d((1, 2, 3, 4, 5, 6)): "CircularPad3d((1, 2, 3, 4, 5, 6))",
    }
    for module, text in want.items():
        assert repr(module) == text


def test_modules_call_their_functionals():
    x = gradgpu.rand(2, 4, 6, 6, 6) + 0.1  # positive: odd-p Lp pooling is NaN on negatives
    y = x.reshape(2, 24, 36)
    z = x.reshape(2, 24, 6, 6)
    cases = [  # (module, its input, the functional call it must equal)
        (nn.MaxPool3d(2, 1, 1), x, F.max_pool3d(x, 2, 1, 1)),
        (nn.AvgPool3d(3, 2, 1, divisor_override=4), x, F.avg_pool3d(x, 3, 2, 1, False, True, 4)),
        (nn.AdaptiveAvgPool3d(4), x, F.adaptive_avg_pool3d(x, 4)),
        (nn.AdaptiveMaxPool3d((2, 3, 4)), x, F.adaptive_max_pool3d(x, (2, 3, 4))),
        (nn.LPPool3d(2, 2), x, F.lp_pool3d(x, 2.0, 2)),
        (nn.ReplicationPad3d((1, 0, 2, 1, 0, 3)), x, F.pad(x, (1, 0, 2, 1, 0, 3), "replicate")),
        (nn.ChannelShuffle(2), x, F.channel_shuffle(x, 2)),
        (nn.MaxPool1d(3, 2, 1, ceil_mode=True), y, F.max_pool1d(y, 3, 2, 1, ceil_mode=True)),
        (nn.AvgPool1d(3, 2, 1, count_include_pad=False), y,
         F.avg_pool1d(y, 3, 2, 1, False, False)),
        (nn.AdaptiveAvgPool1d(5), y, F.adaptive_avg_pool1d(y, 5)),
        (nn.AdaptiveMaxPool1d(5), y, F.adaptive_max_pool1d(y, 5)),
        (nn.LPPool1d(3, 4), y, F.lp_pool1d(y, 3.0, 4)),
        (nn.ConstantPad1d((1, -2), 2.0), y, F.pad(y, (1, -2), value=2.0)),
        (nn.ReflectionPad1d(3), y, F.pad(y, (3, 3), "reflect")),
        (nn.CircularPad1d((2, 1)), y, F.pad(y, (2, 1), "circular")),
        (nn.AdaptiveMaxPool2d((4, None)), z, F.adaptive_max_pool2d(z, (4, None))),
        (nn.LPPool2d(2, (2, 3), 1), z, F.lp_pool2d(z, 2.0, (2, 3), 1)),
        (nn.PixelShuffle(2), z, F.pixel_shuffle(z, 2)),
        (nn.PixelUnshuffle(3), z, F.pixel_unshuffle(z, 3)),
        (nn.ZeroPad2d((1, 2, 0, 1)), z, F.pad(z, (1, 2, 0, 1))),
        (nn.ReflectionPad2d(2), z, F.pad(z, (2, 2, 2, 2), "reflect")),
        (nn.CircularPad2d(1), z, F.pad(z, (1, 1, 1, 1), "circular")),
    ]
    for module, inp, want in cases:
        got = module(inp)
        assert got.shape == want.shape and gradgpu.equal(got, want), repr(module)
        assert not list(module.parameters()) and module.state_dict() == {}


def test_module_return_indices_and_circular_dims():
    out, idx = nn.AdaptiveMaxPool1d(2, return_indices=True)(gradgpu.tensor([[1.0, 3, 2, 0]]))
    assert out.tolist() == [[3.0, 2.0]] and idx.tolist() == [[1, 2]]
    out, idx = nn.MaxPool1d(2, return_indices=True)(gradgpu.tensor([[1.0, 3, 2, 0]]))
    assert idx.tolist() == [[1, 2]]
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.CircularPad1d(1)(gradgpu.randn(1, 2, 3, 4))


def test_max_pool_refuses_a_dilated_window_that_lies_entirely_in_the_padding():
    # taps at -1 and 1 for a height-1 input: PyTorch returns -inf with index 4 (out of the
    # plane) and its backward crashes; gradgpu refuses from the geometry alone
    x = gradgpu.arange(4.0).reshape(1, 1, 1, 4)
    with pytest.raises(RuntimeError, match="output position 0 pools only padding"):
        F.max_pool2d(x, (2, 1), 1, (1, 0), (2, 1))
    # dilated and padded, every window reaching the input: allowed
    out = F.max_pool2d(gradgpu.arange(16.0).reshape(1, 1, 4, 4), 3, 1, 1, 2)
    assert out.tolist() == [[[[15.0, 14.0], [11.0, 10.0]]]]


def test_constant_pad_crops_the_input_before_padding():
    # PyTorch narrows by the negative widths first: cropping 2 from a size-1 dim is an error
    # even though the other side's padding would make the total positive
    with pytest.raises(RuntimeError, match="narrow\\(\\): length must be non-negative"):
        F.pad(gradgpu.tensor([[7.0]]), [4, -2])
    assert F.pad(gradgpu.ones(1, 2), [3, -1]).tolist() == [[0.0, 0.0, 0.0, 1.0]]
    assert tuple(F.pad(gradgpu.ones(1, 2), [-1, -1]).shape) == (1, 0)
