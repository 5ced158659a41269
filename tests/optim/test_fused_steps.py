"""How the optimizers drive their backend's fused multi-tensor step (``be.<opt>_step``): one
call per group and backend (and per step count where the update depends on it), in-place
semantics (version counters), mixed dtypes, parameters that join late, and PyTorch parity
in those cases."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import optim
from gradgpu.backend import NUMPY

_STEPS = {optim.SGD: "sgd_step", optim.Adam: "adam_step", optim.AdamW: "adam_step",
          optim.RMSprop: "rmsprop_step", optim.Adagrad: "adagrad_step"}
_OPTIONS = {optim.SGD: dict(lr=0.1, momentum=0.9), optim.Adam: dict(lr=0.1),
            optim.AdamW: dict(lr=0.1), optim.RMSprop: dict(lr=0.01),
            optim.Adagrad: dict(lr=0.1)}


def _params(rng, shapes, dtype=np.float64):
    return [gradgpu.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in shapes]


def _spy(monkeypatch, method):
    """Record each call of NUMPY.<method> (number of parameters, keyword options)."""
    calls = []
    real = getattr(NUMPY, method)

    def spy(params, *args, **kwargs):
        calls.append((len(params), kwargs))
        return real(params, *args, **kwargs)

    monkeypatch.setattr(NUMPY, method, spy)
    return calls


@pytest.mark.parametrize("cls", list(_STEPS), ids=[c.__name__ for c in _STEPS])
def test_one_backend_call_updates_the_whole_group(monkeypatch, cls):
    calls = _spy(monkeypatch, _STEPS[cls])
    rng = np.random.default_rng(0)
    params = _params(rng, [(4, 3), (3,), (2, 2), ()])
    opt = cls([{"params": params[:3]}, {"params": params[3:], "lr": 0.01}], **_OPTIONS[cls])
    for p in params:
        p.grad = gradgpu.ones_like(p)
    opt.step()
    assert [n for n, _ in calls] == [3, 1]  # one call per param group, all its parameters
    assert calls[1][1]["lr"] == 0.01


@pytest.mark.parametrize("cls", [optim.Adam, optim.Adagrad], ids=["Adam", "Adagrad"])
def test_parameters_with_other_step_counts_get_their_own_call(monkeypatch, cls):
    calls = _spy(monkeypatch, _STEPS[cls])
    rng = np.random.default_rng(1)
    a, b, c = _params(rng, [(3,), (2,), (4,)])
    opt = cls([a, b, c], lr=0.1)
    a.grad = gradgpu.ones(3, dtype=gradgpu.float64)
    opt.step()  # only a has a gradient: a is at step 1
    for p in (a, b, c):
        p.grad = gradgpu.ones_like(p)
    opt.step()  # a at step 2, b and c at step 1: two calls
    assert [(n, kw["step"]) for n, kw in calls] == [(1, 1.0), (1, 2.0), (2, 1.0)]


def test_sgd_momentum_buffer_starts_as_the_first_decayed_gradient():
    p = gradgpu.tensor([1.0, -2.0], dtype=gradgpu.float64, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5, dampening=0.3)
    p.grad = gradgpu.tensor([0.2, 0.4], dtype=gradgpu.float64)
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    np.testing.assert_array_equal(buf.numpy(), [0.2 + 0.5, 0.4 - 1.0])  # no dampening at first
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.07, -2.0 + 0.06])
    opt.step()
    np.testing.assert_allclose(buf.numpy(), 0.9 * np.array([0.7, -0.6])
                               + 0.7 * (np.array([0.2, 0.4]) + 0.5 * np.array([0.93, -1.94])))


@pytest.mark.parametrize("cls", list(_STEPS), ids=[c.__name__ for c in _STEPS])
def test_a_step_is_an_in_place_update_that_saved_graphs_notice(cls):
    p = gradgpu.ones(3, requires_grad=True)
    y = (p * p).sum()  # saves p for backward
    p.grad = gradgpu.ones(3)
    opt = cls([p], **_OPTIONS[cls])
    version = p._version
    opt.step()
    assert p._version > version
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    if cls is not optim.SGD:
        state = next(iter(opt.state.values()))
        key = "sum" if cls is optim.Adagrad else ("square_avg" if cls is optim.RMSprop
                                                  else "exp_avg")
        assert state[key]._version > 0


@pytest.mark.parametrize("cls", list(_STEPS), ids=[c.__name__ for c in _STEPS])
def test_a_group_may_mix_float32_and_float64_parameters(cls):
    rng = np.random.default_rng(2)
    p32 = _params(rng, [(3, 2)], np.float32)[0]
    p64 = gradgpu.tensor(p32.detach().numpy().astype(np.float64), requires_grad=True)
    opt = cls([p32, p64], **_OPTIONS[cls])
    for _ in range(3):
        g = rng.standard_normal((3, 2))
        p32.grad = gradgpu.tensor(g.astype(np.float32))
        p64.grad = gradgpu.tensor(g)
        opt.step()
    assert p32.dtype == gradgpu.float32 and p64.dtype == gradgpu.float64
    assert all(v.dtype == p32.dtype for v in opt.state[p32].values() if v.dim() > 0)
    np.testing.assert_allclose(p32.detach().numpy(), p64.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


_LATE_CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.1, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.1, betas=(0.3, 0.4))),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.2)),
]


@pytest.mark.parametrize("name, options", _LATE_CASES, ids=[n for n, _ in _LATE_CASES])
def test_a_parameter_that_joins_late_matches_torch(name, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    init = [rng.standard_normal(s) for s in [(3, 2), (2,), (4,)]]
    grads = [[rng.standard_normal(a.shape) for a in init] for _ in range(6)]

    def run(lib):
        params = [lib.tensor(a.copy(), requires_grad=True) for a in init]
        opt = getattr(lib.optim, name)(params, **options)
        for step, gs in enumerate(grads):
            for i, (p, g) in enumerate(zip(params, gs)):
                p.grad = None if (i == 2 and step < 3) or (i == 1 and step == 4) \
                    else lib.tensor(g)
            opt.step()
        return [p.detach().numpy() for p in params]

    for ours, theirs in zip(run(gradgpu), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-13)
