"""kl_div, poisson / gaussian NLL and the margin losses: values and gradients at edge points
(constants from PyTorch 2.13 runs), warnings, error contracts and the nn modules.
Forward-vs-NumPy, gradcheck and gradgradcheck run from tests/op_db/loss_additions.py."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F

_KL_MEAN_WARNING = "'batchmean' divides only by the batch size"


def _t(values, device, dtype=gradgpu.float64, requires_grad=False):
    return gradgpu.tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


def _np(t):
    return t.detach().cpu().numpy()


# ---- values and gradients at edge points (PyTorch's numbers) --------------------------------
def test_kl_div_zero_targets_count_as_zero_and_batchmean_divides_by_batch(device):
    x = _t([[-1.0, 0.5, -2.0], [0.3, -0.4, 1.2]], device, requires_grad=True)
    t = _t([[0.0, 0.3, 1.0], [0.6, 0.0, 0.1]], device)
    loss = F.kl_div(x, t, reduction="batchmean")
    loss.backward()
    assert float(loss) == pytest.approx(0.3260271375716101, rel=1e-12)
    np.testing.assert_allclose(_np(x.grad), [[0, -0.15, -0.5], [-0.3, 0, -0.05]], atol=1e-15)


def test_kl_div_mean_warns_like_pytorch_and_divides_by_every_element(device):
    x = _t([[-1.0, 0.5, -2.0], [0.3, -0.4, 1.2]], device)
    t = _t([[0.0, 0.3, 1.0], [0.6, 0.0, 0.1]], device)
    with pytest.warns(UserWarning, match=_KL_MEAN_WARNING):
        loss = F.kl_div(x, t)
    assert float(loss) == pytest.approx(0.10867571252387004, rel=1e-12)


def test_kl_div_legacy_flags_warn_and_never_mean_batchmean(device):
    x = _t([[-1.0, 0.5], [0.3, -0.4]], device)
    t = _t([[0.2, 0.3], [0.6, 0.1]], device)
    with pytest.warns(UserWarning, match="reduction='sum' instead"):
        legacy = F.kl_div(x, t, size_average=False, reduction="batchmean")
    assert float(legacy) == pytest.approx(float(F.kl_div(x, t, reduction="sum")))


def test_poisson_nll_full_masks_stirling_at_small_targets(device):
    x = _t([0.1, 0.5, 2.0, 1.0], device, requires_grad=True)
    t = _t([0.0, 1.0, 3.0, 0.5], device)
    loss = F.poisson_nll_loss(x, t, full=True, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(_np(loss), [1.1051709180756477, 1.1487212707001282,
                                           3.153137642473707, 2.218281828459045], rtol=1e-12)
    np.testing.assert_allclose(_np(x.grad), [1.1051709180756477, 0.6487212707001282,
                                             4.38905609893065, 2.218281828459045], rtol=1e-12)
    x.grad = None
    loss = F.poisson_nll_loss(x, t, log_input=False, full=True, reduction="sum")
    loss.backward()
    assert float(loss) == pytest.approx(3.9777871424231668, rel=1e-12)
    np.testing.assert_allclose(_np(x.grad), [1.0, -0.9999999600000007, -0.49999999250000005,
                                             0.500000005], rtol=1e-12)


def test_gaussian_nll_clamps_var_but_passes_its_gradient_straight_through(device):
    x = _t([[0.5, -1.0], [2.0, 0.0]], device, requires_grad=True)
    t = _t([[0.0, 1.0], [1.0, 0.5]], device)
    var = _t([[1e-8, 0.5], [2.0, 0.0]], device, requires_grad=True)
    loss = F.gaussian_nll_loss(x, t, var, full=True, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(_np(loss), [[124994.01118325422, 4.5723649429247],
                                           [1.5155121234846454, 124994.01118325422]], rtol=1e-12)
    np.testing.assert_allclose(_np(x.grad), [[500000.0, -4.0], [0.5, -500000.0]], rtol=1e-12)
    np.testing.assert_allclose(_np(var.grad), [[-124999500000.0, -7.0],
                                               [0.125, -124999500000.0]], rtol=1e-12)


def test_gaussian_nll_float_var_fills_the_input_shape(device):
    x, t = _t([[0.5, -1.0]], device), _t([[0.0, 1.0]], device)
    full = F.gaussian_nll_loss(x, t, _t([[0.5, 0.5]], device), reduction="none")
    np.testing.assert_allclose(_np(F.gaussian_nll_loss(x, t, 0.5, reduction="none")), _np(full))


def test_multi_and_multilabel_margin_float32_values(device):
    x = _t([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], device, dtype=gradgpu.float32)
    mm = F.multi_margin_loss(x, _t([1, 2], device, dtype=gradgpu.int64), reduction="none")
    mlm = F.multilabel_margin_loss(x, _t([[2, -1, 0], [0, 1, -1]], device, dtype=gradgpu.int64),
                                   reduction="none")
    assert mm.dtype == gradgpu.float32 and mlm.dtype == gradgpu.float32
    np.testing.assert_allclose(_np(mm), [0.6666666865348816, 0.0], rtol=1e-6)
    np.testing.assert_allclose(_np(mlm), [0.0, 2.1666667461395264], rtol=1e-6)


def test_soft_margin_result_has_the_input_dtype_whatever_the_target_dtype(device):
    # PyTorch 2.13: float32 input with a float64 target gives a float32 loss (and gradient)
    x = _t([0.5, -1.0], device, dtype=gradgpu.float32, requires_grad=True)
    loss = F.soft_margin_loss(x, _t([1.0, 1.0], device), reduction="none")
    assert loss.dtype == gradgpu.float32
    np.testing.assert_allclose(_np(loss), [0.474077, 1.313262], rtol=1e-6)
    loss.sum().backward()
    assert x.grad.dtype == gradgpu.float32
    np.testing.assert_allclose(_np(x.grad), [-0.377541, -0.731059], rtol=1e-5)


def test_soft_margin_overflows_to_inf_as_pytorch(device):
    x = _t([100.0, -100.0, 0.0], device, dtype=gradgpu.float32)
    loss = F.soft_margin_loss(x, _t([-1.0, -1.0, 1.0], device, dtype=gradgpu.float32),
                              reduction="none")
    out = _np(loss)
    # exp(-100) is subnormal in float32: CuPy compiles every kernel with -ftz=true, so on CUDA
    # it flushes to 0 (docs/deviations.md; PyTorch's CUDA gives 3.78e-44, its CPU 3.92e-44)
    tiny = 0.0 if device == "cuda" else 3.923635700109488e-44
    assert np.isinf(out[0]) and out[1] == pytest.approx(tiny, abs=1e-45)
    assert out[2] == pytest.approx(0.6931471824645996, rel=1e-6)


def test_hinge_kinks_take_pytorchs_side(device):
    # margin_ranking clamps with clamp_min (gradient 1 at 0), multi_margin tests z > 0 (0)
    x1 = _t([1.0], device, requires_grad=True)
    F.margin_ranking_loss(x1, _t([1.0], device), _t([1.0], device)).backward()
    assert _np(x1.grad).tolist() == [-1.0]
    x = _t([[1.0, 0.0]], device, requires_grad=True)
    F.multi_margin_loss(x, _t([0], device, dtype=gradgpu.int64)).backward()
    assert _np(x.grad).tolist() == [[0.0, 0.0]]


# ---- error contracts ------------------------------------------------------------------------
def _ones(*shape):
    return gradgpu.ones(*shape)


def _long(values):
    return gradgpu.tensor(values, dtype=gradgpu.int64)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.kl_div(_ones(2), _ones(2), reduction="bad"), ValueError,
     "bad is not a valid value for reduction"),
    (lambda: F.kl_div(_ones(2), _long([1, 0]), reduction="sum"), RuntimeError,
     "Integral inputs not supported"),
    (lambda: F.poisson_nll_loss(_ones(2), _ones(2), reduction="avg"), ValueError,
     "avg is not a valid value"),
    (lambda: F.gaussian_nll_loss(_ones(2, 3), _ones(2, 3), -_ones(2, 3)), ValueError,
     "var has negative entry"),
    (lambda: F.gaussian_nll_loss(_ones(2, 3), _ones(2, 3), -1.0), ValueError,
     "var has negative entry"),
    (lambda: F.gaussian_nll_loss(_ones(2, 3), _ones(2, 3), _ones(1, 1)), ValueError,
     "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(_ones(2, 3), _ones(2, 3), 1), TypeError,
     "'var' must be Tensor or float"),
    (lambda: F.gaussian_nll_loss(_ones(2), _ones(2), _ones(2), reduction="x"), ValueError,
     "x is not valid"),
    (lambda: F.margin_ranking_loss(_ones(3), _ones(3, 1), _ones(3)), RuntimeError,
     "All input tensors should have same dimension"),
    (lambda: F.soft_margin_loss(_ones(2), gradgpu.ones(2, requires_grad=True)), RuntimeError,
     "not differentiable with respect to argument 'target'"),
    (lambda: F.multilabel_soft_margin_loss(_ones(2), _ones(2), reduction="x"), ValueError,
     "x is not valid"),
    (lambda: F.cosine_embedding_loss(_ones(2, 3), _ones(2, 3), _ones(2, 1)), RuntimeError,
     "0D or 1D target tensor expected"),
    (lambda: F.cosine_embedding_loss(_ones(2, 3), _ones(2, 3), _ones(())), RuntimeError,
     r"0D target tensor expects 1D input tensors, but found inputs with sizes \[2, 3\]"),
    (lambda: F.triplet_margin_loss(_ones(2, 3), _ones(2, 3), _ones(2, 3), margin=0),
     ValueError, "margin must be greater than 0, got 0"),
    (lambda: F.triplet_margin_loss(_ones(2, 3), _ones(2, 3), _ones(3)), RuntimeError,
     "anchor 2D, positive 2D, and negative 1D inputs"),
    (lambda: F.triplet_margin_with_distance_loss(_ones(3), _ones(3), _ones(3), margin=-1.0),
     ValueError, "margin must be greater than 0"),
    (lambda: F.multi_margin_loss(_ones(2, 3), _long([0, 1]), p=3), ValueError,
     "only p == 1 and p == 2 supported"),
    (lambda: F.multi_margin_loss(_ones(2, 3), _long([0, 3])), RuntimeError,
     "target out of range"),
    (lambda: F.multi_margin_loss(_ones(2, 3), _long([0, 1, 1])), RuntimeError,
     r"Expected target size \[2\], but got \[3\]"),
    (lambda: F.multi_margin_loss(_ones(2, 3), _ones(2)), RuntimeError,
     "expected scalar type Long"),
    (lambda: F.multi_margin_loss(_ones(2, 3, 4), _long([0, 1])), RuntimeError,
     r"Expected non-empty vector or matrix .* got: \[2, 3, 4\]"),
    (lambda: F.multi_margin_loss(_ones(2, 3), _long([0, 1]), weight=_ones(4)), RuntimeError,
     r"inconsistent weight size, expected 3 but got \[4\]"),
    (lambda: F.multi_margin_loss(_ones(2, 3), _long([0, 1]), weight=_ones(1, 3)), ValueError,
     "weight must be one-dimensional"),
    (lambda: F.multilabel_margin_loss(_ones(2, 3), _long([[0, 3, 1], [2, 1, -1]])),
     RuntimeError, "argument #2 'target' is out of range"),
    (lambda: F.multilabel_margin_loss(_ones(2, 3), _long([[0, 1], [2, 1]])), RuntimeError,
     r"inconsistent target size: \[2, 2\] for input of size: \[2, 3\]"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_arguments_raise_pytorchs_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- modules --------------------------------------------------------------------------------
def test_modules_match_their_functionals(device):
    gradgpu.manual_seed(3)
    x, y = gradgpu.randn(4, 3, device=device), gradgpu.randn(4, 3, device=device)
    z = gradgpu.randn(4, 3, device=device)
    sign = _t([1.0, -1.0, -1.0, 1.0], device, dtype=gradgpu.float32)
    cls = _t([0, 2, 1, 1], device, dtype=gradgpu.int64)
    w = _t([0.5, 1.0, 2.0], device, dtype=gradgpu.float32)
    cases = [
        (nn.KLDivLoss(reduction="batchmean"), (x, y.exp()),
         F.kl_div(x, y.exp(), reduction="batchmean")),
        (nn.KLDivLoss(reduction="sum", log_target=True), (x, y),
         F.kl_div(x, y, reduction="sum", log_target=True)),
        (nn.PoissonNLLLoss(full=True), (x, y.abs()), F.poisson_nll_loss(x, y.abs(), full=True)),
        (nn.GaussianNLLLoss(reduction="sum"), (x, y, z.abs()),
         F.gaussian_nll_loss(x, y, z.abs(), reduction="sum")),
        (nn.MarginRankingLoss(margin=0.2), (x[:, 0], y[:, 0], sign),
         F.margin_ranking_loss(x[:, 0], y[:, 0], sign, margin=0.2)),
        (nn.HingeEmbeddingLoss(margin=0.5, reduction="none"), (x[:, 0], sign),
         F.hinge_embedding_loss(x[:, 0], sign, margin=0.5, reduction="none")),
        (nn.SoftMarginLoss(), (x[:, 0], sign), F.soft_margin_loss(x[:, 0], sign)),
        (nn.MultiLabelSoftMarginLoss(weight=w), (x, (y > 0).float()),
         F.multilabel_soft_margin_loss(x, (y > 0).float(), weight=w)),
        (nn.CosineEmbeddingLoss(margin=0.1), (x, y, sign),
         F.cosine_embedding_loss(x, y, sign, margin=0.1)),
        (nn.TripletMarginLoss(p=1.0, swap=True), (x, y, z),
         F.triplet_margin_loss(x, y, z, p=1.0, swap=True)),
        (nn.TripletMarginWithDistanceLoss(swap=True), (x, y, z),
         F.triplet_margin_loss(x, y, z, swap=True)),
        (nn.MultiMarginLoss(p=2, weight=w), (x, cls), F.multi_margin_loss(x, cls, p=2, weight=w)),
        (nn.MultiLabelMarginLoss(), (x, cls.reshape(1, 4)[:, :3].expand(4, 3)),
         F.multilabel_margin_loss(x, cls.reshape(1, 4)[:, :3].expand(4, 3))),
    ]
    for module, args, expected in cases:
        np.testing.assert_allclose(_np(module(*args)), _np(expected), rtol=1e-6,
                                   err_msg=type(module).__name__)


def test_module_arguments_are_checked_like_pytorch():
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="expected weight to be None or 1D tensor, got 2D"):
        nn.MultiMarginLoss(weight=gradgpu.ones(1, 3))
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)  # keyword-only, as PyTorch's
    with pytest.warns(UserWarning, match="reduction='mean' instead"):
        assert nn.SoftMarginLoss(size_average=True).reduction == "mean"
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    assert "weight" in nn.MultiLabelSoftMarginLoss(weight=gradgpu.ones(3)).state_dict()
    with pytest.warns(UserWarning, match=_KL_MEAN_WARNING):
        nn.KLDivLoss()(gradgpu.zeros(2), gradgpu.ones(2))
