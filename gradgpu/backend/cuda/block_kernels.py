"""CUDA kernels: RawModule kernels from kernels/*.cu: softmax rows, cross entropy, layer norm, im2col/col2im, pooling, scatter-add (helper 2)."""

from __future__ import annotations


class CudaBlockKernels:
    """Mixin of CudaBackend (see backend.py); overrides reference kernels of ArrayKernels."""
