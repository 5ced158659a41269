"""Registry entries: kron, tensordot, inner, vdot, chain_matmul, block_diag, cartesian_prod,
combinations, atleast_1d/2d/3d, diagflat, vander, select/slice/diagonal_scatter, narrow_copy
and as_strided (forward vs NumPy float64, gradcheck, gradgradcheck)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np

import gradgpu

from . import OpInfo, Sample, randn


def _samples(*specs):
    """Samples from (desc, make(rng) -> args, kwargs) triples."""

    def samples(rng):
        return [Sample(make(rng), kw, desc=desc) for desc, make, kw in specs]

    return samples


def _chain_matmul(*ms):
    with warnings.catch_warnings():  # (deprecated, as in PyTorch: the warning is tested apart)
        warnings.simplefilter("ignore", UserWarning)
        return gradgpu.chain_matmul(*ms)


def _np_block_diag(*xs):
    mats = [np.asarray(x).reshape(1, -1) if np.ndim(x) < 2 else x for x in xs]
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)))
    r = c = 0
    for m in mats:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _np_cartesian_prod(*xs):
    if len(xs) == 1:
        return xs[0]
    return np.array(list(itertools.product(*xs))).reshape(-1, len(xs))


def _np_combinations(x, r=2, with_replacement=False):
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    return np.array(list(pick(x, r))).reshape(-1, r)


def _np_scatter(view):
    def ref(x, src, *args):
        out = x.copy()
        view(out, *args)[...] = src
        return out

    return ref


def _np_select(a, dim, index):
    return a[(slice(None),) * (dim % a.ndim) + (index,)]


def _np_slice(a, dim=0, start=None, end=None, step=1):
    return a[(slice(None),) * dim + (slice(start, end, step),)]


def _np_diagonal(a, offset=0, dim1=0, dim2=1):
    # np.diagonal is read-only: build the writable strided view as PyTorch lays it out
    d = np.diagonal(a, offset, dim1, dim2)
    start = a[tuple(slice(max(0, -offset) if i == dim1 else max(0, offset) if i == dim2
                          else 0, None) for i in range(a.ndim))]
    return np.lib.stride_tricks.as_strided(
        start, d.shape, d.strides[:-1] + (start.strides[dim1] + start.strides[dim2],))


def _np_as_strided(x, size, stride, offset=0):
    flat = np.ascontiguousarray(x).reshape(-1)
    return np.lib.stride_tricks.as_strided(flat[offset:], size,
                                           tuple(s * flat.itemsize for s in stride)).copy()


OPS = [
    OpInfo("kron", gradgpu.kron, np.kron,
           _samples(("2d_2d", lambda r: (randn(r, 2, 3), randn(r, 3, 2)), {}),
                    ("1d_2d", lambda r: (randn(r, 3), randn(r, 2, 2)), {}),
                    ("transposed", lambda r: (randn(r, 3, 2).T, randn(r, 2)), {}),
                    ("zero_dim", lambda r: (randn(r), randn(r, 3)), {}),
                    ("empty", lambda r: (randn(r, 0, 2), randn(r, 2, 2)), {}))),
    OpInfo("tensordot", gradgpu.tensordot, lambda a, b, dims=2: np.tensordot(a, b, dims),
           _samples(("default", lambda r: (randn(r, 2, 3, 4), randn(r, 3, 4, 2)), {}),
                    ("int", lambda r: (randn(r, 2, 3), randn(r, 3, 4)), {"dims": 1}),
                    ("zero", lambda r: (randn(r, 2), randn(r, 3)), {"dims": 0}),
                    ("lists", lambda r: (randn(r, 2, 3, 4), randn(r, 4, 2, 3)),
                     {"dims": ([1, -1], [2, 0])}),
                    ("transposed", lambda r: (randn(r, 4, 3).T, randn(r, 4, 2)),
                     {"dims": ([1], [0])}),
                    ("empty", lambda r: (randn(r, 2, 0), randn(r, 0, 3)), {"dims": 1}))),
    OpInfo("tensordot_size_one",
           lambda a, b: gradgpu.tensordot(a, b, 1),
           lambda a, b: np.tensordot(a.sum(-1, keepdims=True), b, 1),
           _samples(("b_one", lambda r: (randn(r, 2, 3), randn(r, 1, 4)), {}))),
    OpInfo("inner", gradgpu.inner, np.inner,
           _samples(("2d_2d", lambda r: (randn(r, 2, 3), randn(r, 4, 3)), {}),
                    ("1d_3d", lambda r: (randn(r, 3), randn(r, 2, 2, 3)), {}),
                    ("zero_dim", lambda r: (randn(r), randn(r, 2, 3)), {}),
                    ("transposed", lambda r: (randn(r, 3, 2).T, randn(r, 3)), {}))),
    OpInfo("vdot", gradgpu.vdot, np.vdot,
           _samples(("vectors", lambda r: (randn(r, 5), randn(r, 5)), {}),
                    ("empty", lambda r: (randn(r, 0), randn(r, 0)), {}))),
    OpInfo("chain_matmul", _chain_matmul, lambda *ms: np.linalg.multi_dot(ms)
           if len(ms) > 1 else ms[0],
           _samples(("three", lambda r: (randn(r, 2, 3), randn(r, 3, 4), randn(r, 4, 2)), {}),
                    ("four", lambda r: (randn(r, 5, 1), randn(r, 1, 4), randn(r, 4, 3),
                                        randn(r, 3, 2)), {}),
                    ("one", lambda r: (randn(r, 2, 3),), {}))),
    OpInfo("block_diag", gradgpu.block_diag, _np_block_diag,
           _samples(("mixed", lambda r: (randn(r), randn(r, 2), randn(r, 2, 3)), {}),
                    ("transposed", lambda r: (randn(r, 3, 2).T, randn(r, 1, 1)), {}),
                    ("empty_blocks", lambda r: (randn(r, 0, 2), randn(r, 2, 2), randn(r, 2, 0)),
                     {}))),
    OpInfo("cartesian_prod", gradgpu.cartesian_prod, _np_cartesian_prod,
           _samples(("two", lambda r: (randn(r, 2), randn(r, 3)), {}),
                    ("three", lambda r: (randn(r, 2), randn(r, 1), randn(r, 3)), {}),
                    ("one", lambda r: (randn(r, 3),), {}),
                    ("empty", lambda r: (randn(r, 0), randn(r, 2)), {}))),
    OpInfo("combinations", gradgpu.combinations, _np_combinations,
           _samples(("pairs", lambda r: (randn(r, 4),), {}),
                    ("triples_repl", lambda r: (randn(r, 3), 3, True), {}),
                    ("r_too_big", lambda r: (randn(r, 2), 3), {}),
                    ("r_one", lambda r: (randn(r, 3), 1), {}))),
    OpInfo("atleast_1d", gradgpu.atleast_1d, np.atleast_1d,
           _samples(("zero_dim", lambda r: (randn(r),), {}),
                    ("2d", lambda r: (randn(r, 2, 3),), {}))),
    OpInfo("atleast_2d", gradgpu.atleast_2d, lambda *xs: tuple(np.atleast_2d(*xs)),
           _samples(("three", lambda r: (randn(r), randn(r, 3), randn(r, 2, 3)), {}))),
    OpInfo("atleast_3d", lambda xs: gradgpu.atleast_3d(xs), lambda xs: tuple(np.atleast_3d(*xs)),
           _samples(("list", lambda r: ([randn(r), randn(r, 3), randn(r, 3, 2).T,
                                         randn(r, 1, 2, 3, 1)],), {}))),
    OpInfo("diagflat", gradgpu.diagflat, lambda x, offset=0: np.diagflat(x, offset),
           _samples(("2d", lambda r: (randn(r, 2, 2),), {}),
                    ("offset", lambda r: (randn(r, 3),), {"offset": 1}),
                    ("neg_offset", lambda r: (randn(r, 3, 1).T,), {"offset": -2}),
                    ("zero_dim", lambda r: (randn(r),), {}))),
    OpInfo("vander", gradgpu.vander,
           lambda x, N=None, increasing=False: np.vander(x, N, increasing),
           _samples(("default", lambda r: (randn(r, 3),), {}),
                    ("with_zero", lambda r: (np.array([0.0, 1.5, -0.5]),), {"N": 4}),
                    ("increasing", lambda r: (randn(r, 4),), {"N": 2, "increasing": True}),
                    ("one_column", lambda r: (randn(r, 2),), {"N": 1}))),
    OpInfo("select_scatter", gradgpu.select_scatter, _np_scatter(_np_select),
           _samples(("row", lambda r: (randn(r, 3, 4), randn(r, 4), 0, 1), {}),
                    ("neg", lambda r: (randn(r, 4, 3).T, randn(r, 3), -1, -1), {}))),
    OpInfo("slice_scatter", gradgpu.slice_scatter,
           lambda x, src, dim=0, start=None, end=None, step=1: _np_scatter(_np_slice)(
               x, src, dim, start, end, step),
           _samples(("step", lambda r: (randn(r, 3, 4), randn(r, 3, 2)),
                     {"dim": 1, "start": 0, "end": 4, "step": 2}),
                    ("neg_start", lambda r: (randn(r, 3, 4), randn(r, 2, 4)), {"start": -2}),
                    ("empty_slice", lambda r: (randn(r, 3, 4), randn(r, 0, 4)), {"start": 5}))),
    OpInfo("diagonal_scatter", gradgpu.diagonal_scatter,
           lambda x, src, offset=0, dim1=0, dim2=1: _np_scatter(_np_diagonal)(
               x, src, offset, dim1, dim2),
           _samples(("main", lambda r: (randn(r, 3, 4), randn(r, 3)), {}),
                    ("offset", lambda r: (randn(r, 3, 4), randn(r, 3)), {"offset": 1}),
                    ("3d", lambda r: (randn(r, 2, 3, 4), randn(r, 4, 2)),
                     {"dim1": 0, "dim2": 1}))),
    OpInfo("narrow_copy", gradgpu.narrow_copy,
           lambda x, dim, start, length: np.take(x, range(start % x.shape[dim],
                                                          start % x.shape[dim] + length), dim),
           _samples(("cols", lambda r: (randn(r, 3, 4), 1, 1, 2), {}),
                    ("neg_start", lambda r: (randn(r, 4, 3).T, 0, -2, 2), {}))),
    OpInfo("as_strided", gradgpu.as_strided, _np_as_strided,
           _samples(("windows", lambda r: (randn(r, 6), (3, 2), (1, 1)), {}),
                    ("offset", lambda r: (randn(r, 3, 4), (2, 2), (4, 1), 5), {}),
                    ("broadcast", lambda r: (randn(r, 2, 3), (4, 3), (0, 1)), {}),
                    ("zero_dim", lambda r: (randn(r, 5), (), (), 3), {}))),
]
