"""Autograd API details where a differential test against PyTorch found gradgpu differing:
duplicate and retained backward inputs, hooks that change a gradient's shape or dtype,
@once_differentiable under create_graph, re-running a graph that saved nothing, ctx features
(needs_input_grad in forward, mark_dirty, trailing None gradients), detach_ on views."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import autograd


def _x():
    return gradgpu.tensor([1.0, 2.0, 3.0], dtype=gradgpu.float64, requires_grad=True)


def test_backward_inputs_listed_twice_get_the_gradient_once():
    x = _x()
    (x * x).sum().backward(inputs=[x, x])
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    x = _x()
    y = x * 2
    (y * y).sum().backward(inputs=[y, y])
    assert y.grad.tolist() == [4.0, 8.0, 12.0]


def test_backward_inputs_with_a_retained_non_leaf_store_once():
    x = _x()
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward(inputs=[y])
    assert y.grad.tolist() == [4.0, 8.0, 12.0] and x.grad is None
    z = _x() * 2
    (z * z).sum().backward(inputs=[z])
    assert z.retains_grad and z.grad.tolist() == [4.0, 8.0, 12.0]


def test_once_differentiable_raises_on_a_second_derivative_instead_of_dropping_it():
    class Square(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @autograd.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = _x()
    (g,) = autograd.grad((Square.apply(x) ** 2).sum() + (x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(g.detach().numpy(), 4 * np.array([1.0, 8.0, 27.0]) +
                               3 * np.array([1.0, 4.0, 9.0]))
    with pytest.raises(RuntimeError, match="differentiate twice a function that was marked"):
        g.sum().backward()
    x = _x()  # without create_graph it is an ordinary backward
    Square.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_a_graph_that_saved_nothing_can_run_backward_twice():
    x = _x()
    y = (x + 2).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    z = (x * x).sum()  # saves x: the second run needs it
    z.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        z.backward()


@pytest.mark.parametrize("leaf", [True, False])
@pytest.mark.parametrize("hook, message", [
    (lambda g: g[:2], "changed the size of value"),
    (lambda g: g.sum(), "changed the size of value"),
    (lambda g: g.float(), "changed the type of value"),
])
def test_hooks_may_not_change_the_gradient_shape_or_dtype(leaf, hook, message):
    x = _x()
    t = x if leaf else x * 1
    t.register_hook(hook)
    with pytest.raises(RuntimeError, match=message):
        (t * t).sum().backward()
    assert x.grad is None


def test_a_hook_returning_a_non_tensor_is_refused():
    x = _x()
    x.register_hook(lambda g: 1.0)
    with pytest.raises(TypeError, match="expected Variable or None"):
        x.sum().backward()


def test_ctx_needs_input_grad_is_available_in_forward():
    seen = []

    class Probe(autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen.append(ctx.needs_input_grad)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g, None, None

    a, b = _x(), gradgpu.ones(3, dtype=gradgpu.float64)
    Probe.apply(a, b, 2.0).sum().backward()
    with gradgpu.no_grad():
        Probe.apply(a, b, 2.0)
    assert seen == [(True, False, False), (True, False, False), (False, False, False)]


def test_mark_dirty_moves_the_history_onto_the_modified_input():
    class AddOneInPlace(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x._data += 1  # a forward that writes its input's array
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = _x()
    y = x * 1
    v = y._version
    out = AddOneInPlace.apply(y)
    assert out is y and y._version == v + 1 and type(y.grad_fn).__name__ == "AddOneInPlaceBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0] and y.tolist() == [2.0, 3.0, 4.0]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        AddOneInPlace.apply(_x())


def test_backward_may_return_extra_trailing_nones():
    class Double(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = _x()
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_detach_in_place_refuses_every_view():
    base = gradgpu.zeros(3)
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        base[:2].detach_()
    assert base.detach_() is base


def test_a_plain_backward_after_create_graph_accumulates_into_the_same_grad():
    x = _x()
    with pytest.warns(UserWarning, match="reference cycle"):
        (x * x).sum().backward(create_graph=True)
    grad = x.grad
    assert grad.requires_grad
    (x * 3).sum().backward()
    assert x.grad is grad and grad.tolist() == [5.0, 7.0, 9.0]
    assert grad.grad_fn is not None  # the earlier history stays


def test_create_graph_stores_a_copy_so_later_in_place_accumulation_is_safe():
    """The first gradient stored under create_graph may be a broadcast view, the caller's own
    gradient, or one array sent to two leaves; a later plain backward adds into .grad in place."""
    with pytest.warns(UserWarning):
        x = _x()
        x.sum().backward(create_graph=True)  # .grad would be a read-only broadcast view
        x.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0, 2.0]
        x, g = _x(), gradgpu.ones(3, dtype=gradgpu.float64)
        x.backward(g, create_graph=True)
        x.backward(gradgpu.ones(3, dtype=gradgpu.float64))
        assert g.tolist() == [1.0, 1.0, 1.0] and x.grad.tolist() == [2.0, 2.0, 2.0]
        a, b = _x(), _x()
        (a + b).backward(gradgpu.ones(3, dtype=gradgpu.float64), create_graph=True)
        assert a.grad is not b.grad
        (a * 1).sum().backward()
        assert a.grad.tolist() == [2.0] * 3 and b.grad.tolist() == [1.0] * 3
