"""Registry entries: views and reshapes, repeat/tile, cat/stack, split/chunk/unbind,
narrow/select, flip/roll, tril/triu, diagonal/diag."""

from __future__ import annotations

import numpy as np

import gradgpu

from . import OpInfo, Sample, randn


def _tensor_samples(*shapes, transposed=(4, 3), zero_dim=True, empty=(0, 3)):
    """One sample per shape, plus a transposed (non-contiguous) one, 0-d and empty ones."""

    def samples(rng):
        out = [Sample((randn(rng, *s),), desc=f"shape_{'x'.join(map(str, s))}") for s in shapes]
        if transposed:
            out.append(Sample((randn(rng, *transposed).T,), desc="transposed"))
        if zero_dim:
            out.append(Sample((randn(rng),), desc="zero_dim"))
        if empty:
            out.append(Sample((randn(rng, *empty),), desc="empty"))
        return out

    return samples


def _samples(*specs):
    """Samples from (desc, make(rng) -> args, kwargs) triples."""

    def samples(rng):
        return [Sample(make(rng), kw, desc=desc) for desc, make, kw in specs]

    return samples


def _np_repeat(x, *reps):
    x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
    return np.tile(x, reps)


def _np_split(x, size, dim=0):
    n = x.shape[dim]
    if isinstance(size, int):
        bounds = list(range(size, n, size))
    else:
        bounds = list(np.cumsum(size)[:-1])
    return tuple(np.split(x, bounds, axis=dim))


