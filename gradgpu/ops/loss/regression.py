"""Regression losses: mse_loss, l1_loss, smooth_l1_loss, huber_loss (optional weights)."""

from __future__ import annotations

import warnings

import numpy as np

from .. import elementwise as ew
from .._common import check_tensor, same_device
from ..reduction import sum as _sum
from ._reduction import _reduce, _reduction_arg


def _difference(input, target, op: str):
    """input - target, with PyTorch's warning when the shapes differ (and broadcast)."""
    check_tensor(input, op)
    check_tensor(target, op, "target")
    same_device(op, input, target)
    if tuple(input.shape) != tuple(target.shape):
        try:
            np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
        except ValueError:
            raise RuntimeError(f"{op}(): the size of input {list(input.shape)} and target "
                               f"{list(target.shape)} cannot be broadcast together") from None
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      f"to broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
    return input - target


def _weighted(loss, weight, input, reduction, op: str, mean_by_weight: bool):
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}(): Weights and input must have the same size (weight "
                         f"{list(weight.shape)}, input {list(input.shape)}).")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return _sum(loss) / _sum(weight)
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None):
    """(input - target)^2, reduced ('mean' with weight: sum(w l) / sum(w))."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    d = _difference(input, target, "mse_loss")
    return _weighted(d * d, weight, input, reduction, "mse_loss", True)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None):
    """|input - target|, reduced ('mean' with weight: sum(w l) / sum(w))."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    d = _difference(input, target, "l1_loss")
    return _weighted(ew.abs(d), weight, input, reduction, "l1_loss", True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - beta / 2 elsewhere (d = input - target)."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = _difference(input, target, "smooth_l1_loss")
    a = ew.abs(d)
    if beta == 0:
        return _reduce(a, reduction)
    return _reduce(ew.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """0.5 d^2 where |d| < delta, delta (|d| - delta / 2) elsewhere (d = input - target)."""
    reduction = _reduction_arg(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = _difference(input, target, "huber_loss")
    a = ew.abs(d)
    loss = ew.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _weighted(loss, weight, input, reduction, "huber_loss", False)
