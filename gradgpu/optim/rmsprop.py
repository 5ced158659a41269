"""RMSprop (Hinton), with momentum and the centered variant, PyTorch's algorithm."""

from __future__ import annotations

from .._factories import zeros_like
from ._update_helpers import (
    _advance_step,
    _arrays,
    _batches,
    _check_nonnegative,
    _mark_updated,
    _new_step_counter,
    _state_arrays,
)
from .optimizer import Optimizer, ParamsT

__all__ = ["RMSprop"]

_RMSPROP_STATE = ("square_avg", "grad_avg", "momentum_buffer")


class RMSprop(Optimizer):
    """RMSprop as ``torch.optim.RMSprop``.

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0) and
    ``grad_avg`` (centered).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        _check_nonnegative(lr, "learning rate")
        _check_nonnegative(eps, "epsilon value")
        _check_nonnegative(momentum, "momentum value")
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_nonnegative(alpha, "alpha value")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("maximize", False)

    def _init_state(self, param, group):
        state = {"step": _new_step_counter(), "square_avg": zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = zeros_like(param)
        return state

    def _update_group(self, group, params, grads, states) -> None:
        """g = ±grad + wd * p;  v = alpha * v + (1 - alpha) * g^2;
        centered: ga = lerp(ga, g, 1 - alpha), d = sqrt(v - ga^2) + eps;  else d = sqrt(v) + eps;
        momentum: b = mu * b + g / d, p -= lr * b;  else p -= lr * g / d  (``be.rmsprop_step``)."""
        for s in states:
            _advance_step(s)  # counted as PyTorch does; the update does not use it
        momentum, centered = group["momentum"], group["centered"]
        for (be, _), idx in _batches(params):
            be.rmsprop_step(_arrays(params, idx), _arrays(grads, idx),
                            _state_arrays(states, idx, "square_avg"),
                            _state_arrays(states, idx, "grad_avg") if centered else None,
                            _state_arrays(states, idx, "momentum_buffer") if momentum > 0
                            else None,
                            lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                            weight_decay=group["weight_decay"], momentum=momentum,
                            centered=centered, maximize=group["maximize"])
        _mark_updated(params, states, _RMSPROP_STATE)
