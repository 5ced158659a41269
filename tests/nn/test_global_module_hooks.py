"""nn.modules.module.register_module_*_hook: hooks for every module call, before the module's
own hooks of the same kind (PyTorch's order)."""

import numpy as np
import pytest

import gradgpu
from gradgpu import nn
from gradgpu.nn.modules import module as module_mod


@pytest.fixture
def handles():
    made = []
    yield made
    for h in made:
        h.remove()


def test_forward_hooks_see_every_module_and_run_before_the_modules_own(handles):
    calls = []
    handles.append(module_mod.register_module_forward_pre_hook(
        lambda m, args: calls.append(("global pre", type(m).__name__))))
    handles.append(module_mod.register_module_forward_hook(
        lambda m, args, out: calls.append(("global post", type(m).__name__))))
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    net[0].register_forward_pre_hook(lambda m, args: calls.append(("own pre",)))
    net(gradgpu.ones(1, 2))
    assert calls == [("global pre", "Sequential"), ("global pre", "Linear"), ("own pre",),
                     ("global post", "Linear"), ("global pre", "ReLU"), ("global post", "ReLU"),
                     ("global post", "Sequential")]
    for h in handles:
        h.remove()
    calls.clear()
    net(gradgpu.ones(1, 2))
    assert calls == [("own pre",)]


def test_global_hooks_replace_inputs_and_outputs_and_take_kwargs(handles):
    lin = nn.Linear(2, 2, bias=False)
    with gradgpu.no_grad():
        lin.weight.copy_(gradgpu.eye(2))
    handles.append(module_mod.register_module_forward_pre_hook(lambda m, args: (args[0] * 2,)))
    handles.append(module_mod.register_module_forward_hook(
        lambda m, args, kwargs, out: out + 1, with_kwargs=True))
    assert lin(gradgpu.ones(1, 2)).tolist() == [[3.0, 3.0]]


def test_always_called_global_hook_runs_when_forward_raises(handles):
    seen = []
    handles.append(module_mod.register_module_forward_hook(
        lambda m, args, out: seen.append(out), always_call=True))
    with pytest.raises(RuntimeError):
        nn.Linear(2, 2)(gradgpu.ones(1, 3))
    assert seen == [None]


def test_global_full_backward_hooks(handles):
    seen = []
    handles.append(module_mod.register_module_full_backward_pre_hook(
        lambda m, grad_out: seen.append(("pre", type(m).__name__))))
    handles.append(module_mod.register_module_full_backward_hook(
        lambda m, grad_in, grad_out: (grad_in[0] * 10,)))
    x = gradgpu.ones(1, 2, requires_grad=True)
    lin = nn.Linear(2, 1)
    lin(x).sum().backward()
    assert seen == [("pre", "Linear")]
    np.testing.assert_allclose(x.grad.numpy(), lin.weight.detach().numpy() * 10)