def _np_chunk(x, chunks, dim=0):
    n = x.shape[dim]
    return _np_split(x, -(-n // chunks), dim)


def _np_unbind(x, dim=0):
    return tuple(np.moveaxis(x, dim, 0))


def _np_narrow(x, dim, start, length):
    start = start + x.shape[dim] if start < 0 else start
    return np.take(x, range(start, start + length), axis=dim)


def _np_triangle(fn):
    def ref(x, diagonal=0):
        n, m = x.shape[-2:]
        return np.where(fn(np.ones((n, m), dtype=bool), diagonal), x, 0.0)

    return ref


def _np_diag(x, diagonal=0):
    return np.diag(x, diagonal)


OPS = [
    OpInfo("reshape", lambda x: x.reshape(-1, 2), lambda x: x.reshape(-1, 2),
           _tensor_samples((3, 4), (2, 2, 3), zero_dim=False)),
    OpInfo("view_flatten", lambda x: x.flatten(), lambda x: x.reshape(-1),
           _tensor_samples((3, 4))),
    OpInfo("expand", lambda x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)),
           _samples(("row", lambda r: (randn(r, 1, 4),), {}),
                    ("col", lambda r: (randn(r, 3, 1),), {}),
                    ("zero_dim", lambda r: (randn(r),), {}))),
    OpInfo("permute", lambda x: x.permute(2, 0, -2), lambda x: x.transpose(2, 0, 1),
           _samples(("3d", lambda r: (randn(r, 2, 3, 4),), {}),
                    ("3d_noncontig", lambda r: (randn(r, 4, 3, 2).T,), {}))),
    OpInfo("transpose", lambda x: x.transpose(0, -1),
           lambda x: np.swapaxes(x, 0, -1) if x.ndim else x,
           _tensor_samples((2, 3), (2, 3, 4))),
    OpInfo("squeeze_unsqueeze", lambda x: x.unsqueeze(-1).squeeze(0),
           lambda x: np.expand_dims(x, -1).squeeze(0),
           _samples(("lead_one", lambda r: (randn(r, 1, 3),), {}))),
    OpInfo("repeat", gradgpu.Tensor.repeat, _np_repeat,
           _samples(("same_rank", lambda r: (randn(r, 2, 3), 2, 1), {}),
                    ("new_dims", lambda r: (randn(r, 3), 2, 1, 2), {}),
                    ("transposed", lambda r: (randn(r, 3, 2).T, 1, 3), {}),
                    ("zero_dim", lambda r: (randn(r), 3), {}),
                    ("zero_reps", lambda r: (randn(r, 2), 0), {}),
                    ("empty", lambda r: (randn(r, 0, 2), 2, 2), {}))),
    OpInfo("tile", gradgpu.tile, lambda x, d: np.tile(x, d),
           _samples(("short_dims", lambda r: (randn(r, 2, 3), (2,)), {}),
                    ("long_dims", lambda r: (randn(r, 3), (2, 2)), {}))),
    OpInfo("repeat_interleave", gradgpu.repeat_interleave,
           lambda x, r, dim=None: np.repeat(x, r, axis=dim),
           _samples(("flat", lambda r: (randn(r, 2, 3), 2), {}),
                    ("dim", lambda r: (randn(r, 2, 3), 3), {"dim": 1}),
                    ("neg_dim", lambda r: (randn(r, 3, 2).T, 2), {"dim": -2}),
                    ("zero_dim", lambda r: (randn(r), 3), {}))),
    OpInfo("repeat_interleave_counts",
           lambda x: gradgpu.repeat_interleave(x, gradgpu.tensor([2, 0, 1]), dim=0),
           lambda x: np.repeat(x, [2, 0, 1], axis=0),
           _samples(("rows", lambda r: (randn(r, 3, 2),), {}))),
    OpInfo("cat", gradgpu.cat, lambda xs, dim=0: np.concatenate(xs, axis=dim),
           _samples(("dim0", lambda r: ([randn(r, 2, 3), randn(r, 1, 3)],), {}),
                    ("dim1_three", lambda r: ([randn(r, 2, 1), randn(r, 2, 3), randn(r, 2, 2)],),
                     {"dim": 1}),
                    ("neg_dim", lambda r: ([randn(r, 2, 3), randn(r, 2, 2)],), {"dim": -1}),
                    ("transposed", lambda r: ([randn(r, 3, 2).T, randn(r, 2, 2)],), {"dim": 1}),
                    ("empty_part", lambda r: ([randn(r, 0, 3), randn(r, 2, 3)],), {}),
                    ("single", lambda r: ([randn(r, 4)],), {}))),
    OpInfo("cat_legacy_empty", gradgpu.cat,
           lambda xs: np.concatenate([x for x in xs if x.shape != (0,)]),
           _samples(("skips_1d_empty", lambda r: ([randn(r, 2, 3), randn(r, 0)],), {}))),
    OpInfo("stack", gradgpu.stack, lambda xs, dim=0: np.stack(xs, axis=dim),
           _samples(("dim0", lambda r: ([randn(r, 2, 3), randn(r, 2, 3)],), {}),
                    ("neg_dim", lambda r: ([randn(r, 2, 3), randn(r, 3, 2).T],), {"dim": -1}),
                    ("zero_dim", lambda r: ([randn(r), randn(r), randn(r)],), {}),
                    ("empty", lambda r: ([randn(r, 0, 2), randn(r, 0, 2)],), {"dim": 1}))),
    OpInfo("hstack", gradgpu.hstack, np.hstack,
           _samples(("vectors", lambda r: ([randn(r, 2), randn(r, 3)],), {}),
                    ("matrices", lambda r: ([randn(r, 2, 1), randn(r, 2, 2)],), {}))),
    OpInfo("vstack", gradgpu.vstack, np.vstack,
           _samples(("vectors", lambda r: ([randn(r, 3), randn(r, 3)],), {}),
                    ("mixed", lambda r: ([randn(r, 3), randn(r, 2, 3)],), {}))),
    OpInfo("split_size", gradgpu.split, _np_split,
           _samples(("uneven", lambda r: (randn(r, 5, 2), 2), {}),
                    ("dim1", lambda r: (randn(r, 2, 4), 2), {"dim": 1}),
                    ("neg_dim_transposed", lambda r: (randn(r, 3, 2).T, 1), {"dim": -1}),
                    ("larger_than_dim", lambda r: (randn(r, 3), 5), {}))),
    OpInfo("split_sections", gradgpu.split, _np_split,
           _samples(("sections", lambda r: (randn(r, 2, 6), [1, 0, 3, 2]), {"dim": 1}),
                    ("neg_dim", lambda r: (randn(r, 4, 2), [3, 1]), {"dim": -2}))),
    OpInfo("chunk", gradgpu.chunk, _np_chunk,
           _samples(("even", lambda r: (randn(r, 4, 2), 2), {}),
                    ("uneven", lambda r: (randn(r, 2, 5), 3), {"dim": -1}),
                    ("fewer_chunks", lambda r: (randn(r, 5), 4), {}))),
    OpInfo("unbind", gradgpu.unbind, _np_unbind,
           _samples(("dim0", lambda r: (randn(r, 3, 2),), {}),
                    ("neg_dim", lambda r: (randn(r, 2, 3, 2),), {"dim": -1}),
                    ("transposed", lambda r: (randn(r, 3, 2).T,), {"dim": 1}))),
    OpInfo("narrow", gradgpu.narrow, _np_narrow,
           _samples(("middle", lambda r: (randn(r, 5, 2), 0, 1, 3), {}),
                    ("neg_start", lambda r: (randn(r, 2, 5), -1, -3, 2), {}),
                    ("empty_length", lambda r: (randn(r, 2, 3), 1, 3, 0), {}))),
    OpInfo("select", gradgpu.select, lambda x, d, i: np.take(x, i, axis=d),
           _samples(("row", lambda r: (randn(r, 3, 4), 0, 1), {}),
                    ("neg_dim_neg_index", lambda r: (randn(r, 2, 3, 4), -1, -2), {}),
                    ("transposed", lambda r: (randn(r, 4, 3).T, 1, 3), {}),
                    ("to_zero_dim", lambda r: (randn(r, 3), 0, 2), {}))),
    OpInfo("flip", gradgpu.flip, lambda x, dims: np.flip(x, dims),
           _samples(("one_dim", lambda r: (randn(r, 3, 4), (0,)), {}),
                    ("two_dims_neg", lambda r: (randn(r, 2, 3, 2), (-1, 0)), {}),
                    ("transposed", lambda r: (randn(r, 4, 3).T, (1,)), {}),
                    ("zero_dim", lambda r: (randn(r), ()), {}),
                    ("empty", lambda r: (randn(r, 0, 3), (1,)), {}))),
    OpInfo("roll", gradgpu.roll, lambda x, s, dims=None: np.roll(x, s, axis=dims),
           _samples(("flat", lambda r: (randn(r, 3, 4), 5), {}),
                    ("dims", lambda r: (randn(r, 3, 4), (1, -2)), {"dims": (0, -1)}),
                    ("transposed", lambda r: (randn(r, 4, 3).T, 2), {"dims": 1}))),
    OpInfo("tril", gradgpu.tril, _np_triangle(np.tril),
           _samples(("square", lambda r: (randn(r, 4, 4),), {}),
                    ("wide_pos", lambda r: (randn(r, 3, 5), 1), {}),
                    ("batched_neg", lambda r: (randn(r, 2, 4, 3), -1), {}),
                    ("transposed", lambda r: (randn(r, 4, 3).T,), {}),
                    ("empty", lambda r: (randn(r, 0, 3),), {}))),
    OpInfo("triu", gradgpu.triu, _np_triangle(np.triu),
           _samples(("square", lambda r: (randn(r, 4, 4),), {}),
                    ("tall_pos", lambda r: (randn(r, 5, 3), 2), {}),
                    ("batched_neg", lambda r: (randn(r, 2, 3, 4), -1), {}),
                    ("transposed", lambda r: (randn(r, 4, 3).T,), {}))),
    OpInfo("diagonal", gradgpu.diagonal,
           lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2),
           _samples(("square", lambda r: (randn(r, 3, 3),), {}),
                    ("offset_pos", lambda r: (randn(r, 3, 4),), {"offset": 1}),
                    ("offset_neg_dims", lambda r: (randn(r, 2, 3, 4),),
                     {"offset": -1, "dim1": -1, "dim2": 1}),
                    ("transposed", lambda r: (randn(r, 4, 3).T,), {}),
                    ("offset_past_end", lambda r: (randn(r, 2, 3),), {"offset": 5}))),
    OpInfo("diag", gradgpu.diag, _np_diag,
           _samples(("vector", lambda r: (randn(r, 3),), {}),
                    ("vector_offset", lambda r: (randn(r, 2), -1), {}),
                    ("matrix", lambda r: (randn(r, 3, 4), 1), {}))),
]
