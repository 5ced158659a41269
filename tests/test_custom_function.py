"""User-defined ``autograd.Function``s: ctx API, validation of what backward returns, double
backward through differentiable backwards, and inputs returned unchanged (torch semantics)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import autograd
from gradgpu.autograd import Function


def _leaf(values, dtype=gradgpu.float64):
    return gradgpu.tensor(values, dtype=dtype, requires_grad=True)


class Cube(Function):
    """y = x^3;  dx = 3 x^2 g (written with differentiable ops)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x._data ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class ScaledAdd(Function):
    """y = a + k * b (k a Python number);  da = g, db = k g."""

    @staticmethod
    def forward(ctx, a, k, b):
        ctx.k = k
        return a._data + k * b._data

    @staticmethod
    def backward(ctx, g):
        need = ScaledAdd.needs = ctx.needs_input_grad
        return (g if need[0] else None), None, (g * ctx.k if need[2] else None)


def test_forward_backward_and_grad_fn_name():
    x = _leaf([1.0, 2.0])
    y = Cube.apply(x)
    assert y.tolist() == [1.0, 8.0] and type(y.grad_fn).__name__ == "CubeBackward"
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_needs_input_grad_and_non_tensor_arguments():
    a, b = _leaf([1.0]), gradgpu.tensor([2.0], dtype=gradgpu.float64)
    y = ScaledAdd.apply(a, 3.0, b)
    assert y.tolist() == [7.0]
    y.sum().backward()
    assert ScaledAdd.needs == (True, False, False)
    assert a.grad.tolist() == [1.0] and b.grad is None
    b.requires_grad_()
    ScaledAdd.apply(a, 3.0, b).sum().backward()
    assert ScaledAdd.needs == (True, False, True) and b.grad.tolist() == [3.0]


def test_no_graph_when_no_input_requires_grad_or_under_no_grad():
    c = gradgpu.tensor([1.0, 2.0])
    assert Cube.apply(c).grad_fn is None and not Cube.apply(c).requires_grad
    with gradgpu.no_grad():
        assert Cube.apply(_leaf([1.0])).grad_fn is None


def test_forward_runs_with_grad_mode_off():
    class Spy(Function):
        @staticmethod
        def forward(ctx, x):
            Spy.mode = gradgpu.is_grad_enabled()
            inner = x * 2  # ops inside forward are not recorded
            Spy.inner_recorded = inner.requires_grad
            return inner

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = _leaf([1.0])
    y = Spy.apply(x)
    assert Spy.mode is False and Spy.inner_recorded is False
    assert type(y.grad_fn).__name__ == "SpyBackward"
    y.sum().backward()
    assert x.grad.tolist() == [2.0]


def test_saved_output_and_mark_non_differentiable():
    class ExpAndArgmax(Function):
        @staticmethod
        def forward(ctx, x):
            y = gradgpu.Tensor._make(np.exp(x._data))
            mask = gradgpu.Tensor._make(x._data * 0 + (x._data > 0))
            ctx.save_for_backward(y)
            ctx.mark_non_differentiable(mask)
            return y, mask

        @staticmethod
        def backward(ctx, gy, gmask):
            ExpAndArgmax.gmask = gmask.tolist()
            (y,) = ctx.saved_tensors
            return gy * y

    x = _leaf([0.0, 1.0])
    y, mask = ExpAndArgmax.apply(x)
    assert y.requires_grad and not mask.requires_grad and mask.grad_fn is None
    (y * 2).sum().backward()
    assert ExpAndArgmax.gmask == [0.0, 0.0]  # the unused output's gradient is materialized
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.0, 1.0]))


def test_integer_outputs_are_non_differentiable():
    class Index(Function):
        @staticmethod
        def forward(ctx, x):
            return x._data * 2, np.argsort(x._data)

        @staticmethod
        def backward(ctx, g, gi):
            return g * 2

    x = _leaf([3.0, 1.0])
    y, idx = Index.apply(x)
    assert y.requires_grad and not idx.requires_grad and idx.dtype is gradgpu.int64


