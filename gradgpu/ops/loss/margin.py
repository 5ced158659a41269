"""Margin and embedding losses over pairs and triplets: margin_ranking_loss,
hinge_embedding_loss, soft_margin_loss, cosine_embedding_loss, triplet_margin_loss,
triplet_margin_with_distance_loss, composed of differentiable ops.

Hinges use clamp_min (gradient 1 at the kink), as PyTorch's kernels do."""

from __future__ import annotations

from collections.abc import Callable

from ...autograd.grad_mode import _state as _grad_state
from .. import elementwise as ew
from .._common import check_tensor, same_device
from ..distance import pairwise_distance
from ..reduction import sum as _sum
from ._reduction import _reduce, _reduction_arg


def _check(op: str, **tensors) -> None:
    for name, t in tensors.items():
        check_tensor(t, op, name)
    same_device(op, *tensors.values())


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean"):
    """l = max(0, -y (x1 - x2) + margin), over the broadcast of x1, x2 and y."""
    op = "margin_ranking_loss"
    _check(op, input1=input1, input2=input2, target=target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    return _reduce(ew.clamp_min(-target * (input1 - input2) + margin, 0.0), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """l = x where y == 1, max(0, margin - x) where y == -1 (both terms for any other y,
    as PyTorch's: x where y != -1 plus the hinge where y != 1)."""
    op = "hinge_embedding_loss"
    _check(op, input=input, target=target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    hinge = ew.where(target != 1, ew.clamp_min(margin - input, 0.0), 0.0)
    return _reduce(hinge + ew.where(target != -1, input, 0.0), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """l = log(1 + exp(-y x)) (as PyTorch's formula: inf once exp overflows)."""
    op = "soft_margin_loss"
    _check(op, input=input, target=target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    if target.requires_grad and _grad_state.enabled:  # PyTorch's kernel has no target grad
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    loss = ew.log1p(ew.exp(-input * target))
    if input._data.dtype.kind == "f" and loss._data.dtype != input._data.dtype:
        loss = loss.to(input.dtype)  # PyTorch's result has the input's dtype, whatever the target's
    return _reduce(loss, reduction)


_EPSILON = 1e-12  # PyTorch's, added to each squared norm


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean"):
    """l = 1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1, 0 else;
    cos = <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)) over the last dim."""
    op = "cosine_embedding_loss"
    _check(op, input1=input1, input2=input2, target=target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    tdim = target.ndim
    if tdim not in (0, 1):
        raise RuntimeError(f"{op}(): 0D or 1D target tensor expected, multi-target not "
                           f"supported (target shape {list(target.shape)})")
    want = tdim + 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(f"{tdim}D target tensor expects {want}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    prod = _sum(input1 * input2, tdim)
    mag1 = _sum(input1 * input1, tdim) + _EPSILON
    mag2 = _sum(input2 * input2, tdim) + _EPSILON
    cos = prod / ew.sqrt(mag1 * mag2)
    pos = ew.where(target == 1, 1 - cos, 0.0)
    neg = ew.where(target == -1, ew.clamp_min(cos - margin, 0.0), 0.0)
    return _reduce(pos + neg, reduction)


def _check_triplet(anchor, positive, negative, margin: float, op: str) -> None:
    _check(op, anchor=anchor, positive=positive, negative=negative)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, "
                           f"and negative {n}D inputs")


def _triplet(anchor, positive, negative, distance: Callable, margin: float, swap: bool):
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:  # Balntas et al.: use the positive as anchor when it is nearer the negative
        d_neg = ew.minimum(d_neg, distance(positive, negative))
    return ew.clamp_min(d_pos - d_neg + margin, 0.0)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean"):
    """l = max(0, d(a, p) - d(a, n) + margin), d = pairwise_distance(., ., p, eps) over the last
    dim; ``swap``: d(a, n) -> min(d(a, n), d(p, n))."""
    op = "triplet_margin_loss"
    reduction = _reduction_arg(size_average, reduce, reduction)
    _check_triplet(anchor, positive, negative, margin, op)

    def distance(x1, x2):
        return pairwise_distance(x1, x2, p, eps)

    return _reduce(_triplet(anchor, positive, negative, distance, margin, swap), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *,
                                      distance_function: Callable | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean"):
    """l = max(0, d(a, p) - d(a, n) + margin) for any distance d (default pairwise_distance);
    ``swap``: d(a, n) -> min(d(a, n), d(p, n))."""
    op = "triplet_margin_with_distance_loss"
    reduction = _reduction_arg(None, None, reduction)
    _check_triplet(anchor, positive, negative, margin, op)
    distance = pairwise_distance if distance_function is None else distance_function
    return _reduce(_triplet(anchor, positive, negative, distance, margin, swap), reduction)
