"""Registry entries: cross_entropy, nll_loss, binary cross entropy (with logits), mse, l1,
smooth_l1, huber. References are written out with explicit loops over samples in NumPy."""

from __future__ import annotations

import numpy as np

import gradgpu.nn.functional as F

from . import Const, OpInfo, Sample, randn


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum}.get(reduction, lambda a: a)(loss)


def _ce_ref(x, t, w=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross entropy by explicit loops over (sample, position): class dim 1 (0 if unbatched)."""
    if x.ndim == 1:
        x, t = x[None], np.asarray(t)[None]
        out = _ce_ref(x, t, w, ignore_index=ignore_index, reduction=reduction,
                      label_smoothing=label_smoothing)
        return out[0] if reduction == "none" else out
    c = x.shape[1]
    w = np.ones(c) if w is None else w
    logp = np.moveaxis(_log_softmax(x, 1), 1, -1).reshape(-1, c)  # (N * d, C)
    if t.dtype.kind == "f":  # probabilities
        tp = np.moveaxis(t, 1, -1).reshape(-1, c) * (1 - label_smoothing) + label_smoothing / c
        loss = np.array([-(logp[i] * tp[i] * w).sum() for i in range(len(logp))])
        loss = loss.reshape(t.shape[:1] + t.shape[2:])
        return loss.sum() / len(logp) if reduction == "mean" else _reduce(loss, reduction)
    tf = t.reshape(-1)
    nll, smooth, denom = np.zeros(len(tf)), np.zeros(len(tf)), 0.0
    for i, k in enumerate(tf):
        if k == ignore_index:
            continue
        nll[i] = -w[k] * logp[i, k]
        smooth[i] = -(w * logp[i]).sum()
        denom += w[k]
    loss = (1 - label_smoothing) * nll + label_smoothing / c * smooth
    if reduction == "none":
        return loss.reshape(t.shape)
    return loss.sum() / denom if reduction == "mean" else loss.sum()


def _nll_ref(x, t, w=None, *, ignore_index=-100, reduction="mean"):
    """nll_loss via cross entropy's loops: nll(x) = ce(x') for any x' with log_softmax(x') = x."""
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    flat = np.moveaxis(x, 1, -1).reshape(-1, c) if x.ndim > 1 else x[None]
    tf = np.asarray(t).reshape(-1)
    w = np.ones(c) if w is None else w
    loss = np.array([0.0 if k == ignore_index else -w[k] * flat[i, k] for i, k in enumerate(tf)])
    denom = sum(w[k] for k in tf if k != ignore_index)
    if reduction == "none":
        return loss.reshape(np.shape(t))
    return loss.sum() / denom if reduction == "mean" else loss.sum()


def _ce(x, t, **kw):
    return F.cross_entropy(x, t, **kw)


def _ce_w(x, t, w, **kw):
    return F.cross_entropy(x, t, weight=w, **kw)


def _targets(rng, shape, c, ignore=()):
    t = rng.integers(0, c, shape)
    for pos in ignore:
        t[pos] = -100
    return Const(t)


def _probs(rng, *shape):
    p = np.exp(rng.standard_normal(shape))
    return p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


def _ce_samples(rng):
    return [
        Sample((randn(rng, 4, 5), _targets(rng, (4,), 5)), desc="basic"),
        Sample((randn(rng, 4, 5), _targets(rng, (4,), 5, [(1,)])), {"reduction": "sum"},
               desc="ignore_sum"),
        Sample((randn(rng, 4, 5), _targets(rng, (4,), 5, [(2,)])), {"reduction": "none"},
               desc="ignore_none"),
        Sample((randn(rng, 4, 5), Const(np.array([1, 7, 7, 0])), ), {"ignore_index": 7},
               desc="custom_ignore_index"),
        Sample((randn(rng, 4, 5), _targets(rng, (4,), 5, [(0,)])), {"label_smoothing": 0.2},
               desc="label_smoothing"),
        Sample((randn(rng, 2, 3, 2, 2), _targets(rng, (2, 2, 2), 3, [(0, 1, 0)])),
               {"label_smoothing": 0.1}, desc="spatial_4d"),
        Sample((randn(rng, 5), Const(np.array(3))), desc="unbatched"),
        Sample((randn(rng, 5, 4).T, _targets(rng, (4,), 5)), desc="transposed"),
        Sample((randn(rng, 3, 4), Const(_probs(rng, 3, 4))), desc="prob_target"),
        Sample((randn(rng, 3, 4), Const(_probs(rng, 3, 4))),
               {"label_smoothing": 0.3, "reduction": "none"}, desc="prob_target_smooth_none"),
        Sample((np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]]), Const(np.array([1, 0]))),
               desc="extreme_logits", grad=False),
    ]


def _ce_weight_samples(rng):
    w = Const(rng.uniform(0.5, 2.0, 5))
    return [
        Sample((randn(rng, 4, 5), _targets(rng, (4,), 5, [(1,)]), w), desc="weighted_mean"),
        Sample((randn(rng, 4, 5), _targets(rng, (4,), 5, [(3,)]), w),
               {"label_smoothing": 0.25}, desc="weighted_smoothing"),
        Sample((randn(rng, 4, 5), _targets(rng, (4,), 5, [(3,)]), w),
               {"label_smoothing": 0.25, "reduction": "none"}, desc="weighted_smoothing_none"),
        Sample((randn(rng, 2, 5, 3), _targets(rng, (2, 3), 5, [(1, 1)]), w),
               {"reduction": "sum"}, desc="weighted_3d_sum"),
        Sample((randn(rng, 3, 5), Const(_probs(rng, 3, 5)), w), {"label_smoothing": 0.1},
               desc="weighted_prob_target"),
    ]


def _nll_samples(rng):
    w = Const(rng.uniform(0.5, 2.0, 4))
    return [
        Sample((randn(rng, 3, 4), _targets(rng, (3,), 4)), desc="basic"),
        Sample((randn(rng, 3, 4), _targets(rng, (3,), 4, [(0,)]), w), desc="weight_ignore"),
        Sample((randn(rng, 3, 4), _targets(rng, (3,), 4), w), {"reduction": "none"},
               desc="none"),
        Sample((randn(rng, 2, 4, 3), _targets(rng, (2, 3), 4)), {"reduction": "sum"},
               desc="3d_sum"),
        Sample((randn(rng, 4), Const(np.array(1))), desc="unbatched"),
    ]


def _nll(x, t, w=None, **kw):
    return F.nll_loss(x, t, weight=w, **kw)


def _bce_ref(x, t, w=None, *, reduction="mean"):
    loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return _reduce(loss if w is None else loss * w, reduction)


def _unit(rng, *shape):
    return rng.uniform(0.1, 0.9, shape)


def _bce_samples(rng):
    return [
        Sample((_unit(rng, 3, 4), _unit(rng, 3, 4)), desc="basic"),
        Sample((_unit(rng, 3, 4), _unit(rng, 3, 4), Const(rng.uniform(0.5, 2, 4))),
               {"reduction": "sum"}, desc="weight_broadcast_sum"),
        Sample((_unit(rng, 4, 3).T, _unit(rng, 3, 4)), {"reduction": "none"},
               desc="transposed_none"),
        Sample((np.array([0.0, 1.0, 0.5, 1e-50]), Const(np.array([1.0, 0.0, 0.3, 1.0]))),
               {"reduction": "none"}, desc="log_clamped", grad=False),
    ]


def _bce(x, t, w=None, **kw):
    return F.binary_cross_entropy(x, t, weight=w, **kw)


def _bcel_ref(x, t, pw=None, w=None, *, reduction="mean"):
    log_sig = -np.logaddexp(0.0, -x)
    log_one_minus_sig = -np.logaddexp(0.0, x)
    pw = 1.0 if pw is None else pw
    loss = -(pw * t * log_sig + (1 - t) * log_one_minus_sig)
    return _reduce(loss if w is None else loss * w, reduction)


def _bcel(x, t, pw=None, w=None, **kw):
    return F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, **kw)


def _bcel_samples(rng):
    return [
        Sample((randn(rng, 3, 4), _unit(rng, 3, 4)), desc="basic"),
        Sample((randn(rng, 3, 4), _unit(rng, 3, 4), rng.uniform(0.5, 3, 4),
                Const(rng.uniform(0.5, 2, (3, 1)))), {"reduction": "none"},
               desc="weight_pos_weight"),
        Sample((randn(rng, 4, 3).T, _unit(rng, 3, 4), rng.uniform(0.5, 3, 4)),
               {"reduction": "sum"}, desc="transposed_pos_weight_sum"),
        Sample((np.array([1e4, -1e4, 1e4, -1e4, 0.0]), Const(np.array([1.0, 0, 0, 1, 0.5]))),
               {"reduction": "none"}, desc="extreme_logits", grad=False),
    ]


def _regression_samples(rng):
    return [
        Sample((randn(rng, 3, 4), randn(rng, 3, 4)), desc="mean"),
        Sample((randn(rng, 3, 4), randn(rng, 3, 4)), {"reduction": "sum"}, desc="sum"),
        Sample((randn(rng, 4, 3).T, randn(rng, 3, 4)), {"reduction": "none"},
               desc="transposed_none"),
        Sample((randn(rng), randn(rng)), desc="zero_dim"),
    ]


def _weighted_samples(rng):
    return [
        Sample((randn(rng, 3, 4), randn(rng, 3, 4), Const(rng.uniform(0.5, 2, (3, 4)))),
               {"reduction": r}, desc=f"weighted_{r}")
        for r in ("mean", "sum", "none")
    ]


def _weighted_ref(loss_fn, mean_by_weight):
    def ref(x, t, w, *, reduction="mean"):
        loss = loss_fn(x - t) * w
        if reduction == "mean":
            return loss.sum() / w.sum() if mean_by_weight else loss.mean()
        return _reduce(loss, reduction)

    return ref


def _smooth_l1(d, beta):
    a = np.abs(d)
    return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


def _huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


OPS = [
    OpInfo("cross_entropy", _ce, _ce_ref, _ce_samples),
    OpInfo("cross_entropy_weight", _ce_w, _ce_ref, _ce_weight_samples),
    OpInfo("nll_loss", _nll, _nll_ref, _nll_samples),
    OpInfo("binary_cross_entropy", _bce, _bce_ref, _bce_samples),
    OpInfo("binary_cross_entropy_with_logits", _bcel, _bcel_ref, _bcel_samples),
    OpInfo("mse_loss", F.mse_loss, lambda x, t, reduction="mean": _reduce((x - t) ** 2, reduction),
           _regression_samples),
    OpInfo("l1_loss", F.l1_loss, lambda x, t, reduction="mean": _reduce(np.abs(x - t), reduction),
           _regression_samples),
    OpInfo("mse_loss_weight", lambda x, t, w, **kw: F.mse_loss(x, t, weight=w, **kw),
           _weighted_ref(np.square, True), _weighted_samples),
    OpInfo("l1_loss_weight", lambda x, t, w, **kw: F.l1_loss(x, t, weight=w, **kw),
           _weighted_ref(np.abs, True), _weighted_samples),
    OpInfo("smooth_l1_loss", lambda x, t, **kw: F.smooth_l1_loss(x, t, beta=0.8, **kw),
           lambda x, t, reduction="mean": _reduce(_smooth_l1(x - t, 0.8), reduction),
           _regression_samples),
    OpInfo("huber_loss", lambda x, t, **kw: F.huber_loss(x, t, delta=0.8, **kw),
           lambda x, t, reduction="mean": _reduce(_huber(x - t, 0.8), reduction),
           _regression_samples),
    OpInfo("huber_loss_weight", lambda x, t, w, **kw: F.huber_loss(x, t, weight=w, **kw),
           _weighted_ref(lambda d: _huber(d, 1.0), False), _weighted_samples),
]
