"""Math where a differential test against PyTorch found gradgpu differing: integer true
division and powers, division by an integer zero, in-place //= and %=, median and max with NaN,
hypot, gradients at the edges of their domain (0, NaN), mv's shapes, dims of 0-d tensors.
Expected values are PyTorch's (2.x, CPU), written out."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu import autograd

nan, inf = math.nan, math.inf
f64 = gradgpu.float64


def _close(t, expected, **kw):
    np.testing.assert_allclose(t.cpu().numpy(), np.asarray(expected, dtype=float), **kw)


def _grads(fn, *values, create_graph=False, device="cpu"):
    """fn's output and the gradients of its sum w.r.t. float64 leaves made from ``values``;
    create_graph=True takes the composed (differentiable) backward instead of a fused one."""
    xs = [gradgpu.tensor(v, dtype=f64, device=device, requires_grad=True) for v in values]
    y = fn(*xs)
    gs = autograd.grad(y.sum(), xs, create_graph=create_graph)
    return (y.detach(), *(g.detach() for g in gs))


# ---- true division of integers (A1) and in-place division (A2) ------------------------------
def test_integer_true_division_uses_the_operands_unwrapped():
    u8 = gradgpu.tensor([1, 2, 200], dtype=gradgpu.uint8)
    i8 = gradgpu.tensor([1, 2, 100], dtype=gradgpu.int8)
    by_minus_3 = [-1 / 3, -2 / 3, -200 / 3]
    for out, expected in [
        (u8 / -3, by_minus_3),
        (u8 / gradgpu.tensor(-3, dtype=gradgpu.int8), by_minus_3),
        (i8 / 300, [1 / 300, 2 / 300, 1 / 3]),
        (-3 / u8, [-3.0, -1.5, -0.015]),
        (gradgpu.tensor(-3, dtype=gradgpu.int8) / u8, [-3.0, -1.5, -0.015]),
        (gradgpu.tensor([True, False]) / gradgpu.tensor([True, True]), [1.0, 0.0]),
    ]:
        assert out.dtype == gradgpu.float32
        _close(out, expected, rtol=1e-6)


def test_integer_atan2_uses_the_operands_unwrapped():
    u8 = gradgpu.tensor([1, 2, 200], dtype=gradgpu.uint8)
    out = gradgpu.atan2(u8, gradgpu.tensor(-3, dtype=gradgpu.int8))
    _close(out, [2.8198421, 2.5535901, 1.5857963], rtol=1e-6)


def test_integer_trunc_division_is_exact_and_wraps_numbers_like_pytorch():
    u8 = gradgpu.tensor([1, 2, 200], dtype=gradgpu.uint8)
    out = gradgpu.div(u8, -3, rounding_mode="trunc")  # -3 is 253 to a uint8
    assert out.dtype == gradgpu.uint8 and out.tolist() == [0, 0, 0]
    i8 = gradgpu.tensor([1, 2, 100], dtype=gradgpu.int8)
    assert gradgpu.div(i8, 300, rounding_mode="trunc").tolist() == [0, 0, 2]
    assert gradgpu.div(gradgpu.tensor([7, -7]), 2, rounding_mode="trunc").tolist() == [3, -3]
    assert gradgpu.div(7, gradgpu.tensor([2, -2]), rounding_mode="trunc").tolist() == [3, -3]
    big = gradgpu.tensor([2**40 + 1])
    assert gradgpu.div(big, 1, rounding_mode="trunc").tolist() == [2**40 + 1]


@pytest.mark.parametrize("divide", [
    lambda x: x.div_(2),
    lambda x: x.div_(gradgpu.tensor(2)),
    lambda x: x.div_(2.0),
    lambda x: x.__itruediv__(2),
])
def test_inplace_true_division_of_an_integer_tensor_raises(divide):
    x = gradgpu.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        divide(x)
    assert x.tolist() == [1, 2, 3]


def test_inplace_true_division_of_a_bool_tensor_raises_and_of_a_float_tensor_works():
    with pytest.raises(RuntimeError, match="can't be cast"):
        gradgpu.tensor([True]).div_(True)
    h = gradgpu.tensor([1.0, 2.0], dtype=gradgpu.float16)
    h.div_(gradgpu.tensor([2, 4]))
    assert h.tolist() == [0.5, 0.5]


# ---- //= and %= are in place (A6) -----------------------------------------------------------
def test_floordiv_and_mod_assignment_write_into_the_tensor():
    x = gradgpu.tensor([1, 2, 3])
    alias = x
    x //= 2
    assert x is alias and alias.tolist() == [0, 1, 1]
    x = gradgpu.tensor([1.5, 2.5, -0.5])
    alias = x
    x %= 1
    assert x is alias and alias.tolist() == [0.5, 0.5, 0.5]
    x = gradgpu.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x //= 2.0


# ---- integer division by zero (B1) ----------------------------------------------------------
@pytest.mark.parametrize("op", [
    lambda x, z: x // 0,
    lambda x, z: x % 0,
    lambda x, z: x // z,
    lambda x, z: x % z,
    lambda x, z: 5 // z,
    lambda x, z: 5 % z,
    lambda x, z: gradgpu.floor_divide(x, gradgpu.tensor(0)),
    lambda x, z: gradgpu.remainder(x, gradgpu.tensor(0, dtype=gradgpu.uint8)),
    lambda x, z: gradgpu.fmod(x, 0),
    lambda x, z: gradgpu.fmod(x, z),
    lambda x, z: gradgpu.div(x, 0, rounding_mode="trunc"),
    lambda x, z: gradgpu.div(x, 0, rounding_mode="floor"),
    lambda x, z: gradgpu.tensor([1], dtype=gradgpu.uint8) // 256,  # 256 wraps to 0
    lambda x, z: x.fmod_(0),
    lambda x, z: x.__ifloordiv__(0),
    lambda x, z: x.__imod__(z),
])
def test_integer_division_by_zero_raises(op):
    """On the CPU, as PyTorch's CPU kernels (the CUDA ones do not check; neither do ours)."""
    x, z = gradgpu.tensor([1, 2, 3]), gradgpu.tensor([1, 0, 1])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        op(x, z)


