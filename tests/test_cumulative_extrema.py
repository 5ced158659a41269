"""cummax / cummin (values and indices) and logcumsumexp against PyTorch: ties take the last
occurrence, NaN propagates with the latest NaN's index, 0-d and empty inputs, integer and bool
dtypes, dim wrapping, stable log-sum-exp with huge and -inf entries, and gradients (scatter-add
to repeated indices; PyTorch's sign-split logcumsumexp backward). Expected values are
PyTorch's (2.x, CPU), written out."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu import autograd

nan, inf = math.nan, math.inf
f64 = gradgpu.float64


def _np(t):
    return t.detach().cpu().numpy()


def _leaf(values, device):
    return gradgpu.tensor(values, dtype=f64, device=device, requires_grad=True)


# ---- cummax / cummin -------------------------------------------------------------------------
def test_cummax_ties_take_the_last_index_and_nan_sticks(device):
    x = gradgpu.tensor([1.0, 3, 3, 2, 3, nan, 5, nan, 1], device=device)
    out = gradgpu.cummax(x, 0)
    assert type(out).__name__ == "cummax"
    np.testing.assert_array_equal(_np(out.values), [1, 3, 3, 3, 3, nan, nan, nan, nan])
    np.testing.assert_array_equal(_np(out.indices), [0, 1, 2, 2, 4, 5, 5, 7, 7])
    assert out.indices.dtype == gradgpu.int64


def test_cummin_ties_take_the_last_index_and_nan_sticks(device):
    values, indices = gradgpu.tensor([3.0, 1, 1, 2, 1, nan, 0, nan], device=device).cummin(0)
    np.testing.assert_array_equal(_np(values), [3, 1, 1, 1, 1, nan, nan, nan])
    np.testing.assert_array_equal(_np(indices), [0, 1, 2, 2, 4, 5, 5, 7])


def test_cummax_cummin_along_either_dim_of_a_matrix(device):
    x = gradgpu.tensor([[1.0, 5, 2], [4, 4, 0]], device=device)
    v, i = gradgpu.cummin(x, -1)
    np.testing.assert_array_equal(_np(v), [[1, 1, 1], [4, 4, 0]])
    np.testing.assert_array_equal(_np(i), [[0, 0, 0], [0, 1, 2]])
    v, i = x.cummax(dim=0)
    np.testing.assert_array_equal(_np(v), [[1, 5, 2], [4, 5, 2]])
    np.testing.assert_array_equal(_np(i), [[0, 0, 0], [1, 0, 0]])


def test_cummax_keeps_integer_and_bool_dtypes(device):
    v, i = gradgpu.cummax(gradgpu.tensor([True, False, True], device=device), 0)
    assert v.dtype == gradgpu.bool and i.dtype == gradgpu.int64
    np.testing.assert_array_equal(_np(v), [True, True, True])
    np.testing.assert_array_equal(_np(i), [0, 0, 2])
    v, i = gradgpu.cummax(gradgpu.tensor([1, 3, 2], dtype=gradgpu.int32, device=device), 0)
    assert v.dtype == gradgpu.int32
    np.testing.assert_array_equal(_np(v), [1, 3, 3])
    np.testing.assert_array_equal(_np(i), [0, 1, 1])
    v, i = gradgpu.cummin(gradgpu.tensor([5, 2, 2, 7, -1], device=device), 0)
    assert v.dtype == gradgpu.int64
    np.testing.assert_array_equal(_np(v), [5, 2, 2, 2, -1])
    np.testing.assert_array_equal(_np(i), [0, 1, 2, 2, 4])


def test_cummax_of_0d_and_empty_inputs(device):
    for dim in (0, -1):
        v, i = gradgpu.cummax(gradgpu.tensor(2.0, device=device), dim)
        assert v.shape == () and i.shape == ()
        assert v.item() == 2.0 and i.item() == 0
    for shape, dim in [((2, 0), 1), ((0, 3), 0), ((0, 3), 1)]:
        v, i = gradgpu.cummin(gradgpu.zeros(*shape, device=device), dim)
        assert v.shape == shape and i.shape == shape and i.dtype == gradgpu.int64
    with pytest.raises(IndexError):
        gradgpu.cummax(gradgpu.tensor([1.0, 2.0], device=device), 1)
    with pytest.raises(IndexError):
        gradgpu.cummin(gradgpu.tensor(1.0, device=device), 1)


def test_cummax_gradient_accumulates_at_repeated_indices(device):
    x = _leaf([1.0, 3, 3, 2, 3, 0.5], device)
    v, _ = gradgpu.cummax(x, 0)
    v.backward(gradgpu.arange(1.0, 7, dtype=f64, device=device))
    np.testing.assert_array_equal(_np(x.grad), [1, 2, 7, 0, 11, 0])
    x = _leaf([[1.0, 5, 2], [4, 4, 0]], device)
    v, _ = gradgpu.cummin(x, 1)
    v.backward(gradgpu.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=f64, device=device))
    np.testing.assert_array_equal(_np(x.grad), [[6, 0, 0], [4, 5, 6]])
    x = _leaf(3.0, device)
    v, _ = x.cummax(0)
    (v * 4).backward()
    assert x.grad.item() == 4.0


def test_cummax_gradient_is_differentiable_in_the_output_gradient(device):
    x = _leaf([1.0, 3, 3, 2], device)
    g = _leaf([1.0, 2, 3, 4], device)
    v, _ = gradgpu.cummax(x, 0)
    (gx,) = autograd.grad(v, x, g, create_graph=True)
    np.testing.assert_array_equal(_np(gx), [1, 2, 7, 0])
    (gg,) = autograd.grad((gx * gradgpu.arange(4.0, dtype=f64, device=device)).sum(), g)
    np.testing.assert_array_equal(_np(gg), [0, 1, 2, 2])  # d/dg_k of gx at index_k


@pytest.mark.parametrize("largest", [True, False])
def test_cummax_cummin_gradcheck(device, largest):
    rng = np.random.default_rng(0)
    op = gradgpu.cummax if largest else gradgpu.cummin
    x = gradgpu.tensor(rng.permutation(24).reshape(2, 3, 4) / 7.0, dtype=f64, device=device,
                       requires_grad=True)  # distinct values: no ties
    for dim in (0, 1, -1):
        assert autograd.gradcheck(lambda t, d=dim: op(t, d).values, (x,))
        assert autograd.gradgradcheck(lambda t, d=dim: op(t, d).values, (x,))


# ---- logcumsumexp ----------------------------------------------------------------------------
def test_logcumsumexp_is_stable_for_huge_magnitudes_and_minus_inf(device):
    y = gradgpu.logcumsumexp(gradgpu.tensor([-1000.0, 0.0], device=device), 0)
    np.testing.assert_array_equal(_np(y), [-1000.0, 0.0])
    y = gradgpu.tensor([-inf, -inf, 1.0], device=device).logcumsumexp(0)
    np.testing.assert_array_equal(_np(y), [-inf, -inf, 1.0])
    y = gradgpu.logcumsumexp(gradgpu.tensor([inf, 1.0, inf], device=device), 0)
    np.testing.assert_array_equal(_np(y), [inf, inf, inf])
    y = gradgpu.logcumsumexp(gradgpu.tensor([1.0, nan, 2.0], device=device), 0)
    np.testing.assert_array_equal(_np(y), [1.0, nan, nan])


def test_logcumsumexp_values_and_gradients_match_torch(device):
    g = gradgpu.tensor([[1.0, -2, 3], [0.5, 0, -1]], dtype=f64, device=device)
    x = _leaf([[1000.0, -1000, 3], [0.5, 2, -4]], device)
    y = gradgpu.logcumsumexp(x, 1)
    y.backward(g)
    np.testing.assert_allclose(_np(y), [[1000.0, 1000.0, 1000.0],
                                        [0.5, 2.2014132779827524, 2.203437791783475]])
    np.testing.assert_allclose(_np(x.grad), [[2.0, 0.0, 0.0],
                                             [0.31794342558660826, -0.8159209597316859,
                                              -0.00202246585492262]], rtol=1e-9, atol=1e-12)
    x = _leaf([[1000.0, -1000, 3], [0.5, 2, -4]], device)
    y = gradgpu.logcumsumexp(x, -2)
    y.backward(g)
    np.testing.assert_allclose(_np(y), [[1000.0, -1000.0, 3.0], [1000.0, 2.0, 3.000911466453774]])
    np.testing.assert_allclose(_np(x.grad), [[1.5, -2.0, 2.000911051194401],
                                             [0.0, 0.0, -0.0009110511944006458]],
                               rtol=1e-9, atol=1e-12)


def test_logcumsumexp_gradient_at_infinite_prefixes_matches_torch(device):
    # PyTorch's formula gives NaN where x is -inf (or +inf); the finite entries stay exact.
    x = _leaf([-inf, -inf, 1.0, 2.0], device)
    y = gradgpu.logcumsumexp(x, 0)
    y.backward(gradgpu.tensor([1.0, -2, 3, 0.5], dtype=f64, device=device))
    np.testing.assert_array_equal(_np(y)[:2], [-inf, -inf])
    np.testing.assert_allclose(_np(y)[2:], [1.0, 2.313261687518223])
    grad = _np(x.grad)
    assert np.isnan(grad[:2]).all()
    np.testing.assert_allclose(grad[2:], [3.134470710684998, 0.36552928931500234], rtol=1e-9)
    x = _leaf([inf, 1.0, inf], device)
    gradgpu.logcumsumexp(x, 0).backward(gradgpu.ones(3, dtype=f64, device=device))
    np.testing.assert_array_equal(_np(x.grad), [nan, 0.0, nan])


def test_logcumsumexp_second_derivative_matches_torch(device):
    x = _leaf([-1.0, 2.0, 0.5], device)
    y = gradgpu.logcumsumexp(x, 0)
    (gx,) = autograd.grad(y, x, gradgpu.tensor([1.0, -1, 2], dtype=f64, device=device),
                          create_graph=True)
    np.testing.assert_allclose(_np(gx), [1.030799273363808, 0.6186199423561185,
                                         0.3505807842800734])
    (ggx,) = autograd.grad((gx ** 2).sum(), x)
    np.testing.assert_allclose(_np(ggx), [0.032072377892445214, 0.13422622239641036,
                                          -0.16629860028885435], rtol=1e-9, atol=1e-12)


def test_logcumsumexp_0d_empty_and_integer_inputs(device):
    for dim in (0, -1):
        y = gradgpu.logcumsumexp(gradgpu.tensor(2.0, device=device), dim)
        assert y.shape == () and y.item() == 2.0
    for dim in (0, 1):
        assert gradgpu.logcumsumexp(gradgpu.zeros(0, 3, device=device), dim).shape == (0, 3)
    for dtype, name in [(gradgpu.int64, "Long"), (gradgpu.int32, "Int"), (gradgpu.bool, "Bool")]:
        with pytest.raises(NotImplementedError, match=name):
            gradgpu.logcumsumexp(gradgpu.tensor([1, 0], dtype=dtype, device=device), 0)
    with pytest.raises(IndexError):
        gradgpu.logcumsumexp(gradgpu.tensor([1.0, 0.0], device=device), 2)


def test_logcumsumexp_float32_keeps_its_dtype(device):
    y = gradgpu.logcumsumexp(gradgpu.tensor([0.0, 0.0, 0.0, 0.0], device=device), 0)
    assert y.dtype == gradgpu.float32
    np.testing.assert_allclose(_np(y), np.log([1.0, 2.0, 3.0, 4.0]), rtol=1e-6)


def test_logcumsumexp_gradcheck(device):
    rng = np.random.default_rng(1)
    x = gradgpu.tensor(rng.standard_normal((3, 5)) * 3, dtype=f64, device=device,
                       requires_grad=True)
    for dim in (0, 1, -1):
        assert autograd.gradcheck(lambda t, d=dim: gradgpu.logcumsumexp(t, d), (x,))
        assert autograd.gradgradcheck(lambda t, d=dim: gradgpu.logcumsumexp(t, d), (x,))
    # long scans exercise several doubling steps against a direct log(cumsum(exp))
    z = rng.standard_normal((2, 37))
    y = gradgpu.logcumsumexp(gradgpu.tensor(z, dtype=f64, device=device), 1)
    np.testing.assert_allclose(_np(y), np.log(np.cumsum(np.exp(z), axis=1)), rtol=1e-12)
