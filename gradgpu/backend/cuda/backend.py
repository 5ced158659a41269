"""``CudaBackend``: arrays on one GPU as CuPy arrays, each named kernel from ``kernels/``.

The kernel mixins override the reference implementations of ``ArrayKernels`` (written against
``self.xp``, here CuPy); anything not overridden runs as CuPy calls of the reference, which is
correct but not fused.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ... import _device
from ..array_kernels import ArrayKernels
from .block_kernels import CudaBlockKernels
from .elementwise import CudaElementwise
from .optim_kernels import CudaOptimKernels
from .random_kernels import CudaRandomKernels
from .reductions import CudaReductions

_NO_SWITCH = contextlib.nullcontext()


def _to_cupy(cp, data, dtype):
    """``cp.asarray(data, dtype)``, except that a host -0.0 keeps its sign. CuPy 14 makes a
    0-d array from a host zero of either sign as +0.0 (seen on an H100: cp.asarray(-0.0) and
    cp.asarray(np.asarray(-0.0)) both lose the sign bit, while 1-d arrays are copied bit for
    bit), so a negative zero scalar travels as a 1-element array."""
    if isinstance(data, (float, np.floating, np.ndarray)) and np.ndim(data) == 0:
        host = np.asarray(data, dtype=dtype)
        if host.dtype.kind == "f" and host == 0 and np.signbit(host):
            return cp.asarray(host.reshape(1)).reshape(())
    return cp.asarray(data, dtype=dtype)


class CudaBackend(CudaElementwise, CudaReductions, CudaBlockKernels, CudaRandomKernels,
                  CudaOptimKernels, ArrayKernels):
    """Arrays on GPU ``index`` as CuPy arrays. ``xp`` is the CuPy namespace."""

    name = "cuda"

    def __init__(self, index: int, cupy) -> None:
        self.index = index
        self.device = _device.device("cuda", index)
        self.xp = cupy
        self._cp = cupy
        # With one visible GPU it is always the current one: skip the device switch, about a
        # microsecond of every kernel call's host overhead.
        self._single_gpu = cupy.cuda.runtime.getDeviceCount() == 1

    def _on_device(self):
        """A context making this backend's GPU current (CuPy allocates and launches there)."""
        if self._single_gpu:
            return _NO_SWITCH
        return self._cp.cuda.Device(self.index)

    def asarray(self, data, dtype=None):
        with self._on_device():
            return _to_cupy(self._cp, data, dtype)

    def from_foreign(self, array):
        with self._on_device():
            return _to_cupy(self._cp, array, None)

    def copy(self, x):
        # a contiguous array by cudaMemcpyAsync: CuPy's copy() is an elementwise kernel, which
        # moved 1,580 GB/s on an H100 where a memcpy (PyTorch's clone) moved 2,818
        if x.size == 0 or not x.flags.c_contiguous:
            return x.copy()
        with self._on_device():
            out = self._cp.empty_like(x)
            out.data.copy_from_device_async(x.data, x.nbytes)
        return out

    def synchronize(self) -> None:
        self._cp.cuda.Device(self.index).synchronize()

    def argsort_stable(self, x, axis: int):
        # CuPy's sort is always stable (a radix sort) and takes no ``kind`` beyond None
        with self._on_device():
            return self._cp.argsort(x, axis=axis)

    @staticmethod
    def quiet():
        """CuPy never warns on floating-point exceptions."""
        return contextlib.nullcontext()
