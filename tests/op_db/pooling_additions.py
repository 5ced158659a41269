"""Registry entries: 1-D / 3-D max and average pooling, adaptive max pooling (1-3-D), adaptive
average pooling (1-D, 3-D), Lp pooling, pixel/channel shuffles and pad's non-constant modes.
References are direct loops over output positions (n-D windows), on tiny inputs."""

from __future__ import annotations

import itertools
import math

import numpy as np

import gradgpu.nn.functional as F

from . import OpInfo, Sample, distinct, positive, randn


def _tuple(v, n):
    return tuple(v) * (n if len(v) == 1 else 1) if isinstance(v, (tuple, list)) else (v,) * n


def _axis_windows(size, k, s, p, d, ceil_mode):
    """Output positions along one axis as lists of input positions (padding: < 0 or >= size)."""
    o = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return [[i * s - p + t * d for t in range(k)] for i in range(o)]


def _pool_ref(x, n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
              kind="max", count_include_pad=True, divisor_override=None, return_indices=False):
    unbatched = x.ndim == n + 1
    x = x[None] if unbatched else x
    k, p, d = _tuple(kernel_size, n), _tuple(padding, n), _tuple(dilation, n)
    s = k if stride is None else _tuple(stride, n)
    sizes = x.shape[2:]
    wins = [_axis_windows(*a, ceil_mode) for a in zip(sizes, k, s, p, d)]
    out = np.zeros(x.shape[:2] + tuple(len(w) for w in wins))
    idx = np.zeros(out.shape, dtype=np.int64)
    for pos in np.ndindex(out.shape):
        cells = [wins[a][pos[2 + a]] for a in range(n)]
        best, arg, total, inside, padded = -np.inf, -1, 0.0, 0, 0
        for q in itertools.product(*cells):
            padded += all(-pa <= qa < sz + pa for qa, sz, pa in zip(q, sizes, p))
            if all(0 <= qa < sz for qa, sz in zip(q, sizes)):
                v = x[pos[:2] + q]
                total, inside = total + v, inside + 1
                if v > best or arg < 0:
                    best, arg = v, int(np.ravel_multi_index(q, sizes))
        if kind == "max":
            out[pos], idx[pos] = best, arg
        else:
            out[pos] = total / (divisor_override or (padded if count_include_pad else inside))
    if unbatched:
        out, idx = out[0], idx[0]
    return (out, idx) if return_indices else out


