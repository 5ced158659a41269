"""LR schedulers: lr sequences vs closed-form / hand-computed values, the scheduler protocol
(initial step, get_last_lr, state dicts, warnings) and error contracts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu import optim
from gradgpu.optim import lr_scheduler as sched


def _optimizer(cls=optim.SGD, lrs=(1.0,), **options):
    groups = [{"params": [gradgpu.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return cls(groups, **options)


def _lrs(opt, scheduler, steps, metrics=None):
    """lr of every group before each of ``steps`` epochs (optimizer.step then scheduler.step)."""
    out = []
    for i in range(steps):
        out.append([g["lr"] for g in opt.param_groups])
        opt.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[i])
    return np.array(out)


def test_step_lr():
    opt = _optimizer(lrs=(1.0, 0.1))
    got = _lrs(opt, sched.StepLR(opt, step_size=3, gamma=0.5), 10)
    t = np.arange(10)
    np.testing.assert_allclose(got[:, 0], 0.5 ** (t // 3), rtol=1e-15)
    np.testing.assert_allclose(got[:, 1], 0.1 * 0.5 ** (t // 3), rtol=1e-15)


def test_multistep_lr_repeated_milestones_compound():
    opt = _optimizer()
    got = _lrs(opt, sched.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.1), 8)[:, 0]
    np.testing.assert_allclose(got, [1, 1, 0.1, 0.1, 0.1, 1e-3, 1e-3, 1e-3], rtol=1e-12)


def test_exponential_lr():
    opt = _optimizer(lrs=(2.0,))
    got = _lrs(opt, sched.ExponentialLR(opt, gamma=0.9), 12)[:, 0]
    np.testing.assert_allclose(got, 2.0 * 0.9 ** np.arange(12), rtol=1e-13)


def test_cosine_annealing_follows_the_closed_form_through_two_periods():
    opt = _optimizer(lrs=(1.0,))
    T, eta_min = 5, 0.1
    got = _lrs(opt, sched.CosineAnnealingLR(opt, T_max=T, eta_min=eta_min), 3 * T)[:, 0]
    t = np.arange(3 * T)
    closed = eta_min + (1.0 - eta_min) * (1 + np.cos(np.pi * t / T)) / 2
    np.testing.assert_allclose(got, closed, rtol=1e-12, atol=1e-12)
    assert got[T] == pytest.approx(eta_min) and got[2 * T] == pytest.approx(1.0)


def test_cosine_annealing_is_recursive_on_the_current_lr():
    opt = _optimizer()
    scheduler = sched.CosineAnnealingLR(opt, T_max=10)
    opt.step()
    scheduler.step()
    opt.param_groups[0]["lr"] = 0.5  # a manual change is carried on by the recursion
    opt.step()
    scheduler.step()
    expected = (1 + math.cos(math.pi * 2 / 10)) / (1 + math.cos(math.pi / 10)) * 0.5
    assert opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-14)


def test_lambda_lr_one_function_per_group():
    opt = _optimizer(lrs=(1.0, 2.0))
    got = _lrs(opt, sched.LambdaLR(opt, [lambda e: 0.5**e, lambda e: 1 / (e + 1)]), 6)
    e = np.arange(6)
    np.testing.assert_allclose(got[:, 0], 0.5**e, rtol=1e-15)
    np.testing.assert_allclose(got[:, 1], 2.0 / (e + 1), rtol=1e-15)


def test_linear_lr():
    opt = _optimizer(lrs=(0.5,))
    got = _lrs(opt, sched.LinearLR(opt, start_factor=0.2, end_factor=0.8, total_iters=4), 8)
    factor = 0.2 + 0.6 * np.minimum(np.arange(8), 4) / 4
    np.testing.assert_allclose(got[:, 0], 0.5 * factor, rtol=1e-13)


def _one_cycle_expected(max_lr, total, pct, div, final_div, anneal, three_phase=False):
    def cos(a, b, p):
        return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)

    def lin(a, b, p):
        return (b - a) * p + a

    f = cos if anneal == "cos" else lin
    lr0, lr_min = max_lr / div, max_lr / div / final_div
    if three_phase:
        phases = [(pct * total - 1, lr0, max_lr), (2 * pct * total - 2, max_lr, lr0),
                  (total - 1, lr0, lr_min)]
    else:
        phases = [(pct * total - 1, lr0, max_lr), (total - 1, max_lr, lr_min)]
    out = []
    for t in range(total):
        start = 0.0
        for i, (end, a, b) in enumerate(phases):
            if t <= end or i == len(phases) - 1:
                out.append(f(a, b, (t - start) / (end - start)))
                break
            start = end
    return np.array(out)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_lr_sequence(anneal, three_phase):
    opt = _optimizer(optim.SGD, lrs=(0.1,), momentum=0.9)
    scheduler = sched.OneCycleLR(opt, max_lr=2.0, total_steps=20, pct_start=0.25,
                                 anneal_strategy=anneal, div_factor=10.0,
                                 final_div_factor=50.0, three_phase=three_phase)
    got = _lrs(opt, scheduler, 20)[:, 0]
    expected = _one_cycle_expected(2.0, 20, 0.25, 10.0, 50.0, anneal, three_phase)
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert got[0] == pytest.approx(0.2) and got[4] == pytest.approx(2.0)
    assert got[-1] == pytest.approx(0.2 / 50.0)


def test_one_cycle_cycles_sgd_momentum_and_adam_beta1():
    opt = _optimizer(optim.SGD, momentum=0.9)
    scheduler = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="linear",
                                 pct_start=0.5)
    moms = []
    for _ in range(10):
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        scheduler.step()
    # momentum goes max -> base while the lr rises, then back
    np.testing.assert_allclose(moms[:5], np.linspace(0.95, 0.85, 5), rtol=1e-13)
    np.testing.assert_allclose(moms[4:], np.linspace(0.85, 0.95, 6), rtol=1e-13)

    adam = _optimizer(optim.Adam, betas=(0.5, 0.99))
    sched.OneCycleLR(adam, max_lr=1.0, epochs=2, steps_per_epoch=5, base_momentum=0.7,
                     max_momentum=0.8)
    assert adam.param_groups[0]["betas"] == (0.8, 0.99)


def test_one_cycle_stepping_past_total_steps_raises():
    opt = _optimizer()
    scheduler = sched.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        scheduler.step()
    opt.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        scheduler.step()


def test_one_cycle_errors():
    opt = _optimizer()
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        sched.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="Expected positive integer total_steps, but got 0"):
        sched.OneCycleLR(opt, max_lr=1.0, total_steps=0)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start"):
        sched.OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        sched.OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        sched.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=5)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        sched.OneCycleLR(_optimizer(optim.Adagrad), max_lr=1.0, total_steps=5)


def test_sequential_lr_warmup_then_cosine():
    opt = _optimizer()
    warmup = sched.LinearLR(opt, start_factor=0.25, total_iters=3)
    cosine = sched.CosineAnnealingLR(opt, T_max=4)
    got = _lrs(opt, sched.SequentialLR(opt, [warmup, cosine], milestones=[3]), 8)[:, 0]
    expected = [0.25, 0.5, 0.75] + [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_reduce_lr_on_plateau():
    opt = _optimizer(lrs=(1.0, 0.3))
    scheduler = sched.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1,
                                        min_lr=[0.0, 0.2])
    metrics = [3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0]
    got = _lrs(opt, scheduler, 8, metrics)
    # two bad epochs (> patience) halve the lr; the next epoch is cooldown
    np.testing.assert_allclose(got[:, 0], [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    np.testing.assert_allclose(got[:, 1], [0.3, 0.3, 0.3, 0.3, 0.2, 0.2, 0.2, 0.2])
    assert scheduler.get_last_lr() == [0.25, 0.2]


def test_reduce_lr_on_plateau_errors():
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sched.ReduceLROnPlateau(_optimizer(), factor=1.0)
    with pytest.raises(ValueError, match="mode maximum is unknown"):
        sched.ReduceLROnPlateau(_optimizer(), mode="maximum")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        sched.ReduceLROnPlateau(_optimizer(), min_lr=[0, 0])


# ---- protocol --------------------------------------------------------------------------------

def test_construction_sets_initial_lr_base_lrs_and_last_epoch():
    opt = _optimizer(lrs=(1.0, 0.5))
    scheduler = sched.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.5]
    assert scheduler.base_lrs == [1.0, 0.5]
    assert scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == [1.0, 0.5]
    # a second scheduler on the same optimizer keeps the first initial_lr
    opt.param_groups[0]["lr"] = 0.1
    assert sched.ExponentialLR(opt, 0.5).base_lrs == [1.0, 0.5]


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(_optimizer(), step_size=2, last_epoch=3)


def test_state_dict_round_trip_continues_the_schedule():
    opt = _optimizer()
    scheduler = sched.CosineAnnealingLR(opt, T_max=10)
    _lrs(opt, scheduler, 4)
    saved = scheduler.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 4
    expected = _lrs(opt, scheduler, 3)

    opt2 = _optimizer()
    opt2.param_groups[0]["lr"] = expected[0][0]
    scheduler2 = sched.CosineAnnealingLR(opt2, T_max=10)
    scheduler2.load_state_dict(saved)
    np.testing.assert_allclose(_lrs(opt2, scheduler2, 3), expected, rtol=1e-14)


def test_lambda_lr_state_dict_skips_plain_functions():
    opt = _optimizer()

    class Halve:
        def __init__(self):
            self.factor = 0.5

        def __call__(self, epoch):
            return self.factor**epoch

    fn = Halve()
    scheduler = sched.LambdaLR(opt, fn)
    fn.factor = 0.25
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [{"factor": 0.25}]
    assert sched.LambdaLR(opt, lambda e: 1.0).state_dict()["lr_lambdas"] == [None]


def test_warnings_of_the_protocol():
    opt = _optimizer()
    scheduler = sched.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()
    opt2 = _optimizer()
    scheduler2 = sched.StepLR(opt2, step_size=2)
    opt2.step()
    with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
        scheduler2.step(4)  # jumps to the closed form
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.01)


def test_scheduler_errors():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], step_size=1)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        sched.LinearLR(_optimizer(), start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        sched.LinearLR(_optimizer(), end_factor=1.5)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.LambdaLR(_optimizer(lrs=(1.0, 1.0)), [lambda e: 1.0])
    opt = _optimizer()
    with pytest.raises(ValueError, match="number of schedulers provided to be one more"):
        sched.SequentialLR(opt, [sched.StepLR(opt, 1)], milestones=[2])
    with pytest.raises(ValueError, match="same optimizer"):
        sched.SequentialLR(opt, [sched.StepLR(opt, 1), sched.StepLR(_optimizer(), 1)], [2])


def test_multistep_state_dict_holds_plain_types_and_round_trips():
    opt = _optimizer()
    scheduler = sched.MultiStepLR(opt, milestones=[2, 4, 4], gamma=0.5)
    _lrs(opt, scheduler, 3)
    saved = scheduler.state_dict()
    assert type(saved["milestones"]) is dict and saved["milestones"] == {2: 1, 4: 2}
    expected = _lrs(opt, scheduler, 3)
    opt2 = _optimizer()
    opt2.param_groups[0]["lr"] = expected[0][0]
    scheduler2 = sched.MultiStepLR(opt2, milestones=[1])
    scheduler2.load_state_dict(saved)
    np.testing.assert_allclose(_lrs(opt2, scheduler2, 3), expected)
    np.testing.assert_allclose(expected[:, 0], [0.5, 0.125, 0.125])
