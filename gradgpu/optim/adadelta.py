"""Adadelta (Zeiler), PyTorch's algorithm step for step."""

from __future__ import annotations

from .._factories import zeros_like
from ._update_helpers import (
    _advance_step,
    _arrays,
    _batches,
    _check_graph_flags,
    _check_nonnegative,
    _mark_updated,
    _new_step_counter,
    _state_arrays,
)
from .optimizer import Optimizer, ParamsT

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta as ``torch.optim.Adadelta``.

    State per parameter: ``step`` (0-d float tensor), ``square_avg`` and ``acc_delta``.
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_nonnegative(lr, "learning rate")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(eps, "epsilon value")
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_graph_flags("Adadelta", capturable, differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step_counter(), "square_avg": zeros_like(param),
                "acc_delta": zeros_like(param)}

    def _update_group(self, group, params, grads, states) -> None:
        """g = ±grad + wd * p;  v = rho * v + (1 - rho) * g^2;
        delta = sqrt(a + eps) / sqrt(v + eps) * g;  a = rho * a + (1 - rho) * delta^2;
        p -= lr * delta  (``be.adadelta_step``)."""
        for s in states:
            _advance_step(s)  # counted as PyTorch does; the update does not use it
        for (be, _), idx in _batches(params):
            be.adadelta_step(_arrays(params, idx), _arrays(grads, idx),
                             _state_arrays(states, idx, "square_avg"),
                             _state_arrays(states, idx, "acc_delta"),
                             lr=group["lr"], rho=group["rho"], eps=group["eps"],
                             weight_decay=group["weight_decay"], maximize=group["maximize"])
        _mark_updated(params, states, ("square_avg", "acc_delta"))