def _adaptive_ref(x, n, output_size, kind, return_indices=False):
    sizes = x.shape[-n:]
    outs = _tuple(output_size, n)
    outs = tuple(s if o is None else o for o, s in zip(outs, sizes))
    out = np.zeros(x.shape[:-n] + outs)
    idx = np.zeros(out.shape, dtype=np.int64)
    for pos in np.ndindex(out.shape):
        sl = pos[:-n]
        rng = [range((i * s) // o, math.ceil((i + 1) * s / o))
               for i, s, o in zip(pos[-n:], sizes, outs)]
        cells = [(x[sl + q], int(np.ravel_multi_index(q, sizes))) for q in itertools.product(*rng)]
        if kind == "avg":
            out[pos] = np.mean([c[0] for c in cells])
        else:
            best = max(cells, key=lambda c: c[0])  # first max wins (max keeps the first)
            out[pos], idx[pos] = best
    return (out, idx) if return_indices else out


def _lp_ref(x, n, norm_type, kernel_size, stride=None, ceil_mode=False):
    # PyTorch's formula: window mean * kernel volume (so a ceil-mode window cut by the edge
    # counts its elements kernel-volume / inside times)
    means = _pool_ref(x ** norm_type, n, kernel_size, stride, 0, 1, ceil_mode, "avg")
    return (means * math.prod(_tuple(kernel_size, n))) ** (1.0 / norm_type)


def _pixel_shuffle_ref(x, r):
    *b, c, h, w = x.shape
    out = np.zeros((*b, c // (r * r), h * r, w * r))
    for ch in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                out[..., ch, i::r, j::r] = x[..., ch * r * r + i * r + j, :, :]
    return out


def _pixel_unshuffle_ref(x, r):
    *b, c, h, w = x.shape
    out = np.zeros((*b, c * r * r, h // r, w // r))
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                out[..., ch * r * r + i * r + j, :, :] = x[..., ch, i::r, j::r]
    return out


def _channel_shuffle_ref(x, groups):
    c = x.shape[1]
    k = c // groups
    return np.stack([x[:, (i % groups) * k + i // groups] for i in range(c)], axis=1)


_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_ref(x, pad, mode):
    """Reflect / replicate: pad the positive widths, then crop (PyTorch maps positions in the
    uncropped input); circular: crop first, then wrap the cropped input."""
    k = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k))]
    pos = [(max(a, 0), max(b, 0)) for a, b in widths]
    crop = tuple(slice(max(-a, 0), x.shape[i] + pos[i][0] + pos[i][1] - max(-b, 0))
                 for i, (a, b) in enumerate(widths))
    if mode == "circular":
        crop = tuple(slice(max(-a, 0), x.shape[i] - max(-b, 0))
                     for i, (a, b) in enumerate(widths))
        return np.pad(x[crop], pos, mode="wrap")
    return np.pad(x, pos, mode=_NP_MODE[mode])[crop]


def _pad_samples(mode):
    def samples(rng):
        return [
            Sample((randn(rng, 2, 5), (2, 3), mode), desc="unbatched_1d"),
            Sample((randn(rng, 2, 3, 5), (-1, 3), mode), desc="crop_left_1d"),
            Sample((randn(rng, 1, 3, 5), (3, -2), mode), desc="crop_right_1d"),
            Sample((randn(rng, 1, 4, 3, 2).transpose(0, 3, 2, 1), (1, 2, 2, 1), mode),
                   desc="transposed_2d"),
            Sample((randn(rng, 2, 3, 3, 4), (1, 0, 2, 1, 1, 2), mode), desc="unbatched_3d"),
        ]
    return samples


OPS = [
    OpInfo("max_pool1d", lambda x, *a, **kw: F.max_pool1d(x, *a, **kw, return_indices=True),
           lambda x, *a, **kw: _pool_ref(x, 1, *a, **kw, return_indices=True), lambda rng: [
               Sample((distinct(rng, 2, 2, 7), 3, 2, 1), desc="stride_pad"),
               Sample((distinct(rng, 3, 8), 2, 3, 1, 2), {"ceil_mode": True},
                      desc="unbatched_dilation_ceil"),
               Sample((distinct(rng, 7, 2, 1).transpose(2, 1, 0), 2), desc="transposed"),
           ]),
    OpInfo("avg_pool1d", F.avg_pool1d,
           lambda x, *a, **kw: _pool_ref(x, 1, *a, **{**kw, "kind": "avg"}), lambda rng: [
               Sample((randn(rng, 2, 2, 7), 3, 2, 1), desc="pad_include"),
               Sample((randn(rng, 2, 8), 3, 3, 1), {"ceil_mode": True,
                                                    "count_include_pad": False},
                      desc="unbatched_ceil_exclude"),
           ]),
    OpInfo("max_pool3d", lambda x, *a, **kw: F.max_pool3d(x, *a, **kw, return_indices=True),
           lambda x, *a, **kw: _pool_ref(x, 3, *a, **kw, return_indices=True), lambda rng: [
               Sample((distinct(rng, 1, 2, 3, 4, 4), 2), desc="k2"),
               Sample((distinct(rng, 2, 4, 3, 5), (2, 2, 3), (1, 2, 2), (1, 0, 1)),
                      {"dilation": (1, 1, 2), "ceil_mode": True},
                      desc="unbatched_mixed_ceil"),
               Sample((np.array([[[[[1.0, 1.0], [1.0, 0.0]], [[1.0, -np.inf], [1.0, 1.0]]]]]),
                       2), desc="ties_first_wins", grad=False),
           ]),
    OpInfo("avg_pool3d", F.avg_pool3d,
           lambda x, *a, **kw: _pool_ref(x, 3, *a, **{**kw, "kind": "avg"}), lambda rng: [
               Sample((randn(rng, 1, 2, 3, 4, 4), 2), desc="k2"),
               Sample((randn(rng, 2, 3, 4, 5), 3, 2, 1), {"ceil_mode": True,
                                                          "count_include_pad": False},
                      desc="unbatched_pad_exclude_ceil"),
               Sample((randn(rng, 1, 1, 3, 3, 4), (2, 2, 3), 1, (1, 0, 1)),
                      {"divisor_override": 5}, desc="divisor_override"),
           ]),
    OpInfo("adaptive_max_pool1d",
           lambda x, o: F.adaptive_max_pool1d(x, o, return_indices=True),
           lambda x, o: _adaptive_ref(x, 1, o, "max", True), lambda rng: [
               Sample((distinct(rng, 2, 2, 7), 3), desc="uneven"),
               Sample((distinct(rng, 2, 8), 4), desc="unbatched_even"),
           ]),
    OpInfo("adaptive_max_pool2d",
           lambda x, o: F.adaptive_max_pool2d(x, o, return_indices=True),
           lambda x, o: _adaptive_ref(x, 2, o, "max", True), lambda rng: [
               Sample((distinct(rng, 1, 2, 5, 4), (3, 3)), desc="uneven"),
               Sample((distinct(rng, 2, 4, 6), (2, None)), desc="unbatched_even_none"),
               Sample((np.array([[[1.0, 1.0, 0.0], [1.0, 0.0, 2.0], [2.0, 2.0, 2.0]]]), 2),
                      desc="ties_first_wins", grad=False),
           ]),
    OpInfo("adaptive_max_pool3d",
           lambda x, o: F.adaptive_max_pool3d(x, o, return_indices=True),
           lambda x, o: _adaptive_ref(x, 3, o, "max", True), lambda rng: [
               Sample((distinct(rng, 1, 2, 3, 4, 5), (2, 3, 2)), desc="uneven"),
           ]),
    OpInfo("adaptive_avg_pool1d", F.adaptive_avg_pool1d,
           lambda x, o: _adaptive_ref(x, 1, o, "avg"), lambda rng: [
               Sample((randn(rng, 2, 2, 7), 3), desc="uneven"),
               Sample((randn(rng, 2, 5), (5,)), desc="unbatched_identity"),
           ]),
    OpInfo("adaptive_avg_pool3d", F.adaptive_avg_pool3d,
           lambda x, o: _adaptive_ref(x, 3, o, "avg"), lambda rng: [
               Sample((randn(rng, 1, 2, 3, 4, 5), (2, 3, 2)), desc="uneven"),
               Sample((randn(rng, 2, 3, 2, 4), (2, None, 1)), desc="unbatched_none"),
           ]),
    OpInfo("lp_pool1d", F.lp_pool1d, lambda x, *a, **kw: _lp_ref(x, 1, *a, **kw),
           lambda rng: [
               Sample((positive(rng, 2, 2, 7), 2.0, 3, 2), desc="p2"),
               Sample((positive(rng, 2, 7), 3.0, 2), {"ceil_mode": True}, desc="p3_ceil"),
           ]),
    OpInfo("lp_pool2d", F.lp_pool2d, lambda x, *a, **kw: _lp_ref(x, 2, *a, **kw),
           lambda rng: [Sample((positive(rng, 1, 2, 5, 4), 2.0, (2, 3), 1), desc="p2")]),
    OpInfo("lp_pool3d", F.lp_pool3d, lambda x, *a, **kw: _lp_ref(x, 3, *a, **kw),
           lambda rng: [Sample((positive(rng, 1, 3, 3, 4), 1.5, 2), desc="p1.5")]),
    OpInfo("pixel_shuffle", F.pixel_shuffle, _pixel_shuffle_ref, lambda rng: [
        Sample((randn(rng, 2, 8, 2, 3), 2), desc="batched"),
        Sample((randn(rng, 2, 1, 9, 1, 2), 3), desc="two_batch_dims"),
    ]),
    OpInfo("pixel_unshuffle", F.pixel_unshuffle, _pixel_unshuffle_ref, lambda rng: [
        Sample((randn(rng, 2, 2, 4, 6), 2), desc="batched"),
        Sample((randn(rng, 6, 3, 1).transpose(2, 1, 0), 3), desc="transposed"),
    ]),
    OpInfo("channel_shuffle", F.channel_shuffle, _channel_shuffle_ref, lambda rng: [
        Sample((randn(rng, 2, 6, 3), 3), desc="3d"),
        Sample((randn(rng, 1, 6, 2, 2), 2), desc="4d"),
    ]),
] + [OpInfo(f"pad_{mode}", F.pad, _pad_ref, _pad_samples(mode))
     for mode in ("reflect", "replicate", "circular")]
