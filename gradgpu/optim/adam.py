"""Adam (with AMSGrad) and AdamW, PyTorch's algorithms step for step."""

from __future__ import annotations

from .._factories import zeros_like
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

__all__ = ["Adam", "AdamW"]

_ADAM_STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally AMSGrad, as ``torch.optim.Adam``.

    ``weight_decay`` adds ``wd * p`` to the gradient (L2), unless ``decoupled_weight_decay``
    (AdamW). State per parameter: ``step`` (0-d float tensor), ``exp_avg``, ``exp_avg_sq`` and,
    with amsgrad, ``max_exp_avg_sq``.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        _check_nonnegative(lr, "learning rate")
        _check_nonnegative(eps, "epsilon value")
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_impl_flags(foreach, fused)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("decoupled_weight_decay", False)

    def _init_state(self, param, group):
        state = {"step": _new_step_counter(), "exp_avg": zeros_like(param),
                 "exp_avg_sq": zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(param)
        return state

    def _update_group(self, group, params, grads, states) -> None:
        """g = ±grad (+ wd * p, or p *= 1 - lr * wd when decoupled);  m = lerp(m, g, 1 - b1);
        v = b2 * v + (1 - b2) * g^2;  v_max = max(v_max, v) (amsgrad);
        p -= lr / (1 - b1^t) * m / (sqrt(v or v_max) / sqrt(1 - b2^t) + eps)  (``be.adam_step``;
        t = each parameter's step count after this step)."""
        beta1, beta2 = group["betas"]
        amsgrad = group["amsgrad"]
        steps = [_advance_step(s) for s in states]
        for (be, step), idx in _batches(params, steps):
            be.adam_step(_arrays(params, idx), _arrays(grads, idx),
                         _state_arrays(states, idx, "exp_avg"),
                         _state_arrays(states, idx, "exp_avg_sq"),
                         _state_arrays(states, idx, "max_exp_avg_sq") if amsgrad else None,
                         lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                         weight_decay=group["weight_decay"], amsgrad=amsgrad,
                         maximize=group["maximize"],
                         decoupled_weight_decay=group["decoupled_weight_decay"], step=step)
        _mark_updated(params, states, _ADAM_STATE)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``:
    ``p *= 1 - lr * wd`` before the Adam update instead of adding ``wd * p`` to the gradient."""

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, fused=fused, decoupled_weight_decay=True)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
