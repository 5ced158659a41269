"""Gradient clipping: ``clip_grad_norm_`` (rescale all gradients together) and
``clip_grad_value_`` (clamp each element)."""

from __future__ import annotations

import math
import warnings

from ... import _factories
from ...autograd.grad_mode import no_grad
from ...backend import backend_of
from ...ops._common import _other_device
from ...ops.reduction import norm
from ...ops.shape import stack
from ...tensor import Tensor


def _as_list(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)  # a generator (model.parameters()) may be walked only once


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The p-norm of the concatenation of ``tensors``: norm(stack([norm(t) for t]))
    (max |t| for p = inf); a 0-d tensor (0.0 when there are none)."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return _factories.tensor(0.0)
    total = _total_norm_on_arrays(tensors, norm_type)
    if total is None:
        with no_grad():
            first_device = tensors[0].device
            norms = [norm(t, norm_type).to(first_device) for t in tensors]
            if norm_type == math.inf:
                total = norms[0] if len(norms) == 1 else stack(norms).max()
            else:
                total = norm(stack(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


def _total_norm_on_arrays(tensors: list, p: float) -> Tensor | None:
    """get_total_norm's value computed on the arrays directly (PyTorch's foreach path), or None
    when the general path must run: another norm type, an empty tensor, several devices.

    The same reductions as ``norm`` and ``stack`` (so the same result, float16 included), without
    building three tensors per parameter: clipping a model's gradients cost more than its
    optimizer step."""
    if not (p == math.inf or 0 < p < math.inf):
        return None
    first = tensors[0]._data
    be = backend_of(first)
    norms = []
    for t in tensors:
        a = t._data
        if a.size == 0 or _other_device(first, a):
            return None
        norms.append(be.xp.abs(a).max() if p == math.inf else be.reduce_norm(a, p, None, False))
    if len(norms) == 1:
        return Tensor._make(be.xp.asarray(norms[0]))
    stacked = be.xp.stack(norms)
    total = stacked.max() if p == math.inf else be.reduce_norm(stacked, p, None, False)
    return Tensor._make(be.xp.asarray(total))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients in place by min(1, max_norm / (total_norm + 1e-6)), where
    total_norm is the p-norm of all gradients together; returns total_norm (a 0-d tensor)."""
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor,
                          foreach=None) -> None:
    """Scale all gradients in place by min(1, max_norm / (total_norm + 1e-6)), with
    ``total_norm`` given (e.g. by ``get_total_norm``)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    total = total_norm if isinstance(total_norm, Tensor) else _factories.tensor(total_norm)
    with no_grad():
        coef = (float(max_norm) / (total + 1e-6)).clamp(max=1.0)
        scale_by = {}  # coef once per (device, dtype), in the dtype g.mul_ would multiply in
        for g in grads:
            key = (g.device, g._data.dtype)
            if key not in scale_by:
                scale_by[key] = coef.to(device=g.device, dtype=g.dtype)._data
            # g.mul_(coef) on the array: same device and dtype, so nothing to check or promote
            a = g._data
            with backend_of(a).quiet():
                backend_of(a).xp.multiply(a, scale_by[key], out=a)
            g._version_counter[0] += 1


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_`` (warns, as PyTorch does)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
