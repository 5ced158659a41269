"""nn.functional semantics the op registry cannot express: dropout statistics and modes,
softmax stability, cross_entropy's ignore_index gradient, embedding gradients, error contracts."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F
from gradgpu.autograd import gradgradcheck


def _t(a, requires_grad=False, dtype=np.float64):
    arr = np.asarray(a)
    if arr.dtype.kind == "f":
        arr = arr.astype(dtype)
    return gradgpu.from_numpy(arr.copy()).requires_grad_(requires_grad)


# ---- namespace ------------------------------------------------------------------------------
def test_functional_exports_pytorch_names():
    for name in F.__all__:
        assert callable(getattr(F, name)), name
    assert F.relu is not None and F.sigmoid is gradgpu.sigmoid and F.tanh is gradgpu.tanh


def test_one_hot_wrapper_delegates_to_indexing():
    from gradgpu.ops import indexing

    if not hasattr(indexing, "one_hot"):
        pytest.skip("gradgpu.ops.indexing.one_hot not written yet")
    out = F.one_hot(_t(np.array([2, 0, 1])), 4)
    np.testing.assert_array_equal(out.numpy(), np.eye(4, dtype=np.int64)[[2, 0, 1]])


# ---- dropout --------------------------------------------------------------------------------
def test_dropout_zeroes_fraction_p_and_scales_the_rest():
    x = gradgpu.ones(200, 100)
    y = F.dropout(x, p=0.3).numpy()
    zero_fraction = (y == 0).mean()
    assert abs(zero_fraction - 0.3) < 0.02  # 20,000 draws: std of the fraction is 0.003
    np.testing.assert_allclose(y[y != 0], 1 / 0.7, rtol=1e-6)


def test_dropout_gradient_is_the_scaled_mask():
    x = _t(np.arange(1.0, 41.0).reshape(4, 10), requires_grad=True)
    y = F.dropout(x, p=0.5)
    y.sum().backward()
    mask = (y.detach().numpy() != 0) * 2.0
    np.testing.assert_array_equal(x.grad.numpy(), mask)


def test_dropout_eval_mode_and_p0_return_the_input():
    x = gradgpu.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_p1_gives_zeros_and_zero_gradient():
    x = _t(np.ones((3, 4)), requires_grad=True)
    y = F.dropout(x, p=1.0)
    y.sum().backward()
    assert not y.detach().numpy().any()
    assert not x.grad.numpy().any()


def test_dropout_reproducible_from_manual_seed():
    x = gradgpu.ones(50)
    gradgpu.manual_seed(123)
    a = F.dropout(x, 0.5).numpy()
    gradgpu.manual_seed(123)
    b = F.dropout(x, 0.5).numpy()
    c = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
        F.dropout(gradgpu.ones(3), p)


def test_dropout_inplace_writes_into_input():
    x = gradgpu.ones(100)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x
    assert set(np.unique(x.numpy())) <= {0.0, 2.0}


# ---- softmax family -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_sum_to_one_for_extreme_logits(dtype):
    x = _t(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]]), dtype=dtype)
    p = F.softmax(x, dim=1).numpy()
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(p[2], [0.5, 0.5, 0.0])
    lp = F.log_softmax(x, dim=-1).numpy()
    assert np.isfinite(lp).all()
    np.testing.assert_allclose(lp[0], [0.0, -2e4, -1e4], rtol=1e-6)


def test_softmax_masked_row_gives_zero_probability_and_finite_gradient():
    x = _t(np.array([[0.5, -np.inf, 1.0, -np.inf]]), requires_grad=True)
    p = F.softmax(x, dim=-1)
    assert p.detach().numpy()[0, 1] == 0.0 and p.detach().numpy()[0, 3] == 0.0
    (p * _t(np.array([[1.0, 2.0, 3.0, 4.0]]))).sum().backward()
    g = x.grad.numpy()
    assert np.isfinite(g).all() and g[0, 1] == 0.0 and g[0, 3] == 0.0


def test_softmax_requires_dim_and_float_input():
    x = gradgpu.randn(2, 3)
    with pytest.raises(TypeError, match="dim"):
        x.softmax()
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        out = F.log_softmax(x)  # PyTorch's legacy implicit dim: 1 for a 2-D input
    np.testing.assert_allclose(out.exp().numpy().sum(1), [1.0, 1.0], rtol=1e-6)
    ints = gradgpu.tensor([[1, 2, 3]])
    with pytest.raises(RuntimeError, match="floating point"):
        F.softmax(ints, 1)
    out = F.softmax(ints, 1, dtype=gradgpu.float64)
    assert out.dtype is gradgpu.float64
    np.testing.assert_allclose(out.numpy().sum(), 1.0)


def test_softmax_dim_out_of_range():
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(gradgpu.randn(2, 3), 2)


def test_softmax_double_backward_through_fused_gradient():
    x = _t(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    assert gradgradcheck(lambda a: F.softmax(a, 1) * F.log_softmax(a, 0), (x,))


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(RuntimeError, match="approximate.*'fast'"):
        F.gelu(gradgpu.randn(3), approximate="fast")


def test_inplace_activation_writes_into_input():
    x = _t(np.array([-1.0, 2.0]))
    assert F.relu(x, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])
    leaf = _t(np.array([-1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.leaky_relu(leaf, inplace=True)


# ---- cross_entropy / nll --------------------------------------------------------------------
def test_cross_entropy_ignored_rows_get_exactly_zero_gradient():
    logits = np.random.default_rng(1).standard_normal((4, 3))
    logits[2] = [-np.inf, 0.0, -np.inf]  # a masked row that is also ignored
    x = _t(logits, requires_grad=True)
    t = _t(np.array([0, -100, -100, 2]))
    loss = F.cross_entropy(x, t, label_smoothing=0.1)
    loss.backward()
    g = x.grad.numpy()
    assert np.isfinite(loss.item())
    assert (g[1] == 0).all() and (g[2] == 0).all()
    assert (g[0] != 0).all() and (g[3] != 0).all()


def test_cross_entropy_all_ignored_mean_is_nan():
    loss = F.cross_entropy(gradgpu.randn(2, 3), _t(np.array([-100, -100])))
    assert np.isnan(loss.item())
    none = F.cross_entropy(gradgpu.randn(2, 3), _t(np.array([-100, -100])), reduction="none")
    np.testing.assert_array_equal(none.numpy(), [0.0, 0.0])


def test_cross_entropy_mean_is_weighted_by_target_weights():
    x = _t(np.zeros((3, 2)))  # every class has log-probability log(1/2)
    w = _t(np.array([1.0, 3.0]))
    t = _t(np.array([0, 1, 1]))
    loss = F.cross_entropy(x, t, weight=w)
    np.testing.assert_allclose(loss.item(), np.log(2.0))  # (1 + 3 + 3) log2 / (1 + 3 + 3)
    total = F.cross_entropy(x, t, weight=w, reduction="sum")
    np.testing.assert_allclose(total.item(), 7 * np.log(2.0))


@pytest.mark.parametrize("bad", [4, -1])
def test_cross_entropy_target_out_of_range_names_value_and_classes(bad):
    with pytest.raises(IndexError, match=rf"Target {bad} is out of bounds.*\[0, 4\)"):
        F.cross_entropy(gradgpu.randn(3, 4), _t(np.array([0, bad, 1])))
    with pytest.raises(IndexError, match=rf"Target {bad}"):
        F.nll_loss(gradgpu.randn(3, 4), _t(np.array([bad, 0, 1])))


def test_cross_entropy_shape_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"batch_size \(3\).*batch_size \(2\).*\[3, 4\].*\[2\]"):
        F.cross_entropy(gradgpu.randn(3, 4), _t(np.array([0, 1])))
    with pytest.raises(RuntimeError, match=r"\[2, 4, 3\].*\[2, 5\]"):
        F.cross_entropy(gradgpu.randn(2, 4, 3), _t(np.zeros((2, 5), dtype=np.int64)))
    with pytest.raises(RuntimeError, match=r"input \[3, 4\], target \[3, 5\]"):
        F.cross_entropy(gradgpu.randn(3, 4), gradgpu.rand(3, 5))
    with pytest.raises(RuntimeError, match=r"all 4 classes.*\[3\]"):
        F.cross_entropy(gradgpu.randn(3, 4), _t(np.array([0, 1, 2])), weight=gradgpu.ones(3))


def test_cross_entropy_argument_errors():
    x, t = gradgpu.randn(2, 3), _t(np.array([0, 1]))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(x, t, reduction="foo")
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        F.cross_entropy(x, F.softmax(x, 1), ignore_index=0)


def test_legacy_size_average_warns_and_maps_to_sum():
    x, t = gradgpu.randn(2, 3), _t(np.array([0, 1]))
    with pytest.warns(UserWarning, match="reduction='sum'"):
        legacy = F.cross_entropy(x, t, size_average=False)
    np.testing.assert_allclose(legacy.item(), F.cross_entropy(x, t, reduction="sum").item())


# ---- regression / binary losses -------------------------------------------------------------
def test_mse_loss_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\[3\].*\[4\]"):
        F.mse_loss(gradgpu.randn(3), gradgpu.randn(4))


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss])
def test_broadcasting_target_warns_and_broadcasts(loss):
    x = _t(np.array([[1.0, 2.0], [3.0, 4.0]]))
    t = _t(np.array([1.0, 1.0]))
    with pytest.warns(UserWarning, match=r"Using a target size .*\[2\].* different to the "
                                         r"input size .*\[2, 2\]"):
        out = loss(x, t, reduction="none")
    d = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_allclose(out.numpy(), d * d if loss is F.mse_loss else d)


def test_weighted_loss_requires_input_sized_weight():
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.mse_loss(gradgpu.randn(3), gradgpu.randn(3), weight=gradgpu.ones(2))


def test_binary_cross_entropy_errors():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(_t(np.array([0.5, 1.5])), _t(np.array([1.0, 0.0])))
    with pytest.raises(ValueError, match=r"target size .*\[2\].*input size .*\[1\]"):
        F.binary_cross_entropy(_t(np.array([0.5])), _t(np.array([1.0, 0.0])))
    with pytest.raises(ValueError, match=r"Target size .*\[2\].*input size .*\[1\]"):
        F.binary_cross_entropy_with_logits(_t(np.array([0.5])), _t(np.array([1.0, 0.0])))


def test_binary_cross_entropy_clamps_log_at_minus_100():
    out = F.binary_cross_entropy(_t(np.array([0.0, 1.0])), _t(np.array([1.0, 0.0])),
                                 reduction="none")
    np.testing.assert_array_equal(out.numpy(), [100.0, 100.0])


def test_bce_with_logits_is_finite_for_extreme_logits():
    x = _t(np.array([1e4, -1e4, 1e4, -1e4]), requires_grad=True)
    t = _t(np.array([1.0, 0.0, 0.0, 1.0]))
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, 0.0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0])


# ---- embedding / linear / layer_norm --------------------------------------------------------
def test_embedding_accumulates_repeats_and_zeroes_padding_row():
    w = _t(np.arange(12.0).reshape(4, 3), requires_grad=True)
    idx = _t(np.array([[1, 2, 1], [1, 0, 2]]))
    out = F.embedding(idx, w, padding_idx=2)
    np.testing.assert_array_equal(out.detach().numpy(), w.detach().numpy()[idx.numpy()])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [1.0, 3.0, 0.0, 0.0])


def test_embedding_scale_grad_by_freq_divides_by_count():
    w = _t(np.ones((3, 2)), requires_grad=True)
    F.embedding(_t(np.array([0, 0, 0, 1])), w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[:, 0], [1.0, 1.0, 0.0])


def test_embedding_max_norm_renormalizes_used_rows_in_place():
    w = _t(np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]))
    out = F.embedding(_t(np.array([0, 1])), w, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(out.numpy(), axis=1), [1.0, 0.5], rtol=1e-6)
    np.testing.assert_array_equal(w.numpy()[2], [6.0, 8.0])  # unused row left alone


def test_embedding_errors():
    w = gradgpu.randn(5, 2)
    with pytest.raises(IndexError, match="index 5 is out of range for num_embeddings 5"):
        F.embedding(_t(np.array([0, 5])), w)
    with pytest.raises(IndexError, match="index -1"):
        F.embedding(_t(np.array([-1])), w)
    with pytest.raises(RuntimeError, match="integer dtype"):
        F.embedding(gradgpu.ones(2), w)


def test_linear_shape_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"\[2, 3\].*\[4, 5\]"):
        F.linear(gradgpu.randn(2, 3), gradgpu.randn(4, 5))


def test_layer_norm_errors():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*\[2, 3\]"):
        F.layer_norm(gradgpu.randn(2, 3), (4,))
    with pytest.raises(RuntimeError, match=r"weight of shape \[2\]"):
        F.layer_norm(gradgpu.randn(2, 3), 3, weight=gradgpu.ones(2))


def test_layer_norm_output_is_normalized():
    x = _t(np.random.default_rng(0).standard_normal((4, 6)) * 10 + 3)
    y = F.layer_norm(x, [6], eps=0.0).numpy()
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1.0, rtol=1e-9)


# ---- convolution / pooling ------------------------------------------------------------------
def test_im2col_and_col2im_are_adjoint():
    from gradgpu.backend import NUMPY

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 4))
    geom = ((3, 2), (2, 1), (1, 2), (1, 2, 0, 1))
    cols = NUMPY.im2col(x, *geom)
    c = rng.standard_normal(cols.shape)
    back = NUMPY.col2im(c, (5, 4), *geom[1:])
    np.testing.assert_allclose((cols * c).sum(), (x * back).sum(), rtol=1e-12)


def test_conv2d_shape_errors():
    x = gradgpu.randn(1, 3, 5, 5)
    with pytest.raises(RuntimeError, match=r"weight of size \[4, 2, 3, 3\].*to have 2 "
                                           r"channels, but got 3"):
        F.conv2d(x, gradgpu.randn(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match=r"divisible by 2.*\[3, 1, 3, 3\]"):
        F.conv2d(gradgpu.randn(1, 2, 5, 5), gradgpu.randn(3, 1, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"\(5 x 5\).*\(7 x 7\).*can't be greater"):
        F.conv2d(x, gradgpu.randn(1, 3, 7, 7))
    with pytest.raises(RuntimeError, match=r"3D \(unbatched\) or 4D.*\[3, 5\]"):
        F.conv2d(gradgpu.randn(3, 5), gradgpu.randn(1, 3, 1, 1))
    with pytest.raises(ValueError, match="strided"):
        F.conv2d(x, gradgpu.randn(1, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match=r"Input type \(float64\).*weight type \(float32\)"):
        F.conv2d(x.double(), gradgpu.randn(1, 3, 3, 3))


def test_pooling_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(gradgpu.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.avg_pool2d(gradgpu.randn(1, 1, 2, 2), 3)


def test_max_pool2d_gradient_goes_to_the_argmax_only():
    x = _t(np.array([[[[1.0, 5.0], [3.0, 2.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 1.0], [0.0, 0.0]]]])


def test_matrix_products_refuse_mixed_dtypes_like_pytorch():
    a = gradgpu.randn(2, 3, dtype=gradgpu.float64)
    b = gradgpu.randn(3, 4)
    with pytest.raises(RuntimeError, match=r"matmul: expected both arguments to have the same "
                                           r"dtype.*float64 \[2, 3\].*float32 \[3, 4\]"):
        a @ b
    with pytest.raises(RuntimeError, match=r"linear\(\): expected input and weight to have the "
                                           r"same dtype.*float64.*float32"):
        gradgpu.nn.functional.linear(a, gradgpu.randn(4, 3))


def test_layer_norm_refuses_parameters_of_another_dtype_and_a_non_number_eps():
    x = gradgpu.randn(2, 3)
    with pytest.raises(RuntimeError, match=r"layer_norm\(\): expected bias of the input's dtype "
                                           r"gradgpu.float32, but got gradgpu.float64"):
        F.layer_norm(x, (3,), bias=gradgpu.zeros(3, dtype=gradgpu.float64))
    with pytest.raises(TypeError, match=r"layer_norm\(\): eps must be a number, not str"):
        F.layer_norm(x, (3,), eps="x")
