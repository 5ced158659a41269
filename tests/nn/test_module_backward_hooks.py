"""Module full backward hooks: register_full_backward_hook / register_full_backward_pre_hook.
Expected values come from the same code run with PyTorch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import nn


class TwoOutputs(nn.Module):
    """(linear(x) * k, sum of it) or (linear(x) * k, 2 y): a tensor and a non-tensor input."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 2)
        with gradgpu.no_grad():
            self.lin.weight.copy_(gradgpu.tensor(np.arange(6.0).reshape(2, 3) / 10))
            self.lin.bias.zero_()

    def forward(self, x, k, y=None):
        a = self.lin(x) * k
        return a, (a.sum() if y is None else y * 2)


def _values(grads):
    return [None if g is None else g.cpu().numpy().tolist() for g in grads]


def test_pre_hook_and_hook_see_and_replace_gradients(device):
    m = TwoOutputs().to(device)
    seen = []

    def pre_hook(module, grad_output):
        seen.append(("pre", module, _values(grad_output)))
        return (grad_output[0] * 2, grad_output[1])

    def hook(module, grad_input, grad_output):
        seen.append(("hook", module, _values(grad_input), _values(grad_output)))
        return (grad_input[0] + 1, grad_input[1])

    m.register_full_backward_pre_hook(pre_hook)
    m.register_full_backward_hook(hook)
    x = gradgpu.ones(2, 3, device=device, requires_grad=True)
    a, s = m(x, 3.0)
    (a.sum() + s).backward()

    assert [s[0] for s in seen] == ["pre", "hook"] and seen[0][1] is m and seen[1][1] is m
    assert seen[0][2] == [[[1.0, 1.0], [1.0, 1.0]], 1.0]
    grad_input, grad_output = seen[1][2], seen[1][3]
    np.testing.assert_allclose(grad_input[0], [[2.7, 4.5, 6.3]] * 2, rtol=1e-6)
    assert grad_input[1] is None  # the float argument k
    assert grad_output == [[[2.0, 2.0], [2.0, 2.0]], 1.0]  # as the pre-hook replaced it
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[3.7, 5.5, 7.3]] * 2, rtol=1e-6)
    # parameters inside the module get the gradient of the replaced grad_output
    np.testing.assert_allclose(m.lin.weight.grad.cpu().numpy(), [[18.0] * 3] * 2)


def test_unused_output_gives_none_in_grad_output(device):
    m = TwoOutputs().to(device)
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((_values(gi), _values(go))))
    x = gradgpu.ones(2, 3, device=device, requires_grad=True)
    a, _ = m(x, 3.0)
    a.sum().backward()
    (grad_input, grad_output), = seen
    assert grad_output == [[[1.0, 1.0], [1.0, 1.0]], None]
    np.testing.assert_allclose(grad_input[0], [[0.9, 1.5, 2.1]] * 2, rtol=1e-6)
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0.9, 1.5, 2.1]] * 2, rtol=1e-6)


def test_no_input_requiring_grad_fires_at_the_outputs_with_a_warning():
    m = TwoOutputs()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, _values(go))))
    a, _ = m(gradgpu.ones(2, 3), 3.0)
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are "
                                         "computed with respect to module outputs"):
        a.sum().backward()
    assert seen == [((None, None), [[[1.0, 1.0], [1.0, 1.0]], None])]
    assert m.lin.weight.grad is not None

    m.register_full_backward_hook(lambda mod, gi, go: (gradgpu.ones(1),))
    a, _ = m(gradgpu.ones(2, 3), 3.0)
    with pytest.warns(UserWarning, match="Full backward hook is firing"), pytest.raises(
            RuntimeError, match="no input requires gradient should always return None"):
        a.sum().backward()


def test_hook_returning_the_wrong_number_of_gradients_raises():
    m = TwoOutputs()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0],))
    a, _ = m(gradgpu.ones(2, 3, requires_grad=True), 3.0)
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                           "grad_input, got 1, but expected 2"):
        a.sum().backward()
    m = TwoOutputs()
    m.register_full_backward_pre_hook(lambda mod, go: (go[0],))
    a, _ = m(gradgpu.ones(2, 3, requires_grad=True), 3.0)
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of "
                                           "grad_output, got 1, but expected 2"):
        a.sum().backward()


