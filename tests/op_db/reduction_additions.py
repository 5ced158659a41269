"""Registry entries: nansum/nanmean, nanmedian, mode, quantile/nanquantile, aminmax,
std_mean/var_mean, cov/corrcoef, diff, trapezoid/cumulative_trapezoid, cdist, dist, renorm.
References are written from the definitions in NumPy float64."""

from __future__ import annotations

import numpy as np

import gradgpu

from . import Const, OpInfo, Sample, distinct, positive, randn

NAN = np.nan


def _axis(dim):
    return tuple(dim) if isinstance(dim, (tuple, list)) else dim


def _with_nans(rng, *shape, count=2):
    x = distinct(rng, *shape)
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, count, replace=False)] = NAN
    return x


# ---- nansum / nanmean ------------------------------------------------------------------------
def _nan_samples(rng):
    return [
        Sample((_with_nans(rng, 3, 4),), desc="all"),
        Sample((_with_nans(rng, 3, 4), 1), desc="dim1"),
        Sample((_with_nans(rng, 2, 3, 4), (0, -1)), {"keepdim": True}, desc="tuple_keepdim"),
        Sample((_with_nans(rng, 5, 3, count=3).T, 0), desc="transposed"),
        Sample((randn(rng),), desc="zero_dim"),
    ]


def _nan_reduce(fn):
    def ref(x, dim=None, keepdim=False):
        return np.asarray(fn(x, axis=_axis(dim), keepdims=keepdim))

    return ref


