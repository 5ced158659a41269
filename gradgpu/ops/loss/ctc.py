"""ctc_loss: the connectionist temporal classification loss (Graves et al., 2006), as PyTorch's.

The forward (alpha) recursion runs over time in log space on the extended label sequence
l' = (blank, l_1, blank, l_2, ..., l_S, blank), composed from differentiable gradgpu ops
(gather, pad, where, logsumexp), so the gradient w.r.t. ``log_probs`` comes from autograd and
the op runs on every backend and supports create_graph:

    alpha_0(s) = lp_0(l'_s) for s in {0, 1}, else -inf
    alpha_t(s) = lp_t(l'_s) + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), [alpha_{t-1}(s-2)])
    loss = -logsumexp(alpha_{T-1}(2S), alpha_{T-1}(2S-1))

where the s-2 term is allowed only for a label that differs from the label two places back.
"""

from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from .. import elementwise as ew
from .._common import Tensor, check_tensor, same_device, xp_of
from ..reduction import logsumexp
from ..reduction import mean as _mean
from ..reduction import sum as _sum
from ..shape import stack, unsqueeze
from ._reduction import _const, _reduction_arg

_NEG_INF = float("-inf")


def _host_lengths(lengths, name: str, batch: int) -> np.ndarray:
    """Lengths as a host int64 vector of size ``batch``: the recursion's shape depends on them,
    so a device tensor is read back once here (PyTorch's kernels do the same)."""
    if isinstance(lengths, Tensor):
        arr = lengths._data
        arr = arr.get() if hasattr(arr, "get") else np.asarray(arr)  # one device-to-host copy
    else:
        arr = np.asarray(lengths)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"{name} must be integral")
    arr = arr.reshape(-1).astype(np.int64)
    if arr.shape[0] != batch:
        raise RuntimeError(f"{name} must be of size batch_size")
    return arr


def _padded_targets(targets, tl: np.ndarray, s_max: int, xp):
    """(N, s_max) int64 labels from padded (N, S) or concatenated 1-D targets."""
    t = targets._data
    n = tl.shape[0]
    if t.ndim == 1:
        total = int(tl.sum())
        if t.shape[0] < total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                               f"size {t.shape[0]} for argument #2 'targets' (while checking "
                               f"arguments for ctc_loss_allocate_outputs)")
        starts = np.cumsum(tl) - tl
        pos = np.minimum(np.arange(s_max)[None, :], np.maximum(tl - 1, 0)[:, None])
        idx = starts[:, None] + pos
        idx = np.minimum(idx, max(t.shape[0] - 1, 0))
        if t.shape[0] == 0:
            return xp.zeros((n, s_max), dtype=xp.int64)
        return t[xp.asarray(idx)].astype(xp.int64)
    if t.ndim != 2 or t.shape[0] != n:
        raise RuntimeError(f"ctc_loss(): expected targets of shape (N, S) with N = {n} or a 1-D "
                           f"tensor of concatenated targets, got targets of shape "
                           f"{list(targets.shape)}")
    if t.shape[1] < s_max:
        raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, but "
                           f"got size {t.shape[1]} for argument #2 'targets' (while checking "
                           f"arguments for ctc_loss_allocate_outputs)")
    # entries past a target's length are padding: any value, never read by the recursion
    inside = xp.asarray(np.arange(s_max)[None, :] < tl[:, None])
    return xp.where(inside, t[:, :s_max], 0).astype(xp.int64)


def _shift(alpha, k: int):
    """alpha moved k places right along the states, -inf shifted in."""
    from ..layers import pad

    return pad(alpha, (k, 0), value=_NEG_INF)[:, : alpha.shape[1]]


