"""nll_loss and cross_entropy over class indices or class probabilities.

cross_entropy over class-index targets is one fused op (the backend's cross_entropy_fwd/bwd:
a logsumexp per target, no one-hot and no log-probabilities formed); nll_loss gathers the target
log-probabilities and differentiates through a scatter-add.
"""

from __future__ import annotations

import math

from ...autograd.function import Function
from ...autograd.grad_mode import _state as _grad_state
from .. import elementwise as ew
from .._common import Tensor, backend_of, check_tensor, same_device, xp_of
from ..activation import log_softmax, softmax
from ..layers import ScatterAddFlat
from ..reduction import sum as _sum
from ..shape import unsqueeze
from ._reduction import _const, _reduce, _reduction_arg


class NllPick(Function):
    """y = -w * x.ravel()[index] (0 where w == 0, even for infinite x);
    dx = scatter_add(-w * g, index), exactly 0 from ignored targets (valid False)"""

    @staticmethod
    def forward(ctx, x, index, w, valid):
        ctx.index = index
        ctx.w = w
        ctx.valid = valid
        ctx.in_shape = x._data.shape
        be = backend_of(x._data)
        with be.quiet():
            picked = be.take_flat(x._data, index) * -w
        return be.xp.where(w != 0, picked, 0).astype(x._data.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        # an all-ignored 'mean' sends g = 1 / 0 = inf: ignored targets still give exactly 0
        # (PyTorch skips them), zero-weight targets that count give NaN as PyTorch's
        g = ew.where(_const(ctx.valid), g, 0.0)
        with backend_of(ctx.w).quiet():
            g = g * _const(-ctx.w)
        return ScatterAddFlat.apply(g, ctx.index, ctx.in_shape), None, None, None


def _class_layout(input, target, op: str):
    """(N, C, rest) for a class-index target; unbatched (C,) inputs count as N = 1."""
    ish, tsh = tuple(input._data.shape), tuple(target._data.shape)
    if input._data.ndim == 0:
        raise ValueError(f"{op}(): input must have at least 1 dimension (the classes), got a "
                         f"0-d tensor")
    if input._data.ndim == 1:
        if tsh != ():
            raise RuntimeError(f"{op}(): an unbatched input of shape {list(ish)} expects a 0-d "
                               f"target, got target of shape {list(tsh)}")
        return 1, ish[0], ()
    if target._data.ndim != input._data.ndim - 1:
        raise RuntimeError(f"{op}(): expected target of shape [N, d1, ...] (input shape without "
                           f"the class dim), got input {list(ish)} and target {list(tsh)}")
    if ish[0] != tsh[0]:
        raise ValueError(f"{op}(): Expected input batch_size ({ish[0]}) to match target "
                         f"batch_size ({tsh[0]}) (input {list(ish)}, target {list(tsh)})")
    if ish[2:] != tsh[1:]:
        raise RuntimeError(f"{op}(): size mismatch (got input: {list(ish)}, target: "
                           f"{list(tsh)})")
    return ish[0], ish[1], ish[2:]


def _check_weight(weight, n_classes: int, op: str, input):
    if weight is None:
        return
    check_tensor(weight, op, "weight")
    same_device(op, input, weight)
    if weight._data.ndim != 1 or weight._data.shape[0] != n_classes:
        raise RuntimeError(f"{op}(): weight tensor should be defined either for all "
                           f"{n_classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")


def _target_weights(input, target, weight, ignore_index: int, op: str):
    """(flat gather index into input, per-target weight array with 0 on ignored targets,
    valid mask) for class-index targets; checks every target is in [0, C) or ignored."""
    n, c, rest = _class_layout(input, target, op)
    xp = xp_of(input)
    t = _checked_targets(input, target, weight, ignore_index, op)
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    d = math.prod(rest)
    # flat C-order index of input[n, t, *pos] = (n * C + t) * prod(rest) + pos
    batch = xp.arange(n, dtype=xp.int64).reshape((n,) + (1,) * len(rest)) if input.ndim > 1 else 0
    pos = xp.arange(d, dtype=xp.int64).reshape(rest) if rest else 0
    index = xp.asarray((batch * c + safe) * d + pos)
    dt = input._data.dtype
    w = weight._data[safe].astype(dt) if weight is not None else xp.ones(t.shape, dtype=dt)
    w = xp.asarray(w * valid)
    return index, w, valid


def _nll(logp, target, weight, ignore_index, reduction, op):
    index, w, valid = _target_weights(logp, target, weight, ignore_index, op)
    loss = NllPick.apply(logp, index, w, valid)
    if reduction == "none":
        return loss, w, valid
    total = _sum(loss)
    if reduction == "sum":
        return total, w, valid
    be = backend_of(w)
    with be.quiet():  # all targets ignored: 0 / 0 = NaN, as PyTorch
        return total / _const(w.sum()), w, valid


def _check_class_input(input, target, op: str):
    check_tensor(input, op)
    check_tensor(target, op, "target")
    same_device(op, input, target)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """-w[t] * input[n, t, ...] for log-probabilities ``input`` (N, C, ...) or (C,);
    'mean' divides by the summed weights of the non-ignored targets."""
    _check_class_input(input, target, "nll_loss")
    reduction = _reduction_arg(size_average, reduce, reduction)
    if target._data.dtype.kind not in "iub":
        raise RuntimeError(f"nll_loss(): expected target dtype to be an integer (Long), but got "
                           f"{target.dtype}")
    return _nll(input, target, weight, ignore_index, reduction, "nll_loss")[0]


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """nll_loss(log_softmax(input, class dim)) for class-index targets, or
    -sum(target * log_softmax(input)) over classes for probability targets (same shape)."""
    op = "cross_entropy"
    _check_class_input(input, target, op)
    reduction = _reduction_arg(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy(): label_smoothing must be between 0.0 and 1.0. Got: "
                         f"{label_smoothing}")
    if input._data.ndim == 0:
        raise ValueError("cross_entropy(): input must have at least 1 dimension (the classes)")
    class_dim = 0 if input._data.ndim == 1 else 1
    n_classes = input._data.shape[class_dim]
    if target._data.dtype.kind == "f":
        logp = log_softmax(input, class_dim)
        return _cross_entropy_probs(input, logp, target, weight, ignore_index, reduction,
                                    label_smoothing, class_dim)
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"cross_entropy(): expected target of an integer (class index) or "
                           f"floating point (probabilities) dtype, got {target.dtype}")
    if n_classes:
        t = _checked_targets(input, target, weight, ignore_index, op)
        w = None if weight is None else weight._data
        return CrossEntropy.apply(input, t, w, int(ignore_index), float(label_smoothing),
                                  reduction, class_dim)
    logp = log_softmax(input, class_dim)  # no classes: the composed ops handle the empty case
    nll, w, valid = _nll(logp, target, weight, ignore_index, reduction, op)
    if label_smoothing == 0.0:
        return nll
    # PyTorch's formula: (1 - ls) * nll + ls / C * smooth, smooth = -sum_c w_c logp_c with
    # ignored targets zeroed and 'mean' normalised like nll (by the targets' summed weights)
    wb = logp if weight is None else logp * _broadcast_weight(weight, logp, class_dim)
    smooth = ew.where(_const(valid), -_sum(wb, class_dim), 0.0)
    if reduction == "sum":
        smooth = _sum(smooth)
    elif reduction == "mean":
        denom = w.sum() if weight is not None else valid.sum().astype(w.dtype)
        with backend_of(w).quiet():
            smooth = _sum(smooth) / _const(denom)
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _checked_targets(input, target, weight, ignore_index: int, op: str):
    """The int64 target array, checked: shapes, weight, every target in [0, C) or ignored."""
    _, c, _ = _class_layout(input, target, op)
    _check_weight(weight, c, op, input)
    # PyTorch's class-index kernels take the weight in the input's dtype (probability targets
    # promote instead)
    if weight is not None and weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"{op}(): expected scalar type {input.dtype} but found {weight.dtype}: "
                           f"the class weight must have the input's dtype")
    t = target._data.astype(xp_of(input).int64, copy=False)
    if t.size:
        bad = (t != ignore_index) & ((t < 0) | (t >= c))
        if bool(bad.any()):  # one host sync: out-of-range targets must not reach the kernel
            value = int(t[bad].reshape(-1)[0])
            raise IndexError(f"{op}(): Target {value} is out of bounds: expected class indices "
                             f"in [0, {c}) (C = {c}) or ignore_index={ignore_index} (input "
                             f"{list(input.shape)}, target {list(target.shape)})")
    return t


