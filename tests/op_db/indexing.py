"""Registry entries: getitem (basic and advanced), index_put, gather/scatter/scatter_add,
index_select/index_add, take/take_along_dim, masked_fill/masked_select."""

from __future__ import annotations

import numpy as np

import gradgpu

from . import Const, OpInfo, Sample, randn


def _samples(*specs):
    """Samples from (desc, make(rng) -> args, kwargs) triples."""

    def samples(rng):
        return [Sample(make(rng), kw, desc=desc) for desc, make, kw in specs]

    return samples


def _getitem(key):
    return OpInfo(
        f"getitem_{key[0]}", lambda x: x[key[1]], lambda x: x[key[2]],
        _samples(("matrix", lambda r: (randn(r, *key[3]),), {}),
                 ("transposed", lambda r: (randn(r, *key[3][::-1]).T,), {})),
    )


_I = np.array
# (name, gradgpu key, the same key for the NumPy reference, input shape)
_KEYS = [
    ("int", 1, 1, (3, 4)),
    ("neg_int_slice_step", (-1, slice(None, None, 2)), (-1, slice(None, None, 2)), (3, 4)),
    ("step_none_ellipsis", (None, Ellipsis, slice(3, 0, 2)), (None, Ellipsis, slice(3, 0, 2)),
     (3, 4)),
    ("step_none_ellipsis_nonempty", (None, Ellipsis, slice(None, 4, 3)),
     (None, Ellipsis, slice(None, 4, 3)), (3, 4)),
    ("list_repeated", [0, 0, 2, -1], [0, 0, 2, -1], (3, 4)),
    ("long_tensor_2d", gradgpu.tensor([[0, 2], [2, 2]]), _I([[0, 2], [2, 2]]), (3, 4)),
    ("two_arrays", ([0, 2, 0], [1, 1, 1]), (_I([0, 2, 0]), _I([1, 1, 1])), (3, 4)),
    ("slice_then_array", (slice(1, None), [3, 0, 3]), (slice(1, None), _I([3, 0, 3])), (3, 4)),
    ("bool_mask_rows", gradgpu.tensor([True, False, True]), _I([True, False, True]), (3, 4)),
    ("bool_mask_full", gradgpu.tensor([[True, False], [False, True], [True, True]]),
     _I([[True, False], [False, True], [True, True]]), (3, 2)),
    ("numpy_mask", _I([False, True, True, False]), _I([False, True, True, False]), (4, 3)),
    ("separated_arrays", ([0, 1], slice(None), [1, 0]), (_I([0, 1]), slice(None), _I([1, 0])),
     (2, 3, 2)),
    ("empty_index", gradgpu.tensor([], dtype=gradgpu.int64), _I([], dtype=np.int64), (3, 2)),
]


def _zero_dim_getitem():
    return OpInfo("getitem_zero_dim", lambda x: x[None, ...], lambda x: x[None, ...],
                  _samples(("zero_dim", lambda r: (randn(r),), {})))


def _torch_order_getitem():
    # An int before a slice and an array: the int is applied first (PyTorch), so the array
    # dim stays in place: result [3, 2], where NumPy's own rule would give [2, 3].
    return OpInfo("getitem_int_slice_array", lambda x: x[0, :, [1, 0]],
                  lambda x: x[0][:, [1, 0]],
                  _samples(("3d", lambda r: (randn(r, 2, 3, 2),), {})))


def _np_index_put(x, v, idx, accumulate=False):
    out = x.copy()
    if accumulate:
        np.add.at(out, idx, v)
    else:
        out[idx] = v
    return out


def _index_put(x, v, accumulate=False):
    return x.index_put((gradgpu.tensor([0, 2]),), v, accumulate=accumulate)


def _np_setitem_rows(x, v):
    out = x.copy()
    out[[0, 2]] = v
    return out


def _setitem_rows(x, v):
    y = x.clone()
    y[gradgpu.tensor([0, 2])] = v
    return y


def _setitem_mask(x):
    y = x * 1.0
    y[x.detach() > 0] = 0.5
    return y