def test_float_division_by_zero_gives_inf_and_nan():
    x = gradgpu.tensor([1, 2])
    assert (x // 0.0).tolist() == [inf, inf]
    assert all(math.isnan(v) for v in (x % 0.0).tolist())
    assert (gradgpu.tensor([1.0]) // 0).tolist() == [inf]
    empty = gradgpu.tensor([], dtype=gradgpu.int64)
    assert (empty // empty).shape == (0,)


# ---- integer powers (D1) --------------------------------------------------------------------
def test_integer_tensor_exponents_may_be_negative(device):
    def t(values, dtype=None):
        return gradgpu.tensor(values, dtype=dtype, device=device)

    x = t([-2, -1, 0, 1, 2, 3])
    assert (x ** t([-1, -2, -3, -1, -1, 0])).tolist() == [0, 1, 0, 1, 0, 1]
    assert (x ** t(-1)).tolist() == [0, -1, 0, 1, 0, 0]
    assert (x ** gradgpu.tensor(-1, dtype=gradgpu.int8)).tolist() == [0, -1, 0, 1, 0, 0]
    assert (2 ** t([-1, 0, 2])).tolist() == [0, 1, 4]
    assert (1 ** t([-1, -2])).tolist() == [1, 1]
    assert gradgpu.pow(-1, t([-1, -2, -3])).tolist() == [-1, 1, -1]
    assert (t([True, False]) ** t([-1, -2])).tolist() == [1, 0]
    out = t([-2, -1, 2], gradgpu.int8) ** t([-1, -3, -128], gradgpu.int8)
    assert out.dtype == gradgpu.int8 and out.tolist() == [0, -1, 0]
    assert (x ** t(True)).tolist() == [-2, -1, 0, 1, 2, 3]


@pytest.mark.parametrize("op", [
    lambda: gradgpu.tensor([1, 2]) ** -1,
    lambda: gradgpu.pow(gradgpu.tensor([0]), -2),
    lambda: gradgpu.tensor([1, 2], dtype=gradgpu.uint8) ** -1,
    lambda: gradgpu.tensor([1, 2], dtype=gradgpu.uint8) ** -255,  # not wrapped to 1
    lambda: gradgpu.tensor([True]) ** -1,
    lambda: gradgpu.tensor([1, 2]).pow_(-1),
])
def test_integer_tensor_to_a_negative_number_raises(op):
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        op()


def test_integer_inplace_power():
    x = gradgpu.tensor([1, 2, 3])
    x.pow_(2)
    assert x.tolist() == [1, 4, 9]
    x.pow_(gradgpu.tensor([-1, -1, 1]))
    assert x.tolist() == [1, 0, 9]
    assert (gradgpu.tensor([2, 3]) ** -1.0).tolist() == [0.5, pytest.approx(1 / 3)]


# ---- median and max with NaN (A3) -----------------------------------------------------------
def test_median_of_all_elements_is_nan_when_one_is(device):
    assert math.isnan(gradgpu.tensor([1.0, nan, 3.0], device=device).median().item())
    y, g = _grads(lambda x: x.median(), [1.0, nan, 3.0, nan], device=device)
    assert math.isnan(y.item())
    assert g.tolist() == [0.0, 0.5, 0.0, 0.5]  # the NaNs share the gradient
    assert gradgpu.tensor([3, 1, 2, 4]).median().item() == 2


def test_median_along_a_dim_picks_the_first_nan(device):
    x = gradgpu.tensor([[1.0, nan, 3.0, nan], [4.0, 1.0, 2.0, 3.0], [nan, 1.0, 1.0, 1.0]],
                       device=device)
    values, indices = x.median(1)
    _close(values, [nan, 2.0, nan])
    assert indices.tolist() == [1, 2, 0]
    values, indices = gradgpu.tensor([[1.0, nan], [nan, 2.0], [3.0, 3.0]]).median(0)
    _close(values, [nan, nan])
    assert indices.tolist() == [1, 0]
    values, indices = gradgpu.tensor([[-inf, nan]]).median(1, keepdim=True)
    assert values.shape == (1, 1) and indices.tolist() == [[1]]
    _, g = _grads(lambda x: x.median(1).values, [[1.0, nan, 3.0, nan], [4.0, 1.0, 2.0, 3.0]],
                  device=device)
    assert g.tolist() == [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]


def test_full_max_and_min_send_a_nan_result_gradient_to_the_nans_and_amax_does_not(device):
    for reduce in (lambda x: x.max(), lambda x: x.min()):
        y, g = _grads(reduce, [1.0, nan, 3.0, nan], device=device)
        assert math.isnan(y.item()) and g.tolist() == [0.0, 0.5, 0.0, 0.5]
    _, g = _grads(lambda x: x.amax(), [1.0, nan, 3.0], device=device)
    assert all(math.isnan(v) for v in g.tolist())


# ---- hypot (A4) -----------------------------------------------------------------------------
def test_hypot_does_not_overflow_and_promotes_integers_with_a_float():
    big = gradgpu.tensor([1e30], dtype=gradgpu.float32)
    _close(gradgpu.hypot(big, big), [1.4142135e30], rtol=1e-6)
    out = gradgpu.hypot(gradgpu.tensor([200], dtype=gradgpu.uint8), gradgpu.tensor([0.0]))
    assert out.dtype == gradgpu.float32 and out.tolist() == [200.0]
    out = gradgpu.hypot(gradgpu.tensor([3], dtype=gradgpu.int32), gradgpu.tensor(4.0, dtype=f64))
    assert out.dtype == f64 and out.tolist() == [5.0]
    _close(gradgpu.tensor([3.0]).hypot(gradgpu.tensor([4.0])), [5.0])


def test_hypot_refuses_integer_only_operands_and_numbers():
    with pytest.raises(NotImplementedError, match="hypot"):
        gradgpu.hypot(gradgpu.tensor([3]), gradgpu.tensor([4]))
    with pytest.raises(NotImplementedError, match="hypot"):
        gradgpu.hypot(gradgpu.tensor([True]), gradgpu.tensor([True]))
    with pytest.raises(TypeError, match="argument 'other' must be Tensor, not float"):
        gradgpu.hypot(gradgpu.tensor([3.0]), 4.0)
    with pytest.raises(TypeError, match="argument 'input' must be Tensor, not float"):
        gradgpu.hypot(3.0, gradgpu.tensor([3.0]))
    with pytest.raises(RuntimeError, match="size of tensor a"):
        gradgpu.hypot(gradgpu.ones(2, 3), gradgpu.ones(4, 3))


@pytest.mark.parametrize("create_graph", [False, True])
def test_hypot_gradient(create_graph, device):
    y, ga, gb = _grads(gradgpu.hypot, [0.0, 3.0, -3.0, 1e-200, inf], [0.0, 4.0, 4.0, 0.0, 1.0],
                       create_graph=create_graph, device=device)
    _close(y, [0.0, 5.0, 5.0, 1e-200, inf])
    _close(ga, [nan, 0.6, -0.6, 1.0, nan])  # NaN at the origin, as PyTorch's a / y
    _close(gb, [nan, 0.8, 0.8, 0.0, 0.0])


# ---- gradients at 0 and NaN (A5) ------------------------------------------------------------
@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_gradients_at_zero(create_graph, device):
    _, ga, gb = _grads(lambda a, b: a ** b, [0.0, 0.0, 0.0, 2.0, inf], [0.0, -1.0, 2.0, 0.0, 0.0],
                       create_graph=create_graph, device=device)
    _close(ga, [0.0, -inf, 0.0, 0.0, 0.0])
    _close(gb, [0.0, -inf, 0.0, math.log(2.0), inf])
    _, ge = _grads(lambda e: gradgpu.pow(0.0, e), [0.0, 4.0, 2.0, -1.0, -0.5],
                   create_graph=create_graph, device=device)
    _close(ge, [0.0, 0.0, 0.0, -inf, -inf])
    _, ge = _grads(lambda e: gradgpu.pow(2.0, e), [0.0, -1.0], create_graph=create_graph,
                   device=device)
    _close(ge, [math.log(2.0), math.log(2.0) / 2])


@pytest.mark.parametrize("create_graph", [False, True])
def test_atan2_gradient_at_the_origin_is_zero(create_graph, device):
    _, ga, gb = _grads(gradgpu.atan2, [0.0, 1e-200, 0.0, 1e-300, nan, 1.0],
                       [0.0, 1e-200, 1e-300, 0.0, 1.0, 1.0], create_graph=create_graph,
                       device=device)
    _close(ga, [0.0, 0.0, 0.0, 0.0, nan, 0.5])
    _close(gb, [0.0, 0.0, 0.0, 0.0, nan, -0.5])


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("op, ga_expected, gb_expected", [
    (gradgpu.maximum, [1.0, 1.0, 1.0, 0.5, 1.0, 0.0], [1.0, 1.0, 1.0, 0.5, 0.0, 1.0]),
    (gradgpu.minimum, [1.0, 1.0, 1.0, 0.5, 0.0, 1.0], [1.0, 1.0, 1.0, 0.5, 1.0, 0.0]),
])
def test_maximum_minimum_send_the_gradient_to_both_sides_of_a_nan(op, ga_expected, gb_expected,
                                                                   create_graph, device):
    _, ga, gb = _grads(op, [nan, 1.0, nan, 2.0, 3.0, 0.0], [0.0, nan, nan, 2.0, 1.0, 4.0],
                       create_graph=create_graph, device=device)
    assert ga.tolist() == ga_expected and gb.tolist() == gb_expected


@pytest.mark.parametrize("create_graph", [False, True])
def test_relu_passes_the_gradient_through_nan(create_graph, device):
    _, g = _grads(gradgpu.relu, [nan, -1.0, 0.0, 2.0, -0.0], create_graph=create_graph,
                  device=device)
    assert g.tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]


def test_sign_of_nan_is_zero(device):
    s = gradgpu.sign(gradgpu.tensor([nan, -0.0, 0.0, -inf, 2.0], device=device))
    assert s.tolist() == [0.0, 0.0, 0.0, -1.0, 1.0]
    assert math.copysign(1.0, s[1].item()) == 1.0  # -0 gives +0
    for dtype in (gradgpu.float16, gradgpu.float32):
        assert gradgpu.sign(gradgpu.tensor([nan], dtype=dtype, device=device)).tolist() == [0.0]
    assert gradgpu.sign(gradgpu.tensor(nan, device=device)).item() == 0.0


@pytest.mark.parametrize("create_graph", [False, True])
def test_abs_has_no_gradient_at_nan(create_graph, device):
    _, g = _grads(gradgpu.abs, [nan, -1.0, 0.0, 2.0, -0.0], create_graph=create_graph,
                  device=device)
    assert g.tolist() == [0.0, -1.0, 0.0, 1.0, 0.0]
    if not create_graph:  # (the composed product would warn about inf * 0)
        x = gradgpu.tensor([0.0, 1.0], dtype=f64, device=device, requires_grad=True)
        (g,) = autograd.grad(gradgpu.abs(x), x,
                             gradgpu.tensor([inf, 1.0], dtype=f64, device=device))
        _close(g, [nan, 1.0])  # g * sign(0) = inf * 0, as PyTorch


def test_std_gradient_of_a_constant_slice_is_zero(device):
    _, g = _grads(lambda x: x.std(1), [[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]], device=device)
    assert g.tolist() == [[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]]
    y, g = _grads(lambda x: x.std(), [2.0, 2.0])
    assert y.item() == 0.0 and g.tolist() == [0.0, 0.0]
    with pytest.warns(UserWarning, match="degrees of freedom"):
        y, g = _grads(lambda x: x.std(), [2.0])  # n - correction = 0: NaN, as PyTorch
    assert math.isnan(y.item()) and math.isnan(g.item())


def test_std_second_derivative_through_a_constant_slice_is_finite():
    x = gradgpu.tensor([[1.0, 1.0], [1.0, 3.0]], dtype=f64, requires_grad=True)
    (g,) = autograd.grad(x.std(1).sum(), x, create_graph=True)
    (gg,) = autograd.grad((g * g).sum(), x)
    assert np.isfinite(gg.numpy()).all()


@pytest.mark.parametrize("create_graph", [False, True])
def test_norm_below_one_has_zero_gradient_at_zero_entries(create_graph, device):
    _, g = _grads(lambda x: x.norm(0.5), [0.0, 1.0, -2.0], create_graph=create_graph,
                  device=device)
    _close(g, [0.0, 2.4142135623730945, -1.7071067811865472])
    _, g = _grads(lambda x: x.norm(0.5), [0.0, 0.0], create_graph=create_graph)
    assert g.tolist() == [0.0, 0.0]
    _, g = _grads(lambda x: x.norm(1.5), [0.0, 1.0, -2.0], create_graph=create_graph)
    _close(g, [0.0, 0.6392, -0.9040], atol=1e-4)


# ---- mv's shapes (B2) -----------------------------------------------------------------------
@pytest.mark.parametrize("mat, vec, got", [
    ((2, 3), (3, 4), "1, 2, 2"),
    ((3,), (3,), "1, 1, 1"),
    ((2, 2, 3), (3,), "1, 3, 1"),
])
def test_mv_needs_a_matrix_and_a_vector(mat, vec, got):
    with pytest.raises(RuntimeError, match=f"vector \\+ matrix @ vector expected, got {got}"):
        gradgpu.mv(gradgpu.ones(*mat), gradgpu.ones(*vec))


def test_mv():
    m = gradgpu.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert gradgpu.mv(m, gradgpu.tensor([1.0, 0.0, -1.0])).tolist() == [-2.0, -2.0]
    assert m.mv(gradgpu.ones(3)).tolist() == [6.0, 15.0]
    assert gradgpu.mv(gradgpu.ones(0, 3), gradgpu.ones(3)).shape == (0,)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        gradgpu.mv(m, gradgpu.ones(4))
    with pytest.raises(TypeError, match="argument 'vec' must be Tensor"):
        gradgpu.mv(m, 3)


# ---- dims of a 0-d tensor (C5) --------------------------------------------------------------
@pytest.mark.parametrize("op", [
    lambda x: x.sum(0), lambda x: x.sum(-1), lambda x: x.sum((0,)),
    lambda x: x.sum(0, keepdim=True), lambda x: x.mean(0), lambda x: x.mean(-1, keepdim=True),
    lambda x: x.flip(0), lambda x: x.flip(-1), lambda x: gradgpu.flip(x, [0]),
])
def test_dim_0_and_minus_1_of_a_0d_tensor(op):
    x = gradgpu.tensor(2.0, requires_grad=True)
    y = op(x)
    assert y.shape == () and y.item() == 2.0
    y.backward()
    assert x.grad.item() == 1.0


def test_0d_dims_out_of_range_and_integer_sums():
    x = gradgpu.tensor(2.0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(1)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.flip((0, -1))
    assert gradgpu.tensor(3).sum(0).item() == 3
    assert gradgpu.tensor(True).sum(0).item() == 1


def test_bitwise_ops_promote_and_wrap_like_pytorch():
    """A 0-d tensor of another integer dtype does not widen the result, numbers wrap into it."""
    u8 = gradgpu.tensor([5], dtype=gradgpu.uint8)
    got = u8 | gradgpu.tensor(-1, dtype=gradgpu.int8)
    assert got.dtype == gradgpu.uint8 and got.tolist() == [255]
    got = gradgpu.tensor([5], dtype=gradgpu.int8) & gradgpu.tensor(3)
    assert got.dtype == gradgpu.int8 and got.tolist() == [1]
    assert (u8 & -1).tolist() == [5]
    got = gradgpu.tensor([5], dtype=gradgpu.int8) | 300
    assert got.dtype == gradgpu.int8 and got.tolist() == [45]


def test_round_with_decimals():
    x = gradgpu.tensor([1.2345, -2.5, 125.0, 0.125], dtype=gradgpu.float64, requires_grad=True)
    assert gradgpu.round(x, decimals=2).tolist() == [1.23, -2.5, 125.0, 0.12]
    assert x.round(decimals=-1).tolist() == [0.0, -0.0, 120.0, 0.0]
    gradgpu.round(x, decimals=1).sum().backward()
    assert x.grad.tolist() == [0.0] * 4
    with pytest.raises(RuntimeError, match="floating point"):
        gradgpu.round(gradgpu.tensor([15]), decimals=-1)
