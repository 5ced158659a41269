"""CUDA kernels: random numbers drawn from Philox4x32-10 inside the kernels — the random
factories (``kernels/random_fill.cuh``) and dropout (``kernels/dropout.cuh``), each the numbers
of the NumPy reference (``backend/reference_random.py``) for the same key and offset.

A CUDA generator's state is a ``PhiloxStream``: a 64-bit key (the seed) and a 64-bit offset in
4-word blocks, which each fill advances past the blocks it read. So ``Generator.get_state`` /
``set_state`` work on the GPU, and the numbers never depend on the launch configuration.

The forward runs one thread per 4-element Philox block: ``i`` of the ElementwiseKernel is the
block index, launched over ``size = ceil(n / 4)`` with raw (flat, contiguous) arrays, so that one
Philox call serves the four words it produces (PyTorch's dropout does the same) and the words
depend on (key, offset, element index) alone, never on the launch configuration. The backward
is a plain elementwise multiply by the saved bool mask (broadcasting and strides are CuPy's).

float16 is storage only: its kernels compute in float, one rounding at the store.
"""

from __future__ import annotations

import numpy as np

from ..reference_random import (
    DROPOUT_STREAM,
    FILL_STREAM,
    dropout_scale,
    dropout_threshold,
    fill_words_per_element,
)
from .kernel_files import elementwise_kernel

_U64 = (1 << 64) - 1

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


class PhiloxStream:
    """The random state of a CUDA generator: key and offset (in 4-word Philox blocks)."""

    __slots__ = ("key", "offset")

    def __init__(self, key: int, offset: int = 0) -> None:
        self.key, self.offset = key & _U64, offset & _U64

    def reserve(self, blocks: int) -> int:
        """The offset of ``blocks`` fresh blocks, which this call consumes."""
        offset = self.offset
        self.offset = (offset + blocks) & _U64
        return offset


def _fill_kernel(kind: str, compute: str):
    """``y = gg::philox_<kind><compute>(key, offset, stream, i)`` over the output's elements."""
    return elementwise_kernel(
        "uint64 key, uint64 offset, uint32 stream", "T y",
        f"y = (T)gg::philox_{kind}<{compute}>(key, offset, stream, i)",
        f"gradgpu_{kind}_fill", headers=("random_fill.cuh",))


class CudaRandomKernels:
    """Mixin of CudaBackend (see backend.py): the random factories' generator and dropout."""

    # ---- the generator behind rand/randn/randint/randperm on this device ----
    def new_rng(self, seed: int) -> PhiloxStream:
        return PhiloxStream(int(seed))

    def rng_state(self, rng: PhiloxStream) -> dict:
        return {"key": rng.key, "offset": rng.offset}

    def set_rng_state(self, rng: PhiloxStream, state) -> None:
        if not isinstance(state, dict) or set(state) != {"key", "offset"}:
            raise TypeError("a CUDA generator's backend state is a dict with keys 'key' and "
                            f"'offset' (from get_state()), got {state!r}")
        rng.key, rng.offset = int(state["key"]) & _U64, int(state["offset"]) & _U64

    def _fill(self, kind: str, rng: PhiloxStream, shape, dtype):
        """A fresh array of ``shape`` filled by ``gradgpu_<kind>_fill`` (float16 is drawn in
        float32 and rounded once, as PyTorch draws it)."""
        cp = self._cp
        dtype = np.dtype(dtype)
        work = dtype if dtype.itemsize >= 4 else np.dtype(np.float32)
        compute = "double" if work == _FLOAT64 else "float"
        with self._on_device():
            y = cp.empty(shape, dtype=work)
            if y.size:
                per = fill_words_per_element(work, kind == "normal")
                offset = rng.reserve(-(-y.size * per // 4))
                _fill_kernel(kind, compute)(np.uint64(rng.key), np.uint64(offset),
                                            np.uint32(FILL_STREAM), y)
            return y.astype(dtype, copy=False)

    def uniform(self, rng: PhiloxStream, shape, dtype):
        return self._fill("uniform", rng, shape, dtype)

    def normal(self, rng: PhiloxStream, shape, dtype):
        return self._fill("normal", rng, shape, dtype)

    def randint(self, rng: PhiloxStream, low: int, high: int, shape, dtype):
        # low + floor(u (high - low)) from float64 uniforms (53 bits: a bias below 2^-20 for any
        # range under 2^32), as CuPy array ops on the drawn numbers
        u = self._fill("uniform", rng, shape, np.float64)
        with self._on_device():
            return (self._cp.floor(u * float(high - low)).astype(np.int64) + low).astype(
                dtype, copy=False)

    def permutation(self, rng: PhiloxStream, n: int):
        # the order of n float64 uniforms (ties have probability ~n^2 2^-54): CuPy's argsort
        keys = self._fill("uniform", rng, (n,), np.float64)
        with self._on_device():
            return self._cp.argsort(keys)

    # ---- dropout ----

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
