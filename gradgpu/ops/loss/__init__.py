"""Losses: cross_entropy, nll_loss, binary_cross_entropy(_with_logits), mse, l1, smooth_l1,
huber — PyTorch's signatures, reductions and edge cases, one module per family."""

from __future__ import annotations

from ._reduction import _reduction_arg
from .binary import binary_cross_entropy, binary_cross_entropy_with_logits
from .classification import cross_entropy, nll_loss
from .regression import huber_loss, l1_loss, mse_loss, smooth_l1_loss

__all__ = ["_reduction_arg", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "huber_loss", "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss"]

TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
