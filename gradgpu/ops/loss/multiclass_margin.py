"""Multi-class / multi-label margin losses: multilabel_soft_margin_loss, multi_margin_loss,
multilabel_margin_loss, composed of differentiable ops (gather, relu, masked sums).

The hinges use relu (gradient 0 at the kink), as PyTorch's kernels test ``z > 0``."""

from __future__ import annotations

from .. import elementwise as ew
from .._common import check_tensor, same_device, xp_of
from ..activation import logsigmoid
from ..indexing import gather
from ..reduction import sum as _sum
from ._reduction import _const, _reduce, _reduction_arg


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean"):
    """l = -mean_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)) over the last
    (class) dim: one loss per sample."""
    op = "multilabel_soft_margin_loss"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    same_device(op, input, target, weight)
    if size_average is not None or reduce is not None:
        reduction = _reduction_arg(size_average, reduce, reduction)
    elif reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if input.ndim == 0:
        raise IndexError(f"{op}(): Dimension specified as -1 but tensor has no dimensions (the "
                         f"input needs a class dimension)")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    n_classes = input._data.shape[-1]
    return _reduce(_sum(loss, input.ndim - 1) / n_classes, reduction)


def _margin_layout(input, target, op: str):
    """(N, C) of a 0-d, (C,) or (N, C) input, with PyTorch's checks on input and target dtype."""
    shape = tuple(input.shape)
    if not (len(shape) == 0 or (len(shape) in (1, 2) and shape[-1] != 0)):
        raise RuntimeError(f"{op}(): Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got: {list(shape)}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): expected scalar type Long but found {target.dtype} (target "
                           f"holds class indices)")
    n = shape[0] if len(shape) == 2 else 1
    c = shape[-1] if shape else 1
    return n, c


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean"):
    """l_n = sum_{i != y} w_y max(0, margin - x[y] + x[i])^p / C per sample (p = 1 or 2)."""
    op = "multi_margin_loss"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    same_device(op, input, target, weight)
    reduction = _reduction_arg(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError(f"weight must be one-dimensional (got shape {list(weight.shape)})")
    n, c = _margin_layout(input, target, op)
    if target.ndim > 1 or target._data.size != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None:
        if weight._data.size != c:
            raise RuntimeError(f"{op}(): inconsistent weight size, expected {c} but got "
                               f"{list(weight.shape)}")
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"{op}(): expected scalar type {input.dtype} but found "
                               f"{weight.dtype} (weight must have the input's dtype)")
    xp = xp_of(input)
    t = target._data.reshape(n).astype(xp.int64, copy=False)
    # one host sync, as nll_loss: an out-of-range target must not reach the gather
    if t.size and bool(((t < 0) | (t >= c)).any()):
        raise RuntimeError(f"{op}(): target out of range: expected class indices in [0, {c}) "
                           f"(input {list(input.shape)})")
    x = input.reshape(n, c)
    ti = t.reshape(n, 1)
    z = ew.relu(margin - gather(x, 1, _const(ti)) + x)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * _const(weight._data[ti])  # the class weight of each sample's target
    others = xp.arange(c, dtype=xp.int64) != ti  # the target's own term is left out
    loss = _sum(ew.where(_const(others), z, 0.0), 1) / c
    if reduction == "none":
        return loss if target.ndim > 0 else loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None,
                           reduction: str = "mean"):
    """l_n = sum_j sum_{i not a target} max(0, 1 - (x[y_j] - x[i])) / C, over the target
    classes y_j listed before the first -1 in each row of ``target``."""
    op = "multilabel_margin_loss"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    same_device(op, input, target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    n, c = _margin_layout(input, target, op)
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}(): inconsistent target size: {list(target.shape)} for input "
                           f"of size: {list(input.shape)}")
    xp = xp_of(input)
    t = target._data.reshape(n, c).astype(xp.int64, copy=False)
    if t.size and bool(((t < -1) | (t >= c)).any()):  # one host sync, as PyTorch's check
        raise RuntimeError(f"{op}(): argument #2 'target' is out of range: expected class "
                           f"indices in [0, {c}) or -1 (input {list(input.shape)})")
    valid = xp.cumprod(t != -1, axis=1).astype(bool)  # targets before the first -1
    safe = xp.where(valid, t, 0)
    classes = xp.arange(c, dtype=xp.int64)
    is_target = ((safe[:, :, None] == classes) & valid[:, :, None]).any(axis=1)  # (N, C)
    x = input.reshape(n, c)
    x_t = gather(x, 1, _const(safe))  # (N, J): the input at each listed target
    z = ew.relu(1 - x_t.reshape(n, c, 1) + x.reshape(n, 1, c))  # (N, J, C)
    pairs = valid[:, :, None] & ~is_target[:, None, :]
    loss = _sum(ew.where(_const(pairs), z, 0.0), (1, 2)) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)