def _np_gather(x, dim, index):
    idx = np.asarray(index)
    if x.ndim == 0:
        return x[()]
    sl = tuple(slice(0, s) for s in idx.shape)
    sl = tuple(slice(None) if d == dim % x.ndim else s for d, s in enumerate(sl))
    return np.take_along_axis(x[sl], idx, axis=dim)


def _grid(index, dim):
    idx = np.asarray(index)
    key = list(np.indices(idx.shape, sparse=True))
    key[dim % idx.ndim] = idx
    return tuple(key)


def _np_scatter_add(x, dim, index, src):
    out = x.copy()
    idx = np.asarray(index)
    np.add.at(out, _grid(idx, dim), src[tuple(slice(0, s) for s in idx.shape)])
    return out


def _np_scatter(x, dim, index, src):
    out = x.copy()
    idx = np.asarray(index)
    out[_grid(idx, dim)] = src[tuple(slice(0, s) for s in idx.shape)] if np.ndim(src) else src
    return out


def _np_index_add(x, dim, index, src, alpha=1):
    out = x.copy()
    np.add.at(out, (slice(None),) * (dim % x.ndim) + (np.asarray(index),), alpha * src)
    return out


_IDX = Const(np.array([[0, 2, 0], [1, 1, 1]]))  # repeated entries: gradients must accumulate

