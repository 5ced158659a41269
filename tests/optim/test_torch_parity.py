"""Parity with PyTorch (skipped where torch is not installed, as in CI): 10 optimizer steps
from the same initial values for every optimizer and option, and every scheduler's lr (and
momentum) sequence."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu.optim  # binds gradgpu.optim for getattr(lib.optim, ...)

from ._problem import B0, W0, X, Y

torch = pytest.importorskip("torch")

OPTIMIZER_CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.1, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.1)),
    ("Adam", dict(lr=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.1, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, maximize=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, eps=1e-3)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
]


def _run(lib, name, options, dtype, steps=10):
    w = lib.tensor(W0.astype(dtype), requires_grad=True)
    b = lib.tensor(B0.astype(dtype), requires_grad=True)
    x, y = lib.tensor(X.astype(dtype)), lib.tensor(Y.astype(dtype))
    opt = getattr(lib.optim, name)([{"params": [w]}, {"params": [b], "lr": options["lr"] / 2}],
                                   **options)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * ((x @ w + b - y) ** 2).sum()).backward()
        opt.step()
    state = {k: v.detach().numpy() if hasattr(v, "numpy") else v
             for k, v in opt.state_dict()["state"].get(0, {}).items()}
    return w.detach().numpy(), b.detach().numpy(), state


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("name, options", OPTIMIZER_CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZER_CASES)])
def test_optimizer_matches_torch(name, options, dtype, tol):
    ours = _run(gradgpu, name, options, dtype)
    theirs = _run(torch, name, options, dtype)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=tol, atol=tol)
    assert ours[2].keys() == theirs[2].keys()
    for key in ours[2]:
        assert np.asarray(ours[2][key]).dtype == np.asarray(theirs[2][key]).dtype, key
        np.testing.assert_allclose(ours[2][key], theirs[2][key], rtol=tol, atol=tol)


def _seq(lib, opt_name, opt_options, make, steps, metrics=None):
    params = [lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)]
    opt = getattr(lib.optim, opt_name)([{"params": [params[0]]},
                                        {"params": [params[1]], "lr": 0.5}], **opt_options)
    scheduler = make(lib.optim.lr_scheduler, opt)
    out = []
    for i in range(steps):
        groups = opt.param_groups
        out.append([g["lr"] for g in groups] + [g.get("momentum", g.get("betas", (0,))[0])
                                                for g in groups])
        opt.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[i])
    out.append(list(scheduler.get_last_lr()) * 2)  # same width as the rows above
    return out


SCHEDULER_CASES = [
    ("SGD", {}, lambda m, o: m.StepLR(o, 3, 0.5), 20),
    ("SGD", {}, lambda m, o: m.MultiStepLR(o, [2, 5, 5, 9], 0.5), 20),
    ("SGD", {}, lambda m, o: m.ExponentialLR(o, 0.9), 20),
    ("SGD", {}, lambda m, o: m.CosineAnnealingLR(o, 7, 0.01), 40),
    ("SGD", {}, lambda m, o: m.LambdaLR(o, lambda e: 1 / (e + 1)), 20),
    ("SGD", {}, lambda m, o: m.LinearLR(o, 0.1, 0.9, 6), 20),
    ("SGD", dict(momentum=0.9), lambda m, o: m.OneCycleLR(o, [1.0, 2.0], total_steps=20), 20),
    ("Adam", {}, lambda m, o: m.OneCycleLR(o, 1.0, epochs=3, steps_per_epoch=7,
                                           anneal_strategy="linear", three_phase=True,
                                           pct_start=0.25), 21),
    ("Adam", {}, lambda m, o: m.OneCycleLR(o, 1.0, total_steps=10, cycle_momentum=False,
                                           div_factor=10.0, final_div_factor=100.0), 10),
    ("SGD", {}, lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1, 1.0, 4),
                                                m.CosineAnnealingLR(o, 10)], [4]), 20),
    ("SGD", {}, lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.5, 0.5, 3),
                                                m.ExponentialLR(o, 0.8),
                                                m.StepLR(o, 2, 0.5)], [3, 8]), 20),
]


@pytest.mark.parametrize("case", SCHEDULER_CASES, ids=[str(i) for i in range(11)])
def test_scheduler_matches_torch(case):
    opt_name, opt_options, make, steps = case
    opt_options = dict(lr=1.0, **opt_options)
    np.testing.assert_allclose(_seq(gradgpu, opt_name, opt_options, make, steps),
                               _seq(torch, opt_name, opt_options, make, steps), rtol=1e-14)


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2]

    def make(m, o):
        return m.ReduceLROnPlateau(o, patience=2, cooldown=1, factor=0.5, min_lr=[0.1, 0.2])

    for mode_metrics in (metrics, [-v for v in metrics]):
        ours = _seq(gradgpu, "SGD", dict(lr=1.0), make, 20, mode_metrics)
        theirs = _seq(torch, "SGD", dict(lr=1.0), make, 20, mode_metrics)
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_state_dict_layout_matches_torch():
    def layout(lib):
        w = lib.zeros(2, requires_grad=True)
        opt = lib.optim.AdamW([w], lr=0.1, amsgrad=True)
        w.grad = lib.ones(2)
        opt.step()
        sd = opt.state_dict()
        return sorted(sd["state"][0]), sd["param_groups"][0]

    ours, theirs = layout(gradgpu), layout(torch)
    assert ours[0] == theirs[0]
    shared = set(ours[1]) & set(theirs[1])
    assert {"lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "params",
            "decoupled_weight_decay"} <= shared
    assert {k: ours[1][k] for k in shared} == {k: theirs[1][k] for k in shared}
