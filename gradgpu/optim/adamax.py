"""Adamax (Kingma & Ba: Adam with the infinity norm), PyTorch's algorithm step for step."""

from __future__ import annotations

from .._factories import zeros_like
from ._update_helpers import (
    _advance_step,
    _arrays,
    _batches,
    _check_graph_flags,
    _mark_updated,
    _new_step_counter,
    _state_arrays,
)
from .nadam import _check_adam_options
from .optimizer import Optimizer, ParamsT

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax as ``torch.optim.Adamax``.

    State per parameter: ``step`` (0-d float tensor), ``exp_avg`` and ``exp_inf`` (the
    exponentially weighted infinity norm).
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        _check_graph_flags("Adamax", capturable, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step_counter(), "exp_avg": zeros_like(param),
                "exp_inf": zeros_like(param)}

    def _update_group(self, group, params, grads, states) -> None:
        """g = ±grad + wd * p;  m = lerp(m, g, 1 - b1);  u = max(b2 * u, |g| + eps);
        p -= lr / (1 - b1^t) * m / u  (``be.adamax_step``)."""
        beta1, beta2 = group["betas"]
        steps = [_advance_step(s) for s in states]
        for (be, step), idx in _batches(params, steps):
            be.adamax_step(_arrays(params, idx), _arrays(grads, idx),
                           _state_arrays(states, idx, "exp_avg"),
                           _state_arrays(states, idx, "exp_inf"),
                           lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                           weight_decay=group["weight_decay"], maximize=group["maximize"],
                           step=step)
        _mark_updated(params, states, ("exp_avg", "exp_inf"))
