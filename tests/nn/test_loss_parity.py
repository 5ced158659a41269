"""Loss functions where gradgpu once parted from PyTorch: gradients of fully ignored batches,
argument checks of binary cross-entropy and class weights. Expected values come from
PyTorch 2.13 (float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F

X = [[0.2, -1.0, 0.5], [1.0, 0.0, -0.3]]
W = [1.0, 2.0, 3.0]


def _t(a, device, dtype=gradgpu.float64, requires_grad=False):
    return gradgpu.tensor(a, dtype=dtype, device=device, requires_grad=requires_grad)


def _ids(a, device):
    return gradgpu.tensor(a, device=device)


def _grad(loss_fn, device, create_graph=False):
    x = _t(X, device, requires_grad=True)
    loss = loss_fn(x)
    (g,) = gradgpu.autograd.grad(loss, x, create_graph=create_graph)
    return loss.item(), g.detach().cpu().numpy()


# ---- every target ignored: NaN loss (0 / 0), exactly zero gradient ----------------------------
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", ["ce", "ce_smoothing", "ce_weight_smoothing", "nll_log_softmax",
                                  "nll_weight"])
def test_all_ignored_mean_gives_nan_loss_and_zero_grad(device, case, create_graph):
    y = _ids([-100, -100], device)
    w = _t(W, device)
    fn = {
        "ce": lambda x: F.cross_entropy(x, y),
        "ce_smoothing": lambda x: F.cross_entropy(x, y, label_smoothing=0.1),
        "ce_weight_smoothing": lambda x: F.cross_entropy(x, y, weight=w, label_smoothing=0.1),
        "nll_log_softmax": lambda x: F.nll_loss(x.log_softmax(1), y),
        "nll_weight": lambda x: F.nll_loss(x, y, weight=w),
    }[case]
    loss, g = _grad(fn, device, create_graph)
    assert math.isnan(loss)
    np.testing.assert_array_equal(g, np.zeros((2, 3)))  # PyTorch: zeros, not NaN


def test_partly_ignored_rows_get_zero_grad_even_from_infinite_upstream(device):
    x = _t(X, device, requires_grad=True)
    loss = F.cross_entropy(x, _ids([0, -100], device), reduction="none")
    loss.backward(_t([1.0, math.inf], device))
    np.testing.assert_allclose(
        x.grad.cpu().numpy(),
        [[-0.6227913992481925, 0.11361304722994514, 0.5091783520182475], [0.0, 0.0, 0.0]],
        rtol=1e-12)
    loss, g = _grad(lambda x: F.cross_entropy(x, _ids([2, -100], device), label_smoothing=0.1),
                    device)
    assert loss == pytest.approx(0.7349569269138376, rel=1e-12)
    np.testing.assert_allclose(
        g, [[0.3438752674184742, 0.08027971389661182, -0.4241549813150859], [0.0, 0.0, 0.0]],
        rtol=1e-12)


def test_zero_weight_targets_that_count_still_give_nan(device):
    # not ignored, but every counted target has weight 0: 0 * inf = NaN where PyTorch has it
    w = _t([1.0, 0.0, 1.0], device)
    _, g = _grad(lambda x: F.cross_entropy(x, _ids([1, 1], device), weight=w), device)
    assert np.isnan(g).all()
    _, g = _grad(lambda x: F.cross_entropy(x, _ids([1, -100], device), weight=w), device)
    assert np.isnan(g[0]).all()
    np.testing.assert_array_equal(g[1], np.zeros(3))
    _, g = _grad(lambda x: F.nll_loss(x, _ids([1, -100], device), weight=w), device)
    np.testing.assert_array_equal(np.isnan(g), [[False, True, False], [False, False, False]])
    np.testing.assert_array_equal(np.nan_to_num(g), np.zeros((2, 3)))


# ---- class weights ----------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy])
def test_class_weight_of_another_dtype_raises(device, fn):
    x, y = _t(X, device, gradgpu.float32), _ids([0, 1], device)
    with pytest.raises(RuntimeError, match="expected scalar type gradgpu.float32 but found "
                                           "gradgpu.float64"):
        fn(x, y, weight=_t(W, device))
    with pytest.raises(RuntimeError, match="expected scalar type gradgpu.float64 but found "
                                           "gradgpu.float32"):
        fn(x.double(), y, weight=_t(W, device, gradgpu.float32))


def test_probability_targets_still_promote_the_weight(device):
    x = _t(X, device, gradgpu.float32)
    probs = _t([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], device, gradgpu.float32)
    assert F.cross_entropy(x, probs, weight=_t(W, device)).dtype is gradgpu.float64


# ---- binary cross-entropy ---------------------------------------------------------------------
BX = [[0.2, 0.7, 0.5], [0.9, 0.1, 0.3]]
BT = [[1.0, 0.0, 0.5], [0.0, 1.0, 1.0]]


@pytest.mark.parametrize("bad", [1.5, -0.5, math.nan])
def test_bce_target_outside_unit_interval_raises(device, bad):
    t = _t([[1.0, 0.0, bad], [0.0, 1.0, 1.0]], device)
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(_t(BX, device), t)
    # input is checked first (PyTorch's element loop tests input, then target)
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(_t([[1.5] * 3] * 2, device), t)


@pytest.mark.parametrize("dtype", [gradgpu.bool, gradgpu.int64, gradgpu.float32])
def test_bce_target_of_another_dtype_raises(device, dtype):
    # PyTorch: "Found dtype Bool but expected Double" (no promotion)
    t = gradgpu.ones(2, 3, dtype=dtype, device=device)
    with pytest.raises(RuntimeError, match=f"Found dtype {dtype} but expected gradgpu.float64"):
        F.binary_cross_entropy(_t(BX, device), t)


def test_bce_weight_may_broadcast_to_the_input_but_not_beyond(device):
    x, t = _t(BX, device), _t(BT, device)
    loss = F.binary_cross_entropy(x, t, weight=_t(W, device))
    assert loss.item() == pytest.approx(2.769416459120959, rel=1e-12)
    loss = F.binary_cross_entropy_with_logits(x, t, weight=_t([[1.0], [2.0]], device),
                                              pos_weight=_t([2.0, 1.0, 0.5], device))
    assert loss.item() == pytest.approx(1.205079639977261, rel=1e-12)
    wide = gradgpu.ones(2, 2, 3, dtype=gradgpu.float64, device=device)
    message = r"output with shape \[2, 3\] doesn't match the broadcast shape \[2, 2, 3\]"
    for reduction in ("mean", "none"):
        with pytest.raises(RuntimeError, match=message):
            F.binary_cross_entropy(x, t, weight=wide, reduction=reduction)
        with pytest.raises(RuntimeError, match=message):
            F.binary_cross_entropy_with_logits(x, t, weight=wide, reduction=reduction)
        with pytest.raises(RuntimeError, match=message):
            F.binary_cross_entropy_with_logits(x, t, pos_weight=wide, reduction=reduction)
    with pytest.raises(RuntimeError, match=r"weight of shape \[5, 3\] cannot be broadcast"):
        F.binary_cross_entropy(x, t, weight=gradgpu.ones(5, 3, dtype=gradgpu.float64,
                                                         device=device))
