"""NAdam, RAdam, Adamax, Adadelta and Rprop: trajectories vs NumPy float64 transcriptions of
PyTorch's algorithms, float32 values torch.optim 2.13 produced (copied literally), on each
device; state layout, state dicts, param groups and the error contracts."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import gradgpu
from gradgpu import optim

from ._problem import loss_of, make_params, reference, train

# ---- NumPy float64 references (PyTorch's documented algorithms), state in a dict ----------


def _decay(p, g, lr, weight_decay, decoupled, maximize):
    g = -g if maximize else g
    if weight_decay and decoupled:
        return p * (1 - lr * weight_decay), g
    return p, (g + weight_decay * p if weight_decay else g)


def ref_nadam(p, g, st, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    p, g = _decay(p, g, lr, weight_decay, decoupled_weight_decay, maximize)
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    # a float32 state (the default dtype's step-counter dtype), as in PyTorch
    st["mu_prod"] = float(np.float32(np.float32(st.get("mu_prod", 1.0)) * mu))
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    denom = np.sqrt(st["v"] / (1 - b2**t)) + eps
    return (p - lr * (1 - mu) / (1 - st["mu_prod"]) * g / denom
            - lr * mu_next / (1 - st["mu_prod"] * mu_next) * st["m"] / denom)


def ref_radam(p, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    p, g = _decay(p, g, lr, weight_decay, decoupled_weight_decay, maximize)
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    m_hat = st["m"] / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho <= 5:
        return p - lr * m_hat
    r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    return p - lr * m_hat * math.sqrt(1 - b2**t) / (np.sqrt(st["v"]) + eps) * r


def ref_adamax(p, g, st, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
               maximize=False):
    b1, b2 = betas
    p, g = _decay(p, g, lr, weight_decay, False, maximize)
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["u"] = np.maximum(b2 * st.get("u", 0), np.abs(g) + eps)
    return p - lr / (1 - b1**t) * st["m"] / st["u"]


def ref_adadelta(p, g, st, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    p, g = _decay(p, g, lr, weight_decay, False, maximize)
    st["v"] = rho * st.get("v", 0) + (1 - rho) * g * g
    delta = np.sqrt(st.get("a", 0) + eps) / np.sqrt(st["v"] + eps) * g
    st["a"] = rho * st.get("a", 0) + (1 - rho) * delta * delta
    return p - lr * delta


def ref_rprop(p, g, st, t, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    g = -g if maximize else g
    s = np.sign(g * st.get("prev", 0))
    factor = np.where(s > 0, etas[1], np.where(s < 0, etas[0], 1.0))
    st["size"] = np.clip(st.get("size", lr) * factor, *step_sizes)
    g = np.where(s < 0, 0.0, g)
    st["prev"] = g
    return p - np.sign(g) * st["size"]


CASES = [
    (optim.NAdam, ref_nadam, dict(lr=0.1)),
    (optim.NAdam, ref_nadam, dict(lr=0.1, betas=(0.8, 0.95), weight_decay=0.1,
                                  momentum_decay=0.01)),
    (optim.NAdam, ref_nadam, dict(lr=0.1, weight_decay=0.2, decoupled_weight_decay=True,
                                  maximize=True)),
    (optim.RAdam, ref_radam, dict(lr=0.1)),  # rho_t <= 5 for the first 5 steps
    (optim.RAdam, ref_radam, dict(lr=0.1, betas=(0.5, 0.6), weight_decay=0.1)),
    (optim.RAdam, ref_radam, dict(lr=0.05, betas=(0.5, 0.6), weight_decay=0.1,
                                  decoupled_weight_decay=True, maximize=True)),
    (optim.Adamax, ref_adamax, dict(lr=0.1)),
    (optim.Adamax, ref_adamax, dict(lr=0.1, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1,
                                    maximize=True)),
    (optim.Adadelta, ref_adadelta, dict()),
    (optim.Adadelta, ref_adadelta, dict(lr=0.5, rho=0.8, eps=1e-3, weight_decay=0.1,
                                        maximize=True)),
    (optim.Rprop, ref_rprop, dict(lr=0.01)),
    (optim.Rprop, ref_rprop, dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1),
                                  maximize=True)),
]


def _case_id(case):
    cls, _, options = case
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_matches_the_numpy_reference(case):
    cls, rule, options = case
    (w, b), _ = train(cls, 12, **options)
    want_w, want_b = reference(rule, 12, **options)
    np.testing.assert_allclose(w.detach().numpy(), want_w, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(b.detach().numpy(), want_b, rtol=1e-12, atol=1e-13)


# ---- float32 values from torch.optim 2.13: four steps from P0 with the gradients G -----------

P0 = [0.5, -1.25, 2.0, 0.0]
G = [[0.3, -0.7, 1.5, -0.2], [-0.4, -0.5, 0.9, 0.6], [0.2, 0.8, -1.1, 0.6],
     [0.1, 0.8, 0.3, -0.05]]

TORCH_VALUES = [
    (optim.NAdam, dict(lr=0.1, weight_decay=0.1), {
        "param": [0.3825090229511261, -1.1888188123703003, 1.8388649225234985,
                  -0.07361427694559097],
        "mu_product": 0.04107322916388512,
        "exp_avg": [0.032652195543050766, 0.021077515557408333, 0.17837490141391754,
                    0.08322646468877792],
        "exp_avg_sq": [0.0003326250589452684, 0.0020058893132954836, 0.005142636131495237,
                       0.0007758356514386833]}),
    (optim.NAdam, dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True,
                       momentum_decay=0.1), {
        "param": [0.3925282657146454, -1.1700780391693115, 1.790440559387207,
                  -0.07486554235219955],
        "mu_product": 0.04269377887248993,
        "exp_avg": [0.017470000311732292, 0.06047000735998154, 0.1132500022649765,
                    0.08302000164985657]}),
    (optim.RAdam, dict(lr=0.1, betas=(0.5, 0.6), weight_decay=0.1), {
        "param": [0.45579272508621216, -1.1503432989120483, 1.6730031967163086,
                  -0.08167827129364014],
        "exp_avg_sq": [0.05192094296216965, 0.417830228805542, 0.7144414782524109,
                       0.14291824400424957]}),
    (optim.RAdam, dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True), {
        "param": [0.44978293776512146, -1.0841901302337646, 1.592860221862793,
                  -0.06212780624628067]}),
    (optim.Adamax, dict(lr=0.1, weight_decay=0.1, maximize=True), {
        "param": [0.5664029717445374, -1.39182448387146, 2.1942498683929443,
                  0.03757227584719658],
        "exp_avg": [0.0018688763957470655, -0.10764559358358383, -0.04022795334458351,
                    -0.08442361652851105],
        "exp_inf": [0.4590804874897003, 0.9425035715103149, 1.3162204027175903,
                    0.6087806224822998]}),
    (optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1), {
        "param": [0.49842730164527893, -1.2501291036605835, 1.9982669353485107,
                  -0.0017842788947746158],
        "square_avg": [0.04272902384400368, 0.2837769687175751, 0.6304191946983337,
                       0.10828949511051178],
        "acc_delta": [2.178546537834336e-06, 2.9069158244965365e-06, 1.613745666873001e-06,
                      3.2653697417117655e-06]}),
    (optim.Rprop, dict(lr=0.1, etas=(0.4, 1.5), step_sizes=(0.05, 0.2)), {
        "param": [0.2749999761581421, -1.059999942779541, 1.690000057220459,
                  0.05000000074505806],
        "prev": [0.10000000149011612, 0.800000011920929, 0.30000001192092896, 0.0],
        "step_size": [0.07500000298023224, 0.06000000238418579, 0.06000000238418579,
                      0.05000000074505806]}),
]


@pytest.mark.parametrize("cls, options, want", TORCH_VALUES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(TORCH_VALUES)])
def test_float32_steps_match_torch_values(device, cls, options, want):
    p = gradgpu.tensor(P0, dtype=gradgpu.float32, device=device, requires_grad=True)
    opt = cls([p], **options)
    for g in G:
        p.grad = gradgpu.tensor(g, dtype=gradgpu.float32, device=device)
        opt.step()
    state = opt.state[p]
    assert state["step"].item() == 4.0 and state["step"].device.type == "cpu"
    for key, values in want.items():
        got = p if key == "param" else state[key]
        assert got.dtype == gradgpu.float32, key
        np.testing.assert_allclose(got.detach().cpu().numpy(), values, rtol=3e-6, atol=1e-7,
                                   err_msg=key)


# ---- state, state dicts, groups ---------------------------------------------------------------

STATE_KEYS = {
    optim.NAdam: {"step", "mu_product", "exp_avg", "exp_avg_sq"},
    optim.RAdam: {"step", "exp_avg", "exp_avg_sq"},
    optim.Adamax: {"step", "exp_avg", "exp_inf"},
    optim.Adadelta: {"step", "square_avg", "acc_delta"},
    optim.Rprop: {"step", "prev", "step_size"},
}


def _steps(opt, params, n):
    for _ in range(n):
        opt.zero_grad()
        loss_of(*params).backward()
        opt.step()


@pytest.mark.parametrize("cls", list(STATE_KEYS), ids=lambda c: c.__name__)
def test_state_dict_round_trip_continues_the_same_trajectory(cls):
    (w, b), opt = train(cls, 3, lr=0.05)
    saved = copy.deepcopy(opt.state_dict())
    assert set(saved["state"][0]) == STATE_KEYS[cls]
    params = (gradgpu.tensor(w.detach().numpy(), requires_grad=True),
              gradgpu.tensor(b.detach().numpy(), requires_grad=True))
    _steps(opt, (w, b), 3)
    restored = cls(list(params), lr=0.05)
    restored.load_state_dict(saved)
    _steps(restored, params, 3)
    # NAdam's float32 mu_product comes back as the parameters' float64, as in PyTorch
    tol = dict(rtol=1e-9) if cls is optim.NAdam else dict(rtol=0)
    np.testing.assert_allclose(params[0].detach().numpy(), w.detach().numpy(), **tol)
    np.testing.assert_allclose(params[1].detach().numpy(), b.detach().numpy(), **tol)
    assert restored.state[params[0]]["step"].item() == 6.0


def test_nadam_mu_product_is_a_float32_cpu_scalar_rounded_each_step():
    p = gradgpu.zeros(2, requires_grad=True)
    opt = optim.NAdam([p], betas=(0.9, 0.999), momentum_decay=4e-3)
    want = np.float32(1.0)
    for t in range(1, 4):
        p.grad = gradgpu.ones(2)
        opt.step()
        want = np.float32(want * (0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3))))
    mu_product = opt.state[p]["mu_product"]
    assert mu_product.dtype == gradgpu.float32 and mu_product.shape == ()
    assert mu_product.item() == float(want)


def test_rprop_step_size_starts_at_the_group_lr_and_stays_in_bounds():
    p = gradgpu.zeros(3, requires_grad=True)
    opt = optim.Rprop([{"params": [p], "lr": 0.3}], etas=(0.5, 2.0), step_sizes=(0.1, 1.0))
    for g in ([1.0, -1.0, 0.0], [1.0, 1.0, 2.0], [1.0, -1.0, 2.0], [1.0, 3.0, 2.0]):
        p.grad = gradgpu.tensor(g)
        opt.step()
    # element 0: 0.3 -> 0.6 -> 1.0 (clamped) -> 1.0; element 1: each flip halves it and skips
    # that step (0.3, 0.15, 0.15, 0.075 -> 0.1 clamped); element 2: 0.3 (g = 0), 0.3, 0.6, 1.0
    np.testing.assert_allclose(opt.state[p]["step_size"].numpy(), [1.0, 0.1, 1.0], rtol=1e-7)
    np.testing.assert_allclose(p.detach().numpy(), [-2.9, 0.45, -1.9], rtol=1e-7)


def test_radam_switches_on_the_adaptive_term_after_rho_exceeds_5():
    # beta2 = 0.999: rho_t <= 5 for t <= 5, so the first steps are lr * bias-corrected momentum
    p = gradgpu.zeros(1, requires_grad=True)
    opt = optim.RAdam([p], lr=0.1)
    p.grad = gradgpu.tensor([4.0])
    opt.step()
    assert p.item() == pytest.approx(-0.4, rel=1e-6)  # not normalized by sqrt(v)


def test_group_options_and_defaults_match_pytorchs():
    p = gradgpu.zeros(1, requires_grad=True)
    groups = {
        optim.NAdam: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                          momentum_decay=4e-3, decoupled_weight_decay=False),
        optim.RAdam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                          decoupled_weight_decay=False),
        optim.Adamax: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0),
        optim.Adadelta: dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0),
        optim.Rprop: dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50)),
    }
    for cls, want in groups.items():
        group = cls([p]).param_groups[0]
        common = dict(maximize=False, foreach=None, capturable=False, differentiable=False)
        assert group == {"params": [p], **want, **common}, cls.__name__


@pytest.mark.parametrize("make, error, match", [
    (lambda p: optim.NAdam(p, lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda p: optim.NAdam(p, betas=(1.0, 0.9)), ValueError,
     "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.NAdam(p, momentum_decay=-0.1), ValueError,
     "Invalid momentum_decay value: -0.1"),
    (lambda p: optim.RAdam(p, betas=(0.9, -0.1)), ValueError,
     r"Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.RAdam(p, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    (lambda p: optim.Adamax(p, eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
    (lambda p: optim.Adadelta(p, rho=1.5), ValueError, "Invalid rho value: 1.5"),
    (lambda p: optim.Rprop(p, etas=(1.2, 0.5)), ValueError, "Invalid eta values: 1.2, 0.5"),
    (lambda p: optim.Rprop(p, lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (lambda p: optim.NAdam(p, capturable=True), NotImplementedError,
     r"NAdam\(capturable=True\) is not supported"),
    (lambda p: optim.Adadelta(p, differentiable=True), NotImplementedError,
     r"Adadelta\(differentiable=True\) is not supported"),
])
def test_bad_options_raise_pytorchs_errors(make, error, match):
    with pytest.raises(error, match=match):
        make([gradgpu.zeros(1, requires_grad=True)])


def test_params_without_grad_are_skipped_and_closure_loss_returned():
    w, b = make_params()
    opt = optim.Adadelta([w, b], lr=1.0)
    before = b.detach().numpy().copy()
    want_loss = float((w.detach().numpy() ** 2).sum())

    def closure():
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_array_equal(b.detach().numpy(), before)
    assert b not in opt.state and w in opt.state
