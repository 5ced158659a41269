"""PyTorch's older top-level linear-algebra functions (also Tensor methods): det, inverse,
logdet, slogdet, cholesky, qr, svd, matrix_power, pinverse; thin wrappers of gradgpu.linalg."""

from __future__ import annotations

import warnings
from collections import namedtuple

from ._common import Tensor, xp_of
from .linalg_inverse import check_matrix, det, inv, logdet
from .linalg_inverse import cholesky as _cholesky
from .linalg_inverse import slogdet as _slogdet
from .linalg_norms import matrix_power
from .linalg_spectral import pinv, svdvals
from .linalg_spectral import qr as _qr
from .linalg_spectral import svd as _svd

SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])
SvdResult = namedtuple("svd", ["U", "S", "V"])
QrResult = namedtuple("qr", ["Q", "R"])

_warned: set = set()  # PyTorch warns once per process (TORCH_WARN_ONCE)

_CHOLESKY_WARNING = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
    "future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\n"
    "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
    "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results for "
    "all valid (symmetric positive definite) inputs.")
_QR_WARNING = (
    "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
    "release.\nThe boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
    "Q, R = torch.qr(A, some)\nshould be replaced with\n"
    "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')")


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


def inverse(input: Tensor) -> Tensor:
    """input^-1 (torch.inverse: linalg.inv)."""
    return inv(input)


def slogdet(input: Tensor):
    """(sign, log|det|) as torch.slogdet's named tuple."""
    return SlogdetResult(*_slogdet(input))


def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """Deprecated torch.cholesky: linalg.cholesky, with PyTorch's once-per-process warning."""
    _warn_once("cholesky", _CHOLESKY_WARNING)
    return _cholesky(input, upper=upper)


def qr(input: Tensor, some: bool = True):
    """Deprecated torch.qr: linalg.qr(input, 'reduced' if some else 'complete')."""
    _warn_once("qr", _QR_WARNING)
    return QrResult(*_qr(input, "reduced" if some else "complete"))


def svd(input: Tensor, some: bool = True, compute_uv: bool = True):
    """torch.svd: (U, S, V) with input = U diag(S) V^T (V, not Vh); compute_uv=False gives
    zero-filled U (m x m) and V (n x n), as PyTorch's."""
    if not compute_uv:
        check_matrix(input, "linalg.svd")
        S = svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        xp, dt, batch = xp_of(input), input._data.dtype, tuple(input.shape[:-2])
        return SvdResult(Tensor._make(xp.zeros(batch + (m, m), dt)), S,
                         Tensor._make(xp.zeros(batch + (n, n), dt)))
    U, S, Vh = _svd(input, full_matrices=not some)
    return SvdResult(U, S, Vh.mT)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: linalg.pinv with rtol=rcond."""
    return pinv(input, rtol=rcond)


TENSOR_METHODS = {
    "det": det, "inverse": inverse, "logdet": logdet, "slogdet": slogdet,
    "cholesky": cholesky, "qr": qr, "svd": svd, "matrix_power": matrix_power,
    "pinverse": pinverse,
}
