"""``FeatureAlphaDropout``: SELU-preserving dropout of whole channels."""

from __future__ import annotations

from .. import functional as F
from .dropout import Dropout

__all__ = ["FeatureAlphaDropout"]


class FeatureAlphaDropout(Dropout):
    """In training, alpha-dropout whole channels (dim 1) with probability p, keeping zero mean
    and unit variance for SELU networks; identity in eval mode."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
