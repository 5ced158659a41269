"""Registry entries for gradgpu.linalg (torch.linalg): inv, det, slogdet, solve, cholesky, qr,
eigh / eigvalsh, svd / svdvals, pinv, lstsq, matrix_power, multi_dot, vecdot, cross, diagonal
and the norms. Samples are well-conditioned; eigh/svd are checked through gauge-invariant
functions of their outputs (eigenvalues, squared eigenvector entries, U Vh), as PyTorch's own
tests do; cholesky/eigh take a symmetrized input since they read one triangle only."""

from __future__ import annotations

import numpy as np

import gradgpu
from gradgpu import linalg as LA

from . import OpInfo, Sample, randn


def _wc(rng, *shape):
    """A well-conditioned (batch of) square matrices: random + n * I."""
    n = shape[-1]
    return randn(rng, *shape) + n * np.eye(n)


def _square_samples(rng):
    return [Sample((_wc(rng, 3, 3),), desc="2d"),
            Sample((_wc(rng, 2, 3, 3),), desc="batched"),
            Sample((_wc(rng, 3, 3).T,), desc="transposed"),
            Sample((_wc(rng, 1, 1),), desc="1x1")]


def _matrix_samples(rng):
    return [Sample((randn(rng, 4, 3),), desc="tall"),
            Sample((randn(rng, 2, 3, 4),), desc="wide_batched"),
            Sample((randn(rng, 3, 3),), desc="square")]


def _sym(a):
    return a + np.swapaxes(a, -1, -2)


def _spd(a):
    return a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])


# ---- ops on the symmetrized / gauge-fixed views, and their references ------------------------
def _cholesky(a, upper=False):
    eye = gradgpu.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    return LA.cholesky(a @ a.mT + a.shape[-1] * eye, upper=upper)


def _cholesky_ref(a, upper=False):
    L = np.linalg.cholesky(_spd(a))
    return np.swapaxes(L, -1, -2) if upper else L


def _eigh(a, UPLO="L"):
    w, v = LA.eigh(a + a.mT, UPLO=UPLO)
    return w, v * v


def _eigh_ref(a, UPLO="L"):
    w, v = np.linalg.eigh(_sym(a), UPLO=UPLO)
    return w, v * v


def _svd(a, full_matrices=False):
    U, S, Vh = LA.svd(a, full_matrices=full_matrices)
    k = S.shape[-1]
    Uk, Vk = U[..., :k], Vh[..., :k, :]
    return S, Uk @ Vk, Uk * Uk, Vk * Vk


def _svd_ref(a, full_matrices=False):
    U, S, Vh = np.linalg.svd(a, full_matrices=False)
    return S, U @ Vh, U * U, Vh * Vh


def _qr_ref(a, mode="reduced"):
    return tuple(np.linalg.qr(a, mode=mode))


def _slogdet(a):
    return LA.slogdet(a).logabsdet


def _solve(a, b, left=True):
    return LA.solve(a, b, left=left)


def _solve_ref(a, b, left=True):
    if not left:
        return np.swapaxes(_solve_ref(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
    if b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]):
        return np.linalg.solve(a, b[..., None])[..., 0]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]),
                           np.broadcast_to(b, batch + b.shape[-2:]))


def _solve_samples(rng):
    return [Sample((_wc(rng, 3, 3), randn(rng, 3, 2)), desc="matrix"),
            Sample((_wc(rng, 3, 3), randn(rng, 3)), desc="vector"),
            Sample((_wc(rng, 2, 3, 3), randn(rng, 2, 3)), desc="batched_vector"),
            Sample((_wc(rng, 2, 1, 3, 3), randn(rng, 3, 3, 2)), desc="broadcast_batch"),
            Sample((_wc(rng, 3, 3), randn(rng, 2, 3)), {"left": False}, desc="right")]


def _matrix_power_ref(a, n):
    if n < 0:
        a, n = np.linalg.inv(a), -n
    return np.linalg.matrix_power(a, n)