class CrossEntropy(Function):
    """Fused cross entropy over class-index targets t (classes along ``axis``), reduced:
    l = w_t (1 - ls) (lse - x_t) + ls / C * sum_c w_c (lse - x_c)  (0 for ignored targets),
    'mean' divides the sum by the summed w_t of the non-ignored targets;
    dx = g * (softmax(x) * sum_c a_c - a),  a_c = (1 - ls) w_t [c == t] + ls / C * w_c.
    Backward is one fused kernel when no graph is being built, else the same formula from
    differentiable ops (create_graph)."""

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, ls, reduction, axis):
        be = backend_of(x._data)
        loss, lse, wt = be.cross_entropy_fwd(x._data, t, w, ignore_index, ls, axis)
        ctx.save_for_backward(x)
        ctx.lse, ctx.t, ctx.w, ctx.reduction = lse, t, w, reduction
        ctx.ignore_index, ctx.ls, ctx.axis = ignore_index, ls, axis
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "sum":
            return total
        ctx.denom = wt.sum()
        with be.quiet():  # all targets ignored: 0 / 0 = NaN, as PyTorch
            return total / ctx.denom

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        be = backend_of(x._data)
        if ctx.reduction == "mean":
            with be.quiet():
                g = g / _const(ctx.denom)
        # ignored targets get exactly 0 even when g is not finite (an all-ignored 'mean' sends
        # g = 1 / 0 = inf; PyTorch skips them): zero g on their rows
        keep = ctx.t != ctx.ignore_index
        if not _grad_state.enabled:  # no graph to build: the fused kernel
            gd = be.xp.where(keep, g._data, g._data.dtype.type(0))
            dx = be.cross_entropy_bwd(gd, x._data, ctx.lse, ctx.t, ctx.w, ctx.ignore_index,
                                      ctx.ls, ctx.axis)
            return Tensor._make(dx), None, None, None, None, None, None
        g = ew.where(_const(keep), g, 0.0)
        return _cross_entropy_grad(ctx, x, g), None, None, None, None, None, None


