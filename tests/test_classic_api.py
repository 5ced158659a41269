"""The classic Variable API: ``Variable(data, requires_grad, volatile)``, volatile propagation,
``.creator``, and the old keyword names of ``backward`` (accepted with a DeprecationWarning)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import autograd
from gradgpu.autograd import Variable


def test_variable_builds_a_leaf_tensor_sharing_memory():
    data = gradgpu.tensor([1.0, 2.0])
    v = Variable(data, requires_grad=True)
    assert isinstance(v, gradgpu.Tensor) and type(v) is gradgpu.Tensor
    assert v.requires_grad and v.is_leaf and v is not data
    assert np.shares_memory(v.detach().numpy(), data.numpy())
    assert not Variable(data).requires_grad
    assert Variable(data).tolist() == [1.0, 2.0]


def test_variable_from_arrays_and_lists():
    assert Variable(np.array([1.0, 2.0])).dtype is gradgpu.float64
    assert Variable([1, 2]).tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="floating point"):
        Variable(gradgpu.tensor([1, 2]), requires_grad=True)


def test_isinstance_variable_is_true_for_every_tensor():
    assert isinstance(gradgpu.ones(1), Variable)
    assert isinstance(gradgpu.ones(1, requires_grad=True) * 2, Variable)
    assert not isinstance(np.ones(1), Variable)
    assert not isinstance([1.0], Variable)


def test_variable_data_and_grad_work_as_on_tensors():
    v = Variable(gradgpu.tensor([1.0, 2.0]), requires_grad=True)
    (v * v).sum().backward()
    assert v.grad.tolist() == [2.0, 4.0]
    assert isinstance(v.data, gradgpu.Tensor) and not v.data.requires_grad


def test_volatile_propagates_and_records_no_graph():
    v = Variable(gradgpu.ones(2), volatile=True)
    w = Variable(gradgpu.ones(2), requires_grad=True)
    assert v.volatile and not w.volatile
    out = v * w + 1
    assert out.volatile
    assert not out.requires_grad and out.grad_fn is None
    further = (out * 3).sum()
    assert further.volatile and further.grad_fn is None
    assert not (w * 2).volatile  # only what is computed from the volatile one


def test_volatile_wins_over_requires_grad():
    v = Variable(gradgpu.ones(2), requires_grad=True, volatile=True)
    out = v * 2
    assert out.volatile and not out.requires_grad and out.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        out.sum().backward()


def test_creator_is_grad_fn():
    w = Variable(gradgpu.ones(2), requires_grad=True)
    y = (w * 2).sum()
    assert y.creator is y.grad_fn and type(y.creator).__name__ == "SumBackward"
    assert w.creator is None


def test_backward_with_classic_keywords_warns_and_maps():
    w = Variable(gradgpu.tensor([1.0, 2.0]), requires_grad=True)
    y = w.exp()
    with pytest.warns(DeprecationWarning, match="retain_graph"):
        autograd.backward(variables=[y], grad_variables=[gradgpu.tensor([1.0, 1.0])],
                          retain_variables=True)
    np.testing.assert_allclose(w.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.warns(DeprecationWarning):  # retained: a second pass works
        autograd.backward(variables=y, grad_variables=gradgpu.tensor([1.0, 1.0]))
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.warns(DeprecationWarning), pytest.raises(RuntimeError, match="retain_graph=True"):
        autograd.backward(variables=y, grad_variables=gradgpu.tensor([1.0, 1.0]))


def test_tensor_backward_retain_variables():
    w = Variable(gradgpu.tensor([1.0, 2.0]), requires_grad=True)
    y = w.exp().sum()
    with pytest.warns(DeprecationWarning, match="retain_variables"):
        y.backward(retain_variables=True)
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_unknown_classic_keyword_is_a_type_error():
    y = Variable(gradgpu.ones(1), requires_grad=True).sum()
    with pytest.raises(TypeError, match="unexpected keyword argument 'retain_everything'"):
        autograd.backward(y, retain_everything=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'grad_variables'"):
        y.backward(grad_variables=gradgpu.ones(()))


@pytest.mark.parametrize("write", [lambda y, v: y.mul_(v), lambda y, v: y.copy_(v)])
def test_an_in_place_op_with_a_volatile_operand_makes_the_target_volatile(write):
    """The result of an op with a volatile input is volatile; written in place, it must not
    keep the target's old history (backward gave w.grad [1, 1], the derivative without v)."""
    v = Variable(gradgpu.tensor([3.0, 3.0]), volatile=True)
    w = Variable(gradgpu.ones(2), requires_grad=True)
    y = w * 1
    write(y, v)
    assert y.volatile and not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()
