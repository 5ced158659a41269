"""Registry entries for matrix_exp, cholesky_solve / cholesky_inverse, put, sum_to_size,
fill_diagonal_ and a few of the generated in-place ops (acos_, hypot_, cumsum_, xlogy_, tril_,
renorm_) differentiated through the write."""

from __future__ import annotations

import math

import numpy as np

import gradgpu

from . import Const, OpInfo, Sample, positive, randn


def _expm_ref(a):
    """e^A by a 40-term Taylor series on A / 2^s (1-norm below 1/2), squared s times."""
    norm = np.abs(a).sum(axis=-2).max()
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0 else 0
    x = a / 2.0 ** s
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    out, term = eye.copy(), eye.copy()
    for k in range(1, 40):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def _expm_samples(rng):
    return [Sample((0.5 * randn(rng, 3, 3),), desc="small_norm"),
            Sample((2.0 * randn(rng, 2, 3, 3),), desc="batched_squarings"),
            Sample((randn(rng, 4, 4).T,), desc="transposed"),
            Sample((randn(rng, 1, 1),), desc="1x1")]


def _lower(a, upper=False):
    """A Cholesky-like factor: the lower (upper) triangle plus 3 I (well conditioned)."""
    eye = gradgpu.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    return (a.triu() if upper else a.tril()) + 3 * eye


def _lower_ref(a, upper=False):
    return (np.triu(a) if upper else np.tril(a)) + 3 * np.eye(a.shape[-1])


def _chol_solve_ref(b, a, upper=False):
    f = _lower_ref(a, upper)
    spd = f.swapaxes(-1, -2) @ f if upper else f @ f.swapaxes(-1, -2)
    return np.linalg.solve(spd, b)


def _chol_inverse_ref(a, upper=False):
    return _chol_solve_ref(np.broadcast_to(np.eye(a.shape[-1]), a.shape), a, upper)


def _put_ref(x, src, index, accumulate=False):
    out = x.copy().reshape(-1)
    if accumulate:
        np.add.at(out, index.reshape(-1), src.reshape(-1))
    else:
        out[index.reshape(-1)] = src.reshape(-1)
    return out.reshape(x.shape)


def _fill_diag_ref(x, wrap=False):
    out = x.copy()
    n = min(x.shape)
    step = x.shape[1] + 1
    stop = x.size if wrap and x.shape[0] > x.shape[1] else n * step
    out.reshape(-1)[0:stop:step] = 2.0
    return out


def _inplace(name):
    def op(x, *args, **kwargs):
        return getattr(x * 1, name)(*args, **kwargs)  # (x * 1: a non-leaf to write into)

    return op


def _renorm_ref(x, p, dim, maxnorm):
    axes = tuple(i for i in range(x.ndim) if i != dim)
    norms = (np.abs(x) ** p).sum(axis=axes, keepdims=True) ** (1 / p)
    return x * np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


OPS = [
    OpInfo("matrix_exp", gradgpu.matrix_exp, _expm_ref, _expm_samples, atol=1e-9, rtol=1e-9),
    OpInfo("cholesky_solve", lambda b, a, **kw: gradgpu.cholesky_solve(b, _lower(a, **kw), **kw),
           _chol_solve_ref,
           lambda r: [Sample((randn(r, 3, 2), randn(r, 3, 3)), desc="lower"),
                      Sample((randn(r, 2, 3, 1), randn(r, 2, 3, 3)), {"upper": True},
                             desc="upper_batched")]),
    OpInfo("cholesky_inverse", lambda a, **kw: gradgpu.cholesky_inverse(_lower(a, **kw), **kw),
           _chol_inverse_ref,
           lambda r: [Sample((randn(r, 3, 3),), desc="lower"),
                      Sample((randn(r, 3, 3),), {"upper": True}, desc="upper")]),
    OpInfo("put", lambda x, s, i, **kw: x.put(i, s, **kw),
           lambda x, s, i, **kw: _put_ref(x, s, i, **kw),
           lambda r: [Sample((randn(r, 2, 3), randn(r, 3), Const(np.array([0, 5, -2])))),
                      Sample((randn(r, 2, 3), randn(r, 2, 2), Const(np.array([[1, 1], [4, -1]]))),
                             {"accumulate": True}, desc="accumulate_repeats")]),
    OpInfo("sum_to_size", lambda x, size: x.sum_to_size(size),
           lambda x, size: x.sum(axis=0).sum(axis=1, keepdims=True),
           lambda r: [Sample((randn(r, 2, 3, 4), (3, 1)))]),
    OpInfo("fill_diagonal_", lambda x, **kw: (x * 1).fill_diagonal_(2.0, **kw), _fill_diag_ref,
           lambda r: [Sample((randn(r, 3, 4),), desc="wide"),
                      Sample((randn(r, 7, 3),), {"wrap": True}, desc="tall_wrap")]),
    OpInfo("acos_", _inplace("acos_"), np.arccos,
           lambda r: [Sample((r.uniform(-0.9, 0.9, (2, 3)),))]),
    OpInfo("hypot_", _inplace("hypot_"), np.hypot,
           lambda r: [Sample((positive(r, 2, 3), positive(r, 3)), desc="broadcast_other")]),
    OpInfo("xlogy_", _inplace("xlogy_"), lambda x, y: x * np.log(y),
           lambda r: [Sample((randn(r, 2, 3), positive(r, 2, 3)))]),
    OpInfo("cumsum_", _inplace("cumsum_"), lambda x, dim: np.cumsum(x, axis=dim),
           lambda r: [Sample((randn(r, 3, 4), 1)), Sample((randn(r, 3, 4), -2))]),
    OpInfo("tril_", _inplace("tril_"), lambda x, k=0: np.tril(x, k),
           lambda r: [Sample((randn(r, 3, 4), 1))]),
    OpInfo("renorm_", _inplace("renorm_"), _renorm_ref,
           lambda r: [Sample((randn(r, 3, 4), 2, 0, 1.0))]),
]