def test_set_materialize_grads_false_passes_none():
    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x._data * 2, x._data * 3

        @staticmethod
        def backward(ctx, g1, g2):
            Two.got = (g1 is None, g2 is None)
            return g1 * 2 if g1 is not None else g2 * 3

    x = _leaf([1.0])
    a, b = Two.apply(x)
    b.sum().backward()
    assert Two.got == (True, False) and x.grad.tolist() == [3.0]


def test_wrong_number_of_gradients_names_the_function():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x._data * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match=r"function TooManyBackward returned an incorrect "
                                           r"number of gradients \(expected 1, got 2\)"):
        TooMany.apply(_leaf([1.0, 2.0])).sum().backward()


def test_wrong_gradient_shape_names_the_function_and_shapes():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x._data * 2

        @staticmethod
        def backward(ctx, g):
            return gradgpu.ones(3, dtype=gradgpu.float64)

    with pytest.raises(RuntimeError, match=r"Function BadShapeBackward returned an invalid "
                                           r"gradient at index 0 - got \[3\] but expected shape "
                                           r"compatible with \[2\]"):
        BadShape.apply(_leaf([1.0, 2.0])).sum().backward()


def test_wrong_gradient_type_names_the_function():
    class NotATensor(Function):
        @staticmethod
        def forward(ctx, x):
            return x._data * 2

        @staticmethod
        def backward(ctx, g):
            return g.numpy()

    with pytest.raises(TypeError, match="NotATensorBackward returned a gradient of type ndarray"):
        NotATensor.apply(_leaf([1.0])).sum().backward()


def test_broadcast_gradient_is_summed_and_cast_to_the_input():
    class Spread(Function):
        @staticmethod
        def forward(ctx, x):
            return x._data * 1

        @staticmethod
        def backward(ctx, g):
            return gradgpu.ones(4, 2, dtype=gradgpu.float16)  # broadcast shape, other dtype

    x = _leaf([1.0, 2.0])
    Spread.apply(x).sum().backward()
    assert x.grad.dtype is gradgpu.float64 and x.grad.tolist() == [4.0, 4.0]


def test_create_graph_through_custom_backward():
    x = _leaf([1.0, 2.0])
    (g,) = autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [3.0, 12.0] and g.requires_grad
    (gg,) = autograd.grad(g.sum(), x, create_graph=True)
    assert gg.tolist() == [6.0, 12.0]
    (ggg,) = autograd.grad(gg.sum(), x)
    assert ggg.tolist() == [6.0, 6.0]


def test_once_differentiable_backward_records_nothing():
    class Once(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x._data ** 2

        @staticmethod
        @autograd.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = _leaf([3.0])
    (g,) = autograd.grad(Once.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [6.0] and not g.requires_grad


def test_returning_an_input_unchanged():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = _leaf([1.0, 2.0])
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and x.grad_fn is None  # the input keeps its identity
    assert type(y.grad_fn).__name__ == "IdentityBackward"
    assert np.shares_memory(y.detach().numpy(), x.detach().numpy())
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_returning_an_input_that_does_not_require_grad():
    class PassOther(Function):
        @staticmethod
        def forward(ctx, x, c):
            return c

        @staticmethod
        def backward(ctx, g):
            return g * 0, g * 3

    x = _leaf([1.0, 1.0])
    c = gradgpu.ones(2, dtype=gradgpu.float64)
    y = PassOther.apply(x, c)
    assert y is not c and y.requires_grad and y.grad_fn is not None
    assert not c.requires_grad and c.grad_fn is None  # the user's tensor is left alone
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and c.grad is None


def test_missing_forward_or_backward():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x._data * 1

    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(_leaf([1.0])).sum().backward()
    with pytest.raises(NotImplementedError, match="forward"):
        Function.apply(_leaf([1.0]))


def test_gradcheck_of_custom_functions():
    x = _leaf([0.5, -1.5, 2.0])
    assert autograd.gradcheck(Cube.apply, (x,))
    assert autograd.gradgradcheck(Cube.apply, (x,))
