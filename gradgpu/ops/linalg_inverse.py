"""Inverses and determinants: linalg.inv, det, slogdet, solve, cholesky (batched over leading
dims, float32/float64). Forward is the backend's ``xp.linalg`` (LAPACK on the host, cuSOLVER
on the GPU); backward is written in differentiable gradgpu ops, so create_graph works.

Singular / not-positive-definite inputs raise ``LinAlgError`` as PyTorch's do. The check reads
one flag on the host (``bool(...)``): a device-to-host sync on the GPU, as PyTorch's
``linalg.inv``/``solve``/``cholesky`` (they call the ``*_ex`` variant with check_errors=True).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ._common import Tensor, check_tensor, same_device, xp_of
from .composite import _scalar_name
from .elementwise import where
from .shape import diagonal, movedim, sum_to_shape, tril, unsqueeze
from .shape.reorder import diag_embed

SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (singular, not positive-definite)."""


# ---- checks ----------------------------------------------------------------------------------
def check_float(A: Tensor, op: str) -> None:
    """PyTorch's dtype contract of linalg ops: float32 or float64."""
    kind, size = A._data.dtype.kind, A._data.dtype.itemsize
    if kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_name(A)}")
    if size < 4:
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got {_scalar_name(A)}")


def check_matrix(A, op: str) -> Tensor:
    """A tensor of at least 2 dims with a float32/float64 dtype."""
    check_tensor(A, op, "A")
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    check_float(A, op)
    return A


def check_square(A, op: str) -> Tensor:
    """A batch of square float matrices."""
    check_matrix(A, op)
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {m} by "
                           f"{n} matrices")
    return A


def _host_batches(a) -> np.ndarray:
    """The matrices of an array as a host (n_batch, m, n) float64 array (error path only)."""
    host = Tensor._make(a).cpu()._data
    return np.asarray(host, dtype=np.float64).reshape((-1,) + host.shape[-2:])


def _zero_pivot(a: np.ndarray) -> int:
    """1-based index of the first zero pivot of LU with partial pivoting (LAPACK getrf's
    info), 0 when there is none."""
    a = a.copy()
    n = a.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        if a[p, k] == 0:
            return k + 1
        a[[k, p]] = a[[p, k]]
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return 0


def _not_pd_order(a: np.ndarray) -> int:
    """Order of the first leading minor that is not positive-definite, a nan/inf pivot counting
    as not positive (potrf's info); 0 when there is none."""
    for k in range(1, a.shape[0] + 1):
        try:
            with np.errstate(all="ignore"):
                pivot = np.linalg.cholesky(a[:k, :k])[k - 1, k - 1]
        except np.linalg.LinAlgError:
            return k
        if not (np.isfinite(pivot) and pivot > 0):
            return k
    return 0


def _batch_prefix(A, b: int) -> str:
    return f"(Batch element {b}): " if A.ndim > 2 else ""


def _failed(xp, out, *inputs) -> bool:
    """Whether the routine failed: no result, or a non-finite one from finite inputs (cuSOLVER
    reports failure that way). One host sync."""
    if out is None:
        return True
    flag = ~xp.isfinite(out).all()
    for x in inputs:
        flag = flag & xp.isfinite(x).all()
    return bool(flag)


def _run(fn, xp, a):
    try:
        return fn(a)
    except np.linalg.LinAlgError:  # NumPy's (and CuPy's) exception for singular input
        return None


def _raise_singular(a, op: str, what: str) -> None:
    for b, m in enumerate(_host_batches(a)):
        k = _zero_pivot(m)
        if k:
            prefix = _batch_prefix(a, b)
            if what == "inv":
                raise LinAlgError(f"{op}: {prefix}The diagonal element {k} is zero, the "
                                  "inversion could not be completed because the input matrix "
                                  "is singular.")
            raise LinAlgError(f"torch.{op}: {prefix}The solver failed because the input "
                              "matrix is singular.")
    raise LinAlgError(f"{op}: the input matrix is numerically singular.")


def inv_array(xp, a, op: str = "linalg.inv"):
    """A^-1 of a batch of square arrays; LinAlgError for a singular one."""
    out = _run(xp.linalg.inv, xp, a)
    if _failed(xp, out, a):
        _raise_singular(a, op, "inv")
    return out


