"""Registry entries: conv1d, conv3d, conv_transpose1d/2d/3d, unfold, fold. The
references are direct loops written independently of the implementations (windows gathered per
output position for the convolutions and unfold; a scatter per input position for the
transposed convolutions and fold), on tiny inputs: gradgradcheck costs a forward + backward per
input element."""

from __future__ import annotations

import numpy as np

import gradgpu.nn.functional as F

from . import OpInfo, Sample, randn


def _tup(v, n):
    if isinstance(v, (tuple, list)):
        return tuple(v) * n if len(v) == 1 else tuple(v)
    return (v,) * n


def _conv_nd_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    nsp = w.ndim - 2
    unbatched = x.ndim == nsp + 1
    x = x[None] if unbatched else x
    st, dl, k = _tup(stride, nsp), _tup(dilation, nsp), w.shape[2:]
    if padding == "same":
        pads = [(d * (kk - 1) // 2, d * (kk - 1) - d * (kk - 1) // 2) for d, kk in zip(dl, k)]
    elif padding == "valid":
        pads = [(0, 0)] * nsp
    else:
        pads = [(p, p) for p in _tup(padding, nsp)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    sizes = [(xp.shape[2 + i] - dl[i] * (k[i] - 1) - 1) // st[i] + 1 for i in range(nsp)]
    o, cg = w.shape[:2]
    out = np.zeros((x.shape[0], o, *sizes))
    for pos in np.ndindex(*sizes):
        window = tuple(slice(p * s, p * s + d * (kk - 1) + 1, d)
                       for p, s, d, kk in zip(pos, st, dl, k))
        for oc in range(o):
            g = oc // (o // groups)
            win = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + window]  # (N, cg, *k)
            out[(slice(None), oc) + pos] = (win * w[oc]).sum(axis=tuple(range(1, nsp + 2)))
    if b is not None:
        out += b.reshape((1, o) + (1,) * nsp)
    return out[0] if unbatched else out


def _conv_transpose_ref(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                        dilation=1):
    nsp = w.ndim - 2
    unbatched = x.ndim == nsp + 1
    x = x[None] if unbatched else x
    st, dl = _tup(stride, nsp), _tup(dilation, nsp)
    pd, op = _tup(padding, nsp), _tup(output_padding, nsp)
    cin, cog, k = w.shape[0], w.shape[1], w.shape[2:]
    cig = cin // groups
    full = [(s - 1) * t + d * (kk - 1) + 1 + o for s, t, d, kk, o in
            zip(x.shape[2:], st, dl, k, op)]
    buf = np.zeros((x.shape[0], groups * cog, *full))
    for pos in np.ndindex(*x.shape[2:]):
        for kp in np.ndindex(*k):
            at = tuple(p * s + q * d for p, s, q, d in zip(pos, st, kp, dl))
            for g in range(groups):
                xs = x[(slice(None), slice(g * cig, (g + 1) * cig)) + pos]  # (N, cig)
                ws = w[(slice(g * cig, (g + 1) * cig), slice(None)) + kp]  # (cig, cog)
                buf[(slice(None), slice(g * cog, (g + 1) * cog)) + at] += xs @ ws
    sizes = [f - 2 * p for f, p in zip(full, pd)]
    out = buf[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pd, sizes))]
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * nsp)
    return out[0] if unbatched else out


def _block_positions(size, kernel, dilation, padding, stride):
    """[(block index, kernel offset index, padded input position)] along one axis."""
    n = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    return n, [(b, i, b * stride + i * dilation) for b in range(n) for i in range(kernel)]


def _unfold_ref(x, kernel_size, dilation=1, padding=0, stride=1):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_tup(v, 2) for v in
                                              (kernel_size, dilation, padding, stride))
    n, c = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    bh, rows = _block_positions(x.shape[2], kh, dh, ph, sh)
    bw, cols = _block_positions(x.shape[3], kw, dw, pw, sw)
    out = np.zeros((n, c * kh * kw, bh * bw))
    for ci in range(c):
        for b0, i, r in rows:
            for b1, j, q in cols:
                out[:, (ci * kh + i) * kw + j, b0 * bw + b1] = xp[:, ci, r, q]
    return out[0] if unbatched else out


def _fold_ref(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    unbatched = x.ndim == 2
    x = x[None] if unbatched else x
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
        _tup(v, 2) for v in (output_size, kernel_size, dilation, padding, stride))
    n, c = x.shape[0], x.shape[1] // (kh * kw)
    buf = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    bh, rows = _block_positions(h, kh, dh, ph, sh)
    bw, cols = _block_positions(w, kw, dw, pw, sw)
    for ci in range(c):
        for b0, i, r in rows:
            for b1, j, q in cols:
                buf[:, ci, r, q] += x[:, (ci * kh + i) * kw + j, b0 * bw + b1]
    out = buf[:, :, ph:ph + h, pw:pw + w]
    return out[0] if unbatched else out