def test_each_call_is_hooked_on_its_own_and_handles_remove_and_prepend():
    lin = nn.Linear(2, 2, bias=False)
    with gradgpu.no_grad():
        lin.weight.copy_(gradgpu.tensor([[1.0, 2.0], [3.0, 4.0]]))
    order = []
    lin.register_full_backward_hook(lambda mod, gi, go: order.append(("a", _values(go))))
    lin.register_full_backward_hook(lambda mod, gi, go: order.append(("b", _values(go))),
                                    prepend=True)
    x = gradgpu.ones(1, 2, requires_grad=True)
    y = lin(lin(x))  # the module twice in one graph: two calls, two rounds of hooks
    y.sum().backward()
    assert order == [("b", [[[1.0, 1.0]]]), ("a", [[[1.0, 1.0]]]),
                     ("b", [[[4.0, 6.0]]]), ("a", [[[4.0, 6.0]]])]
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[22.0, 32.0]])

    order.clear()
    handle = lin.register_full_backward_pre_hook(lambda mod, go: order.append("pre"))
    handle.remove()
    lin(x).sum().backward()
    assert [name for name, _ in order] == ["b", "a"]


def test_hooks_fire_again_on_a_retained_graph_and_not_under_no_grad():
    m = nn.Tanh()
    calls = []
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(1))
    x = gradgpu.tensor([0.5, -1.0], requires_grad=True)
    y = m(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert len(calls) == 2
    with gradgpu.no_grad():
        out = m(x)
    assert out.grad_fn is None and not out.requires_grad


def test_outputs_keep_their_values_and_in_place_edits_are_still_caught():
    m = nn.Sigmoid()  # its backward uses its saved output
    m.register_full_backward_hook(lambda mod, gi, go: None)
    x = gradgpu.tensor([0.0, 1.0], requires_grad=True)
    y = m(x)
    np.testing.assert_allclose(y.detach().cpu().numpy(), 1 / (1 + np.exp(-np.array([0.0, 1.0]))),
                               rtol=1e-6)
    # the output is a view of the module's own output (as PyTorch's): writing it in place
    # raises at once (PyTorch: "Output 0 of BackwardHookFunction is a view and is being
    # modified inplace")
    with pytest.raises(RuntimeError, match="in-place modification of a view"):
        y.mul_(2)
    assert y._version == 0  # refused before writing
    y.sum().backward()  # the graph is intact
    np.testing.assert_allclose(x.grad.cpu().numpy(), [0.25, 0.19661193], rtol=1e-6)


def test_in_place_module_on_a_hooked_input_raises_instead_of_a_wrong_gradient():
    # h = 2x; relu_(h) inside a hooked module; loss = sum(relu(h) + h * x). Without the raise,
    # h's values became relu(2x) while its history still said 2x: x.grad was [6, -2, 10]
    # (PyTorch without hooks: [6, 0, 10]; with hooks it raises, as here).
    m = nn.ReLU(inplace=True)
    m.register_full_backward_hook(lambda mod, gi, go: None)
    x = gradgpu.tensor([1.0, -1.0, 2.0], requires_grad=True)
    h = x * 2
    with pytest.raises(RuntimeError, match="in-place modification of a view"):
        m(h)
    np.testing.assert_array_equal(h.detach().cpu().numpy(), [2.0, -2.0, 4.0])  # left unwritten
    unhooked = nn.ReLU(inplace=True)
    h = x * 2
    (unhooked(h) + h * x).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [6.0, 0.0, 10.0])


def test_non_tensor_output_warns_and_deprecated_hook_is_refused():
    class Dict(nn.Module):
        def forward(self, x):
            return {"y": x * 2}

    m = Dict()
    m.register_full_backward_hook(lambda mod, gi, go: None)
    with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple"):
        out = m(gradgpu.ones(2, requires_grad=True))
    assert out["y"].requires_grad
    with pytest.raises(NotImplementedError, match="register_full_backward_hook"):
        m.register_backward_hook(lambda mod, gi, go: None)


def test_modules_without_backward_hooks_add_no_nodes():
    lin = nn.Linear(2, 2)
    y = lin(gradgpu.ones(1, 2, requires_grad=True))
    assert type(y.grad_fn).__name__ == "LinearBackward"
