"""The two matrix routines MultivariateNormal needs, on the backend's ``xp.linalg`` (NumPy or
CuPy) with backward in differentiable gradgpu ops (create_graph works): Cholesky factor and
triangular solve. Kept private to the distributions package."""

from __future__ import annotations

import gradgpu

from ..autograd.function import Function
from ..ops._common import Tensor, xp_of


class _Cholesky(Function):
    """L = cholesky(A), A = L L^T;  dA = L^-T Phi L^-1 with Phi = tril(L^T gL) symmetrized
    and its diagonal halved"""

    @staticmethod
    def forward(ctx, A):
        out = Tensor._make(xp_of(A).linalg.cholesky(A._data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (L,) = ctx.saved_tensors
        P = (L.mT @ g).tril()
        phi = 0.5 * (P + P.mT) - 0.5 * gradgpu.diag_embed(P.diagonal(dim1=-2, dim2=-1))
        # L^-T phi L^-1 as two triangular solves
        left = solve_triangular(L.mT, phi, upper=True)  # L^-T phi
        return solve_triangular(L.mT, left.mT, upper=True).mT


class _SolveTriangular(Function):
    """X = A^-1 B, A triangular (same batch shape as B);  dB = A^-T g,  dA = -tri(dB X^T)"""

    @staticmethod
    def forward(ctx, A, B, upper):
        X = Tensor._make(xp_of(A).linalg.solve(A._data, B._data))
        ctx.upper = upper
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        gB = solve_triangular(A.mT, g, upper=not ctx.upper)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -(gB @ X.mT)
            gA = gA.triu() if ctx.upper else gA.tril()
        return gA, gB, None


def cholesky(A: Tensor) -> Tensor:
    """The lower Cholesky factor of symmetric positive-definite matrices (batched)."""
    return _Cholesky.apply(A)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool) -> Tensor:
    """X with A X = B for triangular A (..., n, n) and B (..., n, k); batch dims broadcast."""
    batch = gradgpu.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    A = A.expand(tuple(batch) + tuple(A.shape[-2:]))
    B = B.expand(tuple(batch) + tuple(B.shape[-2:]))
    return _SolveTriangular.apply(A, B, bool(upper))
