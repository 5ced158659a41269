"""Registry entries: linear, embedding, layer_norm, normalize, pad, dropout (NumPy references
with explicit loops where the op gathers or normalizes)."""

from __future__ import annotations

import numpy as np

import gradgpu
import gradgpu.nn.functional as F

from . import Const, OpInfo, Sample, randn


def _linear_ref(x, w, b=None):
    out = np.einsum("...i,oi->...o", x, w) if w.ndim == 2 else np.einsum("...i,i->...", x, w)
    return out if b is None else out + b


def _linear_samples(rng):
    return [
        Sample((randn(rng, 2, 3, 4), randn(rng, 5, 4), randn(rng, 5)), desc="batched_bias"),
        Sample((randn(rng, 4), randn(rng, 3, 4)), desc="vector_no_bias"),
        Sample((randn(rng, 4, 2).T, randn(rng, 4, 3).T, randn(rng, 3)),
               desc="transposed"),
        Sample((randn(rng, 0, 4), randn(rng, 3, 4), randn(rng, 3)), desc="empty_batch"),
    ]


def _embedding_ref(w, idx, padding_idx=None, max_norm=None, scale_grad_by_freq=False):
    out = np.empty(idx.shape + (w.shape[1],))
    for pos in np.ndindex(idx.shape):
        out[pos] = w[idx[pos]]
    return out


def _embedding_samples(rng):
    return [
        Sample((randn(rng, 6, 3), Const(np.array([[0, 2, 2], [5, 0, 1]]))), desc="repeated"),
        # padding rows get a zero gradient and scale_grad_by_freq rescales it (both by
        # design not the true derivative): gradients checked in test_nn_functional.py
        Sample((randn(rng, 6, 3), Const(np.array([1, 4, 1, 1]))), {"padding_idx": 1},
               desc="padding_idx", grad=False),
        Sample((randn(rng, 6, 3), Const(np.array([3, 0, 3]))), {"padding_idx": 5},
               desc="unused_padding_idx"),
        Sample((randn(rng, 6, 3), Const(np.array([3, 0, 3]))),
               {"padding_idx": -3, "scale_grad_by_freq": True}, desc="negative_pad_freq",
               grad=False),
        Sample((randn(rng, 4, 2), Const(np.array(2))), desc="zero_dim_index"),
        Sample((randn(rng, 4, 2), Const(np.zeros((0, 3), dtype=np.int64))), desc="empty"),
    ]


def _layer_norm_ref(x, w=None, b=None, *, shape, eps=1e-5):
    k = len(shape)
    rows = x.reshape(-1, int(np.prod(shape)))
    out = np.empty_like(rows)
    for i, r in enumerate(rows):
        mu = r.sum() / r.size
        var = ((r - mu) ** 2).sum() / r.size
        out[i] = (r - mu) / np.sqrt(var + eps)
    out = out.reshape(x.shape)
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    assert out.shape[-k:] == tuple(shape)
    return out


def _layer_norm_samples(rng):
    # normalized_shape goes in kwargs: the harness rebuilds positional args tensor-first
    return [
        Sample((randn(rng, 3, 4),), {"shape": (4,)}, desc="last_dim"),
        Sample((randn(rng, 2, 3, 4), randn(rng, 3, 4), randn(rng, 3, 4)), {"shape": (3, 4)},
               desc="two_dims_affine"),
        Sample((randn(rng, 4, 3).T, randn(rng, 4)), {"shape": [4], "eps": 1e-3},
               desc="transposed_weight_only"),
        Sample((randn(rng, 2, 5) * 100 + 50, None, randn(rng, 5)), {"shape": (5,)},
               desc="large_offset"),
    ]


def _layer_norm(x, w=None, b=None, *, shape, eps=1e-5):
    return F.layer_norm(x, shape, w, b, eps)


def _normalize_ref(x, p=2.0, dim=1, eps=1e-12):
    norm = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    return x / np.maximum(norm, eps)


def _pad_ref(x, pad, mode="constant", value=None):
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    out = x
    for d, (a, b) in enumerate(widths):
        sl = [slice(None)] * x.ndim
        sl[d] = slice(max(-a, 0), out.shape[d] - max(-b, 0))
        out = out[tuple(sl)]
    return np.pad(out, [(max(a, 0), max(b, 0)) for a, b in widths],
                  constant_values=0.0 if value is None else value)


def _dropout_fixed_seed(x, p):
    gradgpu.manual_seed(7)  # the same mask on every call, so gradcheck sees one function
    return F.dropout(x, p)


OPS = [
    OpInfo("linear", F.linear, _linear_ref, _linear_samples),
    OpInfo("embedding", lambda w, i, **kw: F.embedding(i, w, **kw), _embedding_ref,
           _embedding_samples),
    OpInfo("layer_norm", _layer_norm, _layer_norm_ref, _layer_norm_samples),
    OpInfo("normalize", F.normalize, _normalize_ref, lambda rng: [
        Sample((randn(rng, 3, 4),), desc="dim1"),
        Sample((randn(rng, 3, 4),), {"p": 1.0, "dim": 0}, desc="p1_dim0"),
        Sample((randn(rng, 2, 3, 4).transpose(2, 0, 1),), {"p": 3.0, "dim": -1},
               desc="p3_transposed"),
    ]),
    OpInfo("pad_constant", F.pad, _pad_ref, lambda rng: [
        Sample((randn(rng, 2, 3), (1, 2)), desc="last_dim"),
        Sample((randn(rng, 2, 3, 4), (1, 0, 2, 1), "constant", 1.5), desc="two_dims_value"),
        Sample((randn(rng, 3, 4), (-1, 2, 0, -2)), desc="negative_crops"),
        Sample((randn(rng, 4, 3).T, (0, 0, 1, 1)), desc="transposed"),
    ]),
    OpInfo("dropout_fixed_seed", _dropout_fixed_seed, lambda x, p: x,
           lambda rng: [Sample((randn(rng, 3, 4), 0.4), desc="p0.4")], random=True),
]
