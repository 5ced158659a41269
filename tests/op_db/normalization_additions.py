"""Registry entries: group_norm, instance_norm (input and running statistics), rms_norm and
local_response_norm, each with a NumPy float64 reference written from PyTorch's definition."""

from __future__ import annotations

import numpy as np

import gradgpu.nn.functional as F

from . import Const, OpInfo, Sample, positive, randn


def _channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _affine(y, weight, bias):
    if weight is not None:
        y = y * _channel(weight, y.ndim)
    if bias is not None:
        y = y + _channel(bias, y.ndim)
    return y


def _group_norm_ref(x, num_groups, weight=None, bias=None, eps=1e-5):
    g = x.reshape(x.shape[0], num_groups, int(np.prod(x.shape[1:])) // num_groups)
    mu = g.mean(axis=2, keepdims=True)
    var = ((g - mu) ** 2).mean(axis=2, keepdims=True)  # biased
    return _affine(((g - mu) / np.sqrt(var + eps)).reshape(x.shape), weight, bias)


def _instance_norm_ref(x, running_mean=None, running_var=None, weight=None, bias=None,
                       use_input_stats=True, momentum=0.1, eps=1e-5):
    if x.size == 0:
        return _affine(x.copy(), weight, bias)
    if use_input_stats:
        axes = tuple(range(2, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    else:
        mu, var = _channel(running_mean, x.ndim), _channel(running_var, x.ndim)
    return _affine((x - mu) / np.sqrt(var + eps), weight, bias)


def _rms_norm_ref(x, normalized_shape, weight=None, eps=None):
    k = len(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else 1
    axes = tuple(range(x.ndim - k, x.ndim))
    eps = np.finfo(np.float64).eps if eps is None else eps
    y = x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    return y if weight is None else y * weight


def _lrn_ref(x, size, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    out = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        window = (x[:, lo:hi] ** 2).sum(axis=1)
        out[:, ch] = x[:, ch] / (k + alpha / size * window) ** beta
    return out


def _group_samples(rng):
    return [
        Sample((randn(rng, 2, 6, 3), 3, randn(rng, 6), randn(rng, 6)), desc="3d_affine"),
        Sample((randn(rng, 3, 4), 2), desc="2d_plain"),
        Sample((randn(rng, 2, 4, 2, 2), 4, positive(rng, 4)), {"eps": 0.1},
               desc="4d_groups_eq_channels_weight_eps"),
        Sample((randn(rng, 3, 4, 2), 1, None, randn(rng, 4)), desc="one_group_bias_only"),
        Sample((randn(rng, 3, 4, 2).T, 2), desc="transposed"),
        Sample((randn(rng, 2, 4, 3) * 0.1 + 100, 2), desc="large_offset", grad=False),
        Sample((np.zeros((0, 4, 2)), 2, randn(rng, 4), randn(rng, 4)), desc="empty_batch",
               grad=False),
    ]


def _instance_samples(rng):
    rm, rv = Const(randn(rng, 3)), Const(positive(rng, 3))
    return [
        Sample((randn(rng, 2, 3, 4),), desc="3d_plain"),
        Sample((randn(rng, 2, 3, 2, 3), rm, rv, randn(rng, 3), randn(rng, 3)),
               {"momentum": 0.3}, desc="4d_affine_running_stats"),
        Sample((randn(rng, 1, 3, 2, 2, 2), None, None, positive(rng, 3)), {"eps": 1e-3},
               desc="5d_weight_only"),
        Sample((randn(rng, 5, 3, 2).T, None, None, None, randn(rng, 3)),
               desc="transposed_bias_only"),
        Sample((randn(rng, 2, 3, 4), rm, rv, randn(rng, 3), randn(rng, 3)),
               {"use_input_stats": False}, desc="running_stats_affine"),
        Sample((randn(rng, 2, 3), rm, rv), {"use_input_stats": False, "eps": 0.1},
               desc="running_stats_2d"),
        Sample((randn(rng, 2, 2, 5) * 0.1 + 100,), desc="large_offset", grad=False),
        Sample((np.zeros((2, 3, 0)),), desc="empty_spatial", grad=False),
    ]


def _rms_samples(rng):
    return [
        Sample((randn(rng, 2, 3, 4), (4,), randn(rng, 4)), desc="last_dim_weight"),
        Sample((randn(rng, 2, 3, 4), (3, 4)), desc="two_dims_no_weight"),
        Sample((randn(rng, 5), [5], randn(rng, 5)), {"eps": 0.1}, desc="1d_eps"),
        Sample((randn(rng, 4, 3).T, 4), desc="transposed_int_shape"),
        Sample((randn(rng, 3, 2) * 1e3, (2,)), desc="large", grad=False),
        Sample((np.zeros((0, 4)), (4,), randn(rng, 4)), desc="empty", grad=False),
    ]


def _lrn_kw():
    return {"alpha": 0.5, "beta": 0.6, "k": 1.5}  # far enough from identity to test gradients


def _lrn_samples(rng):
    return [
        Sample((randn(rng, 2, 5, 3), 3), _lrn_kw(), desc="3d_size3"),
        Sample((randn(rng, 2, 4, 2, 3), 2), _lrn_kw(), desc="4d_even_size"),
        Sample((randn(rng, 1, 3, 2, 2, 2), 1), _lrn_kw(), desc="5d_size1"),
        Sample((randn(rng, 1, 3, 4), 7), _lrn_kw(), desc="size_above_channels"),
        Sample((randn(rng, 4, 5, 2).T, 4), {}, desc="transposed_defaults"),
    ]


OPS = [
    OpInfo("group_norm", F.group_norm, _group_norm_ref, _group_samples, f32_atol=1e-3),
    OpInfo("instance_norm", F.instance_norm, _instance_norm_ref, _instance_samples,
           f32_atol=1e-3),
    OpInfo("rms_norm", F.rms_norm, _rms_norm_ref, _rms_samples),
    OpInfo("local_response_norm", F.local_response_norm, _lrn_ref, _lrn_samples),
]
