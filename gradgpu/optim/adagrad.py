"""Adagrad (Duchi et al.) with learning-rate decay, PyTorch's algorithm."""

from __future__ import annotations

from .._factories import full_like
from ._update_helpers import (
    _advance_step,
    _arrays,
    _batches,
    _check_impl_flags,
    _check_nonnegative,
    _mark_updated,
    _new_step_counter,
    _state_arrays,
)
from .optimizer import Optimizer, ParamsT

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad as ``torch.optim.Adagrad``.

    State per parameter (created at construction, like PyTorch): ``step`` and ``sum`` (filled
    with ``initial_accumulator_value``).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 fused: bool | None = None) -> None:
        _check_nonnegative(lr, "learning rate")
        _check_nonnegative(lr_decay, "lr_decay value")
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_nonnegative(initial_accumulator_value, "initial_accumulator_value value")
        _check_nonnegative(eps, "epsilon value")
        _check_impl_flags(foreach, fused)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p, group)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)

    def _init_state(self, param, group):
        return {"step": _new_step_counter(),
                "sum": full_like(param, group["initial_accumulator_value"])}

    def _update_group(self, group, params, grads, states) -> None:
        """g = ±grad + wd * p;  s += g^2;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
        (``be.adagrad_step``; t = each parameter's step count after this step)."""
        steps = [_advance_step(s) for s in states]
        for (be, step), idx in _batches(params, steps):
            be.adagrad_step(_arrays(params, idx), _arrays(grads, idx),
                            _state_arrays(states, idx, "sum"), lr=group["lr"],
                            lr_decay=group["lr_decay"], weight_decay=group["weight_decay"],
                            eps=group["eps"], maximize=group["maximize"], step=step)
        _mark_updated(params, states, ("sum",))
