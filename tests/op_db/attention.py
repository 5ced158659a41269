"""Registry entries: scaled_dot_product_attention (plain, scaled, causal, bool and float
masks, fully masked rows, grouped-query heads) against a NumPy float64 loop reference."""

from __future__ import annotations

import math

import numpy as np

import gradgpu.nn.functional as F

from . import Const, OpInfo, Sample, randn


def _sdpa_ref(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
              enable_gqa=False):
    L, E = q.shape[-2:]
    S = k.shape[-2]
    if enable_gqa:
        rep = q.shape[-3] // k.shape[-3]
        k, v = np.repeat(k, rep, axis=-3), np.repeat(v, rep, axis=-3)
    scale = 1 / math.sqrt(E) if scale is None else scale
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    q = np.broadcast_to(q, batch + q.shape[-2:])
    k = np.broadcast_to(k, batch + k.shape[-2:])
    v = np.broadcast_to(v, batch + v.shape[-2:])
    bias = np.zeros((L, S))
    if is_causal:
        bias = np.where(np.arange(S)[None, :] <= np.arange(L)[:, None], 0.0, -np.inf)
    mask = None if attn_mask is None else np.broadcast_to(attn_mask, batch + (L, S))
    out = np.zeros(batch + (L, v.shape[-1]))
    for b in np.ndindex(batch):
        for i in range(L):
            s = np.array([q[b][i] @ k[b][j] * scale for j in range(S)]) + bias[i]
            if mask is not None:
                m = mask[b][i]
                s = np.where(m, s, -np.inf) if m.dtype == bool else s + m
            if np.all(s == -np.inf):
                continue  # no admissible key: PyTorch's safe softmax gives a zero row
            w = np.exp(s - s.max())
            w /= w.sum()
            out[b][i] = sum(w[j] * v[b][j] for j in range(S))
    return out


def _samples(rng):
    keep = rng.random((3, 4)) > 0.4
    keep[:, 0] = True
    blank = keep.copy()
    blank[1] = False  # a query that may attend to nothing
    float_mask = randn(rng, 3, 4)
    float_mask[0, 2] = -np.inf
    return [
        Sample((randn(rng, 2, 3, 2), randn(rng, 2, 4, 2), randn(rng, 2, 4, 3)), desc="basic"),
        Sample((randn(rng, 3, 2), randn(rng, 4, 2), randn(rng, 4, 2)), {"scale": 0.7},
               desc="2d_scale"),
        Sample((randn(rng, 1, 4, 2), randn(rng, 1, 4, 2), randn(rng, 1, 4, 2)),
               {"is_causal": True}, desc="causal"),
        Sample((randn(rng, 5, 2), randn(rng, 3, 2), randn(rng, 3, 2)), {"is_causal": True},
               desc="causal_longer_query"),
        Sample((randn(rng, 2, 3, 2), randn(rng, 2, 4, 2), randn(rng, 2, 4, 2), Const(keep)),
               desc="bool_mask"),
        Sample((randn(rng, 3, 2), randn(rng, 4, 2), randn(rng, 4, 2), Const(blank)),
               desc="bool_mask_blank_row"),
        Sample((randn(rng, 3, 2), randn(rng, 4, 2), randn(rng, 4, 2), float_mask),
               desc="float_mask_differentiable"),
        Sample((randn(rng, 2, 1, 3, 2), randn(rng, 2, 2, 4).transpose(0, 2, 1)[None],
                randn(rng, 1, 2, 4, 2)), desc="broadcast_batch_transposed"),
        Sample((randn(rng, 1, 4, 2, 2), randn(rng, 1, 2, 3, 2), randn(rng, 1, 2, 3, 2)),
               {"enable_gqa": True}, desc="grouped_query"),
        Sample((randn(rng, 2, 3, 2) * 30, randn(rng, 2, 4, 2) * 30, randn(rng, 2, 4, 2)),
               desc="large_scores", grad=False),
    ]


OPS = [
    OpInfo("scaled_dot_product_attention", F.scaled_dot_product_attention, _sdpa_ref, _samples),
]
