"""Registry entries: reductions (sum, mean, prod, max/min, amax/amin, var/std, logsumexp,
norm, logical and arg reductions) and the scans cumsum/cumprod."""

from __future__ import annotations

import numpy as np

import gradgpu

from . import Const, OpInfo, Sample, distinct, positive, randn


def _dim_samples(make=randn, empty=True):
    """A matrix over each dim form: all, int, negative, tuple, keepdim, transposed, 0-d."""

    def samples(rng):
        out = [
            Sample((make(rng, 3, 4),), desc="all"),
            Sample((make(rng, 3, 4), 1), desc="dim1"),
            Sample((make(rng, 2, 3, 4), -1), {"keepdim": True}, desc="neg_dim_keepdim"),
            Sample((make(rng, 2, 3, 4), (0, 2)), desc="dim_tuple"),
            Sample((make(rng, 2, 3, 4), (-1, 0)), {"keepdim": True}, desc="dim_tuple_keepdim"),
            Sample((make(rng, 5, 3).T, 0), desc="transposed"),
            Sample((make(rng),), desc="zero_dim"),
        ]
        if empty:
            out.append(Sample((make(rng, 0, 3), 1), desc="empty"))
        return out

    return samples


def _np_reduce(fn):
    def ref(x, dim=None, keepdim=False, **kw):
        return np.asarray(fn(x, axis=_axis(dim), keepdims=keepdim, **kw))

    return ref


def _axis(dim):
    return tuple(dim) if isinstance(dim, (tuple, list)) else dim


def _with_zeros(rng, *shape, count=1):
    x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, count, replace=False)] = 0.0
    return x


def _prod_samples(rng):
    return [
        Sample((positive(rng, 2, 3),), desc="all"),
        Sample((randn(rng, 3, 4), 1), desc="dim1"),
        Sample((randn(rng, 3, 4), -2), {"keepdim": True}, desc="neg_dim_keepdim"),
        Sample((randn(rng, 5, 3).T, 0), desc="transposed"),
        Sample((randn(rng),), desc="zero_dim"),
        Sample((randn(rng, 0, 3), 1), desc="empty"),
        Sample((_with_zeros(rng, 6),), desc="one_zero"),
        Sample((_with_zeros(rng, 7, count=2),), desc="two_zeros"),
        Sample((_with_zeros(rng, 3, 4, count=3), 1), desc="zeros_rows"),
        Sample((np.array([[0.0, 2.0, 0.0], [1.5, 0.0, 3.0]]), 1), desc="zero_patterns"),
    ]


def _prod_ref(x, dim=None, keepdim=False):
    return np.asarray(np.prod(x, axis=dim, keepdims=keepdim))


def _cum_samples(rng):
    return [
        Sample((randn(rng, 3, 4), 1), desc="dim1"),
        Sample((randn(rng, 2, 3, 2), -3), desc="neg_dim"),
        Sample((randn(rng, 4, 3).T, 0), desc="transposed"),
        Sample((randn(rng), 0), desc="zero_dim"),
        Sample((randn(rng, 0, 3), 1), desc="empty"),
    ]


def _cumprod_samples(rng):
    return _cum_samples(rng) + [
        Sample((_with_zeros(rng, 6), 0), desc="one_zero"),
        Sample((_with_zeros(rng, 7, count=2), 0), desc="two_zeros"),
        Sample((np.array([[0.0, 2.0, 0.0, 1.5], [1.5, 0.7, -3.0, 0.0]]), 1),
               desc="zero_patterns"),
    ]


def _cum_ref(fn):
    def ref(x, dim):
        return fn(x, axis=dim) if x.ndim else x.copy()

    return ref


def _distinct_dim_samples(rng):
    """Inputs without ties (the picked element is unique, so the gradient is smooth)."""
    return [
        Sample((distinct(rng, 3, 4), 1), desc="dim1"),
        Sample((distinct(rng, 2, 3, 4), -2), {"keepdim": True}, desc="neg_dim_keepdim"),
        Sample((distinct(rng, 5, 3).T, 0), desc="transposed"),
        Sample((distinct(rng), 0), desc="zero_dim"),
        Sample((distinct(rng, 0, 3), 1), desc="empty_other_dim"),
        Sample((np.array([[1.0, np.nan, 3.0], [2.0, 1.0, -np.inf]]), 1), desc="nan_inf",
               grad=False),
    ]


def _max_dim_ref(fn, argfn):
    def ref(x, dim, keepdim=False):
        if x.ndim == 0:
            return x.copy(), np.array(0)
        return (fn(x, axis=dim, keepdims=keepdim),
                np.expand_dims(argfn(x, axis=dim), dim) if keepdim else argfn(x, axis=dim))

    return ref


