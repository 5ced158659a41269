"""gradgpu.linalg beyond the op registry (tests/op_db/linalg_additions.py checks values,
gradcheck and gradgradcheck): PyTorch's errors, result types, the top-level aliases and their
deprecation warnings, values copied from PyTorch 2.13 runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu import linalg as LA
from gradgpu.ops import linalg_aliases


def _t(x, device, dtype=gradgpu.float64, requires_grad=False):
    return gradgpu.tensor(x, dtype=dtype, device=device, requires_grad=requires_grad)


# ---- errors ----------------------------------------------------------------------------------
def test_linalg_error_is_a_runtime_error():
    assert issubclass(LA.LinAlgError, RuntimeError)


@pytest.mark.parametrize("fn,shape,match", [
    (LA.inv, (2, 2), r"^linalg.inv: The diagonal element 1 is zero, the inversion could not be "
                     r"completed because the input matrix is singular.$"),
    (LA.inv, (3, 2, 2), r"^linalg.inv: \(Batch element 0\): The diagonal element 1 is zero"),
    (lambda a: LA.solve(a, gradgpu.ones(2, dtype=a.dtype, device=a.device)), (3, 2, 2),
     r"^torch.linalg.solve: \(Batch element 0\): The solver failed because the input matrix "
     r"is singular.$"),
    (LA.cholesky, (2, 2), r"^linalg.cholesky: The factorization could not be completed because "
                          r"the input is not positive-definite \(the leading minor of order 1 "
                          r"is not positive-definite\).$"),
])
def test_singular_input_raises_linalg_error(device, fn, shape, match):
    with pytest.raises(LA.LinAlgError, match=match):
        fn(gradgpu.zeros(*shape, dtype=gradgpu.float64, device=device))


def test_singular_pivot_and_batch_are_named(device):
    a = np.stack([np.eye(3), np.ones((3, 3))])  # element 1 singular, LU's 2nd pivot is 0
    with pytest.raises(LA.LinAlgError, match=r"\(Batch element 1\): The diagonal element 2 "):
        LA.inv(_t(a, device))
    spd_then_not = np.array([[1.0, 2.0], [2.0, 1.0]])  # leading minor of order 2 is negative
    with pytest.raises(LA.LinAlgError, match="leading minor of order 2 is not"):
        LA.cholesky(_t(spd_then_not, device))


@pytest.mark.parametrize("fn,name", [(LA.inv, "linalg.inv"), (LA.det, "linalg.det"),
                                     (LA.slogdet, "linalg.slogdet"), (LA.eigh, "linalg.eigh"),
                                     (LA.cholesky, "linalg.cholesky")])
def test_square_and_dtype_contracts(fn, name):
    with pytest.raises(RuntimeError, match=rf"^{name}: A must be batches of square matrices, "
                                           r"but they are 2 by 3 matrices$"):
        fn(gradgpu.ones(2, 3))
    with pytest.raises(RuntimeError, match=rf"^{name}: The input tensor A must have at least 2 "
                                           r"dimensions.$"):
        fn(gradgpu.ones(2))
    with pytest.raises(RuntimeError, match=rf"^{name}: Expected a floating point or complex "
                                           r"tensor as input. Got Long$"):
        fn(gradgpu.ones(2, 2, dtype=gradgpu.int64))
    with pytest.raises(RuntimeError, match=rf"^{name}: Low precision dtypes not supported. "
                                           r"Got Half$"):
        fn(gradgpu.ones(2, 2, dtype=gradgpu.float16))


def test_solve_errors():
    with pytest.raises(RuntimeError, match=r"Incompatible shapes of A and B for the equation "
                                           r"AX = B \(2x2 and 3x1\)"):
        LA.solve(gradgpu.eye(2), gradgpu.ones(3))
    with pytest.raises(RuntimeError, match="Expected A and B to have the same dtype, but found "
                                           "A of type Double and B of type Float instead"):
        LA.solve(gradgpu.eye(2, dtype=gradgpu.float64), gradgpu.ones(2))
    with pytest.raises(RuntimeError, match="batch dimensions .* cannot be broadcast"):
        LA.solve(gradgpu.ones(3, 2, 2), gradgpu.ones(2, 2, 1))


def test_argument_errors():
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U', but got X"):
        LA.eigh(gradgpu.eye(2), UPLO="X")
    with pytest.raises(RuntimeError, match="qr received unrecognized mode 'x'"):
        LA.qr(gradgpu.eye(2), mode="x")
    with pytest.raises(RuntimeError, match=r"^multi_dot\(\): expected at least 2 tensors but "
                                           r"got 1$"):
        LA.multi_dot([gradgpu.ones(2)])
    with pytest.raises(RuntimeError, match=r"tensors 0 and 1 with shapes \[2, 3\] and \[4, 5\] "
                                           "cannot be multiplied"):
        LA.multi_dot([gradgpu.ones(2, 3), gradgpu.ones(4, 5)])
    with pytest.raises(RuntimeError, match=r"tensor 1 must be 2D but got 3D"):
        LA.multi_dot([gradgpu.ones(2, 3), gradgpu.ones(3, 5, 2), gradgpu.ones(2)])
    with pytest.raises(RuntimeError, match="linalg.vecdot: Expected x and y to have the same "
                                           "dtype, but found x of type Float and y of type "
                                           "Double instead"):
        LA.vecdot(gradgpu.ones(3), gradgpu.ones(3, dtype=gradgpu.float64))
    with pytest.raises(TypeError, match="argument 'n' .* must be int, not float"):
        LA.matrix_power(gradgpu.eye(2), 1.5)
    with pytest.raises(RuntimeError, match="linalg.matrix_power: A must be batches of square"):
        LA.matrix_power(gradgpu.ones(2, 3), 2)


def test_norm_errors():
    with pytest.raises(RuntimeError, match="^linalg.vector_norm: Expected a floating point or "
                                           "complex tensor as input. Got Long$"):
        LA.vector_norm(gradgpu.ones(2, dtype=gradgpu.int64))
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        LA.vector_norm(gradgpu.ones(0), math.inf)
    with pytest.raises(RuntimeError, match="cannot compute the -1 norm on the dimension 1"):
        LA.vector_norm(gradgpu.ones(2, 0), -1, dim=1)
    assert LA.vector_norm(gradgpu.ones(2, 0), math.inf, dim=0).shape == (0,)
    with pytest.raises(TypeError, match="argument 'ord' .* must be Number, not str"):
        LA.vector_norm(gradgpu.ones(2), "fro")
    with pytest.raises(RuntimeError, match="should be convertible without narrowing to the "
                                           r"specified dtype \(Float\)"):
        LA.vector_norm(gradgpu.ones(2, dtype=gradgpu.float64), dtype=gradgpu.float32)
    with pytest.raises(RuntimeError, match="^linalg.matrix_norm: Order 3 not supported.$"):
        LA.matrix_norm(gradgpu.ones(3, 3), 3)
    with pytest.raises(RuntimeError, match="^linalg.matrix_norm: dim must be a 2-tuple. Got 0$"):
        LA.norm(gradgpu.ones(2, 2), "nuc", dim=0)
    with pytest.raises(RuntimeError, match=r"dims must be different. Got \(0, 0\)"):
        LA.matrix_norm(gradgpu.ones(2, 2), dim=(0, 0))
    with pytest.raises(RuntimeError, match="If dim is not specified but ord is, the input must "
                                           "be 1D or 2D. Got 3D."):
        LA.norm(gradgpu.ones(2, 2, 2), 2)
    with pytest.raises(RuntimeError, match=r"it must be of length 1 or 2. Got \[0, 1, 0\]"):
        LA.norm(gradgpu.ones(2, 3), dim=(0, 1, 0))


def test_lstsq_fields_and_errors(device):
    a = _t([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], device)
    b = _t([[1.0], [2.0], [4.0]], device)
    res = LA.lstsq(a, b, driver="gelsd")  # values from PyTorch 2.13
    np.testing.assert_allclose(res.solution.cpu().numpy(), [[4 / 3], [7 / 3]])
    np.testing.assert_allclose(res.residuals.cpu().numpy(), [1 / 3])
    assert res.rank.item() == 2 and res.singular_values.shape == (2,)
    default = LA.lstsq(a, b)  # 'gelsy': no residuals, no singular values
    assert default.residuals.shape == (0,) and default.singular_values.shape == (0,)
    with pytest.raises(RuntimeError, match="driver` should be one of"):
        LA.lstsq(a, b, driver="x")
    with pytest.raises(RuntimeError, match=r"input.size\(-2\) should match other.size\(-2\)"):
        LA.lstsq(a, _t([[1.0], [2.0]], device))
    with pytest.raises(RuntimeError, match="input's dtype Double and other's dtype Float"):
        LA.lstsq(a, b.float())


def test_qr_backward_errors():
    a = gradgpu.ones(3, 2, dtype=gradgpu.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        LA.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows"):
        LA.qr(a, mode="complete").Q.sum().backward()


# ---- values (constants from PyTorch 2.13) ----------------------------------------------------
def test_values_match_pytorch(device):
    a = _t([[2.0, 1.0], [1.0, 3.0]], device)
    w, v = LA.eigh(a)
    np.testing.assert_allclose(w.cpu().numpy(), [1.381966011250105, 3.618033988749895])
    np.testing.assert_allclose(np.abs(v.cpu().numpy()), [[0.8507, 0.5257], [0.5257, 0.8507]],
                               atol=1e-4)
    assert LA.norm(a, "nuc").item() == pytest.approx(5.0)
    assert LA.matrix_norm(a, -2).item() == pytest.approx(1.381966011250105)
    assert LA.vector_norm(_t([3.0, 4.0], device, gradgpu.float32),
                          dtype=gradgpu.float64).dtype is gradgpu.float64
    sign, logabs = LA.slogdet(gradgpu.zeros(2, 2, device=device))
    assert (sign.item(), logabs.item()) == (0.0, -math.inf)
    assert LA.det(gradgpu.zeros(2, 2, device=device)).item() == 0.0
    assert LA.qr(gradgpu.ones(2, 2, device=device), mode="r").Q.shape == (0,)
    np.testing.assert_allclose(LA.cholesky(_t([[4.0, 2.0], [2.0, 5.0]], device), upper=True)
                               .cpu().numpy(), [[2.0, 1.0], [0.0, 2.0]])
    x = np.ones((2, 3, 3))
    x[1] = np.eye(3)
    rank = LA.matrix_rank(_t(x, device), atol=0.5)
    assert rank.dtype is gradgpu.int64 and rank.cpu().numpy().tolist() == [1, 3]
    assert LA.matrix_rank(gradgpu.ones(3, 3, device=device)).item() == 1


def test_result_types_are_named_tuples(device):
    a = gradgpu.eye(3, device=device)
    assert type(LA.eigh(a)).__name__ == "linalg_eigh" and LA.eigh(a).eigenvectors.shape == (3, 3)
    assert LA.svd(gradgpu.ones(2, 3, device=device)).Vh.shape == (3, 3)
    assert LA.svd(gradgpu.ones(2, 3, device=device), full_matrices=False).Vh.shape == (2, 3)
    assert type(LA.slogdet(a)).__name__ == "linalg_slogdet"
    assert type(gradgpu.slogdet(a)).__name__ == "slogdet"
    assert type(LA.qr(a)).__name__ == "linalg_qr"


def test_eigvalsh_gradient_is_finite_at_repeated_eigenvalues(device):
    # only the eigenvalues are used: no 1 / (L_j - L_i) term, as in PyTorch
    a = gradgpu.eye(3, dtype=gradgpu.float64, device=device, requires_grad=True)
    LA.eigvalsh(a).sum().backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), np.eye(3), atol=1e-12)


def test_inv_create_graph_hessian(device):
    # d/da of d(1/a)/da = 2 / a^3 for a 1x1 matrix
    a = _t([[2.0]], device, requires_grad=True)
    (g,) = gradgpu.autograd.grad(LA.inv(a).sum(), a, create_graph=True)
    (h,) = gradgpu.autograd.grad(g.sum(), a)
    assert g.item() == pytest.approx(-0.25) and h.item() == pytest.approx(0.25)


# ---- top-level aliases -----------------------------------------------------------------------
def test_top_level_aliases_and_methods(device):
    a = _t([[2.0, 1.0], [1.0, 3.0]], device)
    np.testing.assert_allclose(gradgpu.inverse(a).cpu().numpy(), [[0.6, -0.2], [-0.2, 0.4]])
    np.testing.assert_allclose(a.inverse().cpu().numpy(), [[0.6, -0.2], [-0.2, 0.4]])
    assert gradgpu.det(a).item() == pytest.approx(5.0) == a.det().item()
    assert a.logdet().item() == pytest.approx(math.log(5.0))
    assert math.isnan(gradgpu.logdet(_t([[-1.0]], device)).item())
    np.testing.assert_allclose(a.matrix_power(2).cpu().numpy(), [[5.0, 5.0], [5.0, 10.0]])
    np.testing.assert_allclose(a.pinverse().cpu().numpy(), [[0.6, -0.2], [-0.2, 0.4]])
    U, S, V = gradgpu.svd(a)
    np.testing.assert_allclose((U * S.unsqueeze(0) @ V.mT).cpu().numpy(), a.cpu().numpy())
    U0, S0, V0 = gradgpu.svd(gradgpu.ones(3, 2, device=device), compute_uv=False)
    assert U0.shape == (3, 3) and V0.shape == (2, 2) and not U0.cpu().numpy().any()
    assert S0.cpu().numpy()[0] == pytest.approx(math.sqrt(6.0), rel=1e-6)


@pytest.mark.parametrize("name,call", [
    ("cholesky", lambda a: gradgpu.cholesky(a)),
    ("qr", lambda a: gradgpu.qr(a)),
])
def test_deprecated_aliases_warn_once(monkeypatch, name, call):
    monkeypatch.setattr(linalg_aliases, "_warned", set())
    a = gradgpu.eye(2)
    with pytest.warns(UserWarning, match=rf"torch.{name} is deprecated in favor of "
                                         rf"torch.linalg.{name}"):
        call(a)
    # L[0] of cholesky, Q[0] of qr (PyTorch's values); no second warning (warnings are errors)
    out = call(4 * a)
    first = out[0] if name == "cholesky" else out.Q[0]
    np.testing.assert_allclose(first.cpu().numpy(), [2.0, 0.0] if name == "cholesky"
                               else [1.0, 0.0])


def test_solve_triangular_reads_one_triangle_broadcasts_and_solves_from_either_side():
    rng = np.random.default_rng(0)
    a = gradgpu.tensor(rng.standard_normal((2, 4, 4)) + 4 * np.eye(4), requires_grad=True)
    b = gradgpu.tensor(rng.standard_normal((3, 1, 4, 2)), requires_grad=True)
    c = gradgpu.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    x = gradgpu.linalg.solve_triangular(a, b, upper=True)
    y = gradgpu.linalg.solve_triangular(a, c, upper=False, left=False, unitriangular=True)
    (x.pow(2).sum() + y.sin().sum()).backward()
    # PyTorch 2.13 on the same inputs
    assert tuple(x.shape) == (3, 2, 4, 2)
    np.testing.assert_allclose([x.sum().item(), y.sum().item()],
                               [4.974793578266439, 8.799780965956922], rtol=1e-12)
    np.testing.assert_allclose([a.grad.sum().item(), b.grad.sum().item(), c.grad.sum().item()],
                               [-3.794565806174444, 2.5016742679413295, 1.5548273761784726],
                               rtol=1e-12)
    triangle = a.detach().triu()
    np.testing.assert_allclose((triangle @ x).detach().numpy(),
                               np.broadcast_to(b.detach().numpy(), (3, 2, 4, 2)), atol=1e-12)
    with pytest.raises(RuntimeError, match="Incompatible shapes of A and B"):
        gradgpu.linalg.solve_triangular(a, c, upper=True)


# ---- review regressions (values from PyTorch 2.13) ---------------------------------------------
def test_det_gradient_of_singular_matrices_is_the_cofactor_matrix(device):
    # PyTorch's create_graph path (SVD): the adjugate transposed, not a LinAlgError
    A = _t([[[1.0, 2.0], [3.0, 6.0]], [[2.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [3.0, 5.0]]],
           device, requires_grad=True)
    (g,) = gradgpu.autograd.grad(LA.det(A).sum(), A)
    expected = [[[6.0, -3.0], [-2.0, 1.0]], [[0.0, 0.0], [0.0, 2.0]], [[5.0, -3.0], [-2.0, 1.0]]]
    np.testing.assert_allclose(g.cpu().numpy(), expected, atol=1e-12)
    Z = _t(np.zeros((3, 3)), device, requires_grad=True)
    (g,) = gradgpu.autograd.grad(LA.det(Z), Z)
    assert np.array_equal(g.cpu().numpy(), np.zeros((3, 3)))


def test_rank_tolerance_nonpositive_atol_keeps_default_rtol(device):
    # PyTorch: rtol defaults to eps * max(m, n) unless atol > 0
    A = gradgpu.diag(_t([1.0, 1e-17, 1.0], device))
    assert LA.matrix_rank(A, atol=0.0).item() == 2
    assert LA.matrix_rank(A, atol=-1.0).item() == 2
    assert LA.matrix_rank(A, atol=1e-20).item() == 3
    assert LA.pinv(A, atol=0.0).cpu().numpy()[1, 1] == 0.0
    batch = gradgpu.stack([A, A])
    assert LA.matrix_rank(batch, atol=_t([0.0, 0.5], device)).tolist() == [2, 2]


@pytest.mark.parametrize("upper", [False, True])
def test_solve_triangular_zero_diagonal_gives_inf_not_an_error(device, upper):
    # PyTorch's trsm divides by the zero pivot: inf (and nan after it) instead of an error
    A = _t([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 2.0]], device)
    A = A.mT if upper else A
    B = _t([[1.0], [1.0], [1.0]], device)
    X = LA.solve_triangular(A, B, upper=upper).cpu().numpy()
    expected = [[1.0], [math.nan], [math.nan]] if not upper else [[-math.inf], [math.inf], [0.5]]
    if device == "cuda" and not upper:
        # CuPy's LU solve returns NaN for the whole singular system, not the substitution's
        # values (docs/deviations.md); still no error
        expected = [[math.nan]] * 3
    np.testing.assert_array_equal(X, expected)


def test_negative_order_vector_norm_has_zero_gradient_where_an_entry_is_zero(device):
    # PyTorch masks the gradient where the norm is 0 (here: where some |x| is 0)
    x = _t([[0.0, 1.0], [2.0, 3.0]], device, requires_grad=True)
    y = LA.vector_norm(x, -1.5, dim=-1)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().cpu().numpy(), [0.0, 1.4969], atol=1e-4)
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0.0, 0.0], [0.484655, 0.175875]],
                               atol=1e-6)


@pytest.mark.parametrize("fn", [LA.svdvals, LA.svd, LA.pinv, LA.matrix_rank,
                                lambda a: LA.matrix_norm(a, 2)])
def test_svd_of_nan_raises_pytorchs_linalg_error(fn):
    # NumPy raises its own LinAlgError (a ValueError); PyTorch's is a RuntimeError
    with pytest.raises(LA.LinAlgError, match=r"^linalg.svd: The algorithm failed to converge "
                                             r"because the input matrix contained non-finite "
                                             r"values.$"):
        fn(_t([[math.nan, 0.0], [0.0, 1.0]], "cpu"))


@pytest.mark.parametrize("b_shape", [(3,), (2, 3)])
def test_solve_right_side_takes_no_vectors(b_shape):
    A = gradgpu.eye(3, dtype=gradgpu.float64).expand(2, 3, 3)
    with pytest.raises(RuntimeError, match=r"^linalg.solve: Incompatible shapes of A and B for "
                                           r"the equation XA = B \(3x3 and 3x1\)$"):
        LA.solve(A, gradgpu.ones(*b_shape, dtype=gradgpu.float64), left=False)


def test_slogdet_gradient_at_a_singular_matrix_is_infinite_not_an_error(device):
    # PyTorch 2.13 gives [[-inf, inf], [inf, -inf]] for the first matrix (signs from LU's
    # triangular solve with a zero pivot); we give g cof(A) / +0, the limit as det -> 0+
    a = _t([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]]], device, requires_grad=True)
    (grad,) = gradgpu.autograd.grad(LA.slogdet(a).logabsdet.sum(), a)
    np.testing.assert_allclose(grad.cpu().numpy(), [[[math.inf, -math.inf], [-math.inf, math.inf]],
                                                    [[0.6, -0.2], [-0.2, 0.4]]])
    z = _t(np.zeros((2, 2)), device, requires_grad=True)
    (zero,) = gradgpu.autograd.grad(LA.slogdet(z).logabsdet, z)
    assert np.isnan(zero.cpu().numpy()).all()  # every cofactor is 0: 0 / 0


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("a,prefix,order", [
    ([[math.nan, 0.0], [0.0, 1.0]], "", 1),
    ([[1.0, 0.0], [math.nan, 1.0]], "", 2),
    ([[[1.0, 0.0], [0.0, 1.0]], [[4.0, 0.0], [0.0, math.nan]]], r"\(Batch element 1\): ", 2),
])
def test_cholesky_of_nan_raises_pytorchs_linalg_error(device, a, prefix, order, upper):
    with pytest.raises(LA.LinAlgError, match=rf"^linalg.cholesky: {prefix}The factorization "
                                             r"could not be completed because the input is not "
                                             rf"positive-definite \(the leading minor of order "
                                             rf"{order} is not positive-definite\).$"):
        LA.cholesky(_t(a, device), upper=upper)
    # only the lower triangle is read: a nan above the diagonal is no error (as PyTorch's)
    np.testing.assert_array_equal(LA.cholesky(_t([[1.0, math.nan], [0.0, 1.0]], device))
                                  .cpu().numpy(), np.eye(2))


def test_solve_factors_an_unbatched_a_once_for_a_batched_b(monkeypatch):
    shapes, solve = [], np.linalg.solve
    monkeypatch.setattr(np.linalg, "solve", lambda a, b: shapes.append(a.shape) or solve(a, b))
    A = _t([[2.0, 1.0], [1.0, 3.0]], "cpu", requires_grad=True)
    B = _t(np.arange(12.0).reshape(3, 2, 2), "cpu", requires_grad=True)
    X = LA.solve(A, B)
    gA, gB = gradgpu.autograd.grad((X * _t(np.arange(12.0).reshape(3, 2, 2), "cpu")).sum(),
                                   (A, B))
    assert shapes == [(2, 2), (2, 2)]  # forward and backward: one 2x2 system, 6 columns
    with pytest.raises(LA.LinAlgError, match=r"^torch.linalg.solve: The solver failed because "):
        LA.solve(gradgpu.zeros(2, 2, dtype=gradgpu.float64), B)  # A has no batch element 0
    # PyTorch 2.13's values
    expected = [[[-0.4, 0.0], [0.8, 1.0]], [[1.2, 1.6], [1.6, 1.8]], [[2.8, 3.2], [2.4, 2.6]]]
    np.testing.assert_allclose(X.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(gB.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(gA.numpy(), [[-22.24, -19.52], [-19.52, -19.96]], rtol=1e-12)
    # a batched A, B with one more leading dim (broadcast in B's own batch dim)
    A2 = _t([[[2.0, 1.0], [1.0, 3.0]], [[1.0, 0.0], [1.0, 2.0]]], "cpu", requires_grad=True)
    B2 = _t(np.array([1.0, 2.0, -1.0]).reshape(3, 1, 1, 1) * np.array([[[1.0], [2.0]]]),
            "cpu", requires_grad=True)
    shapes.clear()
    X2 = LA.solve(A2, B2)
    gA2, gB2 = gradgpu.autograd.grad((X2 * X2).sum(), (A2, B2))
    assert shapes == [(2, 2, 2), (2, 2, 2)]
    np.testing.assert_allclose(X2.detach().numpy()[:, :, :, 0],
                               [[[0.2, 0.6], [1.0, 0.5]], [[0.4, 1.2], [2.0, 1.0]],
                                [[-0.2, -0.6], [-1.0, -0.5]]], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gA2.numpy(), [[[0.0, 0.0], [-0.48, -1.44]],
                                             [[-9.0, -4.5], [-3.0, -1.5]]], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gB2.numpy()[:, 0, :, 0], [[1.5, 0.9], [3.0, 1.8], [-1.5, -0.9]],
                               rtol=1e-12)


def test_solve_with_nan_in_b_gives_nan_not_an_error(device):
    # PyTorch 2.13: [[nan], [nan]] (LAPACK's getrs mixes the nan into every row)
    X = LA.solve(_t([[1.0, 0.0], [0.0, 1.0]], device), _t([[math.nan], [1.0]], device))
    assert np.isnan(X.cpu().numpy()).all()