OPS = [
    OpInfo("conv1d", F.conv1d, _conv_nd_ref, lambda rng: [
        Sample((randn(rng, 2, 2, 6), randn(rng, 3, 2, 3), randn(rng, 3)), desc="basic_bias"),
        Sample((randn(rng, 1, 4, 7), randn(rng, 2, 2, 2), randn(rng, 2)),
               {"stride": 2, "padding": 2, "dilation": 2, "groups": 2},
               desc="stride_pad_dilation_groups"),
        Sample((randn(rng, 2, 5), randn(rng, 2, 2, 4)), {"padding": "same"},
               desc="unbatched_same_even_kernel"),
        Sample((randn(rng, 6, 2, 1).transpose(2, 1, 0), randn(rng, 1, 2, 2)),
               {"padding": "valid", "stride": (3,)}, desc="transposed_input_tuple"),
    ]),
    OpInfo("conv3d", F.conv3d, _conv_nd_ref, lambda rng: [
        Sample((randn(rng, 2, 2, 3, 3, 4), randn(rng, 2, 2, 2, 2, 2), randn(rng, 2)),
               desc="basic_bias"),
        Sample((randn(rng, 1, 4, 4, 3, 3), randn(rng, 2, 2, 2, 1, 2)),
               {"stride": (2, 1, 2), "padding": (1, 0, 1), "dilation": (1, 2, 1), "groups": 2},
               desc="stride_pad_dilation_groups"),
        Sample((randn(rng, 1, 3, 2, 3), randn(rng, 2, 1, 2, 2, 1), randn(rng, 2)),
               {"padding": "same"}, desc="unbatched_same"),
        Sample((randn(rng, 3, 3, 2, 2, 1).transpose(4, 3, 2, 1, 0), randn(rng, 1, 2, 2, 2, 2)),
               {"padding": 1, "stride": 2}, desc="transposed_input"),
    ]),
    OpInfo("conv_transpose1d", F.conv_transpose1d, _conv_transpose_ref, lambda rng: [
        Sample((randn(rng, 2, 2, 4), randn(rng, 2, 3, 3), randn(rng, 3)), desc="basic_bias"),
        Sample((randn(rng, 1, 4, 3), randn(rng, 4, 1, 3), randn(rng, 2)),
               {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2, "dilation": 2},
               desc="stride_pad_outpad_groups_dilation"),
        Sample((randn(rng, 2, 1), randn(rng, 2, 2, 2)),
               {"stride": 3, "padding": 1, "output_padding": 2},
               desc="unbatched_outpad_beyond_padding"),
    ]),
    OpInfo("conv_transpose2d", F.conv_transpose2d, _conv_transpose_ref, lambda rng: [
        Sample((randn(rng, 2, 2, 3, 2), randn(rng, 2, 3, 2, 2), randn(rng, 3)),
               desc="basic_bias"),
        Sample((randn(rng, 1, 4, 2, 3), randn(rng, 4, 1, 3, 2), randn(rng, 2)),
               {"stride": (2, 1), "padding": (1, 0), "output_padding": (1, 0), "groups": 2},
               desc="stride_pad_outpad_groups"),
        Sample((randn(rng, 1, 2, 2, 2), randn(rng, 2, 1, 2, 2)),
               {"output_padding": 1, "dilation": 2}, desc="outpad_below_dilation"),
        Sample((randn(rng, 1, 2, 1, 1), randn(rng, 2, 2, 2, 2)),
               {"stride": 2, "padding": 1, "output_padding": 1}, desc="outpad_inside_padding"),
        Sample((randn(rng, 2, 2, 3, 1).transpose(3, 0, 2, 1), randn(rng, 2, 1, 2, 2)),
               {"stride": 2, "padding": 1}, desc="transposed_input"),
        Sample((randn(rng, 2, 2, 3), randn(rng, 2, 2, 1, 2)), {"padding": (0, 1)},
               desc="unbatched"),
    ]),
    OpInfo("conv_transpose3d", F.conv_transpose3d, _conv_transpose_ref, lambda rng: [
        Sample((randn(rng, 1, 2, 2, 2, 1), randn(rng, 2, 2, 2, 1, 2), randn(rng, 2)),
               desc="basic_bias"),
        Sample((randn(rng, 1, 4, 2, 1, 2), randn(rng, 4, 1, 2, 2, 1), randn(rng, 2)),
               {"stride": (2, 1, 2), "padding": (1, 0, 0), "output_padding": (1, 0, 1),
                "groups": 2, "dilation": (1, 2, 1)}, desc="stride_pad_outpad_groups_dilation"),
        Sample((randn(rng, 2, 2, 2, 2).transpose(0, 3, 2, 1), randn(rng, 2, 1, 2, 2, 2)),
               {"stride": 2, "padding": 1}, desc="unbatched_transposed"),
    ]),
    OpInfo("nn.functional.unfold", F.unfold, _unfold_ref, lambda rng: [
        Sample((randn(rng, 2, 2, 3, 4), 2), desc="k2"),
        Sample((randn(rng, 1, 2, 4, 5), (2, 3)),
               {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}, desc="all_args"),
        Sample((randn(rng, 4, 3, 2).transpose(2, 1, 0), (1, 2)), {"stride": 2},
               desc="unbatched_transposed"),
    ]),
    OpInfo("nn.functional.fold", F.fold, _fold_ref, lambda rng: [
        Sample((randn(rng, 2, 8, 6), (3, 4), 2), desc="k2_overlap"),
        Sample((randn(rng, 1, 12, 9), (4, 5), (2, 3)),
               {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}, desc="all_args"),
        Sample((randn(rng, 4, 4).T, 3, (1, 2)), {"stride": (2, 1)},
               desc="unbatched_transposed"),
    ]),
]