def _vector_norm_ref(x, ord=2, dim=None, keepdim=False):
    if ord == 0:
        return np.asarray(np.sum(x != 0, axis=dim, keepdims=keepdim), dtype=x.dtype)
    if ord in (np.inf, -np.inf):
        f = np.max if ord > 0 else np.min
        return np.asarray(f(np.abs(x), axis=dim, keepdims=keepdim))
    return np.asarray(np.sum(np.abs(x) ** ord, axis=dim, keepdims=keepdim) ** (1.0 / ord))


def _vector_norm_samples(rng):
    x = randn(rng, 2, 3) + 0.1
    return [Sample((x,), desc="default"),
            Sample((x,), {"ord": 1, "dim": 1}, desc="l1_dim"),
            Sample((x,), {"ord": 3.5, "dim": (0, 1), "keepdim": True}, desc="p_keepdim"),
            Sample((x,), {"ord": -1.5, "dim": 0}, desc="negative_p"),
            Sample((randn(rng, 2, 3),), {"ord": np.inf, "dim": -1}, desc="inf"),
            Sample((randn(rng, 2, 3),), {"ord": -np.inf}, desc="neg_inf"),
            Sample((x,), {"ord": 0, "dim": 1}, desc="zero", grad=False)]


def _matrix_norm_ref(a, ord="fro", dim=(-2, -1), keepdim=False):
    return np.asarray(np.linalg.norm(a, ord=ord, axis=dim, keepdims=keepdim))


def _matrix_norm_samples(rng):
    out = [Sample((randn(rng, 2, 3, 4),), {"ord": o}, desc=str(o))
           for o in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf)]
    out.append(Sample((randn(rng, 3, 2, 4),), {"ord": "nuc", "dim": (0, 2), "keepdim": True},
                      desc="nuc_dims_keepdim"))
    out.append(Sample((randn(rng, 3, 2, 4),), {"ord": 1, "dim": (2, 0)}, desc="l1_dims"))
    return out


def _norm_ref(a, ord=None, dim=None, keepdim=False):
    if dim is None and ord is None:
        return np.asarray(np.linalg.norm(a.reshape(-1)))
    return np.asarray(np.linalg.norm(a, ord=ord, axis=dim, keepdims=keepdim))


def _multi_dot(*ms):
    return LA.multi_dot(list(ms))


def _multi_dot_ref(*ms):
    return np.linalg.multi_dot(list(ms))


def _lstsq_ref(a, b):
    if b.ndim == a.ndim - 1:
        return (np.linalg.pinv(a) @ b[..., None])[..., 0]
    return np.linalg.pinv(a) @ b


def _cross_ref(a, b, dim=-1):
    return np.cross(a, b, axis=dim)


