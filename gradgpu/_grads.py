"""What ``Module.zero_grad`` and ``Optimizer.zero_grad`` share."""

from __future__ import annotations


def zero_grads(params, set_to_none: bool) -> None:
    """Reset each parameter's ``.grad``: to None, or to zeros in place (first cut from any graph
    it belongs to, as PyTorch does)."""
    for p in params:
        grad = p._grad
        if grad is None:
            continue
        if set_to_none:
            p._grad = None
            continue
        if grad._grad_fn is not None:
            grad.detach_()
        else:
            grad.requires_grad_(False)
        grad.zero_()
