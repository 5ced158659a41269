"""Rprop (Riedmiller & Braun: resilient backpropagation), PyTorch's algorithm step for step."""

from __future__ import annotations

from .._factories import full_like, zeros_like
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

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop as ``torch.optim.Rprop``: each element moves by its own step size against the sign
    of its gradient; the step size grows by ``etas[1]`` while the sign holds and shrinks by
    ``etas[0]`` when it flips (within ``step_sizes`` = (min, max)).

    State per parameter: ``step`` (0-d float tensor), ``prev`` (the last gradient used) and
    ``step_size`` (starting at the group's lr when the state is created).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_nonnegative(lr, "learning rate")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_graph_flags("Rprop", capturable, differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step_counter(), "prev": zeros_like(param),
                "step_size": full_like(param, group["lr"])}

    def _update_group(self, group, params, grads, states) -> None:
        """g = ±grad;  s = sign(g * prev);  step_size *= etaplus (s > 0), etaminus (s < 0) or
        1, clamped to step_sizes;  g = 0 where s < 0;  p -= sign(g) * step_size;  prev = g
        (``be.rprop_step``)."""
        for s in states:
            _advance_step(s)  # counted as PyTorch does; the update does not use it
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for (be, _), idx in _batches(params):
            be.rprop_step(_arrays(params, idx), _arrays(grads, idx),
                          _state_arrays(states, idx, "prev"),
                          _state_arrays(states, idx, "step_size"),
                          etaminus=etaminus, etaplus=etaplus, step_size_min=step_size_min,
                          step_size_max=step_size_max, maximize=group["maximize"])
        _mark_updated(params, states, ("prev", "step_size"))
