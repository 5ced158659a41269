"""``gradgpu.func``: PyTorch's ``torch.func`` namespace; only ``functional_call`` (no vmap or
grad transforms)."""

from __future__ import annotations

from .nn.utils.stateless import _functional_call as functional_call

__all__ = ["functional_call"]
