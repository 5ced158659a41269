"""Decompositions: linalg.eigh / eigvalsh, svd / svdvals, qr, and pinv (batched, float32/64).
Forward is the backend's ``xp.linalg``; backward follows PyTorch's formulas (FunctionsManual's
linalg_eig_backward, svd_backward, linalg_qr_backward, pinv_backward) written in
differentiable gradgpu ops, so create_graph works. Like PyTorch's, eigh/svd gradients are
inf/nan where eigenvalues/singular values repeat and the eigen/singular vectors are used."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ._common import Tensor, xp_of
from .linalg_inverse import LinAlgError, check_matrix, check_square, solve
from .shape import cat, diagonal, narrow, tril, unsqueeze
from .shape.reorder import diag_embed

EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
QRResult = namedtuple("linalg_qr", ["Q", "R"])


def _eye_like(x: Tensor, n: int) -> Tensor:
    return Tensor._make(xp_of(x).eye(n, dtype=x._data.dtype))


def _tracking(A: Tensor) -> bool:
    return A._requires_grad and is_grad_enabled()


# ---- eigh ------------------------------------------------------------------------------------
class Eigh(Function):
    """A = V diag(L) V^T (A symmetric, one triangle read);
    dA = V (diag(gL) + skew(V^T gV) / E) V^T,  skew(X) = (X - X^T) / 2,  E_ij = L_j - L_i"""

    @staticmethod
    def forward(ctx, A, uplo):
        ctx.set_materialize_grads(False)
        w, v = xp_of(A).linalg.eigh(A._data, UPLO=uplo)
        w, v = Tensor._make(w), Tensor._make(v)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        if gV is None:
            if gL is None:
                return None, None
            return V @ (unsqueeze(gL, -1) * V.mT), None
        X = V.mT @ gV
        E = unsqueeze(L, -2) - unsqueeze(L, -1) + _eye_like(L, L.shape[-1])
        X = (0.5 * (X - X.mT)) / E
        if gL is not None:
            X = X + diag_embed(gL)
        return V @ X @ V.mT, None


def _check_uplo(UPLO) -> str:
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A: Tensor, UPLO: str = "L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices, from the
    lower (UPLO='L') or upper triangle."""
    uplo = _check_uplo(UPLO)
    return EighResult(*Eigh.apply(check_square(A, "linalg.eigh"), uplo))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues (ascending) of symmetric matrices; dA = V diag(gL) V^T."""
    uplo = _check_uplo(UPLO)
    check_square(A, "linalg.eigvalsh")
    if not _tracking(A):  # no eigenvectors needed
        return Tensor._make(xp_of(A).linalg.eigvalsh(A._data, UPLO=uplo))
    return Eigh.apply(A, uplo)[0]


# ---- svd -------------------------------------------------------------------------------------
def svd_array(xp, a, **options):
    """xp.linalg.svd, with LAPACK's failure (NaN input on the host) as PyTorch's LinAlgError
    instead of NumPy's (a ValueError)."""
    try:
        return xp.linalg.svd(a, **options)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                          "matrix contained non-finite values.") from None


class SVD(Function):
    """A = U diag(S) Vh;  dA by PyTorch's svd_backward (real case): with k = min(m, n),
    J = (skew(U^T gU) S + S skew(Vh gVh^T)) / E + diag(gS),  skew(X) = X - X^T,
    E_ij = S_j^2 - S_i^2, plus the terms of gU, gVh outside the span of U, V"""

    @staticmethod
    def forward(ctx, A, full_matrices):
        ctx.set_materialize_grads(False)
        u, s, vh = svd_array(xp_of(A), A._data, full_matrices=full_matrices)
        u, s, vh = Tensor._make(u), Tensor._make(s), Tensor._make(vh)
        ctx.full = full_matrices
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        if ctx.full:  # only the first k singular vectors depend on A
            U, Vh = narrow(U, -1, 0, k), narrow(Vh, -2, 0, k)
            gU = None if gU is None else narrow(gU, -1, 0, k)
            gVh = None if gVh is None else narrow(gVh, -2, 0, k)
        return svd_backward(gU, gS, gVh, U, S, Vh), None


