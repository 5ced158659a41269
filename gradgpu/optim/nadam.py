"""NAdam (Dozat: Adam with Nesterov momentum) and RAdam (Liu et al.: rectified Adam), PyTorch's
algorithms step for step."""

from __future__ import annotations

from .._factories import ones, zeros_like
from ..backend.reference_optim_adaptive import nadam_mu
from ._update_helpers import (
    _advance_step,
    _arrays,
    _batches,
    _check_graph_flags,
    _check_nonnegative,
    _mark_updated,
    _new_step_counter,
    _scalar_dtype,
    _state_arrays,
)
from .optimizer import Optimizer, ParamsT

__all__ = ["NAdam", "RAdam"]

_MOMENTS = ("exp_avg", "exp_avg_sq")


def _check_adam_options(lr, betas, eps, weight_decay) -> None:
    _check_nonnegative(lr, "learning rate")
    _check_nonnegative(eps, "epsilon value")
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
    _check_nonnegative(weight_decay, "weight_decay value")


class NAdam(Optimizer):
    """NAdam as ``torch.optim.NAdam``: Adam whose momentum mu_t = beta1 (1 - 0.96^(t psi) / 2)
    (psi = ``momentum_decay``) is applied Nesterov-style. ``weight_decay`` adds ``wd * p`` to
    the gradient, unless ``decoupled_weight_decay`` (NAdamW: ``p *= 1 - lr * wd``).

    State per parameter: ``step`` and ``mu_product`` (0-d float tensors on the CPU: mu_1..mu_t),
    ``exp_avg`` and ``exp_avg_sq``.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        _check_nonnegative(momentum_decay, "momentum_decay value")
        _check_graph_flags("NAdam", capturable, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step_counter(), "mu_product": ones((), dtype=_scalar_dtype()),
                "exp_avg": zeros_like(param), "exp_avg_sq": zeros_like(param)}

    def _update_group(self, group, params, grads, states) -> None:
        """g = ±grad (+ wd * p, or p *= 1 - lr * wd when decoupled);  mu_prod *= mu_t;
        m = lerp(m, g, 1 - b1);  v = b2 * v + (1 - b2) * g^2;  d = sqrt(v / (1 - b2^t)) + eps;
        p -= lr (1 - mu_t) / (1 - mu_prod) * g / d + lr mu_{t+1} / (1 - mu_prod mu_{t+1}) * m / d
        (``be.nadam_step``)."""
        beta1, beta2 = group["betas"]
        keys = []
        for state in states:
            step = _advance_step(state)
            mu_product = state["mu_product"]
            # rounded to the counter's dtype (float32 by default), as PyTorch's 0-d state
            mu_product *= nadam_mu(beta1=beta1, momentum_decay=group["momentum_decay"],
                                   step=step)
            keys.append((step, mu_product.item()))
        for (be, (step, mu_product)), idx in _batches(params, keys):
            be.nadam_step(_arrays(params, idx), _arrays(grads, idx),
                          _state_arrays(states, idx, "exp_avg"),
                          _state_arrays(states, idx, "exp_avg_sq"),
                          lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                          weight_decay=group["weight_decay"],
                          momentum_decay=group["momentum_decay"], maximize=group["maximize"],
                          decoupled_weight_decay=group["decoupled_weight_decay"], step=step,
                          mu_product=mu_product)
        _mark_updated(params, states, _MOMENTS)


class RAdam(Optimizer):
    """RAdam as ``torch.optim.RAdam``: Adam whose adaptive term is switched on, rectified by
    r_t, once the length of the approximated SMA rho_t exceeds 5 (plain momentum SGD before).
    ``weight_decay`` adds ``wd * p`` to the gradient, unless ``decoupled_weight_decay``
    (``p *= 1 - lr * wd``).

    State per parameter: ``step`` (0-d float tensor), ``exp_avg`` and ``exp_avg_sq``.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        _check_graph_flags("RAdam", capturable, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _new_step_counter(), "exp_avg": zeros_like(param),
                "exp_avg_sq": zeros_like(param)}

    def _update_group(self, group, params, grads, states) -> None:
        """g = ±grad (+ wd * p, or p *= 1 - lr * wd when decoupled);  m = lerp(m, g, 1 - b1);
        v = b2 * v + (1 - b2) * g^2;  m_hat = m / (1 - b1^t);
        rho_t > 5: p -= lr * m_hat * sqrt(1 - b2^t) / (sqrt(v) + eps) * r_t;  else
        p -= lr * m_hat  (``be.radam_step``)."""
        beta1, beta2 = group["betas"]
        steps = [_advance_step(s) for s in states]
        for (be, step), idx in _batches(params, steps):
            be.radam_step(_arrays(params, idx), _arrays(grads, idx),
                          _state_arrays(states, idx, "exp_avg"),
                          _state_arrays(states, idx, "exp_avg_sq"),
                          lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                          weight_decay=group["weight_decay"], maximize=group["maximize"],
                          decoupled_weight_decay=group["decoupled_weight_decay"], step=step)
        _mark_updated(params, states, _MOMENTS)
