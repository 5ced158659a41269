"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (PyTorch's form)."""

from __future__ import annotations

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_impl_flags, _check_nonnegative

__all__ = ["SGD"]


def _single_tensor_sgd(param: Tensor, grad: Tensor, state: dict | None, *, lr: float,
                       momentum: float, dampening: float, weight_decay: float, nesterov: bool,
                       maximize: bool) -> None:
    """One SGD step of one parameter, in place:

    g = ±grad + wd * p;  b = g (first step) or mu * b + (1 - dampening) * g;
    g = g + mu * b (nesterov) or b;  p -= lr * g
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = grad.detach().clone()
            state["momentum_buffer"] = buf
        else:
            buf.mul_(momentum).add_(grad, alpha=1 - dampening)
        grad = grad.add(buf, alpha=momentum) if nesterov else buf
    param.add_(grad, alpha=-lr)


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
        for p, g, s in zip(params, grads, states):
            _single_tensor_sgd(p, g, s, lr=group["lr"], momentum=group["momentum"],
                               dampening=group["dampening"], weight_decay=group["weight_decay"],
                               nesterov=group["nesterov"], maximize=group["maximize"])
