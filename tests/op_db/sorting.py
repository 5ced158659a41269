"""Registry entries: sort, argsort, topk, kthvalue, median (values and indices compared;
inputs without ties so the indices are unique)."""

from __future__ import annotations

import numpy as np

import gradgpu

from . import Const, OpInfo, Sample, distinct


def _sort_samples(rng):
    return [
        Sample((distinct(rng, 3, 4),), desc="last_dim"),
        Sample((distinct(rng, 3, 4), 0), desc="dim0"),
        Sample((distinct(rng, 2, 3, 4), -2), {"descending": True}, desc="descending"),
        Sample((distinct(rng, 5, 3).T, 1), desc="transposed"),
        Sample((distinct(rng), 0), desc="zero_dim"),
        Sample((distinct(rng, 0, 3), 1), desc="empty"),
        Sample((np.array([3.0, np.nan, -np.inf, 1.0, np.inf]),), desc="nan_inf", grad=False),
        Sample((np.array([3.0, np.nan, -np.inf, 1.0, np.inf]),), {"descending": True},
               desc="nan_inf_descending", grad=False),
    ]


def _sort_ref(x, dim=-1, descending=False):
    if x.ndim == 0:
        return x.copy(), np.array(0)
    idx = np.argsort(-x if descending else x, axis=dim, kind="stable")
    if descending:  # NaN first, as PyTorch (np.argsort(-x) keeps NaN last)
        nan_first = np.argsort(~np.isnan(np.take_along_axis(x, idx, dim)), axis=dim,
                               kind="stable")
        idx = np.take_along_axis(idx, nan_first, dim)
    return np.take_along_axis(x, idx, dim), idx


def _argsort_samples(rng):
    return [
        Sample((Const(distinct(rng, 3, 4)),), desc="last_dim"),
        Sample((Const(distinct(rng, 3, 4)), 0, True), desc="dim0_descending"),
        Sample((Const(np.array([2.0, 1.0, 2.0, 1.0, 2.0])),), desc="ties_stable"),
        Sample((Const(np.array([2.0, 1.0, 2.0, 1.0, 2.0])), 0, True),
               desc="ties_stable_descending"),
    ]


def _argsort_ref(x, dim=-1, descending=False):
    if descending:  # stable descending: equal elements keep their original order
        return np.argsort(-x, axis=dim, kind="stable")
    return np.argsort(x, axis=dim, kind="stable")


def _topk_samples(rng):
    return [
        Sample((distinct(rng, 3, 5), 2), desc="largest"),
        Sample((distinct(rng, 3, 5), 3), {"largest": False}, desc="smallest"),
        Sample((distinct(rng, 4, 3), 4, 0), desc="dim0_full"),
        Sample((distinct(rng, 2, 3, 4), 1, -2), desc="neg_dim"),
        Sample((distinct(rng, 5, 3).T, 2), desc="transposed"),
        Sample((distinct(rng, 2, 3), 0), desc="k0"),
        Sample((distinct(rng), 1), desc="zero_dim"),
    ]


def _topk_ref(x, k, dim=-1, largest=True):
    if x.ndim == 0:
        return x.copy(), np.array(0)
    idx = np.argsort(-x if largest else x, axis=dim, kind="stable")
    idx = np.take(idx, np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, dim), idx


def _kth_samples(rng):
    return [
        Sample((distinct(rng, 3, 5), 2), desc="last_dim"),
        Sample((distinct(rng, 4, 3), 4, 0), {"keepdim": True}, desc="dim0_keepdim"),
        Sample((distinct(rng, 5, 3).T, 1, -1), desc="transposed"),
        Sample((distinct(rng), 1), desc="zero_dim"),
    ]


def _kth_ref(x, k, dim=-1, keepdim=False):
    return _position_ref(x, k - 1, dim, keepdim)


def _position_ref(x, pos, dim, keepdim):
    if x.ndim == 0:
        return x.copy(), np.array(0)
    idx = np.take(np.argsort(x, axis=dim, kind="stable"), [pos], axis=dim)
    vals = np.take_along_axis(x, idx, dim)
    if not keepdim:
        vals, idx = vals.squeeze(dim), idx.squeeze(dim)
    return vals, idx


def _median_samples(rng):
    return [
        Sample((distinct(rng, 3, 5), 1), desc="odd"),
        Sample((distinct(rng, 4, 3), 0), {"keepdim": True}, desc="even_keepdim"),
        Sample((distinct(rng, 5, 3).T, -1), desc="transposed"),
    ]


def _median_ref(x, dim, keepdim=False):
    return _position_ref(x, (x.shape[dim] - 1) // 2, dim, keepdim)


def _median_full_ref(x):
    flat = np.sort(x.reshape(-1))
    return np.asarray(flat[(flat.size - 1) // 2])


OPS = [
    OpInfo("sort", gradgpu.sort, _sort_ref, _sort_samples),
    OpInfo("argsort", gradgpu.argsort, _argsort_ref, _argsort_samples, gradcheck=False),
    OpInfo("topk", gradgpu.topk, _topk_ref, _topk_samples),
    OpInfo("kthvalue", gradgpu.kthvalue, _kth_ref, _kth_samples),
    OpInfo("median_dim", gradgpu.median, _median_ref, _median_samples),
    OpInfo("median_full", gradgpu.median, _median_full_ref,
           lambda rng: [Sample((distinct(rng, 3, 4),), desc="even"),
                        Sample((distinct(rng, 5),), desc="odd")]),
]
