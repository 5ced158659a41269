"""optim.swa_utils: AveragedModel (SWA, EMA), update_bn and SWALR, against hand-computed values
and against PyTorch where it is installed."""

import numpy as np
import pytest

import gradgpu
from gradgpu import nn
from gradgpu.optim.swa_utils import (
    SWALR,
    AveragedModel,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    update_bn,
)


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 1))


def _steps(lib, model, rng_seed=0):
    """Deterministic parameter changes standing in for training steps."""
    rng = np.random.default_rng(rng_seed)
    for _ in range(4):
        with lib.no_grad():
            for p in model.parameters():
                p.add_(lib.tensor(rng.standard_normal(tuple(p.shape)), dtype=p.dtype))
            model[1].running_mean.add_(1.0)
        yield


def test_swa_is_the_mean_of_the_updates_and_buffers_follow_the_model():
    model = _model(gradgpu)
    swa = AveragedModel(model)
    seen = []
    for _ in _steps(gradgpu, model):
        swa.update_parameters(model)
        seen.append([p.detach().numpy().copy() for p in model.parameters()])
    assert swa.n_averaged.item() == 4
    for got, history in zip(swa.module.parameters(), zip(*seen)):
        np.testing.assert_allclose(got.detach().numpy(), np.mean(history, axis=0), rtol=1e-5,
                                   atol=1e-6)
    assert swa.module[1].running_mean.tolist() == model[1].running_mean.tolist()
    x = gradgpu.randn(5, 3)
    swa.eval()
    assert swa(x).shape == (5, 1)


@pytest.mark.parametrize("kind", ["swa", "ema", "ema_multi", "swa_buffers"])
def test_matches_pytorch(kind):
    torch = pytest.importorskip("torch")
    from torch.optim import swa_utils as torch_swa

    def run(lib, utils):
        model = _model(lib)
        with lib.no_grad():  # the same start in both libraries
            for p, v in zip(model.parameters(), np.linspace(-1, 1, 41)):
                p.copy_(lib.tensor(np.full(tuple(p.shape), v), dtype=p.dtype))
        kwargs = {"swa": {}, "ema": {"avg_fn": utils.get_ema_avg_fn(0.9)},
                  "ema_multi": {"multi_avg_fn": utils.get_ema_multi_avg_fn(0.9)},
                  "swa_buffers": {"use_buffers": True}}[kind]
        averaged = utils.AveragedModel(model, **kwargs)
        for _ in _steps(lib, model):
            averaged.update_parameters(model)
        return [t.detach().numpy() for t in (*averaged.module.parameters(),
                                             *averaged.module.buffers())]

    for got, want in zip(run(gradgpu, gradgpu.optim.swa_utils), run(torch, torch_swa)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_ema_helpers_compute_the_same_average():
    a, b = gradgpu.tensor([1.0, 2.0]), gradgpu.tensor([3.0, 6.0])
    np.testing.assert_allclose(get_ema_avg_fn(0.75)(a, b, 1).numpy(), [1.5, 3.0])
    multi = [a.clone()]
    get_ema_multi_avg_fn(0.75)(multi, [b], 1)
    np.testing.assert_allclose(multi[0].numpy(), [1.5, 3.0])
    with pytest.raises(ValueError, match="Only one of avg_fn and multi_avg_fn"):
        AveragedModel(nn.Linear(1, 1), avg_fn=get_ema_avg_fn(), multi_avg_fn=get_ema_multi_avg_fn())


def test_update_bn_recomputes_the_statistics_over_the_loader():
    model = _model(gradgpu)
    model.eval()
    gradgpu.manual_seed(1)
    batches = [gradgpu.randn(6, 3) for _ in range(3)]
    momentum = model[1].momentum
    update_bn([(b, 0) for b in batches], model)
    assert model.training is False and model[1].momentum == momentum
    # cumulative average of the per-batch means and (unbiased) variances of the BN input
    with gradgpu.no_grad():
        features = [model[0](b).numpy() for b in batches]
    np.testing.assert_allclose(model[1].running_mean.numpy(),
                               np.mean([f.mean(0) for f in features], 0), rtol=1e-5)
    np.testing.assert_allclose(model[1].running_var.numpy(),
                               np.mean([f.var(0, ddof=1) for f in features], 0), rtol=1e-5)
    assert model[1].num_batches_tracked.item() == 3


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 3])
def test_swalr_rates_match_pytorch(strategy, anneal_epochs):
    torch = pytest.importorskip("torch")

    def run(lib, scheduler_cls):
        params = [lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)]
        opt = lib.optim.SGD([{"params": params[:1], "lr": 0.5}, {"params": params[1:]}], lr=0.1)
        sched = scheduler_cls(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs,
                              anneal_strategy=strategy)
        rates = []
        for _ in range(6):
            opt.step()
            sched.step()
            rates.append([g["lr"] for g in opt.param_groups])
        return rates

    np.testing.assert_allclose(run(gradgpu, SWALR),
                               run(torch, torch.optim.swa_utils.SWALR), rtol=1e-12)


def test_swalr_checks_its_arguments():
    opt = gradgpu.optim.SGD([gradgpu.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must by one of 'cos' or 'linear'"):
        SWALR(opt, 0.05, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        SWALR(opt, 0.05, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        SWALR(opt, [0.05, 0.01])