def _cross_entropy_grad(ctx, x, g):
    """CrossEntropy's dx from differentiable ops (for create_graph): softmax(x) * g * A minus
    g * a_t scattered at the targets, minus g * ls / C * w_c."""
    xp = xp_of(x)
    axis, ls, w, t = ctx.axis, ctx.ls, ctx.w, ctx.t
    n = x._data.shape[axis]
    keep = t != ctx.ignore_index
    safe = xp.where(keep, t, 0)
    dt = x._data.dtype
    w_t = (w[safe].astype(dt) if w is not None else xp.ones(t.shape, dtype=dt)) * keep
    w_sum = w.astype(dt).sum() if w is not None else n
    total = _const((w_t * (1.0 - ls) + keep * (ls / n) * w_sum).astype(dt))
    dx = softmax(x, axis) * unsqueeze(g * total, axis)
    outer = math.prod(x._data.shape[:axis])
    inner = math.prod(x._data.shape[axis + 1:])
    index = ((xp.arange(outer).reshape(outer, 1) * n + safe.reshape(outer, inner)) * inner
             + xp.arange(inner)).reshape(t.shape)
    a_t = g * _const((w_t * (1.0 - ls)).astype(dt))
    dx = dx - ScatterAddFlat.apply(a_t, index, tuple(x._data.shape))
    if ls:
        w_c = _const(xp.ones(n, dtype=dt) if w is None else w.astype(dt))
        smooth = unsqueeze(g * _const((keep * (ls / n)).astype(dt)), axis)
        dx = dx - smooth * w_c.reshape((n,) + (1,) * (x._data.ndim - 1 - axis))
    return dx


def _broadcast_weight(weight, like, class_dim):
    shape = [1] * like._data.ndim
    shape[class_dim] = weight._data.shape[0]
    return weight.reshape(shape)


def _cross_entropy_probs(input, logp, target, weight, ignore_index, reduction, ls, class_dim):
    op = "cross_entropy"
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}(): a floating point (probability) target must have the input's "
                           f"shape: input {list(input.shape)}, target {list(target.shape)}")
    if ignore_index != -100:
        raise RuntimeError(f"{op}(): ignore_index is not supported for floating point target")
    n_classes = input._data.shape[class_dim]
    _check_weight(weight, n_classes, op, input)
    if ls > 0:
        target = target * (1.0 - ls) + ls / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _broadcast_weight(weight, logp, class_dim)
    loss = -_sum(prod, class_dim)
    if reduction == "mean":
        n = input._data.size // n_classes if n_classes else 0
        with backend_of(input._data).quiet():
            return _sum(loss) / n if n else _sum(loss) * float("nan")
    return _reduce(loss, reduction)
