"""Registry entries: kl_div, poisson / gaussian NLL, and the margin and embedding losses.
References are NumPy float64, the per-sample losses written with explicit loops."""

from __future__ import annotations

import numpy as np

import gradgpu.nn.functional as F

from . import Const, OpInfo, Sample, positive, randn


def _reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum}.get(reduction, lambda a: a)(loss)


def _signs(rng, *shape):
    return Const(rng.choice([-1.0, 1.0], shape))


# ---- likelihood losses ----------------------------------------------------------------------
def _kl_ref(x, t, *, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        safe = np.where(t == 0, 1.0, t)
        loss = np.where(t == 0, 0.0, t * np.log(safe)) - t * x
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)


def _kl_samples(rng):
    zeros = positive(rng, 3, 4) * (rng.uniform(size=(3, 4)) > 0.4)
    return [
        Sample((randn(rng, 3, 4), positive(rng, 3, 4)), {"reduction": "batchmean"},
               desc="batchmean"),
        Sample((randn(rng, 4, 3).T, positive(rng, 3, 4)), {"reduction": "none"},
               desc="transposed_none"),
        Sample((randn(rng, 3, 4), Const(zeros)), {"reduction": "sum"}, desc="zero_targets"),
        Sample((randn(rng, 3, 4), randn(rng, 3, 4)), {"reduction": "batchmean",
                                                      "log_target": True}, desc="log_target"),
        Sample((randn(rng, 2, 3), positive(rng, 3)), {"reduction": "none"},
               desc="broadcast_target"),
        Sample((randn(rng), positive(rng)), {"reduction": "batchmean"}, desc="zero_dim"),
    ]


def _stirling(t):
    safe = np.where(t > 1, t, 2.0)
    return np.where(t > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0.0)


def _poisson_ref(x, t, *, log_input=True, full=False, eps=1e-8, reduction="mean"):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    return _reduce(loss + _stirling(t) if full else loss, reduction)


def _counts(rng, *shape):
    """Targets on both sides of Stirling's t > 1 switch, away from it (and from 0)."""
    return rng.choice([0.3, 0.7, 1.5, 2.5, 4.0], shape) + rng.uniform(0, 0.1, shape)


def _poisson_samples(rng):
    zeros = Const(np.array([[0.0, 1.0, 3.0], [0.5, 0.0, 7.0]]))
    return [
        Sample((randn(rng, 3, 4), _counts(rng, 3, 4)), desc="log_input"),
        Sample((randn(rng, 3, 4), _counts(rng, 3, 4)), {"full": True, "reduction": "none"},
               desc="full_none"),
        Sample((positive(rng, 3, 4), _counts(rng, 3, 4)),
               {"log_input": False, "full": True, "reduction": "sum"}, desc="rate_full_sum"),
        Sample((positive(rng, 2, 3), zeros), {"log_input": False, "full": True,
                                              "reduction": "none"}, desc="zero_targets"),
        Sample((randn(rng, 2, 3), _counts(rng, 3)), {"full": True}, desc="broadcast"),
    ]


def _gauss_ref(x, t, v, *, full=False, eps=1e-6, reduction="mean"):
    if v.shape != x.shape and v.shape == x.shape[:-1]:
        v = v[..., None]
    v = np.maximum(v, eps)
    loss = 0.5 * (np.log(v) + (x - t) ** 2 / v) + (0.5 * np.log(2 * np.pi) if full else 0.0)
    return _reduce(loss, reduction)


def _gauss_samples(rng):
    tiny = positive(rng, 3, 4)
    tiny[0, 1], tiny[2, 3] = 1e-9, 0.0
    return [
        Sample((randn(rng, 3, 4), randn(rng, 3, 4), positive(rng, 3, 4)), desc="heteroscedastic"),
        Sample((randn(rng, 3, 4), randn(rng, 3, 4), positive(rng, 3)),
               {"full": True, "reduction": "none"}, desc="per_sample_var"),
        Sample((randn(rng, 3, 4), randn(rng, 3, 4), positive(rng, 3, 1)), {"reduction": "sum"},
               desc="var_size_one_dim"),
        Sample((randn(rng, 2, 3, 4), randn(rng, 2, 3, 4), positive(rng, 2, 1, 4)),
               {"reduction": "none"}, desc="var_middle_dim"),
        Sample((randn(rng, 3, 4), randn(rng, 3, 4), Const(tiny)), {"reduction": "none"},
               desc="var_clamped", grad=False),
    ]


# ---- pair and triplet losses ----------------------------------------------------------------
def _ranking_samples(rng):
    return [
        Sample((randn(rng, 5), randn(rng, 5), _signs(rng, 5)), {"margin": 0.3}, desc="basic"),
        Sample((randn(rng, 5), randn(rng, 1), _signs(rng, 5)), {"reduction": "none"},
               desc="broadcast_none"),
        Sample((randn(rng, 2, 3), randn(rng, 2, 3), _signs(rng, 2, 3)),
               {"margin": -0.2, "reduction": "sum"}, desc="2d_sum"),
    ]


