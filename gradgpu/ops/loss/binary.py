"""binary_cross_entropy and binary_cross_entropy_with_logits."""

from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from .. import elementwise as ew
from .._common import backend_of, check_tensor, same_device
from ..activation import logsigmoid
from ._reduction import _reduce, _reduction_arg


class BinaryCrossEntropy(Function):
    """l = -(t log x + (1 - t) log(1 - x)), each log clamped to >= -100;
    dx = g (x - t) / max(x (1 - x), 1e-12),  dt = g (log(1 - x) - log x) (clamped logs)"""

    @staticmethod
    def forward(ctx, x, t):
        be = backend_of(x._data)
        xp = be.xp
        xd, td = x._data, t._data
        ctx.save_for_backward(x, t)
        with be.quiet():
            log_x = xp.maximum(xp.log(xd), -100)
            log_1mx = xp.maximum(xp.log1p(-xd), -100)
            return ((td - 1) * log_1mx - td * log_x).astype(xd.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = g * (x - t) / ew.clamp(x * (1 - x), min=1e-12) if need[0] else None
        dt = None
        if need[1]:
            dt = g * (ew.clamp(ew.log1p(-x), min=-100) - ew.clamp(ew.log(x), min=-100))
        return dx, dt


def _check_same_size(input, target, op: str, message: str):
    check_tensor(input, op)
    check_tensor(target, op, "target")
    same_device(op, input, target)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(message.format(t=target.shape, i=input.shape))


def _check_weight_shapes(input, op: str, **weights):
    """A weight broadcasts to the input's shape, never beyond it: PyTorch writes the loss into
    an input-shaped output, so a wider weight is an error, not a silently larger loss."""
    shape = tuple(input.shape)
    for name, w in weights.items():
        if w is None:
            continue
        try:
            out = np.broadcast_shapes(shape, tuple(w.shape))
        except ValueError:
            raise RuntimeError(f"{op}(): {name} of shape {list(w.shape)} cannot be broadcast to "
                               f"the input's shape {list(shape)}") from None
        if out != shape:
            raise RuntimeError(f"{op}(): output with shape {list(shape)} doesn't match the "
                               f"broadcast shape {list(out)}")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """-w (t log x + (1 - t) log(1 - x)) for probabilities x in [0, 1] (logs clamped >= -100)."""
    op = "binary_cross_entropy"
    _check_same_size(input, target, op, "binary_cross_entropy(): Using a target size ({t}) that "
                     "is different to the input size ({i}) is deprecated. Please ensure they "
                     "have the same size.")
    reduction = _reduction_arg(size_average, reduce, reduction)
    xd, td = input._data, target._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")
    if td.dtype != xd.dtype:  # PyTorch: no promotion, and no bool or integer targets
        raise RuntimeError(f"{op}(): Found dtype {target.dtype} but expected {input.dtype} (the "
                           f"target must have the input's dtype)")
    _check_weight_shapes(input, op, weight=weight)
    if xd.size:
        # both ranges read in one host sync (NaN fails too, as in PyTorch)
        xp = backend_of(xd).xp
        bad_x, bad_t = xp.stack(((~((xd >= 0) & (xd <= 1))).any(),
                                 (~((td >= 0) & (td <= 1))).any())).tolist()
        if bad_x:
            raise RuntimeError(f"{op}(): all elements of input should be between 0 and 1")
        if bad_t:
            raise RuntimeError(f"{op}(): all elements of target should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None):
    """(1 - t) x - (1 + (pos_weight - 1) t) log(sigmoid(x)), times weight: BCE of sigmoid(x)
    computed stably for any logits."""
    op = "binary_cross_entropy_with_logits"
    _check_same_size(input, target, op, "binary_cross_entropy_with_logits(): Target size ({t}) "
                     "must be the same as input size ({i})")
    reduction = _reduction_arg(size_average, reduce, reduction)
    same_device(op, input, weight, pos_weight)
    _check_weight_shapes(input, op, weight=weight, pos_weight=pos_weight)
    ls = logsigmoid(input)
    if pos_weight is not None:
        loss = (1 - target) * input - ((pos_weight - 1) * target + 1) * ls
    else:
        loss = (1 - target) * input - ls
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)
