"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (PyTorch's form)."""

from __future__ import annotations

from .._factories import zeros_like
from ._update_helpers import (
    _arrays,
    _batches,
    _check_impl_flags,
    _check_nonnegative,
    _mark_updated,
    _state_arrays,
)
from .optimizer import Optimizer, ParamsT

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as ``torch.optim.SGD``.

    State per parameter: ``momentum_buffer`` (only when momentum is not 0).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 fused: bool | None = None) -> None:
        _check_nonnegative(lr, "learning rate")
        _check_nonnegative(momentum, "momentum value")
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_impl_flags(foreach, fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, fused=fused)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)

    def _init_state(self, param, group):
        # PyTorch keeps no state for a parameter until momentum is used
        return {} if group["momentum"] != 0 else None

    def _update_group(self, group, params, grads, states) -> None:
        """g = ±grad + wd * p;  b = g (first step) or mu * b + (1 - dampening) * g;
        g = g + mu * b (nesterov) or b;  p -= lr * g  (``be.sgd_step``)."""
        momentum = group["momentum"]
        first = None
        if momentum != 0:
            # PyTorch starts the buffer as a copy of the first gradient: the kernel writes it
            first = [s.get("momentum_buffer") is None for s in states]
            for p, s, new in zip(params, states, first):
                if new:
                    s["momentum_buffer"] = zeros_like(p)
        for (be, first_step), idx in _batches(params, first):
            be.sgd_step(_arrays(params, idx), _arrays(grads, idx),
                        None if momentum == 0 else _state_arrays(states, idx, "momentum_buffer"),
                        lr=group["lr"], momentum=momentum, dampening=group["dampening"],
                        weight_decay=group["weight_decay"], nesterov=group["nesterov"],
                        maximize=group["maximize"], first_step=bool(first_step))
        _mark_updated(params, states, ("momentum_buffer",))
