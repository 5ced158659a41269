"""CUDA kernels: fused multi-tensor optimizer steps (helper 4)."""

from __future__ import annotations


class CudaOptimKernels:
    """Mixin of CudaBackend (see backend.py); overrides reference kernels of ArrayKernels."""
