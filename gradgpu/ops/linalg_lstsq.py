"""linalg.lstsq: least-squares solutions of A X = B, composed as pinv(A) @ B, so it is
differentiable (create_graph included) through pinv's backward."""

from __future__ import annotations

from collections import namedtuple

from ._common import Tensor, check_tensor, same_device, xp_of
from .composite import _scalar_name
from .linalg import matmul
from .linalg_inverse import check_float
from .linalg_spectral import matrix_rank, pinv, svdvals
from .reduction import sum as _sum

LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])

_DRIVERS = (None, "gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of min ||A X - B||, with the fields each
    LAPACK driver fills in PyTorch (CPU default 'gelsy': rank only). residuals: the squared
    residual norms per column when m > n and every A has full rank (not for 'gelsy')."""
    op = "torch.linalg.lstsq"
    check_tensor(A, op, "input")
    check_tensor(B, op, "other")
    same_device(op, A, B)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{op}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {_scalar_name(A)} and other's dtype {_scalar_name(B)}")
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    check_float(A, op)
    if driver not in _DRIVERS:
        raise RuntimeError(f"{op}: parameter `driver` should be one of (gels, gelsy, gelsd, "
                           "gelss)")
    nd, bd = A._data.ndim, B._data.ndim
    if bd > nd or nd - bd > 1:
        raise RuntimeError(f"{op}: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = bd == nd - 1
    Bm = B.unsqueeze(-1) if vector else B
    m, n = A._data.shape[-2:]
    if Bm._data.shape[-2] != m:
        raise RuntimeError(f"{op}: input.size(-2) should match other.size(-2)")
    rtol = rcond if rcond is not None else xp_of(A).finfo(A._data.dtype).eps * max(m, n)
    X = matmul(pinv(A, rtol=rtol), Bm)
    xp, dt = xp_of(A), A._data.dtype
    empty = Tensor._make(xp.empty((0,), dt))
    driver = driver or "gelsy"
    rank = (Tensor._make(xp.empty((0,), "int64")) if driver == "gels"
            else matrix_rank(A.detach(), rtol=rtol))
    sv = svdvals(A.detach()) if driver in ("gelsd", "gelss") else empty
    residuals = empty
    # the full-rank test reads a flag on the host (a sync on the GPU)
    if driver != "gelsy" and m > n and bool((matrix_rank(A.detach()) == n).all()._data):
        # (a vector B keeps its column dim here, as PyTorch's)
        residuals = _sum((matmul(A, X) - Bm) ** 2, -2)
    return LstsqResult(X.squeeze(-1) if vector else X, residuals, rank, sv)
