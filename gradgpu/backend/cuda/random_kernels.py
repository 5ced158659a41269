"""CUDA kernels: counter-based (Philox) random numbers and dropout (helper 3)."""

from __future__ import annotations


class CudaRandomKernels:
    """Mixin of CudaBackend (see backend.py); overrides reference kernels of ArrayKernels."""