def _ranking_ref(x1, x2, y, *, margin=0.0, reduction="mean"):
    return _reduce(np.maximum(0.0, -y * (x1 - x2) + margin), reduction)


def _hinge_ref(x, y, *, margin=1.0, reduction="mean"):
    out = np.zeros(np.broadcast_shapes(x.shape, y.shape))
    xb, yb = np.broadcast_arrays(x, y)
    for i in np.ndindex(out.shape):
        out[i] = (xb[i] if yb[i] != -1 else 0.0) + (max(0.0, margin - xb[i])
                                                    if yb[i] != 1 else 0.0)
    return _reduce(out, reduction)


def _hinge_samples(rng):
    return [
        Sample((randn(rng, 3, 4), _signs(rng, 3, 4)), desc="basic"),
        Sample((randn(rng, 3, 4), _signs(rng, 4)), {"margin": 0.5, "reduction": "none"},
               desc="broadcast_none"),
        Sample((randn(rng, 4), Const(np.array([1.0, -1.0, 0.5, 0.0]))), {"reduction": "sum"},
               desc="other_labels"),
    ]


def _soft_samples(rng):
    return [
        Sample((randn(rng, 3, 4), _signs(rng, 3, 4)), desc="basic"),
        Sample((randn(rng, 4, 3).T, _signs(rng, 4)), {"reduction": "none"},
               desc="transposed_broadcast"),
        Sample((randn(rng), Const(np.array(-1.0))), {"reduction": "sum"}, desc="zero_dim"),
    ]


def _mlsm_ref(x, y, w=None, *, reduction="mean"):
    ls = -np.logaddexp(0.0, -x)
    ls_neg = -np.logaddexp(0.0, x)
    loss = -(y * ls + (1 - y) * ls_neg) * (1.0 if w is None else w)
    return _reduce(loss.sum(-1) / x.shape[-1], reduction)


def _mlsm(x, y, w=None, **kw):
    return F.multilabel_soft_margin_loss(x, y, weight=w, **kw)


def _mlsm_samples(rng):
    labels = Const((rng.uniform(size=(3, 4)) > 0.5).astype(float))
    return [
        Sample((randn(rng, 3, 4), labels), desc="basic"),
        Sample((randn(rng, 3, 4), labels, Const(positive(rng, 4))), {"reduction": "none"},
               desc="weight_none"),
        Sample((randn(rng, 3, 4), rng.uniform(size=(3, 4))), {"reduction": "sum"},
               desc="soft_labels_sum"),
        Sample((randn(rng, 4), labels.array[0]), {"reduction": "none"}, desc="unbatched"),
    ]


def _cosine_ref(x1, x2, y, *, margin=0.0, reduction="mean"):
    if y.ndim == 0:
        return _cosine_ref(x1[None], x2[None], y[None], margin=margin, reduction="sum")
    x1, x2 = np.broadcast_arrays(x1, x2)
    out = np.zeros(len(y))
    for i in range(len(y)):
        cos = (x1[i] @ x2[i]) / np.sqrt((x1[i] @ x1[i] + 1e-12) * (x2[i] @ x2[i] + 1e-12))
        out[i] = 1 - cos if y[i] == 1 else (max(0.0, cos - margin) if y[i] == -1 else 0.0)
    return _reduce(out, reduction)


def _cosine_samples(rng):
    return [
        Sample((randn(rng, 4, 3), randn(rng, 4, 3), _signs(rng, 4)), {"margin": -0.5},
               desc="basic"),
        Sample((randn(rng, 4, 3), randn(rng, 1, 3), Const(np.array([1.0, -1, 0.5, -1]))),
               {"reduction": "none"}, desc="broadcast_other_labels"),
        Sample((randn(rng, 3), randn(rng, 3), Const(np.array(1.0))), desc="unbatched"),
    ]


def _dist(a, b, p=2.0, eps=1e-6):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1.0 / p)


