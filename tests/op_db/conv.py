"""Registry entries: conv2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d. References are direct
loops over output positions (no im2col), on tiny inputs: gradgradcheck of a convolution costs
one forward + backward per input element."""

from __future__ import annotations

import math

import numpy as np

import gradgpu.nn.functional as F

from . import OpInfo, Sample, distinct, randn


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    if padding == "same":
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    else:
        ph, pw = (0, 0) if padding == "valid" else _pair(padding)
        pads = ((ph, ph), (pw, pw))
    xp = np.pad(x, ((0, 0), (0, 0)) + pads)
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for ni in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0
                    for ci in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                acc += (w[oc, ci, p, q]
                                        * xp[ni, g * cg + ci, i * sh + p * dh, j * sw + q * dw])
                    out[ni, oc, i, j] = acc + (0.0 if b is None else b[oc])
    return out[0] if unbatched else out


def _conv_samples(rng):
    return [
        Sample((randn(rng, 2, 2, 4, 4), randn(rng, 3, 2, 2, 2), randn(rng, 3)), desc="basic_bias"),
        Sample((randn(rng, 1, 1, 5, 5), randn(rng, 2, 1, 3, 3)), {"stride": 2, "padding": 1},
               desc="stride_padding"),
        Sample((randn(rng, 1, 1, 5, 4), randn(rng, 1, 1, 2, 2)),
               {"dilation": (2, 1), "stride": (1, 2)}, desc="dilation_tuple_args"),
        Sample((randn(rng, 1, 4, 3, 3), randn(rng, 2, 2, 2, 2), randn(rng, 2)), {"groups": 2},
               desc="groups"),
        Sample((randn(rng, 1, 1, 4, 4), randn(rng, 1, 1, 2, 3)), {"padding": "same"},
               desc="padding_same_even_kernel"),
        Sample((randn(rng, 2, 3, 3), randn(rng, 1, 2, 2, 2)), {"padding": "valid"},
               desc="unbatched"),
        Sample((randn(rng, 4, 4, 2, 1).transpose(3, 2, 1, 0), randn(rng, 2, 2, 2, 2)),
               {"padding": (1, 0)}, desc="transposed_input"),
    ]


def _windows(size, k, s, p, d, ceil_mode):
    """Per-axis output positions as lists of input indices (padding: -1 / >= size)."""
    n = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (n - 1) * s >= size + p:
        n -= 1
    return [[i * s - p + t * d for t in range(k)] for i in range(n)]


def _max_pool_ref(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                  return_indices=False):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    k, s = _pair(kernel_size), _pair(stride if stride is not None else kernel_size)
    p, d = _pair(padding), _pair(dilation)
    n, c, h, w = x.shape
    rows = _windows(h, k[0], s[0], p[0], d[0], ceil_mode)
    cols = _windows(w, k[1], s[1], p[1], d[1], ceil_mode)
    out = np.zeros((n, c, len(rows), len(cols)))
    idx = np.zeros(out.shape, dtype=np.int64)
    for pos in np.ndindex(out.shape):
        best, arg = -np.inf, -1
        for r in rows[pos[2]]:
            for q in cols[pos[3]]:
                if 0 <= r < h and 0 <= q < w and (x[pos[0], pos[1], r, q] > best or arg < 0):
                    best, arg = x[pos[0], pos[1], r, q], r * w + q
        out[pos], idx[pos] = best, arg
    if unbatched:
        out, idx = out[0], idx[0]
    return (out, idx) if return_indices else out


def _avg_pool_ref(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                  count_include_pad=True, divisor_override=None):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    k, s = _pair(kernel_size), _pair(stride if stride is not None else kernel_size)
    p = _pair(padding)
    n, c, h, w = x.shape
    rows = _windows(h, k[0], s[0], p[0], 1, ceil_mode)
    cols = _windows(w, k[1], s[1], p[1], 1, ceil_mode)
    out = np.zeros((n, c, len(rows), len(cols)))
    for pos in np.ndindex(out.shape):
        total, inside, padded = 0.0, 0, 0
        for r in rows[pos[2]]:
            for q in cols[pos[3]]:
                if -p[0] <= r < h + p[0] and -p[1] <= q < w + p[1]:
                    padded += 1  # inside the padded input (ceil-mode overhang excluded)
                if 0 <= r < h and 0 <= q < w:
                    total += x[pos[0], pos[1], r, q]
                    inside += 1
        div = divisor_override or (padded if count_include_pad else inside)
        out[pos] = total / div
    return out[0] if unbatched else out


def _adaptive_ref(x, output_size):
    h, w = x.shape[-2:]
    oh, ow = _pair(output_size)
    oh, ow = oh or h, ow or w
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        r0, r1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
        for j in range(ow):
            c0, c1 = (j * w) // ow, math.ceil((j + 1) * w / ow)
            out[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    return out


OPS = [
    OpInfo("conv2d", F.conv2d, _conv_ref, _conv_samples),
    OpInfo("max_pool2d", F.max_pool2d, _max_pool_ref, lambda rng: [
        Sample((distinct(rng, 1, 2, 4, 4), 2), desc="k2"),
        Sample((distinct(rng, 1, 1, 5, 5), 3, 2, 1), {"ceil_mode": True},
               desc="stride_pad_ceil"),
        Sample((distinct(rng, 2, 5, 4), (2, 3)), {"dilation": (2, 1), "stride": 1},
               desc="unbatched_dilation"),
        Sample((distinct(rng, 1, 5, 4, 2).transpose(0, 3, 2, 1), 2), desc="transposed"),
    ]),
    OpInfo("max_pool2d_indices", lambda x, *a, **kw: F.max_pool2d(x, *a, **kw,
                                                                    return_indices=True),
           lambda x, *a, **kw: _max_pool_ref(x, *a, **kw, return_indices=True),
           lambda rng: [
               Sample((distinct(rng, 1, 2, 5, 5), 3, 2, 1), desc="stride_pad"),
               Sample((np.array([[[[1.0, 1.0, 0.0], [1.0, -np.inf, 2.0], [2.0, 2.0, 2.0]]]]),
                       2, 1), desc="ties_first_wins", grad=False),
           ]),
    OpInfo("avg_pool2d", F.avg_pool2d, _avg_pool_ref, lambda rng: [
        Sample((randn(rng, 1, 2, 4, 4), 2), desc="k2"),
        Sample((randn(rng, 1, 1, 5, 5), 3, 2, 1), desc="pad_include"),
        Sample((randn(rng, 1, 1, 5, 5), 3, 2, 1), {"count_include_pad": False},
               desc="pad_exclude"),
        Sample((randn(rng, 1, 1, 5, 4), 2, 2, 1), {"ceil_mode": True}, desc="ceil_mode"),
        Sample((randn(rng, 1, 1, 5, 4), 2, 2, 1),
               {"ceil_mode": True, "count_include_pad": False}, desc="ceil_mode_exclude"),
        Sample((randn(rng, 2, 4, 4), (2, 3), (1, 2)), {"divisor_override": 4},
               desc="unbatched_divisor"),
    ]),
    OpInfo("adaptive_avg_pool2d", F.adaptive_avg_pool2d, _adaptive_ref, lambda rng: [
        Sample((randn(rng, 1, 2, 5, 7), (2, 3)), desc="uneven_windows"),
        Sample((randn(rng, 2, 4, 4), 2), desc="unbatched_even"),
        Sample((randn(rng, 1, 1, 3, 5), (None, 2)), desc="none_keeps_size"),
    ]),
]
