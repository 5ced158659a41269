"""Tensor.register_post_accumulate_grad_hook: hook(leaf) after backward updated leaf.grad."""

import numpy as np
import pytest

import gradgpu
from gradgpu import nn


def test_an_sgd_step_inside_backward(device):
    v = gradgpu.zeros(3, device=device, requires_grad=True)
    handle = v.register_post_accumulate_grad_hook(lambda p: p.add_(p.grad, alpha=-0.01))
    v.backward(gradgpu.tensor([1.0, 2.0, 3.0], device=device))
    np.testing.assert_allclose(v.detach().cpu().numpy(), [-0.01, -0.02, -0.03], rtol=1e-6)
    handle.remove()
    v.backward(gradgpu.tensor([1.0, 2.0, 3.0], device=device))
    np.testing.assert_allclose(v.detach().cpu().numpy(), [-0.01, -0.02, -0.03], rtol=1e-6)
    assert v.grad.tolist() == [2.0, 4.0, 6.0]


def test_runs_once_after_every_path_was_summed_in_no_grad_mode():
    x = gradgpu.ones(2, requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(
        lambda p: seen.append((p.grad.tolist(), gradgpu.is_grad_enabled())))
    (x * 2 + x * 3).sum().backward()
    assert seen == [([5.0, 5.0], False)]
    x.grad = None
    with pytest.warns(UserWarning, match="create_graph=True will create a reference cycle"):
        (x * x).sum().backward(create_graph=True)
    assert seen[-1] == ([2.0, 2.0], True)


def test_backward_with_inputs_runs_it_and_autograd_grad_does_not():
    x = gradgpu.ones(2, requires_grad=True)
    w = gradgpu.ones(2, requires_grad=True)
    calls = []
    x.register_post_accumulate_grad_hook(lambda p: calls.append("x"))
    w.register_post_accumulate_grad_hook(lambda p: calls.append("w"))
    (x * w).sum().backward(inputs=[x])
    assert calls == ["x"] and w.grad is None
    gradgpu.autograd.grad((x * w).sum(), [x, w])
    assert calls == ["x"]


def test_refused_on_non_leaves_and_tensors_without_grad():
    x = gradgpu.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gradgpu.ones(2).register_post_accumulate_grad_hook(lambda p: None)


@pytest.mark.parametrize("returned, error, message", [
    (lambda p: p.grad * 2, RuntimeError, "post accumulate grad hooks should return None"),
    (lambda p: 5, TypeError, "expected Variable, but hook returned 'int'"),
])
def test_a_hook_returns_none_or_its_tensor(returned, error, message):
    x = gradgpu.ones(2, requires_grad=True)
    handle = x.register_post_accumulate_grad_hook(lambda p: p)  # PyTorch accepts its tensor
    x.sum().backward()
    handle.remove()
    x.register_post_accumulate_grad_hook(returned)
    with pytest.raises(error, match=message):
        x.sum().backward()


def test_optimizer_in_backward_trains_as_a_separate_step():
    def model():
        gradgpu.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))

    rng = np.random.default_rng(0)
    xs = gradgpu.tensor(rng.standard_normal((16, 4)), dtype=gradgpu.float32)
    ys = gradgpu.tensor(rng.standard_normal((16, 1)), dtype=gradgpu.float32)

    plain = model()
    opt = gradgpu.optim.SGD(plain.parameters(), lr=0.1, momentum=0.9)
    fused = model()
    per_param = {p: gradgpu.optim.SGD([p], lr=0.1, momentum=0.9) for p in fused.parameters()}

    def step_in_backward(p):
        per_param[p].step()
        per_param[p].zero_grad()

    for p in fused.parameters():
        p.register_post_accumulate_grad_hook(step_in_backward)
    for _ in range(5):
        opt.zero_grad()
        ((plain(xs) - ys) ** 2).mean().backward()
        opt.step()
        ((fused(xs) - ys) ** 2).mean().backward()
    for a, b in zip(plain.parameters(), fused.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)
        assert b.grad is None