def _triplet_ref(a, pos, neg, *, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    d_neg = _dist(a, neg, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, _dist(pos, neg, p, eps))
    return _reduce(np.maximum(0.0, margin + _dist(a, pos, p, eps) - d_neg), reduction)


def _triplet_samples(rng):
    return [
        Sample((randn(rng, 4, 3), randn(rng, 4, 3), randn(rng, 4, 3)), {"margin": 2.0},
               desc="basic"),
        Sample((randn(rng, 4, 3), randn(rng, 4, 3), randn(rng, 4, 3)),
               {"p": 1.0, "swap": True, "margin": 3.0, "reduction": "none"}, desc="p1_swap"),
        Sample((randn(rng, 4, 3), randn(rng, 1, 3), randn(rng, 4, 3)),
               {"p": 3.0, "swap": True, "reduction": "sum"}, desc="p3_broadcast_swap"),
        Sample((randn(rng, 3), randn(rng, 3), randn(rng, 3)), {"margin": 2.5}, desc="unbatched"),
    ]


def _cos_distance(a, b):
    return 1 - F.cosine_similarity(a, b, dim=-1)


def _cos_distance_ref(a, b):
    return 1 - (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def _triplet_dist(a, pos, neg, custom=False, **kw):
    fn = _cos_distance if custom else None
    return F.triplet_margin_with_distance_loss(a, pos, neg, distance_function=fn, **kw)


def _triplet_dist_ref(a, pos, neg, custom=False, *, margin=1.0, swap=False, reduction="mean"):
    dist = _cos_distance_ref if custom else _dist
    d_neg = dist(a, neg)
    if swap:
        d_neg = np.minimum(d_neg, dist(pos, neg))
    return _reduce(np.maximum(0.0, margin + dist(a, pos) - d_neg), reduction)


def _triplet_dist_samples(rng):
    return [
        Sample((randn(rng, 4, 3), randn(rng, 4, 3), randn(rng, 4, 3)),
               {"margin": 2.0, "swap": True}, desc="default_distance_swap"),
        Sample((randn(rng, 4, 3), randn(rng, 4, 3), randn(rng, 4, 3), True),
               {"margin": 1.5, "reduction": "none"}, desc="cosine_distance"),
    ]


# ---- multi-class margin losses --------------------------------------------------------------
def _mm_ref(x, y, w=None, *, p=1, margin=1.0, reduction="mean"):
    x2 = x.reshape(-1, x.shape[-1] if x.ndim else 1)
    ys = np.asarray(y).reshape(-1)
    out = np.zeros(len(x2))
    for n, row in enumerate(x2):
        k = ys[n]
        for i in range(len(row)):
            if i != k:
                z = max(0.0, margin - row[k] + row[i]) ** p
                out[n] += z * (1.0 if w is None else w[k]) / len(row)
    if reduction == "none":
        return out if np.ndim(y) else out.reshape(())
    return _reduce(out, reduction)


def _mm(x, y, w=None, **kw):
    return F.multi_margin_loss(x, y, weight=w, **kw)


def _mm_samples(rng):
    return [
        Sample((randn(rng, 5, 4), Const(rng.integers(0, 4, 5))), desc="basic"),
        Sample((randn(rng, 5, 4), Const(rng.integers(0, 4, 5))),
               {"p": 2, "margin": 0.7, "reduction": "none"}, desc="p2_none"),
        Sample((randn(rng, 4, 5).T, Const(rng.integers(0, 4, 5)), Const(positive(rng, 4))),
               {"reduction": "sum"}, desc="transposed_weight_sum"),
        Sample((randn(rng, 4), Const(np.array(2))), {"reduction": "none"}, desc="unbatched"),
    ]


def _mlm_ref(x, y, *, reduction="mean"):
    x2, y2 = x.reshape(-1, x.shape[-1]), y.reshape(-1, x.shape[-1])
    out = np.zeros(len(x2))
    for n, (row, targets) in enumerate(zip(x2, y2)):
        listed = []
        for k in targets:
            if k == -1:
                break
            listed.append(k)
        for k in listed:
            for i in range(len(row)):
                if i not in listed:
                    out[n] += max(0.0, 1 - (row[k] - row[i])) / len(row)
    if x.ndim < 2:
        out = out.reshape(())
    return _reduce(out, reduction)


def _mlm_samples(rng):
    targets = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 2, 1, 0], [2, 2, -1, -1]])
    return [
        Sample((randn(rng, 4, 4), Const(targets)), desc="basic"),
        Sample((randn(rng, 4, 4).T, Const(targets)), {"reduction": "none"},
               desc="transposed_none"),
        Sample((randn(rng, 4), Const(np.array([1, 3, -1, 0]))), {"reduction": "sum"},
               desc="unbatched"),
    ]


OPS = [
    OpInfo("kl_div", F.kl_div, _kl_ref, _kl_samples),
    OpInfo("poisson_nll_loss", F.poisson_nll_loss, _poisson_ref, _poisson_samples),
    OpInfo("gaussian_nll_loss", F.gaussian_nll_loss, _gauss_ref, _gauss_samples),
    OpInfo("margin_ranking_loss", F.margin_ranking_loss, _ranking_ref, _ranking_samples),
    OpInfo("hinge_embedding_loss", F.hinge_embedding_loss, _hinge_ref, _hinge_samples),
    OpInfo("soft_margin_loss", F.soft_margin_loss,
           lambda x, y, reduction="mean": _reduce(np.log1p(np.exp(-x * y)), reduction),
           _soft_samples),
    OpInfo("multilabel_soft_margin_loss", _mlsm, _mlsm_ref, _mlsm_samples),
    OpInfo("cosine_embedding_loss", F.cosine_embedding_loss, _cosine_ref, _cosine_samples),
    OpInfo("triplet_margin_loss", F.triplet_margin_loss, _triplet_ref, _triplet_samples),
    OpInfo("triplet_margin_with_distance_loss", _triplet_dist, _triplet_dist_ref,
           _triplet_dist_samples),
    OpInfo("multi_margin_loss", _mm, _mm_ref, _mm_samples),
    OpInfo("multilabel_margin_loss", F.multilabel_margin_loss, _mlm_ref, _mlm_samples),
]
