"""Registry entries: batch_norm in training mode (batch statistics) and evaluation mode
(running statistics), with a per-channel NumPy float64 reference."""

from __future__ import annotations

import numpy as np

import gradgpu.nn.functional as F

from . import Const, OpInfo, Sample, positive, randn


def _batch_norm_ref(x, running_mean, running_var, weight=None, bias=None, training=False,
                    momentum=0.1, eps=1e-5):
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        xc = x[:, c]
        if training:
            mu = xc.sum() / xc.size
            var = ((xc - mu) ** 2).sum() / xc.size  # biased, as the normalization uses
        else:
            mu, var = running_mean[c], running_var[c]
        yc = (xc - mu) / np.sqrt(var + eps)
        if weight is not None:
            yc = yc * weight[c]
        if bias is not None:
            yc = yc + bias[c]
        out[:, c] = yc
    return out


def _samples(rng):
    rm, rv = Const(randn(rng, 3)), Const(positive(rng, 3))
    return [
        Sample((randn(rng, 4, 3), None, None), {"training": True}, desc="train_2d_no_stats"),
        Sample((randn(rng, 3, 3, 2), rm, rv, randn(rng, 3), randn(rng, 3)),
               {"training": True, "momentum": 0.3}, desc="train_3d_affine_stats"),
        Sample((randn(rng, 2, 2, 2, 2), None, None, positive(rng, 2), None),
               {"training": True, "eps": 1e-3}, desc="train_4d_weight_only"),
        Sample((randn(rng, 3, 5).T, None, None, None, randn(rng, 3)), {"training": True},
               desc="train_transposed_bias_only"),
        Sample((randn(rng, 4, 3), rm, rv, randn(rng, 3), randn(rng, 3)), desc="eval_affine"),
        Sample((randn(rng, 2, 3, 2), rm, rv), {"training": False, "eps": 0.1},
               desc="eval_3d_eps"),
        # extreme offset: the centred computation must not lose the small spread
        Sample((randn(rng, 6, 2) * 0.1 + 100, None, None), {"training": True},
               desc="train_large_offset", grad=False),
        Sample((np.zeros((0, 3)), Const(np.zeros(3)), Const(np.ones(3))), {"training": True},
               desc="train_empty", grad=False),
    ]


OPS = [
    OpInfo("batch_norm", F.batch_norm, _batch_norm_ref, _samples, f32_atol=1e-3),
]
