"""RMSprop (Hinton), with momentum and the centered variant, PyTorch's algorithm."""

from __future__ import annotations

from .._factories import zeros_like
from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    _check_nonnegative,
    _new_step_counter,
)

__all__ = ["RMSprop"]


def _single_tensor_rmsprop(param: Tensor, grad: Tensor, state: dict, *, lr: float, alpha: float,
                           eps: float, weight_decay: float, momentum: float, centered: bool,
                           maximize: bool) -> None:
    """One RMSprop step of one parameter, in place:

    g = ±grad + wd * p;  v = alpha * v + (1 - alpha) * g^2;
    centered: ga = lerp(ga, g, 1 - alpha), d = sqrt(v - ga^2) + eps;  else d = sqrt(v) + eps;
    momentum: b = mu * b + g / d, p -= lr * b;  else p -= lr * g / d
    """
    if maximize:
        grad = -grad
    state["step"] += 1
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    square_avg = state["square_avg"]
    square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    if centered:
        grad_avg = state["grad_avg"]
        grad_avg.lerp_(grad, 1 - alpha)
        avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
    else:
        avg = square_avg.sqrt()
    avg = avg.add_(eps)
    if momentum > 0:
        buf = state["momentum_buffer"]
        buf.mul_(momentum).addcdiv_(grad, avg)
        param.add_(buf, alpha=-lr)
    else:
        param.addcdiv_(grad, avg, value=-lr)


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
        for p, g, s in zip(params, grads, states):
            _single_tensor_rmsprop(p, g, s, lr=group["lr"], alpha=group["alpha"],
                                   eps=group["eps"], weight_decay=group["weight_decay"],
                                   momentum=group["momentum"], centered=group["centered"],
                                   maximize=group["maximize"])

