"""Registry entries: pdist, max_unpool1d/2d/3d, embedding_bag (sum / mean / max, offsets,
per_sample_weights, padding_idx) and ctc_loss (through log_softmax of logits). References are
direct NumPy loops on tiny inputs; ``ctc_ref`` is the log-space alpha recursion."""

from __future__ import annotations

import itertools

import numpy as np

import gradgpu.nn.functional as F

from . import Const, OpInfo, Sample, distinct, randn


def pdist_ref(x, p=2.0):
    n = x.shape[0]
    out = []
    for i, j in itertools.combinations(range(n), 2):
        d = np.abs(x[i] - x[j])
        if p == 0:
            out.append(float(np.count_nonzero(d)))
        elif p == np.inf:
            out.append(d.max())
        else:
            out.append((d ** p).sum() ** (1.0 / p))
    return np.array(out)


def unpool_ref(x, idx, out_sp):
    lead = x.shape[:-len(out_sp)]
    out = np.zeros(lead + (int(np.prod(out_sp)),))
    xf, jf = x.reshape(lead + (-1,)), idx.reshape(lead + (-1,))
    for pos in np.ndindex(lead):
        out[pos][jf[pos]] = xf[pos]
    return out.reshape(lead + tuple(out_sp))


def _pool_indices(rng, lead, in_sp, out_sp):
    """Distinct flat indices per (n, c) plane: one position per output window of a max pool
    with kernel = stride = 2 (what max_pool*d(return_indices=True) would give)."""
    idx = np.zeros(lead + tuple(in_sp), dtype=np.int64)
    for pos in np.ndindex(lead + tuple(in_sp)):
        cell = [2 * p + rng.integers(0, 2) for p in pos[len(lead):]]
        cell = [min(c, o - 1) for c, o in zip(cell, out_sp)]
        idx[pos] = np.ravel_multi_index(cell, out_sp)
    return idx


def embedding_bag_ref(idx, w, offsets=None, mode="mean", per_sample_weights=None,
                      include_last_offset=False, padding_idx=None):
    if idx.ndim == 2:
        bags = [list(range(r * idx.shape[1], (r + 1) * idx.shape[1]))
                for r in range(idx.shape[0])]
        idx = idx.reshape(-1)
        psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    else:
        ends = list(offsets[1:]) + ([] if include_last_offset else [len(idx)])
        bags = [list(range(a, b)) for a, b in zip(offsets, ends)]
        psw = per_sample_weights
    out = np.zeros((len(bags), w.shape[1]))
    for b, members in enumerate(bags):
        members = [i for i in members if padding_idx is None or idx[i] != padding_idx]
        if not members:
            continue
        rows = np.stack([w[idx[i]] * (1.0 if psw is None else psw[i]) for i in members])
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


