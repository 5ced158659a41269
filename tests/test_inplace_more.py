"""The in-place ops generated in gradgpu/ops/inplace_more.py and the bit shifts: values equal
the out-of-place op's, self is returned and written, PyTorch's dtype/leaf/shape rules hold,
and gradients flow through the write. Expected literals come from PyTorch 2.13 runs."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import gradcheck

X = np.array([[0.3, 0.6, -0.2], [0.9, -0.7, 0.1]])
POS = np.abs(X) + 1.1
OTHER = np.array([[0.5, -1.5, 2.0], [1.0, 0.2, -0.3]])

# (in-place name, out-of-place name, input, extra args; "O" is the OTHER tensor)
CASES = [
    ("acos_", "acos", X, ()), ("arccos_", "acos", X, ()), ("asin_", "asin", X, ()),
    ("arcsin_", "asin", X, ()), ("atan_", "atan", X, ()), ("arctan_", "atan", X, ()),
    ("acosh_", "acosh", POS, ()), ("arccosh_", "acosh", POS, ()), ("asinh_", "asinh", X, ()),
    ("arcsinh_", "asinh", X, ()), ("atanh_", "atanh", X, ()), ("arctanh_", "atanh", X, ()),
    ("cosh_", "cosh", X, ()), ("sinh_", "sinh", X, ()), ("log2_", "log2", POS, ()),
    ("log10_", "log10", POS, ()), ("erf_", "erf", X, ()), ("erfc_", "erfc", X, ()),
    ("erfinv_", "erfinv", X, ()), ("exp2_", "exp2", X, ()), ("i0_", "i0", X, ()),
    ("lgamma_", "lgamma", POS, ()), ("digamma_", "digamma", POS, ()),
    ("polygamma_", "polygamma", POS, (1,)), ("mvlgamma_", "mvlgamma", POS + 1, (2,)),
    ("logit_", "logit", np.abs(X), (0.2,)), ("xlogy_", "xlogy", X, ("O",)),
    ("nan_to_num_", "nan_to_num", X, ()), ("sgn_", "sgn", X, ()), ("fix_", "fix", 5 * X, ()),
    ("sinc_", "sinc", X, ()), ("deg2rad_", "deg2rad", X, ()), ("rad2deg_", "rad2deg", X, ()),
    ("copysign_", "copysign", X, ("O",)), ("hypot_", "hypot", X, ("O",)),
    ("atan2_", "atan2", X, ("O",)), ("arctan2_", "atan2", X, ("O",)),
    ("float_power_", "float_power", POS, ("O",)), ("heaviside_", "heaviside", X, ("O",)),
    ("nextafter_", "nextafter", X, ("O",)), ("renorm_", "renorm", X, (2, 0, 0.5)),
    ("cumsum_", "cumsum", X, (1,)), ("cumprod_", "cumprod", X, (0,)),
    ("tril_", "tril", X, ()), ("triu_", "triu", X, (1,)),
    ("multiply_", "mul", X, ("O",)), ("divide_", "div", X, ("O",)),
    ("subtract_", "sub", X, ("O",)), ("true_divide_", "div", X, ("O",)),
    ("negative_", "neg", X, ()), ("absolute_", "abs", X, ()),
]


def _args(args, device):
    return [gradgpu.tensor(OTHER, device=device) if a == "O" else a for a in args]


@pytest.mark.parametrize("name,ref,x,args", CASES, ids=[c[0] for c in CASES])
def test_inplace_equals_out_of_place(name, ref, x, args, device):
    t = gradgpu.tensor(x, device=device)
    expected = getattr(gradgpu.Tensor, ref)(t, *_args(args, device)).cpu().numpy()
    version = t._version
    out = getattr(t, name)(*_args(args, device))
    assert out is t and t.dtype is gradgpu.float64 and t._version == version + 1
    np.testing.assert_allclose(t.cpu().numpy(), expected, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name,expected", [
    ("eq_", [[0, 0, 0], [0, 0, 0]]), ("ne_", [[1, 1, 1], [1, 1, 1]]),
    ("lt_", [[1, 0, 1], [1, 1, 0]]), ("less_", [[1, 0, 1], [1, 1, 0]]),
    ("le_", [[1, 0, 1], [1, 1, 0]]), ("less_equal_", [[1, 0, 1], [1, 1, 0]]),
    ("gt_", [[0, 1, 0], [0, 0, 1]]), ("greater_", [[0, 1, 0], [0, 0, 1]]),
    ("ge_", [[0, 1, 0], [0, 0, 1]]), ("greater_equal_", [[0, 1, 0], [0, 0, 1]]),
    ("not_equal_", [[1, 1, 1], [1, 1, 1]]), ("logical_and_", [[1, 1, 1], [1, 1, 1]]),
    ("logical_or_", [[1, 1, 1], [1, 1, 1]]), ("logical_xor_", [[0, 0, 0], [0, 0, 0]]),
])
def test_predicates_write_zero_one_in_self_dtype(name, expected, device):
    t = gradgpu.tensor(X, device=device)
    assert getattr(t, name)(gradgpu.tensor(OTHER, device=device)) is t
    assert t.dtype is gradgpu.float64
    np.testing.assert_array_equal(t.cpu().numpy(), np.array(expected, dtype=np.float64))


def test_predicates_on_integers_and_scalars(device):
    a = gradgpu.tensor([1, 2, 3], device=device)
    assert a.clone().gt_(1.5).tolist() == [0, 1, 1]
    assert a.clone().eq_(2).tolist() == [0, 1, 0]
    assert a.clone().logical_and_(gradgpu.tensor([0.0, 2.0, 1.0], device=device)).tolist() \
        == [0, 1, 1]
    assert gradgpu.tensor([1.0, 0.0], device=device).logical_not_().tolist() == [0.0, 1.0]
    b = gradgpu.tensor([True, False], device=device).logical_and_(
        gradgpu.tensor([1.0, 0.0], device=device))
    assert b.dtype is gradgpu.bool and b.tolist() == [True, False]


def test_predicate_inplace_has_zero_gradient(device):
    x = gradgpu.tensor([0.3, -0.4, 0.5], dtype=gradgpu.float64, device=device,
                       requires_grad=True)
    y = x * 2
    y.eq_(0.6)
    (y * 3).sum().backward()
    assert y.tolist() == [1.0, 0.0, 0.0]
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.zeros(3))


@pytest.mark.parametrize("name,args,expected", [
    ("gcd_", ([6, 4, 3],), [2, 2, 3]), ("lcm_", ([6, 4, 3],), [12, 12, 9]),
    ("bitwise_and_", (3,), [0, 2, 1]), ("bitwise_or_", (3,), [7, 7, 11]),
    ("bitwise_xor_", (3,), [7, 5, 10]), ("bitwise_not_", (), [-5, -7, -10]),
    ("bitwise_left_shift_", (3,), [32, 48, 72]), ("bitwise_right_shift_", (1,), [2, 3, 4]),
    ("sgn_", (), [1, 1, 1]), ("absolute_", (), [4, 6, 9]), ("negative_", (), [-4, -6, -9]),
    ("cumsum_", (0,), [4, 10, 19]),
])
def test_integer_inplace(name, args, expected, device):
    t = gradgpu.tensor([4, 6, 9], device=device)
    args = [gradgpu.tensor(a, device=device) if isinstance(a, list) else a for a in args]
    assert getattr(t, name)(*args) is t
    assert t.dtype is gradgpu.int64 and t.tolist() == expected


def test_cumsum_inplace_keeps_small_integer_dtype(device):
    t = gradgpu.tensor([100, 100], dtype=gradgpu.int8, device=device).cumsum_(0)
    assert t.dtype is gradgpu.int8 and t.tolist() == [100, -56]  # wraps as PyTorch's


@pytest.mark.parametrize("name,args", [
    ("acos_", ()), ("sinh_", ()), ("exp2_", ()), ("erf_", ()), ("logit_", ()), ("i0_", ()),
    ("xlogy_", (2.0,)), ("hypot_", ("T",)), ("copysign_", (-1,)), ("deg2rad_", ()),
])
def test_float_results_refused_for_integer_self(name, args, device):
    t = gradgpu.tensor([1, 2, 3], device=device)
    args = [gradgpu.tensor(2.0, device=device) if a == "T" else a for a in args]
    with pytest.raises(RuntimeError, match=rf"{name}: result type float32 can't be cast to "
                                           "the desired output type int64"):
        getattr(t, name)(*args)
    assert t.tolist() == [1, 2, 3]


def test_dtype_and_shape_errors(device):
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype float32 "
                                           "but the operation's result requires dtype float64"):
        gradgpu.tensor([1.0, 2.0], device=device).float_power_(2)
    with pytest.raises(RuntimeError, match=r"hypot_: output with shape \[3\] doesn't match the "
                                           r"broadcast shape \[2, 3\]"):
        gradgpu.ones(3, device=device).hypot_(gradgpu.ones(2, 3, device=device))
    with pytest.raises(RuntimeError, match="bitwise_and_: result type int64 can't be cast to "
                                           "the desired output type bool"):
        gradgpu.tensor([True], device=device).bitwise_and_(gradgpu.tensor([3], device=device))


def test_leaf_requiring_grad_refused(device):
    x = gradgpu.tensor([0.1, 0.2], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="sinh_: a leaf Variable that requires grad"):
        x.sinh_()
    with pytest.raises(RuntimeError, match="eq_: a leaf Variable that requires grad"):
        x.eq_(0.1)


def test_gradients_flow_through_inplace(device):
    x = gradgpu.tensor([0.3, -0.4, 0.5], dtype=gradgpu.float64, device=device,
                       requires_grad=True)
    o = gradgpu.tensor([1.5, 0.5, -2.0], dtype=gradgpu.float64, device=device,
                       requires_grad=True)
    y = x * 2
    assert y.hypot_(o) is y
    y.sum().backward()
    xv, ov = 2 * x.detach().cpu().numpy(), o.detach().cpu().numpy()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * xv / np.hypot(xv, ov), rtol=1e-12)
    np.testing.assert_allclose(o.grad.cpu().numpy(), ov / np.hypot(xv, ov), rtol=1e-12)
    # only ``other`` requires grad: self (no history) gets one
    z = gradgpu.tensor([1.0, 2.0], dtype=gradgpu.float64, device=device)
    z.atan2_(o[:2])
    assert z.requires_grad and z.grad_fn is not None
    assert gradcheck(lambda a, b: (a * 1).atan2_(b), (x, o))
    assert gradcheck(lambda a: (a * 1).cumprod_(0), (x,))


def test_saved_tensor_modified_inplace_is_detected(device):
    x = gradgpu.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 1
    z = y.sin()  # saves y
    y.cosh_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_view_writes_through_base(device):
    base = gradgpu.zeros(2, 3, dtype=gradgpu.float64, device=device)
    base[0].acos_()
    np.testing.assert_allclose(base.cpu().numpy(), [[np.pi / 2] * 3, [0.0] * 3])


def test_aliases_and_swap_inplace(device):
    T = gradgpu.Tensor
    assert T.multiply_ is T.mul_ and T.divide_ is T.div_ and T.true_divide_ is T.div_
    assert T.subtract_ is T.sub_ and T.negative_ is T.neg_ and T.absolute_ is T.abs_
    assert T.swapaxes_ is T.transpose_ and T.swapdims_ is T.transpose_
    m = gradgpu.arange(6.0, device=device).reshape(2, 3)
    assert m.swapaxes_(0, 1) is m and m.shape == (3, 2) and m.stride() == (1, 3)
    assert m.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    d = gradgpu.tensor([7.0, -7.0], device=device).divide_(2.0, rounding_mode="floor")
    assert d.tolist() == [3.0, -4.0]


# ---- bit shifts ------------------------------------------------------------------------------
def test_shift_values_follow_pytorch(device):
    a = gradgpu.tensor([1, 2, 3], device=device)
    assert (a << 1).tolist() == [2, 4, 6] and (1 << a).tolist() == [2, 4, 8]
    assert (3 >> a).tolist() == [1, 0, 0]
    assert gradgpu.bitwise_left_shift(a, 1).tolist() == [2, 4, 6]
    i8 = dict(dtype=gradgpu.int8, device=device)
    r = gradgpu.bitwise_right_shift(gradgpu.tensor([-8, 8], **i8), gradgpu.tensor([1, 9], **i8))
    assert r.dtype is gradgpu.int8 and r.tolist() == [-4, 0]
    lft = gradgpu.bitwise_left_shift(gradgpu.tensor([1, 1], **i8), gradgpu.tensor([7, 9], **i8))
    assert lft.tolist() == [-128, 0]
    # shifts by the bit width or more, or negative: 0 (left), the sign fill (right)
    big = gradgpu.tensor([-1, 70], device=device)
    assert gradgpu.bitwise_left_shift(gradgpu.tensor([-1, 5], device=device), big).tolist() \
        == [0, 0]
    assert gradgpu.bitwise_right_shift(gradgpu.tensor([-1, 5], device=device), big).tolist() \
        == [-1, 0]
    assert (gradgpu.tensor([True, False], device=device) << 1).tolist() == [2, 0]
    i16 = gradgpu.tensor([3, 4], dtype=gradgpu.int16, device=device)
    assert i16.bitwise_left_shift_(14) is i16 and i16.tolist() == [-16384, 0]
    b = gradgpu.tensor([1, 2], device=device)
    b <<= 2
    b >>= 1
    assert b.tolist() == [2, 4]


def test_shift_errors(device):
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'float32'"):
        gradgpu.tensor([1.5], device=device) << 1
    with pytest.raises(NotImplementedError, match="\"rshift_cpu\" not implemented for 'float32'"):
        gradgpu.tensor([1], device=device) >> 1.5
    with pytest.raises(NotImplementedError, match="not implemented for 'bool'"):
        gradgpu.tensor([True], device=device) << gradgpu.tensor([True], device=device)
    with pytest.raises(RuntimeError, match=r"bitwise_left_shift: .*shapes \[3\] and \[2\]"):
        gradgpu.ones(3, dtype=gradgpu.int64, device=device) << gradgpu.ones(
            2, dtype=gradgpu.int64, device=device)
