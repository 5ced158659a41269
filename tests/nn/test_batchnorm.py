"""BatchNorm1d / BatchNorm2d and functional batch_norm: normalization vs NumPy, running
statistics (momentum, cumulative average, unbiased variance), train/eval, parameters and
buffers as PyTorch, gradients, argument errors, and (when installed) parity with torch."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F
from gradgpu import nn
from gradgpu.autograd import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return gradgpu.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _np_bn(x, mean, var, w, b, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(shape) \
        + b.reshape(shape)


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (5, 3)), (nn.BatchNorm1d, (4, 3, 2)),
                                       (nn.BatchNorm2d, (2, 3, 2, 3))])
def test_training_steps_update_running_stats_then_eval_uses_them(cls, shape):
    rng = np.random.default_rng(0)
    bn = cls(3, momentum=0.2).double()
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    with gradgpu.no_grad():
        bn.weight.copy_(_t(w))
        bn.bias.copy_(_t(b))
    run_mean, run_var = np.zeros(3), np.ones(3)
    for step in range(3):
        x = rng.standard_normal(shape) * 2 + 1
        y = bn(_t(x))
        mean, var = x.mean(axis=_axes(x)), x.var(axis=_axes(x))
        np.testing.assert_allclose(y.detach().numpy(), _np_bn(x, mean, var, w, b), atol=1e-12)
        n = x.size // 3
        run_mean = 0.8 * run_mean + 0.2 * mean
        run_var = 0.8 * run_var + 0.2 * var * n / (n - 1)  # unbiased variance is folded in
        np.testing.assert_allclose(bn.running_mean.numpy(), run_mean, atol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), run_var, atol=1e-12)
        assert bn.num_batches_tracked.item() == step + 1
    bn.eval()
    x = rng.standard_normal(shape)
    y = bn(_t(x))
    np.testing.assert_allclose(y.detach().numpy(), _np_bn(x, run_mean, run_var, w, b),
                               atol=1e-12)
    # evaluation leaves the statistics alone
    np.testing.assert_allclose(bn.running_mean.numpy(), run_mean, atol=1e-12)
    assert bn.num_batches_tracked.item() == 3


def test_momentum_none_is_cumulative_average():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(2, momentum=None).double()
    xs = [rng.standard_normal((4, 2)) for _ in range(3)]
    for x in xs:
        bn(_t(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0),
                               atol=1e-12)
    # the initial running_var (1) is weighted out after the first batch (factor 1/1)
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([x.var(0, ddof=1) for x in xs], 0), atol=1e-12)


def test_buffers_parameters_state_dict_and_repr():
    bn = nn.BatchNorm2d(4)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == gradgpu.int64 and bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(4))
    np.testing.assert_array_equal(bn.bias.detach().numpy(), np.zeros(4))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(4))
    assert repr(bn) == ("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")
    plain = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(plain.parameters()) == [] and list(plain.state_dict()) == []
    assert plain.running_mean is None and plain.weight is None
    no_shift = nn.BatchNorm1d(3, bias=False)
    assert [n for n, _ in no_shift.named_parameters()] == ["weight"]


def test_without_tracked_stats_eval_uses_batch_statistics():
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm1d(3, track_running_stats=False, affine=False).double().eval()
    x = rng.standard_normal((6, 3))
    np.testing.assert_allclose(bn(_t(x)).numpy(),
                               (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), atol=1e-12)


def test_eval_mode_with_tracking_normalizes_by_running_stats_not_batch():
    bn = nn.BatchNorm1d(2).double().eval()
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    # fresh running stats (0, 1): y = x / sqrt(1 + eps)
    np.testing.assert_allclose(bn(_t(x)).detach().numpy(), x / np.sqrt(1 + 1e-5), atol=1e-12)


def test_reset_running_stats():
    bn = nn.BatchNorm1d(2)
    bn(gradgpu.randn(4, 2) * 3 + 2)
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(2))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(2))
    assert bn.num_batches_tracked.item() == 0


def test_gradients_in_train_and_eval_modes():
    rng = np.random.default_rng(3)
    bn = nn.BatchNorm1d(2).double()
    with gradgpu.no_grad():
        bn.weight.copy_(_t([1.5, -0.5]))
        bn.bias.copy_(_t([0.2, 0.1]))
    x = _t(rng.standard_normal((3, 2, 2)), True)
    assert gradcheck(lambda x: bn(x), (x,))
    assert gradgradcheck(lambda x: bn(x), (x,))
    # d(sum y)/d weight = sum xhat = 0 per channel; d(sum y)/d bias = count
    bn(x).sum().backward()
    np.testing.assert_allclose(bn.weight.grad.numpy(), [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(bn.bias.grad.numpy(), [6.0, 6.0], atol=1e-12)
    bn.eval()
    assert gradcheck(lambda x: bn(x), (x,))


def test_functional_updates_stats_in_place_and_checks_arguments():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 2))
    rm, rv = _t(np.zeros(2)), _t(np.ones(2))
    version = rm._version
    F.batch_norm(_t(x), rm, rv, training=True, momentum=0.5)
    assert rm._version > version
    np.testing.assert_allclose(rm.numpy(), 0.5 * x.mean(0), atol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.5 + 0.5 * x.var(0, ddof=1), atol=1e-12)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 2"):
        F.batch_norm(gradgpu.randn(4, 3), gradgpu.zeros(2), gradgpu.ones(3))
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 4"):
        F.batch_norm(gradgpu.randn(4, 3), None, None, gradgpu.ones(4), training=True)
    with pytest.raises(RuntimeError, match="must be defined in evaluation mode"):
        F.batch_norm(gradgpu.randn(4, 3), None, None)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when "
                                         "training, got input size \\[1, 3\\]"):
        F.batch_norm(gradgpu.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.batch_norm(gradgpu.randn(3), gradgpu.zeros(3), gradgpu.ones(3))
    with pytest.raises(RuntimeError, match="floating point"):
        F.batch_norm(gradgpu.ones(4, 3, dtype=gradgpu.int64), None, None, training=True)
    with pytest.raises(TypeError, match="momentum"):
        F.batch_norm(gradgpu.randn(4, 3), None, None, training=True, momentum=None)


def test_module_input_dim_errors():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(gradgpu.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(gradgpu.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm1d(3)(gradgpu.randn(2, 4))


@pytest.mark.parametrize("momentum", [0.1, None])
def test_matches_torch(momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    theirs = torch.nn.BatchNorm2d(3, momentum=momentum).double()
    ours = nn.BatchNorm2d(3, momentum=momentum).double()
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-1, 1)
    ours.load_state_dict({k: gradgpu.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    for _ in range(2):
        x = rng.standard_normal((2, 3, 2, 2)) + 1
        xg, xt = _t(x, True), torch.tensor(x, requires_grad=True)
        a, b = ours(xg), theirs(xt)
        (a * a).sum().backward()
        (b * b).sum().backward()
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-10)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), atol=1e-12)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    np.testing.assert_allclose(ours(_t(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), atol=1e-12)


def test_training_requires_both_running_stats_or_neither():
    # PyTorch: ValueError in training mode (eval mode keeps its own RuntimeError)
    x = gradgpu.randn(4, 3)
    for mean, var in ((gradgpu.zeros(3), None), (None, gradgpu.ones(3))):
        with pytest.raises(ValueError, match="running_mean and running_var must either both "
                                             "be None or neither be None"):
            F.batch_norm(x, mean, var, training=True)
    with pytest.raises(RuntimeError, match="must be defined in evaluation mode"):
        F.batch_norm(x, gradgpu.zeros(3), None)


def test_repr_bias_follows_the_bias_parameter():
    # PyTorch's extra_repr prints bias=(self.bias is not None): no bias without affine
    assert repr(nn.BatchNorm2d(3, affine=False)) == (
        "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
        "track_running_stats=True)")
    assert repr(nn.BatchNorm1d(3, bias=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=False, "
        "track_running_stats=True)")


def test_load_old_checkpoint_without_num_batches_tracked():
    # a checkpoint from before num_batches_tracked (PyTorch's BatchNorm version 1) loads, the
    # count keeping its current value (PyTorch: tensor(7) here); other keys stay strict
    src = nn.BatchNorm1d(3).double()
    src(_t(np.arange(12.0).reshape(4, 3) ** 2))
    old = {k: v.clone() for k, v in src.state_dict().items() if k != "num_batches_tracked"}
    bn = nn.BatchNorm1d(3).double()
    bn.num_batches_tracked.fill_(7)
    result = bn.load_state_dict(old)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert "num_batches_tracked" not in old  # the caller's dict is not modified
    assert bn.num_batches_tracked.item() == 7
    np.testing.assert_allclose(bn.running_mean.numpy(), [3.15, 4.15, 5.35], rtol=1e-12)
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    nested = {k: v for k, v in model.state_dict().items() if "num_batches" not in k}
    assert model.load_state_dict(nested).missing_keys == []
    del old["running_var"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "running_var"'):
        bn.load_state_dict(old)