def ctc_ref(logits, targets, input_lengths, target_lengths, blank=0, reduction="mean",
            zero_infinity=False):
    """CTC negative log-likelihood of log_softmax(logits) (T, N, C) by the alpha recursion."""
    lp = logits - logits.max(2, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(2, keepdims=True))
    targets = np.asarray(targets)
    starts = np.cumsum(target_lengths) - np.asarray(target_lengths)
    losses = []
    for n, (tlen, slen) in enumerate(zip(input_lengths, target_lengths)):
        lab = (targets[n, :slen] if targets.ndim == 2
               else targets[starts[n]:starts[n] + slen])
        ext = [blank]
        for c in lab:
            ext += [int(c), blank]
        alpha = np.full(len(ext), -np.inf)
        if tlen == 0:
            losses.append(0.0 if slen == 0 else np.inf)
            continue
        alpha[0] = lp[0, n, ext[0]]
        if len(ext) > 1:
            alpha[1] = lp[0, n, ext[1]]
        for t in range(1, tlen):
            new = np.full(len(ext), -np.inf)
            for s in range(len(ext)):
                terms = [alpha[s]] + ([alpha[s - 1]] if s >= 1 else [])
                if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                    terms.append(alpha[s - 2])
                m = max(terms)
                if m > -np.inf:
                    new[s] = m + np.log(sum(np.exp(v - m) for v in terms)) + lp[t, n, ext[s]]
            alpha = new
        ends = [alpha[-1]] + ([alpha[-2]] if len(ext) > 1 else [])
        m = max(ends)
        losses.append(np.inf if m == -np.inf else -(m + np.log(sum(np.exp(v - m)
                                                                     for v in ends))))
    losses = np.array(losses)
    if zero_infinity:
        losses = np.where(np.isinf(losses), 0.0, losses)
    if reduction == "mean":
        return (losses / np.maximum(np.asarray(target_lengths), 1)).mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _source(coord, size, padding_mode, align_corners):
    c = (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2
    if padding_mode == "reflection":
        low, high = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
        span = high - low
        if span <= 0:
            return 0.0
        d = abs(c - low)
        flips = np.floor(d / span)
        extra = d - flips * span
        c = low + (extra if flips % 2 == 0 else span - extra)
    if padding_mode in ("border", "reflection"):
        c = min(max(c, 0.0), size - 1.0)
    return c


def grid_sample_ref(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    n, ch, h, w = x.shape
    out = np.zeros((n, ch) + grid.shape[1:3])
    for b, i, j in np.ndindex(n, *grid.shape[1:3]):
        ix = _source(grid[b, i, j, 0], w, padding_mode, align_corners)
        iy = _source(grid[b, i, j, 1], h, padding_mode, align_corners)
        if mode == "nearest":
            taps = [(int(np.rint(ix)), int(np.rint(iy)), 1.0)]
        else:
            x0, y0 = int(np.floor(ix)), int(np.floor(iy))
            taps = [(x0 + dx, y0 + dy, (1 - abs(ix - x0 - dx)) * (1 - abs(iy - y0 - dy)))
                    for dx in (0, 1) for dy in (0, 1)]
        for xi, yi, wt in taps:
            if 0 <= xi < w and 0 <= yi < h:
                out[b, :, i, j] += wt * x[b, :, yi, xi]
    return out


def affine_grid_ref(theta, size, align_corners=False):
    k = len(size) - 2
    axes = []
    for s in size[2:]:
        r = np.linspace(-1, 1, s) if s > 1 else np.zeros(s)
        axes.append(r if align_corners or s <= 1 else r * (s - 1) / s)
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack([mesh[i] for i in reversed(range(k))] + [np.ones(size[2:])], -1)
    return np.einsum("...j,nij->n...i", base, theta)


def _grid_samples(rng):
    out = []
    for mode, pad, ac in (("bilinear", "zeros", False), ("bilinear", "border", True),
                          ("bilinear", "reflection", False), ("bilinear", "reflection", True),
                          ("nearest", "zeros", True), ("nearest", "reflection", False)):
        grid = rng.uniform(-1.4, 1.4, (2, 3, 2, 2))
        out.append(Sample((randn(rng, 2, 2, 3, 4), grid),
                          {"mode": mode, "padding_mode": pad, "align_corners": ac},
                          desc=f"{mode}_{pad}_{'ac' if ac else 'noac'}"))
    return out


def _ctc_op(logits, targets, input_lengths, target_lengths, **kw):
    return F.ctc_loss(logits.log_softmax(2), targets, input_lengths, target_lengths, **kw)


def _ctc_samples(rng):
    padded = np.array([[1, 1, 2], [3, 2, 0]])  # a repeated label, and a short target
    return [
        Sample((randn(rng, 5, 2, 4), Const(padded), [5, 4], [3, 2]), desc="padded_sum",
               kwargs={"reduction": "sum"}),
        Sample((randn(rng, 4, 2, 4), Const(np.array([2, 2, 1])), [4, 3], [2, 1]),
               desc="concat_mean"),
        Sample((randn(rng, 4, 3, 3), Const(np.array([[1, 1], [2, 0], [1, 2]])), [4, 2, 3],
                [2, 0, 2]), {"reduction": "none", "blank": 0}, desc="empty_target_none"),
        Sample((randn(rng, 4, 1, 3), Const(np.array([[0, 0]])), [4], [2]),
               {"blank": 2, "reduction": "sum"}, desc="blank_last"),
    ]


def _unpool_samples(n):
    def samples(rng):
        lead, in_sp = (2, 2), (2,) * n
        out = []
        for out_sp, kw in (((4,) * n, {}), ((5,) * n, {"output_size": (5,) * n})):
            idx = _pool_indices(rng, lead, in_sp, out_sp)
            out.append(Sample((distinct(rng, *lead, *in_sp), Const(idx), 2), kw,
                              desc=f"out{out_sp[0]}"))
        return out
    return samples


def _unpool_ref(n):
    def ref(x, idx, kernel_size, output_size=None):
        sp = output_size or tuple((s - 1) * kernel_size + kernel_size for s in x.shape[-n:])
        return unpool_ref(x, idx, sp)
    return ref


def _bag_samples(rng):
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 6])
    off = np.array([0, 3, 3, 5])
    return [
        Sample((Const(idx), randn(rng, 7, 3), Const(off)), {"mode": "sum"}, desc="sum"),
        Sample((Const(idx), randn(rng, 7, 3), Const(off)), {"mode": "mean", "padding_idx": 4},
               desc="mean_padding"),
        Sample((Const(np.array([1, 2, 4, 5, 0, 3, 6])), distinct(rng, 7, 3), Const(off)),
               {"mode": "max"}, desc="max_empty_bag"),
        Sample((Const(idx), randn(rng, 7, 3), Const(np.array([0, 3, 3, 8]))),
               {"mode": "mean", "include_last_offset": True}, desc="last_offset"),
        Sample((Const(idx.reshape(2, 4)), randn(rng, 7, 3), None, randn(rng, 2, 4)),
               {"mode": "sum"}, desc="2d_per_sample_weights"),
    ]