# ---- inv / det / slogdet ---------------------------------------------------------------------
class Inv(Function):
    """Y = A^-1;  dA = -Y^T g Y^T"""

    @staticmethod
    def forward(ctx, A):
        y = Tensor._make(inv_array(xp_of(A), A._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        yt = y.mT
        return -(yt @ g @ yt)


class Det(Function):
    """d = det(A);  dA = g adj(A)^T = g d A^-T, or, where some A is singular,
    g det(U) det(Vh) U diag(prod_{j != i} S_j) Vh  (A = U diag(S) Vh: PyTorch's formula
    under create_graph; its first-order path gives 0 for an exactly singular A)"""

    @staticmethod
    def forward(ctx, A):
        d = Tensor._make(xp_of(A).linalg.det(A._data))
        ctx.save_for_backward(A, d)
        return d

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        try:
            return _mat(g * d) * inv(A).mT
        except LinAlgError:
            return _det_backward_svd(g, A)


def _det_backward_svd(g, A):
    """The cofactor matrix times g by SVD: defined for singular A too."""
    from .linalg_spectral import svd  # linalg_spectral imports this module
    from .reduction import prod

    U, S, Vh = svd(A)
    xp, k = xp_of(A), S.shape[-1]
    # det(U) det(Vh) = ±1: a constant
    sign = Tensor._make(xp.linalg.det(U._data) * xp.linalg.det(Vh._data))
    others = where(Tensor._make(xp.eye(k, dtype=bool)), 1.0, unsqueeze(S, -2))
    D = unsqueeze(g * sign, -1) * prod(others, -1)  # D_i = g sign prod_{j != i} S_j
    return (U * unsqueeze(D, -2)) @ Vh


class Slogdet(Function):
    """(sign, log|det A|);  dA = g_logabsdet A^-T  (sign is not differentiable)"""

    @staticmethod
    def forward(ctx, A):
        sign, logabs = xp_of(A).linalg.slogdet(A._data)
        sign, logabs = Tensor._make(sign), Tensor._make(logabs)
        ctx.mark_non_differentiable(sign)
        ctx.save_for_backward(A)
        return sign, logabs

    @staticmethod
    def backward(ctx, gsign, glog):
        (A,) = ctx.saved_tensors
        try:
            return _mat(glog) * inv(A).mT
        except LinAlgError:
            return _slogdet_backward_singular(glog, A)


def _slogdet_backward_singular(g, A):
    """g A^-T = g cof(A) / det(A) where some A is exactly singular: there the limit as det(A)
    goes to 0 from above, g cof(A) / 0 (±inf; nan where the cofactor is 0), with cof(A) by SVD;
    g A^-T for the other matrices of the batch."""
    xp, n = xp_of(A), A._data.shape[-1]
    singular = _mat(Tensor._make(xp.linalg.slogdet(A._data)[0] == 0))
    eye = Tensor._make(xp.eye(n, dtype=A._data.dtype))
    regular = _mat(g) * inv(where(singular, eye, A)).mT
    return where(singular, _det_backward_svd(g, A) / 0.0, regular)


def _mat(x):
    """A batch of scalars as a batch of 1x1 matrices (broadcasts against the matrices)."""
    return unsqueeze(unsqueeze(x, -1), -1)


def inv(A: Tensor) -> Tensor:
    """The inverse A^-1 of a (batch of) square matrices; LinAlgError where A is singular."""
    return Inv.apply(check_square(A, "linalg.inv"))


def det(A: Tensor) -> Tensor:
    """det(A) over the last two dims."""
    return Det.apply(check_square(A, "linalg.det"))


def slogdet(A: Tensor):
    """(sign, log|det A|) over the last two dims, as a named tuple."""
    return SlogdetResult(*Slogdet.apply(check_square(A, "linalg.slogdet")))


def logdet(A: Tensor) -> Tensor:
    """log det(A): nan where det(A) < 0, -inf where it is 0."""
    sign, logabs = slogdet(A)
    return where(sign >= 0, logabs, float("nan"))


# ---- solve -----------------------------------------------------------------------------------
class Solve(Function):
    """X = A^-1 B (B a batch of matrices, batch dims broadcast);  dB = A^-T g,  dA = -dB X^T"""

    @staticmethod
    def forward(ctx, A, B, op):
        xp, a_batch = xp_of(A), A._data.shape[:-2]
        batch = np.broadcast_shapes(a_batch, B._data.shape[:-2])
        b = xp.broadcast_to(B._data, batch + B._data.shape[-2:])
        lead = len(batch) - len(a_batch)
        if lead and batch[lead:] == a_batch:
            # A only gains leading dims: factor each A once, B's leading dims into columns
            a = A._data
            out = _run(lambda m: _from_columns(xp.linalg.solve(m, _to_columns(b, lead)),
                                               batch, b.shape[-1]), xp, a)
        else:
            a = xp.broadcast_to(A._data, batch + A._data.shape[-2:])
            out = _run(lambda m: xp.linalg.solve(m, b), xp, a)
        if _failed(xp, out, a, b):  # a nan/inf in B gives nan/inf, as PyTorch's
            _raise_singular(a, op, "solve")
        x = Tensor._make(out)
        ctx.save_for_backward(A, x)
        ctx.shapes = (A._data.shape, B._data.shape)
        return x

    @staticmethod
    def backward(ctx, g):
        A, x = ctx.saved_tensors
        a_shape, b_shape = ctx.shapes
        gb = Solve.apply(A.mT, g, "linalg.solve")
        ga = None
        if ctx.needs_input_grad[0]:
            lead = x.ndim - len(a_shape)
            if lead > 0 and x.shape[lead:-2] == a_shape[:-2]:
                # sum_e gb_e x_e^T as one product: the leading dims into the columns
                cols = a_shape[:-1] + (int(np.prod(x.shape[:lead])) * x.shape[-1],)
                gb_c, x_c = (movedim(t, tuple(range(lead)), tuple(range(-lead - 1, -1)))
                             .reshape(cols) for t in (gb, x))
                ga = -(gb_c @ x_c.mT)
            else:
                ga = sum_to_shape(-(gb @ x.mT), a_shape)
        return ga, sum_to_shape(gb, b_shape), None


def _to_columns(b, lead: int):
    """(*E, *batch, n, k) -> (*batch, n, prod(E) k): the first ``lead`` dims into the columns."""
    nd = b.ndim
    b = b.transpose(tuple(range(lead, nd - 1)) + tuple(range(lead)) + (nd - 1,))
    return b.reshape(b.shape[:nd - 1 - lead] + (int(np.prod(b.shape[nd - 1 - lead:])),))


def _from_columns(x, batch, k: int):
    """The inverse of ``_to_columns``: (*batch, n, prod(E) k) -> (*E, *batch, n, k)."""
    lead = len(batch) - (x.ndim - 2)
    x = x.reshape(x.shape[:-1] + batch[:lead] + (k,))
    nd = x.ndim
    first = tuple(range(nd - 1 - lead, nd - 1))
    return x.transpose(first + tuple(range(nd - 1 - lead)) + (nd - 1,)).copy()


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (left=False: X A = B). B is a batch of vectors when it is 1-D or has
    A's batch shape plus one dim, else a batch of matrices; batch dims broadcast."""
    op = "linalg.solve"
    check_square(A, op)
    check_tensor(B, op, "B")
    same_device(op, A, B)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{op}: Expected A and B to have the same dtype, but found A of type "
                           f"{_scalar_name(A)} and B of type {_scalar_name(B)} instead")
    n = A._data.shape[-1]
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1
                                   and B._data.shape == A._data.shape[:-1])
    if not left:  # X A = B  <=>  A^T X^T = B^T (B a batch of matrices only, as PyTorch's)
        if vector:
            raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation XA = B "
                               f"({n}x{n} and {B._data.shape[-1]}x1)")
        return solve(A.mT, B.mT).mT
    Bm = unsqueeze(B, -1) if vector else B
    if Bm._data.ndim < 2 or Bm._data.shape[-2] != n:
        rows, cols = (Bm._data.shape[-2:] if Bm._data.ndim >= 2 else (Bm._data.shape[0], 1))
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation AX = B "
                           f"({n}x{n} and {rows}x{cols})")
    try:
        np.broadcast_shapes(A._data.shape[:-2], Bm._data.shape[:-2])
    except ValueError:
        raise RuntimeError(f"{op}: the batch dimensions of A {list(A.shape)} and B "
                           f"{list(B.shape)} cannot be broadcast") from None
    x = Solve.apply(A, Bm, op)
    return x.squeeze(-1) if vector else x


