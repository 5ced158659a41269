"""``backward`` / ``grad`` semantics as PyTorch defines them: accumulation, retain_graph,
create_graph (higher order), inputs=, allow_unused, retain_grad and hooks."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import autograd


def _leaf(values, dtype=None):
    return gradgpu.tensor(values, dtype=dtype, requires_grad=True)


def test_gradients_accumulate_across_backward_calls():
    x = _leaf([1.0, 2.0, 3.0])
    assert x.grad is None
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0, 9.0]


def test_accumulated_grad_is_not_aliased_with_user_tensors():
    x = _leaf([1.0, 2.0])
    g = gradgpu.tensor([1.0, 1.0])
    (x * 1).backward(g)
    x.grad.add_(1)  # must not write into the gradient the user passed in
    assert g.tolist() == [1.0, 1.0]
    (x * 1).backward(g)
    assert g.tolist() == [1.0, 1.0] and x.grad.tolist() == [3.0, 3.0]


def test_backward_with_explicit_gradient():
    x = _leaf([1.0, 2.0, 3.0])
    (x * x).backward(gradgpu.tensor([1.0, 0.0, 2.0]))
    assert x.grad.tolist() == [2.0, 0.0, 12.0]


def test_backward_on_a_leaf():
    x = _leaf(3.0)
    x.backward()
    assert x.grad.item() == 1.0
    v = _leaf([3.0, 4.0])
    v.backward(gradgpu.tensor([1.0, 2.0]))
    assert v.grad.tolist() == [1.0, 2.0]


def test_only_leaves_keep_grad_and_reading_a_non_leaf_grad_warns():
    x = _leaf([1.0, 2.0])
    y = x * 2
    (y * y).sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert y.grad is None
    assert x.grad.tolist() == [8.0, 16.0]


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = _leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    (y * y).sum().backward(retain_graph=True)
    assert y.grad.tolist() == [4.0, 8.0] and x.grad.tolist() == [8.0, 16.0]
    (y * 1).sum().backward()  # accumulates like a leaf's
    assert y.grad.tolist() == [5.0, 9.0]


def test_non_scalar_output_needs_a_gradient():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        autograd.grad(x * 2, x)


def test_wrong_gradient_shape_names_both_shapes():
    x = _leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of "
                                           r"gradgpu.Size\(\[2\]\) and output\[0\] has a shape of "
                                           r"gradgpu.Size\(\[3\]\)"):
        (x * 2).backward(gradgpu.ones(2))
    with pytest.raises(RuntimeError, match=r"Size\(\[2, 3\]\).*Size\(\[3\]\)"):
        autograd.grad(x * 2, x, gradgpu.ones(2, 3))


def test_gradient_of_other_dtype_is_cast():
    x = _leaf([1.0, 2.0])
    (x * 2).backward(gradgpu.ones(2, dtype=gradgpu.float64))
    assert x.grad.dtype is gradgpu.float32 and x.grad.tolist() == [2.0, 2.0]


def test_backward_through_freed_graph_raises_and_names_retain_graph():
    x = _leaf([1.0, 2.0])
    z = x.exp().sum()
    z.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*"
                                           "Specify retain_graph=True"):
        z.backward()
    y = (x * x).sum()
    autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        autograd.grad(y, x)


def test_retain_graph_allows_a_second_backward():
    x = _leaf([0.0, 1.0])
    z = x.exp().sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.0, 1.0]), rtol=1e-6)


def test_output_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does "
                                           "not have a grad_fn"):
        gradgpu.ones(2).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad(gradgpu.tensor(1.0), [_leaf(1.0)])


def test_requires_grad_propagates():
    x = _leaf(1.0)
    c = gradgpu.tensor(2.0)
    assert (x * c).requires_grad and (c + x).requires_grad
    assert not (c * 2).requires_grad
    assert not (x.detach() * 2).requires_grad
    assert not (x > 0).requires_grad  # bool results never require grad
    assert not (x * 2).long().requires_grad  # nor integer ones


def test_constant_branch_gets_no_gradient():
    x = _leaf([1.0, 2.0])
    c = gradgpu.tensor([3.0, 4.0])
    (x * c + c * c).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0] and c.grad is None


# ---- autograd.grad --------------------------------------------------------------------------
def test_grad_returns_without_accumulating():
    a, b = _leaf(2.0), _leaf(3.0)
    ga, gb = autograd.grad(a * b, [a, b])
    assert (ga.item(), gb.item()) == (3.0, 2.0)
    assert a.grad is None and b.grad is None


def test_grad_of_several_outputs_with_grad_outputs():
    a, b = _leaf(2.0), _leaf(3.0)
    ga, gb = autograd.grad([a * b, a + b], [a, b], [gradgpu.tensor(2.0), gradgpu.tensor(3.0)])
    assert (ga.item(), gb.item()) == (9.0, 7.0)
    with pytest.raises(RuntimeError, match="1 gradients for 2 outputs"):
        autograd.grad([a * b, a + b], [a, b], [gradgpu.tensor(2.0)])


def test_grad_of_non_leaf_input():
    x = _leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = autograd.grad(y, h)
    assert gh.tolist() == [6.0, 12.0] and x.grad is None


def test_grad_allow_unused():
    a, b = _leaf(1.0), _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph. Set "
                                           "allow_unused=True"):
        autograd.grad(a * 2, [a, b])
    ga, gb = autograd.grad(a * 2, [a, b], allow_unused=True)
    assert ga.item() == 2.0 and gb is None
    ga, gb = autograd.grad(a * 2, [a, b], materialize_grads=True)
    assert gb.tolist() == [0.0, 0.0]


def test_grad_input_errors():
    a = _leaf(1.0)
    with pytest.raises(RuntimeError, match="`inputs` argument to `grad\\(\\)` cannot be empty"):
        autograd.grad(a * 2, [])
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad(a * 2, [gradgpu.tensor(1.0)])
    with pytest.raises(TypeError, match="sequence of Tensors"):
        autograd.grad(a * 2, [1.0])


# ---- higher order -------------------------------------------------------------------------
def test_create_graph_gives_second_and_third_derivatives():
    x = _leaf(2.0)
    y = x ** 4
    (d1,) = autograd.grad(y, x, create_graph=True)
    (d2,) = autograd.grad(d1, x, create_graph=True)
    (d3,) = autograd.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == (32.0, 48.0, 48.0)
    assert d1.requires_grad and d2.requires_grad and not d3.requires_grad


def test_create_graph_with_vector_and_mixed_partials():
    x = _leaf([1.0, 2.0], dtype=gradgpu.float64)
    w = _leaf([3.0, -1.0], dtype=gradgpu.float64)
    y = (x * x * w).sum()
    (gx,) = autograd.grad(y, x, create_graph=True)  # 2 x w
    assert gx.tolist() == [6.0, -4.0]
    gx.sum().backward()  # d/dx = 2w, d/dw = 2x
    assert x.grad.tolist() == [6.0, -2.0] and w.grad.tolist() == [2.0, 4.0]


def test_backward_create_graph_warns_about_the_cycle_and_builds_grad_graph():
    x = _leaf([1.0, 2.0])
    with pytest.warns(UserWarning, match="reference cycle between the parameter and its "
                                         "gradient"):
        (x ** 3).sum().backward(create_graph=True)
    assert x.grad.tolist() == [3.0, 12.0] and x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()  # second derivative 6x
    assert x.grad.tolist() == [6.0, 12.0]


def test_without_create_graph_gradients_have_no_history():
    x = _leaf([1.0, 2.0])
    (g,) = autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


# ---- inputs= --------------------------------------------------------------------------------
def test_backward_inputs_restricts_accumulation():
    x, y = _leaf(3.0), _leaf(4.0)
    (x * y).backward(inputs=[y])
    assert x.grad is None and y.grad.item() == 3.0
    (x * y).backward(inputs=x)
    assert x.grad.item() == 4.0 and y.grad.item() == 3.0
    with pytest.raises(RuntimeError, match="`inputs` argument to `backward\\(\\)` cannot be "
                                           "empty"):
        (x * y).backward(inputs=[])


def test_backward_inputs_with_a_non_leaf():
    x, y = _leaf(3.0), _leaf(4.0)
    h = x * 2
    (h * y).backward(inputs=[h])
    assert x.grad is None and y.grad is None
    assert h.grad.item() == 4.0  # populated, so reading it does not warn (as in torch)


# ---- hooks ----------------------------------------------------------------------------------
def test_leaf_hooks_observe_replace_and_remove():
    x = _leaf([1.0, 2.0])
    seen = []
    h1 = x.register_hook(lambda g: seen.append(g.tolist()))
    h2 = x.register_hook(lambda g: g * 2)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [6.0, 6.0]
    h2.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and len(seen) == 2
    h1.remove()
    h1.remove()  # removing twice is harmless
    (x * 3).sum().backward()
    assert len(seen) == 2


def test_non_leaf_hook_replaces_the_gradient_flowing_on():
    x = _leaf([1.0, 2.0])
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.register_hook(lambda g: g * 0 + 5)
    y.retain_grad()
    (y * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert y.grad.tolist() == [5.0, 5.0]  # retain_grad sees the hooked gradient, as in torch
    assert x.grad.tolist() == [10.0, 10.0]


def test_hook_handle_as_context_manager():
    x = _leaf([1.0])
    with x.register_hook(lambda g: g * 10):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [11.0]


def test_hooks_run_for_autograd_grad():
    x = _leaf([1.0, 2.0])
    x.register_hook(lambda g: g + 1)
    (g,) = autograd.grad((x * 2).sum(), x)
    assert g.tolist() == [3.0, 3.0]


# ---- broadcasting and dtypes in the graph -------------------------------------------------
def test_broadcast_gradients_are_summed_back():
    a = _leaf([[1.0], [2.0]])  # (2, 1)
    b = _leaf([1.0, 2.0, 3.0])  # (3,)
    (a * b).sum().backward()
    assert a.grad.shape == (2, 1) and a.grad.tolist() == [[6.0], [6.0]]
    assert b.grad.tolist() == [3.0, 3.0, 3.0]


def test_mixed_precision_grads_keep_each_leafs_dtype():
    a = _leaf([1.0, 2.0], dtype=gradgpu.float16)
    b = _leaf([3.0, 4.0], dtype=gradgpu.float64)
    out = a * b
    assert out.dtype is gradgpu.float64
    out.sum().backward()
    assert a.grad.dtype is gradgpu.float16 and a.grad.tolist() == [3.0, 4.0]
    assert b.grad.dtype is gradgpu.float64 and b.grad.tolist() == [1.0, 2.0]
