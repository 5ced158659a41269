"""Likelihood losses: kl_div, poisson_nll_loss, gaussian_nll_loss, composed of differentiable
ops (so they run on every backend and support create_graph)."""

from __future__ import annotations

import math
import warnings

from .. import elementwise as ew
from .._common import Tensor, check_tensor, same_device
from ..distance import _clamp_min_no_grad
from ..shape import unsqueeze
from ._reduction import _reduce, _reduction_arg


def _xlogx(t):
    """t log t with 0 log 0 = 0 (PyTorch's xlogy(t, t)); NaN for t < 0 as log's.
    The zero entries are masked before the log so no 0 * -inf is ever formed."""
    zero = t.detach() == 0
    return ew.where(zero, 0.0, t * ew.log(ew.where(zero, 1.0, t)))


def _check_pair(input, target, op: str) -> None:
    check_tensor(input, op)
    check_tensor(target, op, "target")
    same_device(op, input, target)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False):
    """KL divergence pointwise, input holding log-probabilities:
    l = t (log t - x) (0 where t == 0), or exp(t) (t - x) with ``log_target``;
    'batchmean' divides the sum by the batch size input.shape[0]."""
    op = "kl_div"
    _check_pair(input, target, op)
    batchmean = False
    if size_average is not None or reduce is not None:
        reduction = _reduction_arg(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          UserWarning, stacklevel=2)
        batchmean = reduction == "batchmean"
        reduction = _reduction_arg(None, None, "sum" if batchmean else reduction)
    if input._data.dtype.kind in "iub" or target._data.dtype.kind in "iub":
        raise RuntimeError(f"kl_div: Integral inputs not supported (input {input.dtype}, "
                           f"target {target.dtype}).")
    if log_target:
        loss = ew.exp(target) * (target - input)
    else:
        loss = _xlogx(target) - target * input
    out = _reduce(loss, reduction)
    if batchmean and input._data.ndim != 0:
        out = out / input._data.shape[0]
    return out


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean"):
    """Poisson negative log likelihood: l = exp(x) - t x (``log_input``), else
    x - t log(x + eps); ``full`` adds Stirling's t log t - t + log(2 pi t) / 2 where t > 1."""
    op = "poisson_nll_loss"
    _check_pair(input, target, op)
    reduction = _reduction_arg(size_average, reduce, reduction)
    if log_input:
        loss = ew.exp(input) - target * input
    else:
        loss = input - target * ew.log(input + eps)
    if full:
        big = target.detach() > 1
        # Stirling's term on t > 1 only; other entries see t = 2, so no log of 0 is formed
        ts = ew.where(big, target, 2.0)
        stirling = ts * ew.log(ts) - ts + 0.5 * ew.log(ts * (2 * math.pi))
        loss = loss + ew.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def _gaussian_var(input, var, op: str):
    """var as a tensor broadcastable to input by PyTorch's rules (checked, not clamped)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        from ..._factories import full_like  # lazily: factories import the ops

        return full_like(input, var)
    if not isinstance(var, Tensor):
        raise TypeError(f"{op}(): argument 'var' must be Tensor or float, not "
                        f"{type(var).__name__}")
    same_device(op, input, var)
    # one host sync, as PyTorch's torch.any(var < 0): a negative variance is a user error
    if var._data.size and bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    ish, vsh = tuple(input.shape), tuple(var.shape)
    if vsh != ish:
        if ish[:-1] == vsh:  # homoscedastic: one variance per sample
            return unsqueeze(var, -1)
        if len(ish) == len(vsh) and sum(v for i, v in zip(ish, vsh) if i != v) == 1:
            return var  # one broadcast (size-1) dimension
        raise ValueError(f"var is of incorrect size (input {list(ish)}, var {list(vsh)})")
    return var


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    """Gaussian negative log likelihood: l = (log(max(var, eps)) + (x - t)^2 / max(var, eps)) / 2
    (+ log(2 pi) / 2 with ``full``); the clamp passes var's gradient straight through."""
    op = "gaussian_nll_loss"
    _check_pair(input, target, op)
    var = _gaussian_var(input, var, op)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = _clamp_min_no_grad(var, float(eps))
    d = input - target
    loss = (ew.log(var) + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