OPS = [
    *(_getitem(k) for k in _KEYS),
    _zero_dim_getitem(),
    _torch_order_getitem(),
    OpInfo("index_put", _index_put, lambda x, v, accumulate=False:
           _np_index_put(x, v, np.array([0, 2]), accumulate),
           _samples(("rows", lambda r: (randn(r, 3, 2), randn(r, 2, 2)), {}),
                    ("broadcast_value", lambda r: (randn(r, 3, 2), randn(r, 2)), {}),
                    ("accumulate", lambda r: (randn(r, 3, 2), randn(r, 2, 2)),
                     {"accumulate": True}))),
    OpInfo("setitem_rows", _setitem_rows, _np_setitem_rows,
           _samples(("value_tensor", lambda r: (randn(r, 3, 2), randn(r, 2, 2)), {}),
                    ("broadcast_value", lambda r: (randn(r, 2, 3).T, randn(r, 1)), {}))),
    OpInfo("setitem_mask", _setitem_mask, lambda x: np.where(x > 0, 0.5, x),
           _samples(("matrix", lambda r: (randn(r, 3, 4),), {}))),
    # Tensor arguments come first and dims as keywords: the harness rebuilds the argument list
    # by position, counting non-tensor positional arguments as tensors.
    OpInfo("gather", lambda x, index, dim: gradgpu.gather(x, dim, index),
           lambda x, index, dim: _np_gather(x, dim, index),
           _samples(("dim1_repeated", lambda r: (randn(r, 2, 3), _IDX), {"dim": 1}),
                    ("dim0_smaller_index", lambda r: (randn(r, 3, 4),
                                                      Const(np.array([[2, 0], [2, 1]]))),
                     {"dim": 0}),
                    ("neg_dim_transposed", lambda r: (randn(r, 3, 2).T, _IDX), {"dim": -1}),
                    ("zero_dim", lambda r: (randn(r), Const(np.array(0))), {"dim": 0}),
                    ("empty_index", lambda r: (randn(r, 2, 3),
                                               Const(np.zeros((2, 0), dtype=np.int64))),
                     {"dim": 1}))),
    OpInfo("scatter_add", lambda x, index, src, dim: gradgpu.scatter_add(x, dim, index, src),
           lambda x, index, src, dim: _np_scatter_add(x, dim, index, src),
           _samples(("dim1_repeated", lambda r: (randn(r, 2, 3), _IDX, randn(r, 2, 3)),
                     {"dim": 1}),
                    ("src_larger", lambda r: (randn(r, 3, 3), Const(np.array([[2, 0], [2, 2]])),
                                              randn(r, 3, 4)), {"dim": 0}),
                    ("neg_dim_transposed", lambda r: (randn(r, 3, 2).T, _IDX, randn(r, 3, 2).T),
                     {"dim": -1}))),
    OpInfo("scatter", lambda x, index, src, dim: gradgpu.scatter(x, dim, index, src),
           lambda x, index, src, dim: _np_scatter(x, dim, index, src),
           _samples(("dim1", lambda r: (randn(r, 2, 3), Const(np.array([[2, 0], [1, 2]])),
                                        randn(r, 2, 2)), {"dim": 1}),
                    ("dim0_src_larger", lambda r: (randn(r, 3, 2), Const(np.array([[2, 1]])),
                                                   randn(r, 2, 3)), {"dim": 0}),
                    ("value", lambda r: (randn(r, 2, 3), Const(np.array([[0], [2]])), 1.5),
                     {"dim": -1}))),
    OpInfo("index_select", lambda x, index, dim: gradgpu.index_select(x, dim, index),
           lambda x, index, dim: np.take(x, np.atleast_1d(index), axis=dim),
           _samples(("dim0_repeated", lambda r: (randn(r, 3, 2), Const(np.array([2, 0, 2]))),
                     {"dim": 0}),
                    ("neg_dim_transposed", lambda r: (randn(r, 4, 3).T, Const(np.array([3, 1]))),
                     {"dim": -1}),
                    ("empty", lambda r: (randn(r, 3, 2), Const(np.zeros(0, np.int64))),
                     {"dim": 1}),
                    ("zero_dim_index", lambda r: (randn(r, 3, 2), Const(np.array(1))),
                     {"dim": 0}))),
    OpInfo("index_add", lambda x, index, src, dim, **kw: gradgpu.index_add(x, dim, index, src,
                                                                           **kw),
           lambda x, index, src, dim, alpha=1: _np_index_add(x, dim, index, src, alpha),
           _samples(("repeated", lambda r: (randn(r, 3, 2), Const(np.array([2, 0, 2])),
                                            randn(r, 3, 2)), {"dim": 0}),
                    ("neg_dim_alpha", lambda r: (randn(r, 2, 3), Const(np.array([1, 1])),
                                                 randn(r, 2, 2)), {"dim": -1, "alpha": -2.0}))),
    OpInfo("take", gradgpu.take, lambda x, index: x.reshape(-1)[np.asarray(index)],
           _samples(("repeated_2d", lambda r: (randn(r, 3, 2), Const(np.array([[5, 0], [0, -1]]))),
                     {}),
                    ("transposed", lambda r: (randn(r, 3, 2).T, Const(np.array([1, 4]))), {}))),
    OpInfo("take_along_dim", gradgpu.take_along_dim,
           lambda x, idx, dim=None: (np.take_along_axis(x, np.asarray(idx), dim) if dim is not
                                     None else x.reshape(-1)[np.asarray(idx).reshape(-1)]),
           _samples(("broadcast", lambda r: (randn(r, 3, 4), Const(np.array([[0], [3], [3]]))),
                     {"dim": 1}),
                    ("flat", lambda r: (randn(r, 2, 3), Const(np.array([5, 1, 1]))), {}))),
    OpInfo("masked_fill", lambda x, m, v: gradgpu.masked_fill(x, m, v),
           lambda x, m, v: np.where(m, v, x),
           _samples(("number", lambda r: (randn(r, 3, 4), Const(randn(r, 3, 4) > 0), -2.0), {}),
                    ("zero_dim_value", lambda r: (randn(r, 3, 4), Const(randn(r, 4) > 0),
                                                  randn(r)), {}),
                    ("broadcast_mask_grows", lambda r: (randn(r, 3), Const(randn(r, 2, 3) > 0),
                                                        randn(r)), {}),
                    ("transposed", lambda r: (randn(r, 4, 3).T, Const(randn(r, 3, 4) > 0), 1.0),
                     {}),
                    ("empty", lambda r: (randn(r, 0, 3), Const(np.zeros((0, 3), bool)), 1.0),
                     {}))),
    OpInfo("masked_select", gradgpu.masked_select, lambda x, m: np.broadcast_arrays(x, m)[0][
        np.broadcast_arrays(x, m)[1]],
           _samples(("same_shape", lambda r: (randn(r, 3, 4), Const(randn(r, 3, 4) > 0)), {}),
                    ("broadcast", lambda r: (randn(r, 3, 1), Const(randn(r, 3, 4) > 0)), {}),
                    ("zero_dim", lambda r: (randn(r), Const(np.array(True))), {}))),
]