def _bag_op(idx, w, offsets, per_sample_weights=None, **kw):
    return F.embedding_bag(idx, w, offsets, per_sample_weights=per_sample_weights, **kw)


def _bag_ref(idx, w, offsets, per_sample_weights=None, **kw):
    return embedding_bag_ref(idx, w, offsets, per_sample_weights=per_sample_weights, **kw)


OPS = [
    OpInfo("pdist", F.pdist, pdist_ref, lambda rng: [
        Sample((randn(rng, 5, 3),), desc="p2"),
        Sample((randn(rng, 4, 2), 1.0), desc="p1"),
        Sample((randn(rng, 4, 3), 3.0), desc="p3"),
        Sample((distinct(rng, 3, 4), float("inf")), desc="pinf"),
        Sample((randn(rng, 4, 3).T.copy().T,), desc="noncontiguous"),
    ]),
    OpInfo("max_unpool1d", F.max_unpool1d, _unpool_ref(1), _unpool_samples(1)),
    OpInfo("max_unpool2d", F.max_unpool2d, _unpool_ref(2), _unpool_samples(2)),
    OpInfo("max_unpool3d", F.max_unpool3d, _unpool_ref(3), _unpool_samples(3)),
    OpInfo("embedding_bag", _bag_op, _bag_ref, _bag_samples),
    OpInfo("grid_sample", F.grid_sample, grid_sample_ref, _grid_samples),
    OpInfo("affine_grid", F.affine_grid, affine_grid_ref, lambda rng: [
        Sample((randn(rng, 2, 2, 3), (2, 1, 3, 4)), {"align_corners": False}, desc="2d"),
        Sample((randn(rng, 1, 2, 3), (1, 1, 2, 2)), {"align_corners": True}, desc="2d_ac"),
        Sample((randn(rng, 2, 3, 4), (2, 1, 2, 3, 2)), {"align_corners": False}, desc="3d"),
    ]),
    OpInfo("ctc_loss", _ctc_op, ctc_ref, _ctc_samples, atol=1e-9, rtol=1e-9),
]
