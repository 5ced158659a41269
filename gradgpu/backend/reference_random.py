"""Reference kernels (written against ``self.xp``): counter-based Philox4x32-10 random numbers and dropout masks (helper 3)."""

from __future__ import annotations


class RandomReference:
    """Mixin of ArrayKernels: the NumPy specification the CUDA kernels are tested against."""
