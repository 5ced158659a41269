"""CUDA kernels: one ElementwiseKernel per entry of backend/elementwise_spec.py (lead)."""

from __future__ import annotations


class CudaElementwise:
    """Mixin of CudaBackend (see backend.py); overrides reference kernels of ArrayKernels."""
