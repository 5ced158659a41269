"""gradcheck / gradgradcheck: PyTorch's defaults, passing and failing cases, and error messages
that say which input, which element and both values."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import gradgpu
from gradgpu import autograd
from gradgpu.autograd import Function, GradcheckError


def _leaf(values, dtype=gradgpu.float64):
    return gradgpu.tensor(values, dtype=dtype, requires_grad=True)


class WrongBackward(Function):
    """y = 2x with a deliberately wrong backward (3g)."""

    @staticmethod
    def forward(ctx, x):
        return x._data * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3


class WrongSecondInput(Function):
    """y = a * b with a wrong gradient for b at one element only."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a._data * b._data

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        bump = gradgpu.tensor([[0.0, 0.0], [0.0, 0.5]], dtype=gradgpu.float64)
        return g * b, g * (a + bump)


class WrongSecondDerivative(Function):
    """y = x^2 with dx = 2 x g, whose own derivative is deliberately off (x.detach())."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x._data ** 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x.detach()


def test_pytorch_default_tolerances():
    for fn in (autograd.gradcheck, autograd.gradgradcheck):
        params = inspect.signature(fn).parameters
        assert params["eps"].default == 1e-6
        assert params["atol"].default == 1e-5
        assert params["rtol"].default == 1e-3
        assert params["raise_exception"].default is True


def test_gradcheck_passes_for_correct_gradients():
    a = _leaf([[0.5, -1.0], [2.0, 0.3]])
    b = _leaf([[1.5, 0.2], [-0.7, 1.1]])
    assert autograd.gradcheck(lambda x, y: (x * y + x.exp() / (y * y + 1)).sum(0), (a, b))
    assert autograd.gradgradcheck(lambda x, y: x * y * y, (a, b))
    assert autograd.gradcheck(lambda x: x @ x.T, (a,))


def test_gradcheck_with_several_outputs_and_non_tensor_arguments():
    x = _leaf([0.5, 1.5])
    assert autograd.gradcheck(lambda t, k: (t * k, (t * t).sum()), (x, 3.0))
    assert autograd.gradcheck(lambda t, c: t * c, (x, gradgpu.tensor([2.0, 3.0],
                                                                     dtype=gradgpu.float64)))


def test_wrong_backward_raises_naming_input_element_and_values():
    x = _leaf([1.0, 2.0])
    with pytest.raises(GradcheckError) as info:
        autograd.gradcheck(WrongBackward.apply, (x,))
    msg = str(info.value)
    assert "with respect to input 0" in msg
    assert "element (0,) of input 0" in msg
    assert "numerical 1.99999" in msg or "numerical 2.0" in msg
    assert "analytical 3.0" in msg
    assert isinstance(info.value, RuntimeError)


def test_mismatch_in_second_input_names_it_and_the_element():
    a = _leaf([[1.0, 2.0], [3.0, 4.0]])
    b = _leaf([[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(GradcheckError, match=r"input 1: element \(1, 1\) of input 1 -> element "
                                             r"\(1, 1\) of output 0: numerical 4\.0\d*, "
                                             r"analytical 4\.5"):
        autograd.gradcheck(WrongSecondInput.apply, (a, b))


def test_raise_exception_false_returns_false():
    x = _leaf([1.0, 2.0])
    assert autograd.gradcheck(WrongBackward.apply, (x,), raise_exception=False) is False
    assert autograd.gradcheck(lambda t: t * 2, (x,), raise_exception=False) is True


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = _leaf([1.0, -2.0])
    assert autograd.gradcheck(WrongSecondDerivative.apply, (x,))  # first order is right
    # the second derivative is 2 * grad_output (random); the wrong backward gives 0
    with pytest.raises(GradcheckError, match=r"with respect to input 0: .* analytical 0\.0 "):
        autograd.gradgradcheck(WrongSecondDerivative.apply, (x,))


def test_gradgradcheck_with_explicit_grad_outputs():
    x = _leaf([0.3, 0.7])
    go = gradgpu.tensor([1.0, -2.0], dtype=gradgpu.float64, requires_grad=True)
    assert autograd.gradgradcheck(lambda t: t * t * t, (x,), (go,))


def test_gradcheck_restores_the_inputs():
    x = _leaf([0.25, 0.5])
    before = x.detach().numpy().copy()
    autograd.gradcheck(lambda t: t.exp(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        autograd.gradcheck(lambda t: t * 2, (gradgpu.ones(2, dtype=gradgpu.float64),))


def test_gradcheck_warns_for_single_precision_inputs():
    x = _leaf([1.0, 2.0], dtype=gradgpu.float32)
    with pytest.warns(UserWarning, match="not a double precision"):
        assert autograd.gradcheck(lambda t: t * 2, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)