OPS = [
    OpInfo("linalg.inv", LA.inv, np.linalg.inv, _square_samples),
    OpInfo("linalg.det", LA.det, np.linalg.det, _square_samples),
    OpInfo("linalg.slogdet", _slogdet, lambda a: np.linalg.slogdet(a)[1], _square_samples),
    OpInfo("logdet", gradgpu.logdet, lambda a: np.log(np.linalg.det(a)),
           lambda rng: [Sample((_spd(randn(rng, 2, 3, 3)),), desc="spd"),
                        Sample((np.diag([-1.0, 2.0, 3.0]),), desc="negative_det", grad=False)]),
    OpInfo("linalg.solve", _solve, _solve_ref, _solve_samples),
    OpInfo("linalg.cholesky", _cholesky, _cholesky_ref,
           lambda rng: [Sample((randn(rng, 3, 3),), desc="lower"),
                        Sample((randn(rng, 2, 3, 3),), {"upper": True}, desc="upper_batched")]),
    OpInfo("linalg.qr", LA.qr, _qr_ref,
           lambda rng: [Sample((randn(rng, 4, 3),), desc="tall"),
                        Sample((randn(rng, 2, 3, 4),), desc="wide_batched"),
                        Sample((randn(rng, 3, 3),), {"mode": "complete"}, desc="complete")]),
    OpInfo("linalg.eigh", _eigh, _eigh_ref,
           lambda rng: [Sample((randn(rng, 3, 3),), desc="2d"),
                        Sample((randn(rng, 2, 3, 3),), {"UPLO": "U"}, desc="upper_batched")]),
    OpInfo("linalg.eigvalsh", lambda a: LA.eigvalsh(a + a.mT),
           lambda a: np.linalg.eigvalsh(_sym(a)), lambda rng: [Sample((randn(rng, 2, 3, 3),))]),
    OpInfo("linalg.svd", _svd, _svd_ref,
           lambda rng: [Sample((randn(rng, 4, 3),), desc="tall"),
                        Sample((randn(rng, 2, 3, 4),), {"full_matrices": True},
                               desc="wide_full")]),
    OpInfo("linalg.svdvals", LA.svdvals, lambda a: np.linalg.svd(a, compute_uv=False),
           _matrix_samples),
    OpInfo("linalg.pinv", LA.pinv, np.linalg.pinv, _matrix_samples),
    OpInfo("linalg.lstsq", lambda a, b: LA.lstsq(a, b).solution, _lstsq_ref,
           lambda rng: [Sample((randn(rng, 5, 3), randn(rng, 5, 2)), desc="tall"),
                        Sample((randn(rng, 2, 5, 3), randn(rng, 2, 5)), desc="batched_vector"),
                        Sample((randn(rng, 3, 5), randn(rng, 3, 2)), desc="wide")]),
    OpInfo("linalg.matrix_power", LA.matrix_power, _matrix_power_ref,
           lambda rng: [Sample((_wc(rng, 3, 3), 3), desc="cube"),
                        Sample((_wc(rng, 2, 3, 3), -2), desc="inverse_square"),
                        Sample((_wc(rng, 3, 3), 0), desc="identity"),
                        Sample((_wc(rng, 3, 3), 1), desc="one")]),
    OpInfo("linalg.multi_dot", _multi_dot, _multi_dot_ref,
           lambda rng: [Sample((randn(rng, 2, 5), randn(rng, 5, 3), randn(rng, 3, 4)),
                               desc="three"),
                        Sample((randn(rng, 3), randn(rng, 3, 4), randn(rng, 4)),
                               desc="vector_ends")]),
    OpInfo("linalg.vecdot", lambda x, y, dim=-1: LA.vecdot(x, y, dim=dim),
           lambda x, y, dim=-1: np.sum(x * y, axis=dim),
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 3)), desc="broadcast"),
                        Sample((randn(rng, 3, 2), randn(rng, 3, 2)), {"dim": 0}, desc="dim0")]),
    OpInfo("linalg.cross", lambda a, b, dim=-1: LA.cross(a, b, dim=dim), _cross_ref,
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 1, 3)), desc="broadcast"),
                        Sample((randn(rng, 3, 2), randn(rng, 3, 2)), {"dim": 0}, desc="dim0")]),
    OpInfo("linalg.diagonal", lambda a, **kw: LA.diagonal(a, **kw),
           lambda a, offset=0, dim1=-2, dim2=-1: np.diagonal(a, offset, dim1, dim2),
           lambda rng: [Sample((randn(rng, 2, 3, 4),), desc="default"),
                        Sample((randn(rng, 3, 4, 2),), {"offset": 1, "dim1": 0, "dim2": 1},
                               desc="offset_dims")]),
    OpInfo("linalg.vector_norm", LA.vector_norm, _vector_norm_ref, _vector_norm_samples),
    OpInfo("linalg.matrix_norm", LA.matrix_norm, _matrix_norm_ref, _matrix_norm_samples),
    OpInfo("linalg.norm", LA.norm, _norm_ref,
           lambda rng: [Sample((randn(rng, 2, 3),), desc="default_flat"),
                        Sample((randn(rng, 2, 3),), {"ord": "nuc"}, desc="nuc_2d"),
                        Sample((randn(rng, 4),), {"ord": 3}, desc="vector_ord"),
                        Sample((randn(rng, 2, 3, 2),), {"dim": (0, 2), "ord": -1},
                               desc="matrix_dims"),
                        Sample((randn(rng, 2, 3),), {"dim": 1, "keepdim": True},
                               desc="vector_dim")]),
]