def _ctc_nll(log_probs, targets, il: np.ndarray, tl: np.ndarray, blank: int):
    """Per-sample negative log-likelihood (N,), +inf where no alignment exists."""
    xp = xp_of(log_probs)
    t_len, n, _ = log_probs._data.shape
    s_max = int(tl.max()) if n else 0
    labels = _padded_targets(targets, tl, s_max, xp)
    n_states = 2 * s_max + 1
    ext = xp.full((n, n_states), blank, dtype=xp.int64)
    ext[:, 1::2] = labels
    s_idx = np.arange(n_states)
    # a label state may skip the blank before it when it differs from the label two back
    skip = xp.zeros((n, n_states), dtype=bool)
    if n_states > 3:
        skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    skip = _const(skip)
    index = Tensor._make(xp.broadcast_to(ext[None], (t_len, n, n_states)))
    lp = log_probs.gather(2, index)  # (T, N, 2S + 1): lp_t(l'_s)
    dt = log_probs._data.dtype
    tl_dev = xp.asarray(tl)
    start = (xp.asarray(s_idx)[None, :] == 0) | ((xp.asarray(s_idx)[None, :] == 1)
                                                   & (tl_dev[:, None] > 0))
    alpha = ew.where(_const(start), lp[0], _NEG_INF)
    for t in range(1, int(il.max()) if n else 0):
        prev = ew.where(skip, _shift(alpha, 2), _NEG_INF)
        new = logsumexp(_stack3(alpha, _shift(alpha, 1), prev), -1) + lp[t]
        active = _const(xp.asarray(t < il)[:, None])
        alpha = ew.where(active, new, alpha)
    end = xp.asarray(2 * tl)[:, None]
    last = alpha.gather(1, Tensor._make(end))[:, 0]
    before = alpha.gather(1, Tensor._make(xp.maximum(end - 1, 0)))[:, 0]
    before = ew.where(_const(tl_dev > 0), before, _NEG_INF)
    ll = logsumexp(_stack2(last, before), -1)
    # an empty input explains only an empty target (PyTorch: loss 0, else inf)
    empty = _const(xp.asarray(il == 0))
    ll = ew.where(empty, _const(xp.asarray(np.where(tl == 0, 0.0, _NEG_INF), dtype=dt)), ll)
    nll = -ll
    # PyTorch's kernel returns d/d(log_probs) = exp(log_probs) - posterior: the gradient
    # through a log_softmax folded in. Add the zero-valued exp(lp) - stop_grad(exp(lp)) over
    # each sample's valid frames so gradients match it term for term.
    valid = _const(xp.asarray(np.arange(t_len)[:, None] < il[None, :])[..., None])
    e = log_probs.exp()
    with no_grad():
        e_const = Tensor._make(e._data)
    extra = _sum(ew.where(valid, e - e_const, 0.0), (0, 2))
    return nll + extra


def _stack3(a, b, c):
    return stack([a, b, c], -1)


def _stack2(a, b):
    return stack([a, b], -1)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False):
    """loss_n = -log sum over alignments pi of targets_n of prod_t exp(log_probs[t, n, pi_t]);
    reduction 'mean' divides each by its target length (at least 1), then averages the batch.

    ``log_probs`` is (T, N, C) (or (T, C) unbatched), log-softmaxed over C; ``targets`` is
    (N, S) padded or 1-D concatenated; ``zero_infinity`` turns infinite losses (no alignment)
    and their gradients into 0. d loss / d log_probs matches PyTorch's (see ``_ctc_nll``).
    """
    check_tensor(log_probs, "ctc_loss", "log_probs")
    check_tensor(targets, "ctc_loss", "targets")
    same_device("ctc_loss", log_probs, targets)
    reduction = _reduction_arg(None, None, reduction)
    if log_probs._data.dtype.kind != "f":
        raise RuntimeError(f"ctc_loss(): expected floating point log_probs, got "
                           f"{log_probs.dtype}")
    unbatched = log_probs._data.ndim == 2
    if unbatched:
        log_probs = unsqueeze(log_probs, 1)
        if targets._data.ndim == 1:
            targets = unsqueeze(targets, 0)
    if log_probs._data.ndim != 3:
        raise RuntimeError(f"ctc_loss(): expected log_probs of shape (T, N, C) or (T, C), got "
                           f"{list(log_probs.shape)}")
    t_len, n, c = log_probs._data.shape
    if log_probs._data.size == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    il = _host_lengths(input_lengths, "input_lengths", n)
    tl = _host_lengths(target_lengths, "target_lengths", n)
    for name, arr, top in (("input_lengths", il, t_len), ("target_lengths", tl, None)):
        if arr.size and arr.min() < 0:
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                               f"{int(arr.min())} (while checking arguments for ctc_loss)")
        if top is not None and arr.size and arr.max() > top:
            raise RuntimeError(f"Expected {name} to have value at most {top}, but got value "
                               f"{int(arr.max())} (while checking arguments for "
                               f"ctc_loss_allocate_outputs)")
    loss = _ctc_nll(log_probs, targets, il, tl, blank)
    if zero_infinity:
        loss = ew.where(loss == float("inf"), 0.0, loss)
    if unbatched:
        loss = loss[0]
    if reduction == "mean":
        xp = xp_of(log_probs)
        div = xp.asarray(np.maximum(tl, 1), dtype=log_probs._data.dtype)
        return _mean(loss / _const(div if not unbatched else div[0]))
    if reduction == "sum":
        return _sum(loss)
    return loss


TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
