"""Reference kernels (written against ``self.xp``): optimizer steps over many parameters at once (helper 4)."""

from __future__ import annotations


class OptimReference:
    """Mixin of ArrayKernels: the NumPy specification the CUDA kernels are tested against."""
