"""linalg.solve_triangular: X with A X = B (or X A = B) for triangular A, batched, with
gradients written in differentiable ops (create_graph works)."""

from __future__ import annotations

import numpy as np

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
        # a general LU solve: both backends have it (NumPy and CuPy have no triangular solve in
        # their linalg namespaces); its result agrees with a triangular solve's to rounding
        xp = xp_of(A)
        try:
            x = xp.linalg.solve(A._data, B._data)
        except np.linalg.LinAlgError:  # a zero on the diagonal: inf/nan, as PyTorch's trsm
            x = _substitute(xp, A._data, B._data, upper)
        X = Tensor._make(x)
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


def _substitute(xp, a, b, upper: bool):
    """Forward (lower) or back (upper) substitution, one row of X per step over the batch;
    used only for singular A, where LU raises (the zero pivot gives inf/nan, no warning)."""
    n = a.shape[-1]
    x = xp.zeros(b.shape, dtype=b.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            known = slice(i + 1, n) if upper else slice(0, i)
            r = b[..., i, :] - (a[..., i:i + 1, known] @ x[..., known, :])[..., 0, :]
            x[..., i, :] = r / a[..., i, i:i + 1]
    return x


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

