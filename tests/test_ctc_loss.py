"""ctc_loss / nn.CTCLoss: values and gradients vs PyTorch-derived constants and the NumPy
alpha recursion (tests/op_db/nn_more_additions.py), impossible alignments, zero_infinity,
reductions, layouts and error contracts. gradcheck / gradgradcheck run in the op registry."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F

from .op_db.nn_more_additions import ctc_ref

T, N, C = 5, 2, 4
LOGITS = np.sin(np.arange(T * N * C) * 0.7).reshape(T, N, C) * 2
TARGETS = np.array([[1, 1, 2], [3, 2, 0]])
# torch.nn.functional.ctc_loss(x.log_softmax(2), TARGETS, [5, 4], [3, 2], reduction='none')
TORCH_LOSS = np.array([10.1310435962, 4.1771944112])
TORCH_MEAN = 2.732805868819758
# d(loss.sum()) / d(logits)[:, 0] from the same PyTorch run
TORCH_GRAD0 = np.array([
    [0.0215609860, -0.7560126396, 0.4118933819, 0.3225582717],
    [-0.8111279437, -0.0813886732, 0.3036421283, 0.5888744886],
    [-0.1748000201, -0.7440329583, 0.2011631365, 0.7176698419],
    [0.0114667608, -0.1917212500, -0.4643444506, 0.6445989398],
    [-0.0617718835, 0.1562620832, -0.3814075780, 0.2869173784]])


def _t(a, device, grad=False):
    return gradgpu.tensor(a, device=device, requires_grad=grad)


def test_matches_pytorch_values_and_grad(device):
    x = _t(LOGITS, device, grad=True)
    loss = F.ctc_loss(x.log_softmax(2), _t(TARGETS, device), [5, 4], [3, 2], reduction="none")
    np.testing.assert_allclose(loss.cpu().detach().numpy(), TORCH_LOSS, rtol=1e-9)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy()[:, 0], TORCH_GRAD0, atol=1e-9)
    mean = F.ctc_loss(x.log_softmax(2), _t(TARGETS, device), [5, 4], [3, 2])
    assert abs(mean.item() - TORCH_MEAN) < 1e-9


def test_random_cases_match_reference(device):
    rng = np.random.default_rng(7)
    for _ in range(12):
        t, c, s = int(rng.integers(1, 7)), int(rng.integers(2, 5)), int(rng.integers(0, 4))
        logits = rng.standard_normal((t, 3, c))
        targets = rng.integers(1, c, (3, max(s, 1)))
        il, tl = rng.integers(0, t + 1, 3), rng.integers(0, s + 1, 3)
        got = F.ctc_loss(_t(logits, device).log_softmax(2), _t(targets, device),
                         _t(il, device), _t(tl, device), reduction="none")
        np.testing.assert_allclose(got.cpu().numpy(), ctc_ref(logits, targets, il, tl,
                                                              reduction="none"), rtol=1e-9)


def test_impossible_alignment_is_inf_and_zero_infinity_zeroes_loss_and_grad(device):
    x = _t(np.random.default_rng(0).standard_normal((3, 1, 3)), device, grad=True)
    target = _t(np.array([[1, 1]]), device)  # needs 3 frames: 1, blank, 1 -> T = 3 is enough
    assert np.isfinite(F.ctc_loss(x.log_softmax(2), target, [3], [2]).item())
    loss = F.ctc_loss(x.log_softmax(2), target, [2], [2], reduction="sum")
    assert loss.item() == float("inf")
    zeroed = F.ctc_loss(x.log_softmax(2), target, [2], [2], reduction="sum", zero_infinity=True)
    zeroed.backward()
    assert zeroed.item() == 0.0
    np.testing.assert_array_equal(x.grad.cpu().numpy(), 0.0)


def test_log_probs_grad_follows_pytorch_convention(device):
    # PyTorch returns exp(lp) - posterior: each valid frame's gradient sums to 0 over the
    # classes, and frames past input_length get none
    lp = _t(LOGITS, device).log_softmax(2).detach().requires_grad_(True)
    F.ctc_loss(lp, _t(TARGETS, device), [5, 3], [3, 2], reduction="sum").backward()
    g = lp.grad.cpu().numpy()
    np.testing.assert_allclose(g.sum(2), 0.0, atol=1e-12)
    np.testing.assert_array_equal(g[3:, 1], 0.0)
    assert np.abs(g[:, 0]).max() > 0.1


def test_concatenated_targets_equal_padded(device):
    lp = _t(LOGITS, device).log_softmax(2)
    padded = F.ctc_loss(lp, _t(TARGETS, device), [5, 4], [3, 2], reduction="none")
    flat = F.ctc_loss(lp, _t(np.array([1, 1, 2, 3, 2]), device), (5, 4), (3, 2),
                      reduction="none")
    np.testing.assert_allclose(flat.cpu().numpy(), padded.cpu().numpy(), rtol=1e-12)


def test_unbatched_and_module(device):
    lp = _t(LOGITS, device).log_softmax(2)
    one = F.ctc_loss(lp[:, 0], _t(TARGETS[0], device), [5], [3], reduction="sum")
    assert one.shape == ()
    assert abs(one.item() - TORCH_LOSS[0]) < 1e-9
    crit = nn.CTCLoss(reduction="sum")
    assert abs(crit(lp, _t(TARGETS, device), [5, 4], [3, 2]).item() - TORCH_LOSS.sum()) < 1e-9
    assert repr(nn.CTCLoss()) == "CTCLoss()"


def test_float32_and_blank_index(device):
    lp = _t(LOGITS.astype(np.float32), device).log_softmax(2)
    loss = F.ctc_loss(lp, _t(TARGETS, device), [5, 4], [3, 2], reduction="none")
    assert loss.dtype == gradgpu.float32
    np.testing.assert_allclose(loss.cpu().numpy(), TORCH_LOSS, rtol=1e-5)
    want = ctc_ref(LOGITS, TARGETS - 1, [5, 4], [3, 2], blank=3, reduction="none")
    got = F.ctc_loss(_t(LOGITS, device).log_softmax(2), _t(TARGETS - 1, device), [5, 4],
                     [3, 2], blank=3, reduction="none")
    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=1e-9)


def test_errors(device):
    lp = _t(LOGITS, device).log_softmax(2)
    tg = _t(TARGETS, device)
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size"):
        F.ctc_loss(lp, tg, [5], [3, 2])
    with pytest.raises(RuntimeError, match="target_lengths must be of size batch_size"):
        F.ctc_loss(lp, tg, [5, 5], [3])
    with pytest.raises(RuntimeError, match="input_lengths to have value at most 5, but got "
                                           "value 6"):
        F.ctc_loss(lp, tg, [6, 5], [3, 2])
    with pytest.raises(RuntimeError, match="size at least 4 at dimension 1"):
        F.ctc_loss(lp, tg, [5, 5], [4, 2])
    with pytest.raises(RuntimeError, match="size 6 at dimension 0"):
        F.ctc_loss(lp, _t(np.array([1, 2, 1]), device), [5, 5], [3, 3])
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(lp, tg, [5, 5], [3, 2], blank=4)
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.ctc_loss(lp, tg, [5, 5], [3, 2], reduction="bad")


def test_empty_log_probs_and_float_lengths_raise(device):
    # PyTorch: "log_probs tensor must not be empty" (T = 0 gave an IndexError, N = 0 a nan mean)
    for shape in ((0, 2, 3), (4, 0, 3)):
        n = shape[1]
        with pytest.raises(RuntimeError, match="must not be empty"):
            F.ctc_loss(_t(np.zeros(shape), device), _t(np.zeros((n, 1), np.int64), device),
                       _t(np.zeros(n, np.int64), device), _t(np.zeros(n, np.int64), device))
    # float lengths were silently truncated; PyTorch: "input_lengths must be integral"
    lp = _t(np.log(np.full((4, 2, 3), 1 / 3)), device)
    tg = _t(np.array([[1, 2], [2, 2]]), device)
    with pytest.raises(RuntimeError, match="input_lengths must be integral"):
        F.ctc_loss(lp, tg, _t(np.array([4.0, 3.0]), device), _t(np.array([2, 2]), device))
    with pytest.raises(RuntimeError, match="target_lengths must be integral"):
        F.ctc_loss(lp, tg, _t(np.array([4, 3]), device), _t(np.array([2.0, 2.0]), device))