# ---- cholesky --------------------------------------------------------------------------------
class Cholesky(Function):
    """L = cholesky(A) (lower), or U = L^T;  dA = L^-T Phi L^-1,
    Phi = sym(tril(L^T gL)) with its diagonal halved (PyTorch's cholesky_backward)"""

    @staticmethod
    def forward(ctx, A, upper, op):
        xp, a = xp_of(A), A._data
        out = _run(xp.linalg.cholesky, xp, a)
        # potrf leaves a non-positive (or nan) pivot on L's diagonal where it stopped; a nan
        # or inf in the input fails too, as PyTorch's (one host sync)
        if out is None or bool(~(xp.isfinite(d := xp.diagonal(out, 0, -2, -1)) & (d > 0)).all()):
            for b, m in enumerate(_host_batches(a)):
                k = _not_pd_order(m)
                if k:
                    raise LinAlgError(
                        f"{op}: {_batch_prefix(a, b)}The factorization could not be completed "
                        "because the input is not positive-definite (the leading minor of "
                        f"order {k} is not positive-definite).")
            raise LinAlgError(f"{op}: the input is not numerically positive-definite.")
        y = Tensor._make(out.swapaxes(-1, -2) if upper else out)
        ctx.upper = upper
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        L, gL = (y.mT, g.mT) if ctx.upper else (y, g)
        P = tril(L.mT @ gL)
        phi = 0.5 * (P + P.mT) - 0.5 * diag_embed(diagonal(P, 0, -2, -1))
        Linv = inv(L)
        return Linv.mT @ phi @ Linv, None, None


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor L (A = L L^T; upper=True: U = L^T) of symmetric positive-definite
    matrices; only the lower triangle of A is read. LinAlgError where A is not positive-definite."""
    op = "linalg.cholesky"
    return Cholesky.apply(check_square(A, op), bool(upper), op)
