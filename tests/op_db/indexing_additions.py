"""Registry entries: tensor_split/hsplit/vsplit/dsplit, Tensor.unfold, scatter_reduce (every
reduce, with and without include_self), index_reduce, index_copy and masked_scatter."""

from __future__ import annotations

import numpy as np

import gradgpu

from . import Const, OpInfo, Sample, distinct, randn


def _samples(*specs):
    """Samples from (desc, make(rng) -> args, kwargs) triples."""

    def samples(rng):
        return [Sample(make(rng), kw, desc=desc) for desc, make, kw in specs]

    return samples


# ---- splits and windows -------------------------------------------------------------------
def _np_unfold(x, dimension, size, step):
    d = dimension % x.ndim
    n = (x.shape[d] - size) // step + 1
    wins = [np.take(x, np.arange(w * step, w * step + size), axis=d) for w in range(n)]
    return np.moveaxis(np.stack(wins, axis=d), d + 1, -1)


def _np_scatter_reduce(x, index, src, dim, reduce, include_self=True):
    """The loop PyTorch's docs describe, in float64 (integer mean: floor)."""
    out = x.copy()
    idx = np.asarray(index)
    d = dim % max(x.ndim, 1)
    groups: dict = {}
    for pos in np.ndindex(*idx.shape):
        target = pos[:d] + (int(idx[pos]),) + pos[d + 1:]
        groups.setdefault(target, []).append(src[pos])
    fold = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for target, vals in groups.items():
        vals = ([x[target]] if include_self else []) + vals
        out[target] = fold[reduce](vals)
    return out


def _scatter_reduce(x, index, src, dim, reduce, include_self=True):
    return gradgpu.scatter_reduce(x, dim, index, src, reduce, include_self=include_self)


def _distinct_pair(r, xshape, sshape):
    """x and src with no value in common and no ties (amax/amin gradients are unique)."""
    n = int(np.prod(xshape))
    vals = distinct(r, n + int(np.prod(sshape)))
    return vals[:n].reshape(xshape), vals[n:].reshape(sshape)


def _amax_pair(r):
    x, s = _distinct_pair(r, (3, 2), (2, 2))
    return x, Const(np.array([0, 0])), s


_IDX = Const(np.array([[0, 2, 0], [1, 1, 1]]))  # repeated targets, and a position never hit
_SR_SAMPLES = [
    ("dim1", lambda r: (randn(r, 2, 3), _IDX, randn(r, 2, 3)), {"dim": 1}),
    ("dim0_src_larger", lambda r: (randn(r, 3, 3), Const(np.array([[2, 0], [2, 2]])),
                                   randn(r, 3, 4)), {"dim": 0}),
    ("neg_dim_transposed", lambda r: (randn(r, 3, 2).T, _IDX, randn(r, 3, 2).T), {"dim": -1}),
]


def _sr_info(reduce, include_self):
    def samples(rng):
        out = []
        for desc, make, kw in _SR_SAMPLES:
            args = list(make(rng))
            if reduce in ("amax", "amin"):  # same layouts, values without ties
                args[0][...], args[2][...] = _distinct_pair(rng, args[0].shape, args[2].shape)
            kw = {**kw, "reduce": reduce, "include_self": include_self}
            out.append(Sample(tuple(args), kw, desc=desc))
        if reduce == "prod":  # a zero in src and in x: the product of the others
            x = randn(rng, 2, 3)
            x[0, 1] = 0.0
            s = randn(rng, 2, 3)
            s[1, 0] = 0.0
            out.append(Sample((x, _IDX, s), {"dim": 1, "reduce": reduce,
                                             "include_self": include_self}, desc="zeros"))
        return out

    suffix = "" if include_self else "_exclude_self"
    return OpInfo(f"scatter_reduce_{reduce}{suffix}", _scatter_reduce, _np_scatter_reduce,
                  samples)


def _np_index_reduce(x, index, src, dim, reduce, include_self=True):
    idx = np.asarray(index).reshape(-1)
    shape = [1] * x.ndim
    shape[dim % x.ndim] = idx.size
    full = np.broadcast_to(idx.reshape(shape), src.shape)
    return _np_scatter_reduce(x, full, src, dim, reduce, include_self)


def _index_reduce(x, index, src, dim, reduce, include_self=True):
    return gradgpu.index_reduce(x, dim, index, src, reduce, include_self=include_self)


def _np_index_copy(x, index, src, dim):
    if x.ndim == 0:
        return src.copy()
    out = x.copy()
    key = (slice(None),) * (dim % x.ndim) + (np.asarray(index),)
    out[key] = src
    return out


def _np_masked_scatter(x, mask, src):
    x, m = np.broadcast_arrays(x, mask)
    out = x.copy()
    out[m] = src.reshape(-1)[:int(m.sum())]
    return out


