"""Adam (with AMSGrad) and AdamW, PyTorch's algorithms step for step."""

from __future__ import annotations

from .._factories import zeros_like
from ..ops.elementwise import maximum
from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    _check_impl_flags,
    _check_nonnegative,
    _new_step_counter,
)

__all__ = ["Adam", "AdamW"]


def _single_tensor_adam(param: Tensor, grad: Tensor, state: dict, *, lr: float, beta1: float,
                        beta2: float, eps: float, weight_decay: float, amsgrad: bool,
                        maximize: bool, decoupled_weight_decay: bool) -> None:
    """One Adam step of one parameter, in place (t = the step count after this step):

    g = ±grad (+ wd * p, or p *= 1 - lr * wd when decoupled);  m = lerp(m, g, 1 - b1);
    v = b2 * v + (1 - b2) * g^2;  v_max = max(v_max, v) (amsgrad);
    p -= lr / (1 - b1^t) * m / (sqrt(v or v_max) / sqrt(1 - b2^t) + eps)
    """
    if maximize:
        grad = -grad
    step_t = state["step"]
    step_t += 1
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(param, alpha=weight_decay)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

    step = step_t.item()
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    step_size = lr / bias_correction1
    if amsgrad:
        max_exp_avg_sq = state["max_exp_avg_sq"]
        max_exp_avg_sq.copy_(maximum(max_exp_avg_sq, exp_avg_sq))
        denom = (max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    else:
        denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    param.addcdiv_(exp_avg, denom, value=-step_size)


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
        beta1, beta2 = group["betas"]
        for p, g, s in zip(params, grads, states):
            _single_tensor_adam(p, g, s, lr=group["lr"], beta1=beta1, beta2=beta2,
                                eps=group["eps"], weight_decay=group["weight_decay"],
                                amsgrad=group["amsgrad"], maximize=group["maximize"],
                                decoupled_weight_decay=group["decoupled_weight_decay"])


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
