"""CUDA kernels: dropout with its mask drawn from Philox4x32-10 inside the kernel
(``kernels/dropout.cuh``), bit for bit the mask of the NumPy reference
(``backend/reference_random.py``) for the same generator key and offset.

The forward runs one thread per 4-element Philox block: ``i`` of the ElementwiseKernel is the
block index, launched over ``size = ceil(n / 4)`` with raw (flat, contiguous) arrays, so that one
Philox call serves the four words it produces (PyTorch's dropout does the same) and the words
depend on (key, offset, element index) alone, never on the launch configuration. The backward
is a plain elementwise multiply by the saved bool mask (broadcasting and strides are CuPy's).

float16 is storage only: its kernels compute in float, one rounding at the store.
"""

from __future__ import annotations

import numpy as np

from ..reference_random import DROPOUT_STREAM, dropout_scale, dropout_threshold
from .kernel_files import elementwise_kernel

_FLOAT64 = np.dtype(np.float64)


def _compute(dtype) -> tuple[str, type]:
    """(C type, NumPy scalar type) of the arithmetic for a storage dtype."""
    return ("double", np.float64) if dtype == _FLOAT64 else ("float", np.float32)


def _fwd_kernel(compute: str):
    scale = "float64" if compute == "double" else "float32"
    return elementwise_kernel(
        f"raw T x, uint64 key, uint64 offset, uint32 stream, uint64 threshold, {scale} scale, "
        "int64 total",
        "raw T y, raw bool mask",
        f"gg::dropout_fwd_block<{compute}>(&x[0], &y[0], &mask[0], i, total, key, offset, "
        "stream, threshold, scale)",
        "gradgpu_dropout_fwd", headers=("dropout.cuh",))


def _bwd_kernel(compute: str):
    scale = "float64" if compute == "double" else "float32"
    return elementwise_kernel(
        f"T g, bool mask, {scale} scale", "T dx",
        f"dx = (T)gg::dropout_apply<{compute}>(({compute})g, mask, scale)",
        "gradgpu_dropout_bwd", headers=("dropout.cuh",))


class CudaRandomKernels:
    """Mixin of CudaBackend (see backend.py); overrides reference kernels of ArrayKernels."""

    def dropout_fwd(self, x, p: float, key: int, offset: int) -> tuple:
        """(y, mask) as RandomReference.dropout_fwd, the mask drawn in the kernel."""
        cp = self._cp
        threshold = dropout_threshold(p)
        n = x.size
        with self._on_device():
            if n == 0 or threshold == 0 or threshold == 1 << 32:  # nothing random to draw
                mask = cp.full(x.shape, threshold != 0, dtype=cp.bool_)
                return self.dropout_bwd(x, mask, p), mask
            flat = cp.ascontiguousarray(x).reshape(-1)  # raw arrays are indexed in C order
            y = cp.empty(n, dtype=x.dtype)
            mask = cp.empty(n, dtype=cp.bool_)
            compute, scalar = _compute(x.dtype)
            _fwd_kernel(compute)(flat, np.uint64(key), np.uint64(offset),
                                 np.uint32(DROPOUT_STREAM), np.uint64(threshold),
                                 scalar(dropout_scale(p)), np.int64(n), y, mask,
                                 size=-(-n // 4))
            return y.reshape(x.shape), mask.reshape(x.shape)

    def dropout_bwd(self, g, mask, p: float):
        """g * mask / (1 - p), as RandomReference.dropout_bwd."""
        compute, scalar = _compute(g.dtype)
        with self._on_device():
            return _bwd_kernel(compute)(g, mask, scalar(dropout_scale(p)))
