"""einsum: the listed equations vs numpy.einsum, gradients of diagonals and repeated operands,
and the equation validation errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import grad

RNG = np.random.default_rng(7)


def _arr(*shape):
    return RNG.standard_normal(shape)


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("bhqk,bhkd->bhqd", [(2, 3, 4, 6), (2, 3, 6, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(3, 4), (2, 4, 5)]),
    ("...ij->...", [(2, 3, 4)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("ij->", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ba,aB", [(2, 3), (3, 4)]),
    ("i j , j k -> i k", [(2, 3), (3, 2)]),
    ("", [()]),
])
def test_einsum_matches_numpy(equation, shapes):
    arrays = [_arr(*s) for s in shapes]
    got = gradgpu.einsum(equation, *[gradgpu.tensor(a) for a in arrays])
    want = np.einsum(equation.replace(" ", ""), *arrays)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


def test_einsum_accepts_a_list_of_operands_and_promotes_dtypes():
    a = gradgpu.tensor(_arr(2, 3), dtype=gradgpu.float32)
    b = gradgpu.tensor(_arr(3, 2), dtype=gradgpu.float64)
    out = gradgpu.einsum("ij,jk->ik", [a, b])
    assert out.dtype is gradgpu.float64
    np.testing.assert_allclose(out.numpy(), a.numpy().astype(np.float64) @ b.numpy())


def test_einsum_broadcasts_size_one_subscripts():
    a = gradgpu.tensor(_arr(3, 1), requires_grad=True)
    b = gradgpu.tensor(_arr(1, 4), requires_grad=True)
    out = gradgpu.einsum("ij,ij->ij", a, b)
    np.testing.assert_allclose(out.detach().numpy(), a.detach().numpy() * b.detach().numpy())
    ga, gb = grad(out.sum(), (a, b))
    assert ga.shape == (3, 1) and gb.shape == (1, 4)
    np.testing.assert_allclose(ga.numpy(), np.full((3, 1), b.detach().numpy().sum()))


def test_einsum_diagonal_gradient_is_identity_embedded():
    x = gradgpu.tensor(_arr(3, 3), requires_grad=True)
    (g,) = grad(gradgpu.einsum("ii", x), x)
    np.testing.assert_array_equal(g.numpy(), np.eye(3))
    w = gradgpu.tensor([1.0, 2.0, 3.0], dtype=gradgpu.float64)
    (g,) = grad((gradgpu.einsum("ii->i", x) * w).sum(), x)
    np.testing.assert_array_equal(g.numpy(), np.diag([1.0, 2.0, 3.0]))


def test_einsum_repeated_operand_accumulates_both_gradients():
    x = gradgpu.tensor(_arr(2, 3), requires_grad=True)
    (g,) = grad(gradgpu.einsum("ij,ij->", x, x), x)
    np.testing.assert_allclose(g.numpy(), 2 * x.detach().numpy())
    m = gradgpu.tensor(_arr(3, 3), requires_grad=True)
    (g,) = grad(gradgpu.einsum("ij,jk->ik", m, m).sum(), m)
    ones = np.ones((3, 3))
    md = m.detach().numpy()
    np.testing.assert_allclose(g.numpy(), ones @ md.T + md.T @ ones)


def test_einsum_double_backward_matches_matmul():
    a = gradgpu.tensor(_arr(2, 3), requires_grad=True)
    b = gradgpu.tensor(_arr(3, 2), requires_grad=True)
    (ga,) = grad((gradgpu.einsum("ij,jk->ik", a, b) ** 2).sum(), a, create_graph=True)
    (gb,) = grad(ga.sum(), b)
    (ga_ref,) = grad(((a @ b) ** 2).sum(), a, create_graph=True)
    (gb_ref,) = grad(ga_ref.sum(), b)
    np.testing.assert_allclose(gb.numpy(), gb_ref.numpy())


@pytest.mark.parametrize("equation,shapes,match", [
    ("ij,jk", [(2, 3)], "fewer operands were provided than specified"),
    ("ij", [(2, 3), (3, 2)], "more operands were provided than specified"),
    ("ijk->i", [(2, 3)], r"the number of subscripts in the equation \(3\) does not match the "
                         r"number of dimensions \(2\) for operand 0"),
    ("...ijk", [(2, 3)], r"the number of subscripts in the equation \(3\) is more than the "
                         r"number of dimensions \(2\)"),
    ("ij->ii", [(2, 3)], "output subscript i appears more than once"),
    ("ij->k", [(2, 3)], "output subscript k does not appear in the equation"),
    ("i.j", [(2, 3)], "found '.' for operand 0 that is not part of any ellipsis"),
    ("......", [(2, 3)], "found '.' for operand 0 for which an ellipsis was already found"),
    ("i1", [(2, 3)], "invalid subscript given at index 1.*must be in \\[a-zA-Z\\]"),
    ("ij->i->j", [(2, 3)], "invalid subscript given at index 5"),
    ("ij,jk->ik", [(2, 3), (4, 2)], "subscript j has size 4 for operand 1 which does not "
                                    "broadcast with previously seen size 3"),
    ("ii", [(2, 3)], "subscript i is repeated for operand 0 but the sizes don't match"),
])
def test_einsum_malformed_equations(equation, shapes, match):
    operands = [gradgpu.ones(*s) for s in shapes]
    with pytest.raises(RuntimeError, match=rf"einsum\(\): {match}"):
        gradgpu.einsum(equation, *operands)


def test_einsum_argument_types():
    with pytest.raises(RuntimeError, match="must provide at least one operand"):
        gradgpu.einsum("i")
    with pytest.raises(TypeError, match="operand 1 must be a Tensor, not list"):
        gradgpu.einsum("i,i", gradgpu.ones(2), [1.0, 2.0])