def _full_samples(rng):
    return [
        Sample((distinct(rng, 3, 4),), desc="matrix"),
        Sample((distinct(rng, 4, 3).T,), desc="transposed"),
        Sample((distinct(rng),), desc="zero_dim"),
        Sample((np.array([1.0, np.nan, 3.0]),), desc="nan", grad=False),
    ]


def _amax_samples(rng):
    return [
        Sample((distinct(rng, 3, 4),), desc="all"),
        Sample((distinct(rng, 3, 4), 1), desc="dim1"),
        Sample((distinct(rng, 2, 3, 4), (0, -1)), desc="dim_tuple"),
        Sample((distinct(rng, 2, 3, 4), (2, 1)), {"keepdim": True}, desc="dim_tuple_keepdim"),
        Sample((distinct(rng, 5, 3).T, 0), desc="transposed"),
        Sample((distinct(rng),), desc="zero_dim"),
        Sample((np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]]), 1), desc="ties", grad=False),
    ]


def _var_samples(rng):
    return [
        Sample((randn(rng, 3, 4),), desc="all"),
        Sample((randn(rng, 3, 4), 1), desc="dim1"),
        Sample((randn(rng, 2, 3, 4), (0, 2)), {"keepdim": True}, desc="dim_tuple_keepdim"),
        Sample((randn(rng, 2, 3, 4), -1), {"correction": 0}, desc="correction0"),
        Sample((randn(rng, 2, 5), 1), {"correction": 2}, desc="correction2"),
        Sample((randn(rng, 2, 5), 1, False), desc="unbiased_false"),
        Sample((randn(rng, 5, 3).T, 0), desc="transposed"),
        Sample((np.array([1e8 + 1.0, 1e8 + 2.0, 1e8 + 3.0]),), desc="large_offset",
               grad=False),
    ]


def _var_ref(x, dim=None, unbiased=None, keepdim=False, correction=None):
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    return np.asarray(np.var(x, axis=_axis(dim), ddof=correction, keepdims=keepdim))


def _std_ref(*args, **kwargs):
    return np.sqrt(_var_ref(*args, **kwargs))


def _lse_samples(rng):
    return [
        Sample((randn(rng, 3, 4), 1), desc="dim1"),
        Sample((randn(rng, 2, 3, 4), (0, -1)), {"keepdim": True}, desc="dim_tuple_keepdim"),
        Sample((randn(rng, 5, 3).T, 0), desc="transposed"),
        Sample((randn(rng), 0), desc="zero_dim"),
        Sample((np.array([[1e4, -1e4, 1e4 - 1.0], [-1e4, -1e4 - 2.0, -1e4 + 0.5]]), 1),
               desc="large_magnitude"),
        Sample((np.array([[-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 1.0]]), 1),
               desc="neg_inf_rows", grad=False),
        Sample((randn(rng, 0, 3), 0), desc="empty", grad=False),  # -inf output
    ]


def _lse_ref(x, dim, keepdim=False):
    if x.ndim == 0:
        return x.copy()
    return np.asarray(np.logaddexp.reduce(x, axis=_axis(dim), keepdims=keepdim))


def _norm_ref(x, p="fro", dim=None, keepdim=False):
    a = np.abs(x)
    axis = _axis(dim)
    if p == "fro" or p == 2:
        return np.asarray(np.sqrt((a * a).sum(axis=axis, keepdims=keepdim)))
    if p == np.inf:
        return np.asarray(a.max(axis=axis, keepdims=keepdim))
    if p == -np.inf:
        return np.asarray(a.min(axis=axis, keepdims=keepdim))
    if p == 0:
        return np.asarray((a != 0).sum(axis=axis, keepdims=keepdim).astype(x.dtype))
    return np.asarray((a ** p).sum(axis=axis, keepdims=keepdim) ** (1.0 / p))


def _norm_samples(p, smooth=randn):
    def samples(rng):
        return [
            Sample((smooth(rng, 3, 4), p), desc="all"),
            Sample((smooth(rng, 3, 4), p, 1), desc="dim1"),
            Sample((smooth(rng, 2, 3, 4), p, (0, -1)), {"keepdim": True},
                   desc="dim_tuple_keepdim"),
            Sample((smooth(rng, 5, 3).T, p, 0), desc="transposed"),
            Sample((smooth(rng), p), desc="zero_dim"),
        ]

    return samples


def _away(rng, *shape):
    """Values with distinct magnitudes and no zeros (for |x| norms with kinks)."""
    return distinct(rng, *shape) + 0.3 if shape else np.float64(0.8)


