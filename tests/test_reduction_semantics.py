"""Reduction, scan and sorting semantics the registry cannot express: tie-splitting gradients,
zeros in prod/cumprod, named-tuple results, dtypes, subgradients and error contracts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import grad


def _t(values, requires_grad=True, dtype=gradgpu.float64):
    return gradgpu.tensor(values, dtype=dtype, requires_grad=requires_grad)


def _grad(fn, x):
    (g,) = grad(fn(x), x)
    return g.numpy()


# ---- ties -------------------------------------------------------------------------------------
@pytest.mark.parametrize("op,values,expected", [
    (gradgpu.max, [1.0, 3.0, 3.0, 0.0], [0.0, 0.5, 0.5, 0.0]),
    (gradgpu.min, [2.0, -1.0, 5.0, -1.0], [0.0, 0.5, 0.0, 0.5]),
    (gradgpu.max, [[4.0, 4.0], [4.0, 1.0]], [[1 / 3, 1 / 3], [1 / 3, 0.0]]),
])
def test_full_max_min_split_gradient_evenly_over_ties(op, values, expected):
    x = _t(values)
    np.testing.assert_allclose(_grad(op, x), expected)
    assert op(x).item() == (max if op is gradgpu.max else min)(np.ravel(values))


def test_amax_amin_split_ties_per_slice_over_dim_tuple():
    x = _t([[[2.0, 2.0], [1.0, 0.0]], [[5.0, 1.0], [5.0, 5.0]]])
    y = gradgpu.amax(x, (1, 2))
    np.testing.assert_array_equal(y.detach().numpy(), [2.0, 5.0])
    np.testing.assert_allclose(_grad(lambda v: gradgpu.amax(v, (1, 2)).sum(), x),
                               [[[0.5, 0.5], [0, 0]], [[1 / 3, 0], [1 / 3, 1 / 3]]])
    g = _grad(lambda v: gradgpu.amin(v, -1, keepdim=True).sum(), _t([[1.0, 1.0, 3.0]]))
    np.testing.assert_allclose(g, [[0.5, 0.5, 0.0]])


def test_max_with_dim_sends_gradient_to_the_returned_index():
    x = _t([[1.0, 3.0, 3.0], [7.0, 7.0, 2.0]])
    values, indices = gradgpu.max(x, 1)
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    np.testing.assert_allclose(_grad(lambda v: v.max(1).values.sum(), x),
                               [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(_grad(lambda v: v.min(0).values.sum(), x),
                               [[1, 1, 0], [0, 0, 1]])


def test_median_full_splits_ties_and_median_dim_picks_lower_middle():
    x = _t([1.0, 2.0, 2.0, 3.0])
    assert gradgpu.median(x).item() == 2.0
    np.testing.assert_allclose(_grad(gradgpu.median, x), [0, 0.5, 0.5, 0])
    values, indices = gradgpu.median(_t([[4.0, 1.0, 3.0, 2.0]]), 1)
    assert values.item() == 2.0 and indices.item() == 3


# ---- named tuples and dispatch ----------------------------------------------------------------
@pytest.mark.parametrize("call,name", [
    (lambda x: gradgpu.max(x, 0), "max"),
    (lambda x: x.min(dim=1, keepdim=True), "min"),
    (lambda x: gradgpu.sort(x), "sort"),
    (lambda x: x.topk(1), "topk"),
    (lambda x: gradgpu.kthvalue(x, 1), "kthvalue"),
    (lambda x: gradgpu.median(x, 0), "median"),
])
def test_selection_results_are_named_tuples(call, name):
    x = _t([[1.0, 5.0], [3.0, 2.0]], requires_grad=False)
    out = call(x)
    values, indices = out
    assert isinstance(out, tuple) and type(out).__name__ == name
    assert out.values is values and out.indices is indices
    assert indices.dtype is gradgpu.int64
    assert repr(out).startswith(f"{name}(values=")


def test_max_with_tensor_second_argument_is_maximum():
    a = _t([1.0, 5.0, -2.0])
    b = _t([3.0, 4.0, -2.0])
    np.testing.assert_array_equal(gradgpu.max(a, b).detach().numpy(), [3.0, 5.0, -2.0])
    np.testing.assert_array_equal(a.min(other=b).detach().numpy(), [1.0, 4.0, -2.0])
    (ga,) = grad(gradgpu.max(a, b).sum(), a)
    np.testing.assert_allclose(ga.numpy(), [0.0, 1.0, 0.5])


def test_max_dim_of_int_tensor_is_not_differentiable_and_keeps_dtype():
    x = gradgpu.tensor([[3, 9, 1]])
    values, indices = x.max(-1)
    assert values.dtype is gradgpu.int64 and values.tolist() == [9] and indices.tolist() == [1]


def test_argmax_flattens_without_dim_and_keeps_dims_with_keepdim():
    x = gradgpu.tensor([[1.0, 9.0], [11.0, 2.0]])
    assert gradgpu.argmax(x).item() == 2
    assert gradgpu.argmin(x, keepdim=True).shape == (1, 1)
    assert x.argmax(0, keepdim=True).tolist() == [[1, 0]]
    assert gradgpu.argmax(gradgpu.tensor([2.0, 5.0, 5.0])).item() == 1  # first maximum


# ---- prod / cumprod with zeros ------------------------------------------------------------------
def test_prod_gradient_with_one_and_several_zeros():
    x = _t([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [2.0, 4.0, 0.5]])
    np.testing.assert_allclose(_grad(lambda v: v.prod(1).sum(), x),
                               [[0, 6, 0], [0, 0, 0], [2, 1, 8]])
    np.testing.assert_allclose(_grad(lambda v: v.prod(), _t([1.5, 0.0, 2.0, -1.0])),
                               [0, -3, 0, 0])
    np.testing.assert_allclose(_grad(lambda v: v.prod(), _t([0.0, 2.0, 0.0])), [0, 0, 0])


def test_prod_double_backward_with_zeros():
    x = _t([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0]])
    (g,) = grad(x.prod(1).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [[0, 6, 0], [0, 0, 0]])
    (gg,) = grad(g.sum(), x)
    # d/dx_k sum_i prod_{j != i} x_j = sum_{i != k} prod_{j != i, k} x_j
    np.testing.assert_allclose(gg.numpy(), [[3, 5, 2], [1, 1, 0]])


def test_cumprod_gradient_and_double_backward_with_zeros():
    x = _t([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0]])
    (g,) = grad(gradgpu.cumprod(x, 1).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [[1, 8, 0], [1, 0, 0]])
    (gg,) = grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [[4, 6, 2], [2, 2, 0]])
    (g_fast,) = grad(gradgpu.cumprod(x, 1).sum(), x)
    np.testing.assert_allclose(g_fast.numpy(), [[1, 8, 0], [1, 0, 0]])


# ---- dtypes -----------------------------------------------------------------------------------
def test_integer_and_bool_reductions_accumulate_in_int64():
    assert gradgpu.sum(gradgpu.tensor([True, True, False])).dtype is gradgpu.int64
    assert gradgpu.tensor([2, 3], dtype=gradgpu.int32).prod().dtype is gradgpu.int64
    c = gradgpu.cumsum(gradgpu.tensor([1, 2, 3], dtype=gradgpu.int16), 0)
    assert c.dtype is gradgpu.int64 and c.tolist() == [1, 3, 6]
    assert gradgpu.count_nonzero(gradgpu.tensor([[0, 1], [2, 3]]), 1).tolist() == [1, 2]


def test_all_any_give_bool_keep_uint8_and_are_not_differentiable():
    x = _t([[0.0, 1.0], [2.0, 3.0]])
    out = gradgpu.all(x, 1)
    assert out.dtype is gradgpu.bool and out.tolist() == [False, True]
    assert not out.requires_grad
    assert gradgpu.any(x, (0, 1), keepdim=True).shape == (1, 1)
    assert gradgpu.all(gradgpu.tensor([1, 2], dtype=gradgpu.uint8)).dtype is gradgpu.uint8


def test_float_only_reductions_reject_integer_input():
    ints = gradgpu.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match=r"var\(\): std and var only support floating"):
        gradgpu.var(ints)
    with pytest.raises(RuntimeError, match=r"std\(\).*int64"):
        ints.std()
    with pytest.raises(RuntimeError, match="mean.*floating point"):
        ints.mean()
    with pytest.raises(RuntimeError, match=r"norm\(\).*floating point.*int64"):
        ints.norm()


# ---- var / std --------------------------------------------------------------------------------
def test_var_correction_and_legacy_unbiased_agree():
    data = np.array([[1.0, 2.0, 4.0, 7.0], [0.5, -1.0, 3.0, 2.0]])
    x = gradgpu.tensor(data)
    np.testing.assert_allclose(x.var(1, False).numpy(), np.var(data, 1))
    np.testing.assert_allclose(x.var(1, correction=0).numpy(), np.var(data, 1))
    np.testing.assert_allclose(gradgpu.var(x, True).numpy(), np.var(data, ddof=1))
    np.testing.assert_allclose(x.std((0, 1), keepdim=True).numpy(),
                               np.std(data, ddof=1, keepdims=True))


def test_var_warns_when_degrees_of_freedom_vanish():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        out = gradgpu.var(gradgpu.tensor([1.5]))
    assert math.isnan(out.item())


# ---- logsumexp / norm -------------------------------------------------------------------------
def test_logsumexp_is_stable_for_large_and_neg_inf_inputs():
    x = _t([[1e4, 1e4, -1e4], [-np.inf, -np.inf, -np.inf], [-1e4, -1e4, -np.inf]])
    y = gradgpu.logsumexp(x, 1)
    np.testing.assert_allclose(y.detach().numpy(), [1e4 + math.log(2), -np.inf,
                                                    -1e4 + math.log(2)])
    (g,) = grad(gradgpu.logsumexp(x, 1), x, gradgpu.ones(3, dtype=gradgpu.float64))
    # all -inf rows get a zero gradient (PyTorch gives NaN there)
    np.testing.assert_allclose(g.numpy(), [[0.5, 0.5, 0.0], [0, 0, 0], [0.5, 0.5, 0.0]])


@pytest.mark.parametrize("p", [2, "fro", 3, 1.5, 1, math.inf, -math.inf])
def test_norm_gradient_at_zero_vector_is_zero(p):
    x = _t([0.0, 0.0, 0.0])
    assert gradgpu.norm(x, p).item() == 0.0
    np.testing.assert_array_equal(_grad(lambda v: gradgpu.norm(v, p), x), [0.0, 0.0, 0.0])


def test_norm_over_rows_with_one_zero_row():
    x = _t([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(x.norm(dim=1).detach().numpy(), [5.0, 0.0])
    np.testing.assert_allclose(_grad(lambda v: v.norm(dim=1).sum(), x),
                               [[0.6, 0.8], [0.0, 0.0]])


def test_norm_inf_ties_split_gradient():
    np.testing.assert_allclose(_grad(lambda v: v.norm(math.inf), _t([1.0, -2.0, 2.0])),
                               [0.0, -0.5, 0.5])


def test_norm_rejects_unsupported_p():
    with pytest.raises(RuntimeError, match="unsupported norm type 'nuc'"):
        gradgpu.norm(_t([1.0, 2.0]), "nuc")
    with pytest.raises(RuntimeError, match=r"p must be positive.*-1"):
        gradgpu.norm(_t([1.0, 2.0]), -1)


# ---- sorting ----------------------------------------------------------------------------------
def test_sort_is_stable_both_directions_and_scatters_gradient():
    x = _t([2.0, 1.0, 2.0, 0.5, 1.0])
    values, indices = gradgpu.sort(x)
    assert indices.tolist() == [3, 1, 4, 0, 2]
    assert gradgpu.sort(x, descending=True).indices.tolist() == [0, 2, 1, 4, 3]
    weights = gradgpu.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=gradgpu.float64)
    (g,) = grad((values * weights).sum(), x)
    np.testing.assert_allclose(g.numpy(), [4.0, 2.0, 5.0, 1.0, 3.0])


def test_topk_gradient_reaches_only_selected_positions():
    x = _t([[0.1, 0.9, 0.5, 0.7]])
    values, indices = x.topk(2)
    assert indices.tolist() == [[1, 3]]
    np.testing.assert_allclose(values.detach().numpy(), [[0.9, 0.7]])
    np.testing.assert_allclose(_grad(lambda v: v.topk(2, largest=False).values.sum(), x),
                               [[1, 0, 1, 0]])


# ---- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("call,name", [
    (lambda x: x.sum(2), "sum"),
    (lambda x: x.amax(-3), "amax"),
    (lambda x: x.max(5), "max"),
    (lambda x: x.argmax(2), "argmax"),
    (lambda x: x.var(2), "var"),
    (lambda x: x.logsumexp(2), "logsumexp"),
    (lambda x: x.cumsum(2), "cumsum"),
    (lambda x: x.prod(-3), "prod"),
    (lambda x: x.sort(2), "sort"),
    (lambda x: x.topk(1, 2), "topk"),
])
def test_bad_dim_raises_index_error_with_the_range(call, name):
    with pytest.raises(IndexError, match=rf"{name}\(\): Dimension out of range \(expected to be "
                                         r"in range of \[-2, 1\]"):
        call(gradgpu.ones(2, 3))


@pytest.mark.parametrize("call", [
    lambda x: x.sum((0, -2)), lambda x: x.amax((1, 1)), lambda x: x.var((0, 0)),
    lambda x: x.norm(dim=(1, -1)), lambda x: x.all((0, 0)),
])
def test_repeated_dim_in_tuple_is_rejected(call):
    with pytest.raises(RuntimeError, match="appears multiple times in the list of dims"):
        call(gradgpu.ones(2, 3))


def test_empty_reductions_that_must_pick_an_element_raise():
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        gradgpu.max(gradgpu.ones(0))
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero"):
        gradgpu.max(gradgpu.ones(0, 2), 0)
    with pytest.raises(IndexError, match=r"amin\(\): Expected reduction dim 1"):
        gradgpu.amin(gradgpu.ones(2, 0), 1)
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim"):
        gradgpu.argmax(gradgpu.ones(0, 2))
    assert gradgpu.max(gradgpu.ones(0, 2), 1).values.shape == (0,)


def test_topk_and_kthvalue_check_k():
    x = gradgpu.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"topk\(\): selected index k out of range \(k=4"):
        x.topk(4)
    with pytest.raises(RuntimeError, match=r"topk\(\): selected index k out of range \(k=-1"):
        x.topk(-1)
    with pytest.raises(RuntimeError, match=r"kthvalue\(\): selected number k out of range"):
        x.kthvalue(0)


def test_max_and_prod_reject_dim_tuples():
    with pytest.raises(TypeError, match=r"max\(\): argument 'dim' must be int.*amax"):
        gradgpu.max(gradgpu.ones(2, 3), (0, 1))
    with pytest.raises(TypeError, match=r"prod\(\): argument 'dim' must be int or None"):
        gradgpu.prod(gradgpu.ones(2, 3), (0, 1))


def test_the_zero_norm_is_in_the_graph_with_a_zero_gradient():
    x = gradgpu.tensor([[0.0, 2.0, 0.0], [1.0, 1.0, 0.0]], dtype=gradgpu.float64,
                       requires_grad=True)
    y = x.norm(0, dim=1)
    assert y.tolist() == [1.0, 2.0] and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2


def test_mean_of_an_empty_slice_is_nan_without_a_warning():
    # (pytest turns warnings into errors here: NumPy's "Mean of empty slice" would fail)
    assert np.isnan(gradgpu.ones(0).mean().item())
    assert np.isnan(gradgpu.ones(2, 0).mean(1).numpy()).all()
    assert gradgpu.ones(0, 3).mean(1).shape == (0,)


def test_float_sums_give_ieee_results_without_numpy_warnings():
    # warnings are errors in the test run: inf + -inf and a float16 overflow must stay silent,
    # as PyTorch's (and the GPU's) sums are
    assert gradgpu.tensor([float("inf"), -float("inf")]).sum().isnan().item()
    assert gradgpu.tensor([60000.0, 60000.0], dtype=gradgpu.float16).sum().isinf().item()
    x = gradgpu.tensor([float("inf"), -float("inf")], requires_grad=True)
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
