"""ConstantLR, PolynomialLR, MultiplicativeLR, CosineAnnealingWarmRestarts, CyclicLR and
ChainedScheduler: lr (and momentum) sequences vs the values torch.optim.lr_scheduler 2.13
produced for the same calls (copied literally), state dicts, resuming, error contracts."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import gradgpu
from gradgpu import optim
from gradgpu.optim import lr_scheduler as sched


def _sgd(lrs=(1.0, 0.5), **options):
    groups = [{"params": [gradgpu.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, **options)


def _run(opt, scheduler, steps, epochs=None):
    """(get_last_lr() before each step, momentum/beta1 of group 0 before each step)."""
    lrs, moms = [], []
    for i in range(steps):
        last = scheduler.get_last_lr()
        assert last == [g["lr"] for g in opt.param_groups]
        lrs.append(last)
        g0 = opt.param_groups[0]
        moms.append(g0["betas"][0] if "betas" in g0 else g0["momentum"])
        opt.step()
        scheduler.step() if epochs is None else scheduler.step(epochs[i])
    return np.array(lrs), np.array(moms)


def test_constant_lr_sequence_and_closed_form():
    opt = _sgd()
    lrs, _ = _run(opt, sched.ConstantLR(opt, factor=0.25, total_iters=3), 6)
    np.testing.assert_array_equal(lrs[:, 0], [0.25, 0.25, 0.25, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(lrs[:, 1], [0.125, 0.125, 0.125, 0.5, 0.5, 0.5])
    opt = _sgd()
    scheduler = sched.ConstantLR(opt, factor=0.25, total_iters=3)
    with pytest.warns(UserWarning, match="epoch parameter"):
        lrs, _ = _run(opt, scheduler, 6, epochs=[1, 4, 2, 0, 3, 5])
    np.testing.assert_array_equal(lrs[:, 0], [0.25, 0.25, 1.0, 0.25, 0.25, 1.0])


def test_polynomial_lr_sequence_and_closed_form():
    opt = _sgd()
    lrs, _ = _run(opt, sched.PolynomialLR(opt, total_iters=4, power=2.0), 7)
    np.testing.assert_array_equal(lrs[:, 0], [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(lrs[:, 1], [0.5, 0.28125, 0.125, 0.03125, 0.0, 0.0, 0.0])
    opt = _sgd()
    scheduler = sched.PolynomialLR(opt, total_iters=4, power=0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        lrs, _ = _run(opt, scheduler, 5, epochs=[2, 1, 5, 3, 0])
    np.testing.assert_allclose(lrs[:, 0], [1.0, 0.7071067811865476, 0.8660254037844386, 0.0,
                                           0.5], rtol=1e-15)


def test_multiplicative_lr_compounds_on_the_current_lr():
    opt = _sgd()
    lrs, _ = _run(opt, sched.MultiplicativeLR(opt, lambda e: 0.9 if e % 2 else 0.5), 6)
    np.testing.assert_allclose(lrs[:, 0], [1.0, 0.9, 0.45, 0.405, 0.2025, 0.18225000000000002],
                               rtol=1e-15)
    np.testing.assert_allclose(lrs[:, 1], [0.5, 0.45, 0.225, 0.2025, 0.10125,
                                           0.09112500000000001], rtol=1e-15)


def test_multiplicative_lr_saves_callable_objects_and_checks_lambdas():
    class Factor:
        def __init__(self):
            self.f = 0.5

        def __call__(self, epoch):
            return self.f

    opt = _sgd(lrs=(1.0,))
    fn = Factor()
    scheduler = sched.MultiplicativeLR(opt, fn)
    fn.f = 0.25
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"f": 0.25}]
    other = Factor()
    restored = sched.MultiplicativeLR(_sgd(lrs=(1.0,)), other)
    restored.load_state_dict(state)
    assert other.f == 0.25 and "lr_lambdas" in state  # the caller's dict is left whole
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got float"):
        sched.MultiplicativeLR(_sgd(lrs=(1.0,)), 0.5)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.MultiplicativeLR(_sgd(), [fn])


def test_cosine_annealing_warm_restarts_with_t_mult():
    opt = _sgd()
    scheduler = sched.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.1)
    lrs, _ = _run(opt, scheduler, 12)
    np.testing.assert_allclose(lrs[:, 0], [
        1.0, 0.775, 0.3250000000000001, 1.0, 0.9397114317029974, 0.775, 0.55,
        0.3250000000000001, 0.16028856829700258, 1.0, 0.9846666218300807, 0.9397114317029974,
    ], rtol=1e-14)
    np.testing.assert_allclose(lrs[:, 1], [
        0.5, 0.4, 0.20000000000000007, 0.5, 0.47320508075688783, 0.4, 0.30000000000000004,
        0.20000000000000007, 0.12679491924311226, 0.5, 0.49318516525781364, 0.47320508075688783,
    ], rtol=1e-14)
    assert (scheduler.T_i, scheduler.T_cur, scheduler.last_epoch) == (12, 3, 12)


@pytest.mark.parametrize("T_0, T_mult, eta_min, epochs, want", [
    (2, 2, 0.05, [0.25, 1.5, 2.0, 3.7, 6.0, 6.5, 13.9, 0.5],
     [1.0, 0.9638427779428612, 0.18912427893638994, 1.0, 0.6358865478315551, 1.0,
      0.9908730081915345, 0.050366207785656626]),
    (3, 1, 0.0, [0.5, 3.25, 7.0, 2.9, 10.5],
     [1.0, 0.9330127018922194, 0.9829629131445341, 0.75, 0.002739052315863355]),
])
def test_cosine_annealing_warm_restarts_fractional_epochs(T_0, T_mult, eta_min, epochs, want):
    opt = _sgd()
    scheduler = sched.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
    lrs, _ = _run(opt, scheduler, len(epochs), epochs=epochs)  # no deprecation warning here
    np.testing.assert_allclose(lrs[:, 0], want, rtol=1e-14)
    assert scheduler.last_epoch == int(epochs[-1])


def test_cosine_annealing_warm_restarts_errors():
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        sched.CosineAnnealingWarmRestarts(_sgd(), T_0=0)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 1.5"):
        sched.CosineAnnealingWarmRestarts(_sgd(), T_0=2, T_mult=1.5)
    with pytest.raises(ValueError, match="Expected float or int eta_min"):
        sched.CosineAnnealingWarmRestarts(_sgd(), T_0=2, eta_min="0")
    scheduler = sched.CosineAnnealingWarmRestarts(_sgd(), T_0=2)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        scheduler.step(-1)


def test_cyclic_lr_triangular_cycles_momentum():
    opt = _sgd(momentum=0.9)
    scheduler = sched.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2, step_size_down=3)
    lrs, moms = _run(opt, scheduler, 12)
    want = [0.1, 0.55, 1.0, 0.7, 0.4, 0.1, 0.55, 1.0, 0.7, 0.4, 0.1, 0.55]
    np.testing.assert_allclose(lrs[:, 0], want, rtol=1e-14)
    np.testing.assert_allclose(lrs[:, 1], want, rtol=1e-14)  # one base_lr for both groups
    np.testing.assert_allclose(moms, [0.9, 0.85, 0.8, 0.8333333333333334, 0.8666666666666667,
                                      0.9, 0.85, 0.8, 0.8333333333333334, 0.8666666666666667,
                                      0.9, 0.85], rtol=1e-14)
    assert opt.param_groups[1]["max_momentum"] == 0.9
    assert opt.param_groups[1]["base_momentum"] == 0.8


def test_cyclic_lr_triangular2_per_group_base_lrs():
    opt = _sgd(momentum=0.9)
    scheduler = sched.CyclicLR(opt, base_lr=[0.1, 0.2], max_lr=1.0, step_size_up=2,
                               mode="triangular2")
    lrs, moms = _run(opt, scheduler, 12)
    np.testing.assert_allclose(lrs[:, 0], [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1,
                                           0.2125, 0.325, 0.2125], rtol=1e-14)
    np.testing.assert_allclose(lrs[:, 1], [0.2, 0.6, 1.0, 0.6, 0.2, 0.4, 0.6, 0.4, 0.2, 0.3,
                                           0.4, 0.3], rtol=1e-14)
    np.testing.assert_allclose(moms, [0.9, 0.85, 0.8, 0.85, 0.9, 0.875, 0.85, 0.875, 0.9,
                                      0.8875, 0.875, 0.8875], rtol=1e-14)


def test_cyclic_lr_exp_range_cycles_adams_beta1():
    opt = optim.Adam([gradgpu.zeros(1, requires_grad=True)], lr=1.0, betas=(0.5, 0.99))
    scheduler = sched.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=3, mode="exp_range",
                               gamma=0.9, base_momentum=0.7, max_momentum=0.95)
    lrs, moms = _run(opt, scheduler, 10)
    np.testing.assert_allclose(lrs[:, 0], [
        0.1, 0.3700000000000001, 0.586, 0.7561000000000001, 0.4936600000000002,
        0.2771469999999999, 0.1, 0.24348907000000028, 0.3582803259999998, 0.44867844010000013,
    ], rtol=1e-14)
    np.testing.assert_allclose(moms, [
        0.95, 0.8749999999999999, 0.815, 0.7677499999999999, 0.8406499999999999, 0.9007925,
        0.95, 0.9101419249999999, 0.878255465, 0.8531448777499999,
    ], rtol=1e-14)
    assert opt.param_groups[0]["betas"][1] == 0.99


def test_cyclic_lr_custom_scale_fn_per_iteration():
    opt = _sgd()
    scheduler = sched.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2,
                               scale_fn=lambda x: 1 / (x + 1), scale_mode="iterations",
                               cycle_momentum=False)
    lrs, _ = _run(opt, scheduler, 8)
    np.testing.assert_allclose(lrs[:, 0], [0.1, 0.325, 0.4, 0.2125, 0.1, 0.175,
                                           0.22857142857142856, 0.15625], rtol=1e-14)
    assert scheduler.state_dict()["_scale_fn_custom"] is None  # a lambda is not saved


def test_cyclic_lr_state_dict_round_trip_resumes_the_cycle():
    def make():
        opt = _sgd(lrs=(1.0,), momentum=0.9)
        return opt, sched.CyclicLR(opt, 0.1, 1.0, step_size_up=2, mode="exp_range", gamma=0.8)

    opt, scheduler = make()
    for _ in range(3):
        opt.step()
        scheduler.step()
    state = pickle.loads(pickle.dumps(scheduler.state_dict()))
    assert "_scale_fn_ref" not in state
    opt2, restored = make()
    restored.load_state_dict(state)
    for _ in range(4):
        opt.step()
        scheduler.step()
        opt2.step()
        restored.step()
        assert restored.get_last_lr() == scheduler.get_last_lr()
        assert opt2.param_groups[0]["momentum"] == opt.param_groups[0]["momentum"]


def test_cyclic_lr_errors():
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        sched.CyclicLR(_sgd(), 0.1, 1.0, mode="square")
    opt = optim.Adagrad([gradgpu.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        sched.CyclicLR(opt, 0.1, 1.0)
    with pytest.raises(ValueError, match="base_lr must have the same length as optimizer"):
        sched.CyclicLR(_sgd(), [0.1], 1.0, cycle_momentum=False)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.CyclicLR([], 0.1, 1.0)


def test_chained_scheduler_composes_factors():
    opt = _sgd(lrs=(1.0,), momentum=0.9)
    scheduler = sched.ChainedScheduler([
        sched.ConstantLR(opt, factor=0.1, total_iters=2), sched.ExponentialLR(opt, gamma=0.9),
        sched.MultiplicativeLR(opt, lambda e: 0.95)])
    lrs, _ = _run(opt, scheduler, 9)
    np.testing.assert_allclose(lrs[:, 0], [
        0.1, 0.0855, 0.731025, 0.625026375, 0.534397550625, 0.45690990578437507,
        0.3906579694456407, 0.33401256387602274, 0.2855807421139994], rtol=1e-14)
    state = scheduler.state_dict()
    assert [s["last_epoch"] for s in state["_schedulers"]] == [9, 9, 9]
    opt2 = _sgd(lrs=(1.0,), momentum=0.9)
    inner = [sched.ConstantLR(opt2, factor=0.1, total_iters=2),
             sched.ExponentialLR(opt2, gamma=0.9)]
    restored = sched.ChainedScheduler(inner)
    restored.load_state_dict({**state, "_schedulers": state["_schedulers"][:2]})
    assert inner[1].last_epoch == 9 and restored.get_last_lr() == scheduler.get_last_lr()


def test_chained_scheduler_errors():
    opt, other = _sgd(), _sgd()
    with pytest.raises(ValueError, match="expects at least one scheduler to be chained"):
        sched.ChainedScheduler([])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        sched.ChainedScheduler([sched.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same"):
        sched.ChainedScheduler([sched.ExponentialLR(opt, 0.9),
                                sched.ExponentialLR(other, 0.9)])
    with pytest.raises(TypeError, match="at index 0 should have `optimizer`"):
        sched.ChainedScheduler([object()], optimizer=opt)


def test_sequential_lr_errors():
    opt, other = _sgd(), _sgd()
    with pytest.raises(ValueError, match="SequentialLR expects at least one scheduler, but"):
        sched.SequentialLR(opt, [], [])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        sched.SequentialLR(opt, [sched.ReduceLROnPlateau(opt)], [])
    with pytest.raises(ValueError, match="at index 1 with a different optimizer"):
        sched.SequentialLR(opt, [sched.ExponentialLR(opt, 0.9), sched.ExponentialLR(other, 0.9)],
                           [2])
    with pytest.raises(TypeError, match="SequentialLR at index 0 should have `optimizer`"):
        sched.SequentialLR(opt, [object()], [])


@pytest.mark.parametrize("which", ["constant-poly", "linear-warm-restarts"])
def test_sequential_lr_runs_the_new_schedulers(which):
    opt = _sgd(lrs=(1.0,), momentum=0.9)
    if which == "constant-poly":
        inner = [sched.ConstantLR(opt, factor=0.5, total_iters=2),
                 sched.PolynomialLR(opt, total_iters=4, power=1.0)]
        milestones, want = [3], [0.5, 0.5, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    else:
        inner = [sched.LinearLR(opt, start_factor=0.25, total_iters=2),
                 sched.CosineAnnealingWarmRestarts(opt, T_0=3)]
        milestones = [2]
        want = [0.25, 0.625, 1.0, 0.75, 0.25, 1.0, 0.75, 0.25, 1.0]
    lrs, _ = _run(opt, sched.SequentialLR(opt, inner, milestones=milestones), 9)
    np.testing.assert_allclose(lrs[:, 0], want, rtol=1e-14, atol=1e-16)


def test_sequential_lr_enters_warm_restarts_at_its_current_t_cur():
    # PyTorch's SequentialLR restarts a scheduler with _update_lr(0), which CosineAnnealing-
    # WarmRestarts does not override: its T_cur (2 here) carries over to the milestone
    opt = _sgd(lrs=(1.0,))
    restarts = sched.CosineAnnealingWarmRestarts(opt, T_0=4)
    opt.step()
    restarts.step()
    restarts.step()
    scheduler = sched.SequentialLR(opt, [sched.ConstantLR(opt, factor=0.5, total_iters=10),
                                         restarts], milestones=[2])
    lrs, _ = _run(opt, scheduler, 5)
    np.testing.assert_allclose(lrs[:, 0], [0.5, 0.5, 0.5, 0.14644660940672627, 1.0],
                               rtol=1e-14)


def test_resume_from_last_epoch_uses_initial_lr():
    opt = _sgd(lrs=(1.0,))
    sched.PolynomialLR(opt, total_iters=4)
    opt.param_groups[0]["lr"] = 0.123  # resuming starts from the group's initial_lr
    scheduler = sched.CosineAnnealingWarmRestarts(opt, T_0=4, last_epoch=1)
    assert scheduler.base_lrs == [1.0]
    assert scheduler.get_last_lr() == pytest.approx([0.5 * (1 + np.cos(np.pi / 2))])
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified"):
        sched.ConstantLR(_sgd(), last_epoch=3)
