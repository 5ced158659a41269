"""``CTCLoss``: the connectionist temporal classification loss module."""

from __future__ import annotations

from .. import functional as F
from .loss import _Loss

__all__ = ["CTCLoss"]


class CTCLoss(_Loss):
    """-log p(target | log_probs) summed over all CTC alignments (see ``F.ctc_loss``);
    'mean' divides each sample's loss by its target length, then averages the batch."""

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)
