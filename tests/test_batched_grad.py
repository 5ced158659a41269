"""autograd.grad(is_grads_batched=True): a batch of vector-Jacobian products in one call."""

import math

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import grad

F64 = gradgpu.float64


def test_rows_of_the_identity_give_the_jacobian(device):
    x = gradgpu.tensor([0.5, -1.0, 2.0], dtype=F64, device=device, requires_grad=True)
    w = gradgpu.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]], dtype=F64, device=device,
                       requires_grad=True)
    y = w @ x.sin()  # 2 outputs
    jx, jw = grad(y, (x, w), gradgpu.eye(2, dtype=F64, device=device), is_grads_batched=True)
    xv, wv = x.detach().cpu().numpy(), w.detach().cpu().numpy()
    np.testing.assert_allclose(jx.cpu().numpy(), wv * np.cos(xv), rtol=1e-12)
    assert jw.shape == (2, 2, 3)
    np.testing.assert_allclose(jw.cpu().numpy()[1], [[0, 0, 0], np.sin(xv)], rtol=1e-12)
    with pytest.raises(RuntimeError, match="freed|backward through the graph a second time"):
        y.sum().backward()  # the graph was freed after the last row


def test_keeps_the_graph_when_asked_and_builds_one_with_create_graph():
    x = gradgpu.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    y = x ** 3
    (jac,) = grad(y, x, gradgpu.eye(2, dtype=F64), is_grads_batched=True, create_graph=True)
    (hess_diag,) = grad(jac.sum(), x)  # d/dx of 3x^2 summed over rows
    assert hess_diag.tolist() == [6.0, 12.0]
    y.sum().backward()  # create_graph kept the graph
    assert x.grad.tolist() == [3.0, 12.0]


def test_unused_inputs_and_materialized_zeros():
    x = gradgpu.ones(2, requires_grad=True)
    unused = gradgpu.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        grad(x * 2, (x, unused), gradgpu.eye(2), is_grads_batched=True, retain_graph=True)
    gx, gu = grad(x * 2, (x, unused), gradgpu.eye(2), is_grads_batched=True,
                  allow_unused=True, retain_graph=True)
    assert gu is None and gx.tolist() == [[2.0, 0.0], [0.0, 2.0]]
    _, gu = grad(x * 2, (x, unused), gradgpu.eye(2), is_grads_batched=True,
                 materialize_grads=True)
    assert gu.tolist() == [[0.0] * 3] * 2


def test_refuses_grad_outputs_without_a_matching_batch_dimension():
    x = gradgpu.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="we interpret the first dimension of each "
                                           "grad_output as the batch dimension"):
        grad(x * 2, x, gradgpu.ones(3), is_grads_batched=True)
    with pytest.raises(RuntimeError, match="needs grad_outputs"):
        grad((x * 2).sum(), x, is_grads_batched=True)


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xs, vs = rng.standard_normal((2, 3)), rng.standard_normal((4, 3, 2))

    def run(lib, x_arr, v_arr):
        x = lib.tensor(x_arr, dtype=lib.float64, requires_grad=True)
        y = (x.t() @ x).tanh()[:, :2]
        (g,) = lib.autograd.grad(y, x, lib.tensor(v_arr, dtype=lib.float64),
                                 is_grads_batched=True)
        return g.detach().numpy()

    np.testing.assert_allclose(run(gradgpu, xs, vs), run(torch, xs, vs), rtol=1e-12)


def test_materialized_gradients_are_zeros_even_for_infinite_inputs():
    # PyTorch's zeros_like: an unused input holding inf gets 0, not inf * 0 = NaN
    x = gradgpu.ones(2, requires_grad=True)
    unused = gradgpu.tensor([math.inf, 1.0], requires_grad=True)
    (_, g) = grad((x * 2).sum(), (x, unused), materialize_grads=True, retain_graph=True)
    assert g.tolist() == [0.0, 0.0]
    (_, g) = grad(x * 2, (x, unused), gradgpu.eye(2), is_grads_batched=True,
                  materialize_grads=True)
    assert g.tolist() == [[0.0, 0.0], [0.0, 0.0]]
