"""linalg.solve_triangular: X with A X = B (or X A = B) for triangular A, batched, with
gradients written in differentiable ops (create_graph works)."""

from __future__ import annotations

from ..autograd.function import Function
from ._common import Tensor, same_device, xp_of
from .linalg_inverse import check_float, check_matrix, check_square
from .shape import expand, tril, triu
from .shape.views import broadcast_shapes


class SolveTriangular(Function):
    """X = A^-1 B (A triangular, only its ``upper``/lower triangle read);
    dB = A^-T g,  dA = -(dB X^T) on that triangle"""

    @staticmethod
    def forward(ctx, A, B, upper):
        # a general LU solve: both backends have it, and on a triangular matrix it is exact to
        # the same rounding as a triangular solve (no pivoting happens below the diagonal)
        X = Tensor._make(xp_of(A).linalg.solve(A._data, B._data))
        ctx.upper = upper
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        gB = SolveTriangular.apply(A.mT, g, not ctx.upper)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -(gB @ X.mT)
            gA = triu(gA) if ctx.upper else tril(gA)
        return gA, gB, None


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B (``left``) or X A = B, A (..., n, n) upper or lower triangular (the other
    triangle is not read; ``unitriangular``: nor is the diagonal, taken as ones); batch dims
    of A and B broadcast."""
    op = "linalg.solve_triangular"
    check_square(A, op)
    check_matrix(B, op)
    check_float(A, op)
    same_device(op, A, B)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{op}: Expected A and B to have the same dtype, but found A of "
                           f"type {A.dtype} and B of type {B.dtype} instead")
    n = A._data.shape[-1]
    need = B._data.shape[-2] if left else B._data.shape[-1]
    if need != n:
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({list(A.shape)} and "
                           f"{list(B.shape)})")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return solve_triangular(A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT
    A = triu(A, 1 if unitriangular else 0) if upper else tril(A, -1 if unitriangular else 0)
    if unitriangular:
        A = A + Tensor._make(xp_of(A).eye(n, dtype=A._data.dtype))
    batch = broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    A = expand(A, batch + tuple(A.shape[-2:]))
    B = expand(B, batch + tuple(B.shape[-2:]))
    return SolveTriangular.apply(A, B, bool(upper))