def _logical_samples(rng):
    x = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0], [3.0, -1.0, 0.5]])
    return [
        Sample((Const(x),), desc="all"),
        Sample((Const(x), 1), desc="dim1"),
        Sample((Const(x), (0, 1)), {"keepdim": True}, desc="dim_tuple_keepdim"),
        Sample((Const(x.T), -1), desc="transposed"),
        Sample((Const(np.zeros((0, 2))), 0), desc="empty"),
    ]


def _arg_samples(rng):
    return [
        Sample((Const(distinct(rng, 3, 4)),), desc="flat"),
        Sample((Const(distinct(rng, 3, 4)), 1), desc="dim1"),
        Sample((Const(distinct(rng, 2, 3, 4)), -1), {"keepdim": True}, desc="keepdim"),
        Sample((Const(distinct(rng, 3, 4)),), {"keepdim": True}, desc="flat_keepdim"),
        Sample((Const(distinct(rng, 5, 3).T), 0), desc="transposed"),
        Sample((Const(np.array([1.0, 3.0, 3.0, -2.0])), 0), desc="ties_first"),
    ]


def _arg_ref(fn):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            out = np.asarray(fn(x))
            return out.reshape((1,) * x.ndim) if keepdim else out
        return np.asarray(fn(x, axis=dim, keepdims=keepdim))

    return ref


OPS = [
    OpInfo("sum", gradgpu.sum, _np_reduce(np.sum), _dim_samples()),
    OpInfo("mean", gradgpu.mean, _np_reduce(np.mean), _dim_samples(empty=False)),
    OpInfo("prod", gradgpu.prod, _prod_ref, _prod_samples),
    OpInfo("cumsum", gradgpu.cumsum, _cum_ref(np.cumsum), _cum_samples),
    OpInfo("cumprod", gradgpu.cumprod, _cum_ref(np.cumprod), _cumprod_samples),
    OpInfo("amax", gradgpu.amax, _np_reduce(np.max), _amax_samples),
    OpInfo("amin", gradgpu.amin, _np_reduce(np.min), _amax_samples),
    OpInfo("max_full", gradgpu.max, np.max, _full_samples),
    OpInfo("min_full", gradgpu.min, np.min, _full_samples),
    OpInfo("max_dim", gradgpu.max, _max_dim_ref(np.max, np.argmax), _distinct_dim_samples),
    OpInfo("min_dim", gradgpu.min, _max_dim_ref(np.min, np.argmin), _distinct_dim_samples),
    OpInfo("max_dim_values", lambda x, d, **kw: gradgpu.max(x, d, **kw).values,
           lambda x, d, **kw: _max_dim_ref(np.max, np.argmax)(x, d, **kw)[0],
           _distinct_dim_samples),
    OpInfo("max_other", lambda a, b: gradgpu.max(a, b), np.maximum,
           lambda rng: [Sample((distinct(rng, 2, 3), distinct(rng, 3) + 0.05),
                               desc="broadcast")]),
    OpInfo("var", gradgpu.var, _var_ref, _var_samples),
    OpInfo("std", gradgpu.std, _std_ref, _var_samples),
    OpInfo("logsumexp", gradgpu.logsumexp, _lse_ref, _lse_samples),
    OpInfo("norm_2", gradgpu.norm, _norm_ref, _norm_samples(2)),
    OpInfo("norm_fro", gradgpu.norm, _norm_ref, _norm_samples("fro")),
    OpInfo("norm_1", gradgpu.norm, _norm_ref, _norm_samples(1, _away)),
    OpInfo("norm_3", gradgpu.norm, _norm_ref, _norm_samples(3, _away)),
    OpInfo("norm_1_5", gradgpu.norm, _norm_ref, _norm_samples(1.5, _away)),
    OpInfo("norm_inf", gradgpu.norm, _norm_ref, _norm_samples(np.inf, _away)),
    OpInfo("norm_neg_inf", gradgpu.norm, _norm_ref, _norm_samples(-np.inf, _away)),
    OpInfo("norm_0", gradgpu.norm, _norm_ref,
           lambda rng: [Sample((Const(np.array([[0.0, 1.0], [2.0, 0.0]])), 0, 1),
                               desc="dim1")],
           gradcheck=False),
    OpInfo("all", gradgpu.all, _np_reduce(np.all), _logical_samples, gradcheck=False),
    OpInfo("any", gradgpu.any, _np_reduce(np.any), _logical_samples, gradcheck=False),
    OpInfo("count_nonzero", gradgpu.count_nonzero,
           lambda x, dim=None: np.asarray(np.count_nonzero(x, axis=_axis(dim))),
           lambda rng: [s for s in _logical_samples(rng) if not s.kwargs], gradcheck=False),
    OpInfo("argmax", gradgpu.argmax, _arg_ref(np.argmax), _arg_samples, gradcheck=False),
    OpInfo("argmin", gradgpu.argmin, _arg_ref(np.argmin), _arg_samples, gradcheck=False),
]