def svd_backward(gU, gS, gVh, U, S, Vh):
    """PyTorch's svd_backward for real matrices, reduced U (m, k), S (k), Vh (k, n)."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return None
        return U @ (unsqueeze(gS, -1) * Vh) if m >= n else (U * unsqueeze(gS, -2)) @ Vh
    S2 = S * S
    E = unsqueeze(S2, -2) - unsqueeze(S2, -1) + _eye_like(S, S.shape[-1])
    J = None
    if gU is not None:
        UhgU = U.mT @ gU
        J = (UhgU - UhgU.mT) * unsqueeze(S, -2)
    if gVh is not None:
        VhgV = Vh @ gVh.mT
        term = unsqueeze(S, -1) * (VhgV - VhgV.mT)
        J = term if J is None else J + term
    J = J / E
    if gS is not None:
        J = J + diag_embed(gS)
    k = S.shape[-1]
    if m > k and gU is not None:
        gUSinv = gU / unsqueeze(S, -2)
        gA = U @ J + gUSinv - U @ (U.mT @ gUSinv)
        return gA @ Vh
    if n > k and gVh is not None:
        SinvgVh = gVh / unsqueeze(S, -1)
        gA = J @ Vh + SinvgVh - (SinvgVh @ Vh.mT) @ Vh
        return U @ gA
    return U @ (J @ Vh) if m >= n else (U @ J) @ Vh


def svd(A: Tensor, full_matrices: bool = True):
    """U, S, Vh with A = U diag(S) Vh, singular values descending."""
    check_matrix(A, "linalg.svd")
    return SVDResult(*SVD.apply(A, bool(full_matrices)))


def svdvals(A: Tensor) -> Tensor:
    """Singular values (descending); dA = U diag(gS) Vh."""
    check_matrix(A, "linalg.svdvals")
    if not _tracking(A):
        return Tensor._make(svd_array(xp_of(A), A._data, compute_uv=False))
    return SVD.apply(A, False)[1]


# ---- qr --------------------------------------------------------------------------------------
class QR(Function):
    """A = Q R (Householder, LAPACK's signs);  for m >= n:
    dA = (gQ + Q copyltu(M)) R^-T,  M = R gR^T - gQ^T Q;  for m < n with A = [X | Y],
    R = [U | V]: dY = Q gV and dX is the m >= n formula with gQ + Y gV^T"""

    @staticmethod
    def forward(ctx, A, mode):
        ctx.set_materialize_grads(False)
        xp = xp_of(A)
        if mode == "r":
            r = xp.linalg.qr(A._data, mode="r")
            q = xp.empty((0,), dtype=A._data.dtype)
        else:
            q, r = xp.linalg.qr(A._data, mode=mode)
        q, r = Tensor._make(q), Tensor._make(r)
        ctx.mode = mode
        ctx.save_for_backward(A, q, r)
        return q, r

    @staticmethod
    def backward(ctx, gQ, gR):
        A, Q, R = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                "through linalg.qr.")
        m, n = A.shape[-2], A.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(gQ, gR, Q, R), None
        U = narrow(R, -1, 0, m)
        gU = None if gR is None else narrow(gR, -1, 0, m)
        Y = narrow(A, -1, m, n - m)
        if gR is None:
            return cat([_qr_backward_tall(gQ, None, Q, U), Y * 0], -1), None
        gV = narrow(gR, -1, m, n - m)
        gQ2 = Y @ gV.mT if gQ is None else gQ + Y @ gV.mT
        return cat([_qr_backward_tall(gQ2, gU, Q, U), Q @ gV], -1), None


def _qr_backward_tall(gQ, gR, Q, R):
    """dA for A = QR with Q (m, n), R (n, n) upper triangular."""
    if gR is None:
        M = -(gQ.mT @ Q)
    else:
        M = R @ gR.mT if gQ is None else R @ gR.mT - gQ.mT @ Q
    B = Q @ (tril(M) + tril(M, -1).mT)
    if gQ is not None:
        B = B + gQ
    return solve(R, B.mT).mT  # B R^-T


def qr(A: Tensor, mode: str = "reduced"):
    """Q, R with A = Q R; mode 'reduced' (Q m x k), 'complete' (Q m x m) or 'r' (Q empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    check_matrix(A, "linalg.qr")
    return QRResult(*QR.apply(A, mode))


# ---- pinv ------------------------------------------------------------------------------------
class Pinv(Function):
    """P = A^+ (SVD, singular values <= tol dropped);  dA by PyTorch's pinv_backward:
    for m <= n, K = g^T P: dA = -(P K)^T + K P^T - A P K P^T + P^T P (g^T - K A)"""

    @staticmethod
    def forward(ctx, A, atol, rtol):
        xp, a = xp_of(A), A._data
        u, s, vh = svd_array(xp, a, full_matrices=False)
        tol = _tolerance(xp, s, atol, rtol, a.shape)
        keep = s > tol
        s_inv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype)
        p = Tensor._make((vh.swapaxes(-1, -2) * s_inv[..., None, :]) @ u.swapaxes(-1, -2))
        ctx.save_for_backward(A, p)
        return p

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        m, n = A.shape[-2], A.shape[-1]
        Ph, gh = P.mT, g.mT
        if m <= n:
            K = gh @ P
            KPh = K @ Ph
            return (-(P @ K).mT + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)), None, None
        K = P @ gh
        PhK = Ph @ K
        return (-(K @ P).mT + ((gh - A @ K) @ P) @ Ph + PhK - (PhK @ P) @ A), None, None


def _tolerance(xp, s, atol, rtol, shape):
    """max(atol, rtol * S_max) per matrix (PyTorch's rule: rtol defaults to eps * max(m, n)
    where atol is None or <= 0, else to 0)."""
    dt = s.dtype
    if rtol is None:
        default = xp.asarray(xp.finfo(dt).eps * max(shape[-2:]), dtype=dt)
        rtol = default if atol is None else xp.where(_as_array(xp, atol, dt) > 0, 0, default)
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), dt)
    tol = _as_array(xp, rtol, dt) * smax
    return xp.maximum(tol, _as_array(xp, 0.0 if atol is None else atol, dt))


def _as_array(xp, x, dt):
    """A number or a tensor's array (with a trailing dim to broadcast against S)."""
    if isinstance(x, xp.ndarray):  # already shaped (the default rtol)
        return x.astype(dt)
    if isinstance(x, Tensor):
        return x._data.astype(dt)[..., None]
    return xp.asarray(x, dtype=dt)


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse by SVD; singular values <= max(atol, rtol * S_max)
    count as zero (hermitian=True is accepted and computed by SVD all the same)."""
    check_matrix(A, "linalg.pinv")
    return Pinv.apply(A, atol, rtol)


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False,
                tol=None) -> Tensor:
    """The number of singular values > max(atol, rtol * S_max) of each matrix, as int64."""
    check_matrix(A, "linalg.matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    xp, a = xp_of(A), A._data
    s = svd_array(xp, a, compute_uv=False)
    tol_ = _tolerance(xp, s, atol, rtol, a.shape)
    return Tensor._make((s > tol_).sum(axis=-1).astype("int64"))


def diagonal_of(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """linalg.diagonal: diagonal with matrix-style default dims (-2, -1)."""
    return diagonal(A, offset, dim1, dim2)
