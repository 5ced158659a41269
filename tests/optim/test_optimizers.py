"""Optimizers: updates vs NumPy transcriptions of PyTorch's algorithms, param groups, zero_grad,
closures, state dicts, hooks and the error contracts."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import gradgpu
from gradgpu import optim

from ._problem import (
    B0,
    W0,
    X,
    Y,
    loss_of,
    make_params,
    ref_adagrad,
    ref_adam,
    ref_adamw,
    ref_rmsprop,
    ref_sgd,
    reference,
    train,
)

CASES = [
    (optim.SGD, ref_sgd, dict(lr=0.05)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True)),
    (optim.SGD, ref_sgd, dict(lr=0.05, weight_decay=0.2)),
    (optim.Adam, ref_adam, dict(lr=0.1)),
    (optim.Adam, ref_adam, dict(lr=0.1, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1)),
    (optim.Adam, ref_adam, dict(lr=0.1, amsgrad=True)),
    (optim.Adam, ref_adam, dict(lr=0.1, maximize=True, weight_decay=0.05)),
    (optim.AdamW, ref_adamw, dict(lr=0.1)),
    (optim.AdamW, ref_adamw, dict(lr=0.1, weight_decay=0.3, amsgrad=True)),
    (optim.AdamW, ref_adamw, dict(lr=0.1, maximize=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, eps=1e-4, weight_decay=0.1)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.9)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.2, initial_accumulator_value=0.3)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, weight_decay=0.1, eps=1e-3, maximize=True)),
]


def _case_id(case):
    cls, _, options = case
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_updates_match_numpy_reference(case):
    cls, rule, options = case
    for steps in (1, 4):
        (w, b), _ = train(cls, steps, **options)
        rw, rb = reference(rule, steps, **options)
        np.testing.assert_allclose(w.detach().numpy(), rw, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(b.detach().numpy(), rb, rtol=1e-12, atol=1e-12)


def test_default_hyperparameters_match_pytorch():
    w = gradgpu.zeros(1, requires_grad=True)
    expect = {
        optim.SGD: dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                        maximize=False),
        optim.Adam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                         maximize=False, decoupled_weight_decay=False),
        optim.AdamW: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                          amsgrad=False, maximize=False, decoupled_weight_decay=True),
        optim.RMSprop: dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                            centered=False, maximize=False),
        optim.Adagrad: dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                            eps=1e-10, maximize=False),
    }
    for cls, defaults in expect.items():
        group = cls([w]).param_groups[0]
        assert {k: group[k] for k in defaults} == defaults, cls.__name__


def test_float32_parameters_stay_float32_and_track_the_float64_reference():
    (w, b), opt = train(optim.Adam, 3, params=make_params(gradgpu.float32), lr=0.1)
    rw, _ = reference(ref_adam, 3, lr=0.1)
    assert w.dtype is gradgpu.float32
    assert opt.state[w]["exp_avg"].dtype is gradgpu.float32
    np.testing.assert_allclose(w.detach().numpy(), rw, rtol=1e-5, atol=1e-6)


# ---- state -----------------------------------------------------------------------------------

def test_state_keys_and_step_counter_like_pytorch():
    (w, _), adam = train(optim.Adam, 2, lr=0.1, amsgrad=True)
    st = adam.state[w]
    assert set(st) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert st["step"].shape == () and st["step"].dtype is gradgpu.float32
    assert st["step"].item() == 2.0
    (w, _), rms = train(optim.RMSprop, 1, momentum=0.9, centered=True)
    assert set(rms.state[w]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    (w, _), sgd = train(optim.SGD, 1, momentum=0.9)
    assert set(sgd.state[w]) == {"momentum_buffer"}
    (w, _), plain = train(optim.SGD, 1)
    assert len(plain.state) == 0  # no momentum: PyTorch keeps no state
    w2, b2 = make_params()
    ada = optim.Adagrad([w2, b2], initial_accumulator_value=0.25)
    # Adagrad creates its state at construction
    assert ada.state[w2]["step"].item() == 0.0
    np.testing.assert_array_equal(ada.state[b2]["sum"].numpy(), np.full(2, 0.25))


def test_step_counter_is_float64_when_that_is_the_default_dtype():
    gradgpu.set_default_dtype(gradgpu.float64)
    (w, _), opt = train(optim.Adam, 1)
    assert opt.state[w]["step"].dtype is gradgpu.float64


def test_parameters_without_grad_are_skipped():
    w, b = make_params()
    frozen = gradgpu.ones(3, requires_grad=True)
    opt = optim.Adam([w, b, frozen], lr=0.1)
    loss_of(w, b).backward()
    opt.step()
    np.testing.assert_array_equal(frozen.detach().numpy(), np.ones(3))
    assert frozen not in opt.state and w in opt.state


def test_step_does_not_record_a_graph_and_params_stay_leaves():
    (w, b), _ = train(optim.RMSprop, 2, momentum=0.9)
    assert w.is_leaf and w.grad_fn is None and w.requires_grad


def test_param_groups_use_their_own_options():
    w, b = make_params()
    opt = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.9
    loss_of(w, b).backward()
    gw, gb = w.grad.numpy().copy(), b.grad.numpy().copy()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), W0 - 0.1 * gw, rtol=1e-14)
    np.testing.assert_allclose(b.detach().numpy(), B0 - 0.5 * gb, rtol=1e-14)


def test_add_param_group_and_named_parameters():
    w, b = make_params()
    opt = optim.Adam([("weight", w)], lr=0.1)
    opt.add_param_group({"params": [("bias", b)], "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    assert opt.param_groups[0]["param_names"] == ["weight"]
    assert opt.state_dict()["param_groups"][1]["param_names"] == ["bias"]
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [gradgpu.zeros(1, requires_grad=True)]})


def test_zero_grad_set_to_none_and_in_place():
    w, b = make_params()
    opt = optim.SGD([w, b], lr=0.1)
    loss_of(w, b).backward()
    opt.zero_grad()
    assert w.grad is None and b.grad is None
    loss_of(w, b).backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad  # zeroed in place, the same tensor
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((3, 2)))


def test_zero_grad_detaches_a_grad_that_has_history():
    w = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="create_graph=True will create a reference cycle"):
        (w**3).sum().backward(create_graph=True)
    assert w.grad.grad_fn is not None
    optim.SGD([w]).zero_grad(set_to_none=False)
    assert w.grad.grad_fn is None and not w.grad.requires_grad
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])


def test_closure_is_evaluated_with_grad_enabled_and_its_loss_returned():
    w, b = make_params()
    opt = optim.SGD([w, b], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = loss_of(w, b)
        calls.append(gradgpu.is_grad_enabled())
        loss.backward()
        return loss

    with gradgpu.no_grad():
        loss = opt.step(closure)
    assert calls == [True]
    assert loss.item() == pytest.approx(0.5 * np.sum((X @ W0 + B0 - Y) ** 2))
    assert not np.allclose(w.detach().numpy(), W0)
    assert opt.step() is None


# ---- state dicts -----------------------------------------------------------------------------

def test_state_dict_format_is_pytorchs():
    w, b = make_params()
    extra = gradgpu.zeros(4, requires_grad=True)
    opt = optim.SGD([{"params": [w, b], "momentum": 0.9}, {"params": [extra]}], lr=0.1)
    loss_of(w, b).backward()
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 1]
    assert sd["state"][0]["momentum_buffer"] is opt.state[w]["momentum_buffer"]
    assert sd["param_groups"][0]["lr"] == 0.1 and sd["param_groups"][0]["momentum"] == 0.9


@pytest.mark.parametrize("cls, options", [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.1, amsgrad=True)),
    (optim.AdamW, dict(lr=0.1, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.1)),
])
def test_state_dict_round_trip_mid_training_continues_identically(cls, options):
    (w, b), opt = train(cls, 3, **options)
    snapshot = copy.deepcopy((w.detach().numpy(), b.detach().numpy(), opt.state_dict()))
    for _ in range(3):
        opt.zero_grad()
        loss_of(w, b).backward()
        opt.step()

    w2 = gradgpu.tensor(snapshot[0], requires_grad=True)
    b2 = gradgpu.tensor(snapshot[1], requires_grad=True)
    opt2 = cls([w2, b2], lr=123.0)  # options come back from the state dict
    opt2.load_state_dict(snapshot[2])
    assert opt2.param_groups[0]["lr"] == options["lr"]
    for _ in range(3):
        opt2.zero_grad()
        loss_of(w2, b2).backward()
        opt2.step()
    np.testing.assert_array_equal(w2.detach().numpy(), w.detach().numpy())
    np.testing.assert_array_equal(b2.detach().numpy(), b.detach().numpy())


def test_load_state_dict_casts_state_to_the_parameter_dtype_except_step():
    (w, b), opt = train(optim.Adam, 2, params=make_params(gradgpu.float32), lr=0.1)
    w64 = gradgpu.tensor(w.detach().numpy(), dtype=gradgpu.float64, requires_grad=True)
    b64 = gradgpu.tensor(b.detach().numpy(), dtype=gradgpu.float64, requires_grad=True)
    opt64 = optim.Adam([w64, b64])
    opt64.load_state_dict(opt.state_dict())
    st = opt64.state[w64]
    assert st["exp_avg"].dtype is gradgpu.float64
    assert st["step"].dtype is gradgpu.float32
    np.testing.assert_allclose(st["exp_avg_sq"].numpy(), opt.state[w]["exp_avg_sq"].numpy())


def test_load_state_dict_checks_group_sizes():
    w, b = make_params()
    sd = optim.SGD([w, b]).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [w]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD([w]).load_state_dict(sd)


# ---- hooks and repr --------------------------------------------------------------------------

def test_step_hooks_run_around_step_and_can_be_removed():
    w, b = make_params()
    opt = optim.SGD([w, b], lr=0.1)
    events = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: events.append(("pre", o is opt)))
    opt.register_step_post_hook(lambda o, args, kwargs: events.append(("post", w.grad is None)))
    opt.step()
    assert events == [("pre", True), ("post", True)]
    pre.remove()
    opt.step()
    assert events[2:] == [("post", True)]


def test_subclass_step_calling_super_runs_hooks_once():
    class Counting(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    opt = Counting([gradgpu.zeros(1, requires_grad=True)])
    calls = []
    opt.register_step_post_hook(lambda *a: calls.append(1))
    opt.step()
    assert calls == [1]


def test_repr_lists_the_groups():
    text = repr(optim.SGD([gradgpu.zeros(1, requires_grad=True)], lr=0.5))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5\n" in text


# ---- error contracts -------------------------------------------------------------------------

def test_construction_errors():
    w = gradgpu.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(w)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2])
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([1.0])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        optim.SGD([{"params": [w]}, {"params": [w]}])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w}}])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([w, w])


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: optim.SGD(p, weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
    (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum and zero"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum"),
    (lambda p: optim.Adam(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.Adam(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.AdamW(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1"),
    (lambda p: optim.RMSprop(p, momentum=-1), "Invalid momentum value: -1"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1"),
])
def test_argument_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make([gradgpu.zeros(1, requires_grad=True)])


def test_foreach_and_fused_are_accepted_but_not_both():
    w = gradgpu.zeros(1, requires_grad=True)
    assert optim.AdamW([w], fused=True).param_groups[0]["fused"] is True
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        optim.Adam([w], foreach=True, fused=True)


def test_required_option_and_base_step():
    w = gradgpu.zeros(1, requires_grad=True)

    class Bare(optim.Optimizer):
        pass

    with pytest.raises(ValueError, match="didn't specify a value of required optimization "
                                         "parameter lr"):
        Bare([w], {"lr": optim.optimizer.required})
    with pytest.raises(NotImplementedError):
        Bare([w], {"lr": 0.1}).step()


def test_load_state_dict_refuses_a_state_that_does_not_fit_before_any_step():
    a, b = gradgpu.nn.Linear(4, 3), gradgpu.nn.Linear(5, 3)
    adam = optim.Adam(a.parameters())
    a(gradgpu.ones(2, 4)).sum().backward()
    adam.step()
    with pytest.raises(ValueError, match=r"'exp_avg' has shape \[3, 4\], but its parameter has "
                                         r"shape \[3, 5\]"):
        optim.Adam(b.parameters()).load_state_dict(adam.state_dict())
    with pytest.raises(ValueError, match=r"does not fit Adam: its parameter groups lack "
                                         r"\['amsgrad', 'betas'"):
        optim.Adam(a.parameters()).load_state_dict(optim.SGD(a.parameters(), lr=0.1).state_dict())
    with pytest.raises(TypeError, match=r"expects the dict of state_dict\(\)"):
        adam.load_state_dict([1])
    # a checkpoint from before a flag existed still loads, with the flag's default
    old = adam.state_dict()
    del old["param_groups"][0]["maximize"]
    fresh = optim.Adam(a.parameters())
    fresh.load_state_dict(old)
    assert fresh.param_groups[0]["maximize"] is False
    assert fresh.state[a.weight]["step"].device.type == "cpu"