# ---- nanmedian / mode ------------------------------------------------------------------------
def _lower_nanmedian(x, axis):
    """(value, index) of the lower median of the non-NaN values along ``axis`` (a stable sort)."""
    xm = np.moveaxis(x, axis, -1)
    order = np.argsort(xm, axis=-1, kind="stable")
    valid = (~np.isnan(xm)).sum(-1, keepdims=True)
    idx = np.take_along_axis(order, np.maximum(valid - 1, 0) // 2, -1)
    return np.take_along_axis(xm, idx, -1)[..., 0], idx[..., 0]


def _nanmedian_ref(x, dim=None, keepdim=False):
    if dim is None:
        v = x[~np.isnan(x)]
        return np.asarray(np.sort(v)[(v.size - 1) // 2] if v.size else NAN)
    values, idx = _lower_nanmedian(x, dim)
    if keepdim:
        values, idx = np.expand_dims(values, dim), np.expand_dims(idx, dim)
    return values, idx


def _nanmedian_samples(rng):
    return [
        Sample((_with_nans(rng, 3, 5),), desc="all"),
        Sample((distinct(rng, 4, 3),), desc="all_even"),
        Sample((_with_nans(rng, 3, 5), 1), desc="dim1"),
        Sample((_with_nans(rng, 4, 3, count=3).T, 0), {"keepdim": True}, desc="transposed"),
        Sample((distinct(rng, 2, 4), -1), desc="no_nan"),
    ]


def _mode_ref(x, dim=-1, keepdim=False):
    xm = np.moveaxis(x, dim, -1)
    flat = xm.reshape(-1, xm.shape[-1])
    values, idx = [], []
    for row in flat:
        vals, counts = np.unique(row, return_counts=True)
        best = vals[np.argmax(counts)]  # unique is sorted: the first max is the smallest value
        values.append(best)
        idx.append(np.nonzero(row == best)[0][-1])
    shape = xm.shape[:-1]
    values, idx = np.array(values).reshape(shape), np.array(idx).reshape(shape)
    if keepdim:
        values, idx = np.expand_dims(values, dim), np.expand_dims(idx, dim)
    return values, idx


def _mode_samples(rng):
    def ints(*shape):
        return rng.integers(0, 3, shape).astype(np.float64) * 0.5

    return [
        Sample((ints(3, 7),), desc="rows"),
        Sample((ints(6, 4), 0), {"keepdim": True}, desc="dim0_keepdim"),
        Sample((ints(4, 5).T, 1), desc="transposed"),
    ]


# ---- quantile / nanquantile ------------------------------------------------------------------
def _quantile_ref(ignore_nan):
    def ref(x, q, dim=None, keepdim=False, interpolation="linear"):
        qa = np.asarray(q, dtype=np.float64)
        xm = x.reshape(-1) if dim is None else np.moveaxis(x, dim, -1)
        s = np.sort(xm, axis=-1)
        n = s.shape[-1]
        nan = np.isnan(s)
        qs = qa.reshape((-1,) + (1,) * s.ndim)
        if ignore_nan:
            ranks = np.maximum(qs * ((~nan).sum(-1, keepdims=True) - 1), 0)
        else:
            ranks = np.where(nan.any(-1, keepdims=True), n - 1, qs * (n - 1))
        if interpolation == "lower":
            ranks = np.floor(ranks)
        elif interpolation == "higher":
            ranks = np.ceil(ranks)
        elif interpolation == "nearest":
            ranks = np.round(ranks)
        lo = ranks.astype(np.int64)
        hi = np.ceil(ranks).astype(np.int64)
        sb = np.broadcast_to(s, (qs.shape[0],) + s.shape)
        a = np.take_along_axis(sb, lo, -1)
        b = np.take_along_axis(sb, hi, -1)
        w = 0.5 if interpolation == "midpoint" else ranks - lo
        out = a + w * (b - a) if interpolation in ("linear", "midpoint") else a
        out = out[..., 0]
        if keepdim:
            keep = (1,) * x.ndim if dim is None else tuple(
                1 if i == dim % x.ndim else s_ for i, s_ in enumerate(x.shape))
            out = out.reshape((qs.shape[0],) + keep)
        return out if qa.ndim else out[0]

    return ref


def _quantile_samples(nans):
    make = _with_nans if nans else (lambda rng, *shape: distinct(rng, *shape))

    def samples(rng):
        qs = np.array([0.0, 0.3, 0.5, 0.85, 1.0])
        out = [
            Sample((make(rng, 3, 5), 0.3), desc="all"),
            Sample((make(rng, 4, 5), Const(qs), 1), desc="q_tensor_dim1"),
            Sample((make(rng, 4, 5).T, 0.62, 0), {"keepdim": True}, desc="transposed_keepdim"),
            Sample((make(rng, 3, 4), Const(qs), None), {"keepdim": True}, desc="all_keepdim"),
            Sample((randn(rng), 0.4), desc="zero_dim"),
        ]
        for interp in ("lower", "higher", "midpoint", "nearest"):
            out.append(Sample((make(rng, 3, 6), Const(qs), -1), {"interpolation": interp},
                              desc=interp))
        # q away from 0 and 1 (gradcheck steps q) and from ranks that are whole numbers
        out.append(Sample((distinct(rng, 3, 5), np.array([0.1, 0.45, 0.7]), 1),
                          desc="q_differentiable"))
        return out

    return samples


# ---- aminmax / std_mean / var_mean -----------------------------------------------------------
def _aminmax_ref(x, dim=None, keepdim=False):
    axis = None if dim is None else dim
    kd = keepdim
    return (np.asarray(np.min(x, axis=axis, keepdims=kd)),
            np.asarray(np.max(x, axis=axis, keepdims=kd)))


def _aminmax_samples(rng):
    return [
        Sample((distinct(rng, 3, 4),), desc="all"),
        Sample((distinct(rng, 3, 4),), {"dim": 1}, desc="dim1"),
        Sample((distinct(rng, 5, 3).T,), {"dim": 0, "keepdim": True}, desc="transposed"),
        Sample((randn(rng),), desc="zero_dim"),
    ]


def _stat_mean_ref(fn):
    def ref(x, dim=None, correction=1, keepdim=False):
        axis = _axis(dim)
        return (np.asarray(fn(x, axis=axis, ddof=correction, keepdims=keepdim)),
                np.asarray(np.mean(x, axis=axis, keepdims=keepdim)))

    return ref


def _stat_mean_samples(rng):
    return [
        Sample((randn(rng, 3, 4),), desc="all"),
        Sample((randn(rng, 3, 4), 1), desc="dim1"),
        Sample((randn(rng, 2, 3, 4), (0, 2)), {"correction": 0, "keepdim": True},
               desc="tuple_keepdim"),
        Sample((randn(rng, 5, 3).T, 0), {"correction": 2}, desc="transposed"),
    ]


def _std_mean(x, dim=None, correction=1, keepdim=False):
    return gradgpu.std_mean(x, dim, keepdim=keepdim, correction=correction)


def _var_mean(x, dim=None, correction=1, keepdim=False):
    return gradgpu.var_mean(x, dim, keepdim=keepdim, correction=correction)


# ---- cov / corrcoef --------------------------------------------------------------------------
def _cov_ref(x, fweights=None, aweights=None, correction=1):
    return np.asarray(np.cov(x, ddof=correction, fweights=fweights, aweights=aweights))


def _cov_samples(rng):
    fw = Const(np.array([2, 1, 0, 3, 1]))
    return [
        Sample((randn(rng, 3, 6),), desc="matrix"),
        Sample((randn(rng, 7),), desc="vector"),
        Sample((randn(rng, 6, 2).T,), {"correction": 0}, desc="transposed"),
        Sample((randn(rng, 2, 5), fw), desc="fweights"),
        Sample((randn(rng, 2, 5), None, positive(rng, 5)), desc="aweights"),
        Sample((randn(rng, 3, 5), fw, positive(rng, 5)), {"correction": 2}, desc="both"),
    ]


def _cov_op(x, fweights=None, aweights=None, correction=1):
    return gradgpu.cov(x, correction=correction, fweights=fweights, aweights=aweights)


def _corrcoef_samples(rng):
    return [Sample((randn(rng, 3, 6),), desc="matrix"), Sample((randn(rng, 5, 2).T,),
                                                               desc="transposed")]


# ---- diff / trapezoid ------------------------------------------------------------------------
def _diff_ref(x, n=1, dim=-1, prepend=None, append=None):
    kw = {}
    if prepend is not None:
        kw["prepend"] = prepend
    if append is not None:
        kw["append"] = append
    return np.diff(x, n=n, axis=dim, **kw)


def _diff_samples(rng):
    return [
        Sample((randn(rng, 3, 5),), desc="default"),
        Sample((randn(rng, 4, 3), 2, 0), desc="n2_dim0"),
        Sample((randn(rng, 5, 3).T, 1, -1), desc="transposed"),
        Sample((randn(rng, 2, 4), 2, 1, randn(rng, 2, 1), randn(rng, 2, 3)), desc="pre_append"),
        Sample((randn(rng, 2, 3), 4), desc="n_past_size"),
    ]


def _trapz_np(y, x=None, dx=1.0, dim=-1):
    y = np.moveaxis(y, dim, -1)
    if x is None:
        widths = np.full(y.shape[-1] - 1, dx) if y.shape[-1] else np.zeros(0)
    else:
        widths = np.diff(np.moveaxis(x, dim, -1) if x.ndim == y.ndim else x, axis=-1)
    return (y[..., 1:] + y[..., :-1]) / 2 * widths


def _trapezoid_ref(y, x=None, dx=None, dim=-1):
    return _trapz_np(y, x, 1.0 if dx is None else dx, dim).sum(-1)


def _cumtrapz_ref(y, x=None, dx=None, dim=-1):
    return np.moveaxis(np.cumsum(_trapz_np(y, x, 1.0 if dx is None else dx, dim), -1), -1, dim)


def _trapezoid_samples(rng):
    return [
        Sample((randn(rng, 3, 5),), desc="unit_dx"),
        Sample((randn(rng, 4, 3),), {"dx": 0.3, "dim": 0}, desc="dx_dim0"),
        Sample((randn(rng, 2, 5), np.sort(randn(rng, 5))), desc="x_1d"),
        Sample((randn(rng, 2, 4), randn(rng, 2, 4)), desc="x_full"),
        Sample((randn(rng, 5, 3).T, Const(np.arange(5.0) ** 1.5)), {"dim": 1},
               desc="transposed_const_x"),
    ]


# ---- cdist / dist / renorm -------------------------------------------------------------------
def _cdist_ref(x1, x2, p=2.0, compute_mode=None):
    d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(np.float64)
    if p == np.inf:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


def _cdist_samples(rng):
    return [
        Sample((randn(rng, 3, 4), randn(rng, 5, 4)), desc="p2"),
        Sample((randn(rng, 3, 4), randn(rng, 2, 4)), {"p": 1.0}, desc="p1"),
        Sample((randn(rng, 2, 3), randn(rng, 4, 3)), {"p": 3.0}, desc="p3"),
        Sample((randn(rng, 2, 3), randn(rng, 4, 3)), {"p": 0.5}, desc="p_half"),
        Sample((distinct(rng, 2, 3), distinct(rng, 3, 3) + 50), {"p": np.inf}, desc="p_inf"),
        Sample((randn(rng, 2, 1, 3, 2), randn(rng, 4, 5, 2)), desc="batch_broadcast"),
        Sample((randn(rng, 30, 3), randn(rng, 4, 3)), desc="mm_if_necessary"),
        Sample((randn(rng, 3, 3), randn(rng, 2, 3)), {"compute_mode": "use_mm_for_euclid_dist"},
               desc="mm_forced"),
        Sample((randn(rng, 4, 3).T, randn(rng, 2, 4)), desc="transposed"),
    ]


def _dist_ref(a, b, p=2.0):
    d = np.abs(a - b).reshape(-1)
    if p == np.inf:
        return np.asarray(d.max())
    return np.asarray((d ** p).sum() ** (1 / p))


def _dist_samples(rng):
    return [
        Sample((randn(rng, 3, 4), randn(rng, 3, 4)), desc="p2"),
        Sample((randn(rng, 3, 4), randn(rng, 4)), {"p": 3.0}, desc="broadcast_p3"),
        Sample((distinct(rng, 2, 3), distinct(rng, 2, 3) + 40), {"p": np.inf}, desc="p_inf"),
    ]


def _renorm_ref(x, p, dim, maxnorm):
    others = tuple(d for d in range(x.ndim) if d != dim % x.ndim)
    n = (np.abs(x) ** p).sum(axis=others, keepdims=True) ** (1 / p)
    return np.where(n > maxnorm, x * maxnorm / (n + 1e-7), x)


def _renorm_samples(rng):
    return [
        Sample((randn(rng, 4, 3), 2, 0, 1.2), desc="p2_dim0"),
        Sample((randn(rng, 3, 4), 1, 1, 2.0), desc="p1_dim1"),
        Sample((randn(rng, 2, 3, 4), 3, -1, 1.0), desc="p3_3d"),
        Sample((randn(rng, 5, 3).T, 2, 1, 1.5), desc="transposed"),
    ]


OPS = [
    OpInfo("nansum", gradgpu.nansum, _nan_reduce(np.nansum), _nan_samples),
    OpInfo("nanmean", gradgpu.nanmean, _nan_reduce(np.nanmean), _nan_samples),
    OpInfo("nanmedian", gradgpu.nanmedian, _nanmedian_ref, _nanmedian_samples),
    # mode picks among tied values: any finite-difference step breaks the tie (gradcheck would
    # compare against a jump); its gradient routing is tested in test_statistics_additions.py
    OpInfo("mode", gradgpu.mode, _mode_ref, _mode_samples, gradcheck=False),
    OpInfo("quantile", gradgpu.quantile, _quantile_ref(False), _quantile_samples(False)),
    OpInfo("nanquantile", gradgpu.nanquantile, _quantile_ref(True), _quantile_samples(True)),
    OpInfo("aminmax", gradgpu.aminmax, _aminmax_ref, _aminmax_samples),
    OpInfo("std_mean", _std_mean, _stat_mean_ref(np.std), _stat_mean_samples),
    OpInfo("var_mean", _var_mean, _stat_mean_ref(np.var), _stat_mean_samples),
    OpInfo("cov", _cov_op, _cov_ref, _cov_samples),
    OpInfo("corrcoef", gradgpu.corrcoef, lambda x: np.corrcoef(x), _corrcoef_samples),
    OpInfo("diff", gradgpu.diff, _diff_ref, _diff_samples),
    OpInfo("trapezoid", gradgpu.trapezoid, _trapezoid_ref, _trapezoid_samples),
    OpInfo("cumulative_trapezoid", gradgpu.cumulative_trapezoid, _cumtrapz_ref,
           _trapezoid_samples),
    OpInfo("cdist", gradgpu.cdist, _cdist_ref, _cdist_samples, f32_atol=1e-3),
    OpInfo("dist", gradgpu.dist, _dist_ref, _dist_samples),
    OpInfo("renorm", gradgpu.renorm, _renorm_ref, _renorm_samples),
]