OPS = [
    OpInfo("tensor_split_sections", lambda x, **kw: gradgpu.tensor_split(x, **kw),
           lambda x, sections, dim=0: tuple(np.array_split(x, sections, axis=dim)),
           _samples(("uneven", lambda r: (randn(r, 7, 2),), {"sections": 3}),
                    ("more_than_size", lambda r: (randn(r, 2, 3).T,),
                     {"sections": 4, "dim": -1}))),
    OpInfo("tensor_split_indices", lambda x, **kw: gradgpu.tensor_split(x, **kw),
           lambda x, indices, dim=0: tuple(np.split(x, indices, axis=dim)),
           _samples(("sorted", lambda r: (randn(r, 3, 6),), {"indices": [1, 4], "dim": 1}),
                    ("unsorted_overlapping", lambda r: (randn(r, 6),),
                     {"indices": (4, 1, -1)}))),
    OpInfo("hsplit", lambda x, **kw: gradgpu.hsplit(x, **kw),
           lambda x, sections=None, indices=None: tuple(np.hsplit(x, sections or indices)),
           _samples(("matrix", lambda r: (randn(r, 2, 4),), {"sections": 2}),
                    ("vector_indices", lambda r: (randn(r, 5),), {"indices": [2]}))),
    OpInfo("vsplit", lambda x, **kw: gradgpu.vsplit(x, **kw),
           lambda x, sections: tuple(np.vsplit(x, sections)),
           _samples(("matrix", lambda r: (randn(r, 4, 2),), {"sections": 2}))),
    OpInfo("dsplit", lambda x, **kw: gradgpu.dsplit(x, **kw),
           lambda x, indices: tuple(np.dsplit(x, indices)),
           _samples(("3d", lambda r: (randn(r, 2, 1, 6),), {"indices": [1, 3]}))),
    OpInfo("unfold", lambda x, **kw: x.unfold(**kw), _np_unfold,
           _samples(("overlapping", lambda r: (randn(r, 3, 5),),
                     {"dimension": 1, "size": 3, "step": 1}),
                    ("gaps_transposed", lambda r: (randn(r, 7, 2).T,),
                     {"dimension": -1, "size": 2, "step": 3}),
                    ("dim0_3d", lambda r: (randn(r, 4, 2, 3),),
                     {"dimension": 0, "size": 2, "step": 2}),
                    ("empty_windows", lambda r: (randn(r, 2, 3),),
                     {"dimension": 1, "size": 0, "step": 1}))),
    *(_sr_info(red, inc) for red in ("sum", "prod", "mean", "amax", "amin")
      for inc in (True, False)),
    OpInfo("index_reduce", _index_reduce, _np_index_reduce,
           _samples(("prod_dim0_repeated", lambda r: (randn(r, 3, 2), Const(np.array([2, 0, 2])),
                                                      randn(r, 3, 2)),
                     {"dim": 0, "reduce": "prod"}),
                    ("mean_exclude_self_transposed",
                     lambda r: (randn(r, 2, 3).T, Const(np.array([1, 1])), randn(r, 3, 2)),
                     {"dim": 1, "reduce": "mean", "include_self": False}),
                    ("amax_ties_free", lambda r: _amax_pair(r), {"dim": 0, "reduce": "amax"}))),
    OpInfo("index_copy", lambda x, index, src, dim: gradgpu.index_copy(x, dim, index, src),
           lambda x, index, src, dim: _np_index_copy(x, index, src, dim),
           _samples(("dim0", lambda r: (randn(r, 4, 2), Const(np.array([3, 0])),
                                        randn(r, 2, 2)), {"dim": 0}),
                    ("neg_dim_transposed", lambda r: (randn(r, 3, 2).T, Const(np.array([2])),
                                                      randn(r, 1, 2).T), {"dim": -1}),
                    ("zero_dim", lambda r: (randn(r), Const(np.array(0)), randn(r)),
                     {"dim": 0}))),
    OpInfo("masked_scatter", gradgpu.masked_scatter, _np_masked_scatter,
           _samples(("same_shape", lambda r: (randn(r, 3, 2), Const(randn(r, 3, 2) > 0),
                                              randn(r, 7)), {}),
                    ("broadcast_mask_transposed",
                     lambda r: (randn(r, 2, 3).T, Const(np.array([True, False])),
                                randn(r, 2, 3)), {}),
                    ("broadcast_input", lambda r: (randn(r, 3),
                                                   Const(np.array([[True, False, True],
                                                                   [False, True, True]])),
                                                   randn(r, 4)), {}),
                    ("no_true", lambda r: (randn(r, 2), Const(np.zeros(2, bool)), randn(r, 1)),
                     {}))),
]
