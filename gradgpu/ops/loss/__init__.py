"""Losses: cross_entropy, nll_loss, binary_cross_entropy(_with_logits), mse, l1, smooth_l1,
huber, and the likelihood / margin losses (kl_div, poisson and gaussian NLL, ranking, hinge,
soft margin, cosine embedding, triplet, multi-class margin) — PyTorch's signatures,
reductions and edge cases, one module per family."""

from __future__ import annotations

from ._reduction import _reduction_arg
from .binary import binary_cross_entropy, binary_cross_entropy_with_logits
from .classification import cross_entropy, nll_loss
from .ctc import ctc_loss
from .margin import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from .multiclass_margin import (
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
)
from .probabilistic import gaussian_nll_loss, kl_div, poisson_nll_loss
from .regression import huber_loss, l1_loss, mse_loss, smooth_l1_loss

__all__ = ["_reduction_arg", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "huber_loss", "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss",
           "cosine_embedding_loss", "gaussian_nll_loss", "hinge_embedding_loss", "kl_div",
           "margin_ranking_loss", "multi_margin_loss", "multilabel_margin_loss",
           "multilabel_soft_margin_loss", "poisson_nll_loss", "soft_margin_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss"]

TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
