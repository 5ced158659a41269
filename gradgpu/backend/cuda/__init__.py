"""The CUDA backend: arrays are CuPy arrays on an NVIDIA GPU; the only package importing cupy.

- ``runtime``: is CUDA usable, and if not, why (CuPy missing, no device, no driver, driver too old).
- ``kernel_files``: finds the CUDA C source in ``kernels/`` and builds memoized kernel objects.
- ``backend``: ``CudaBackend``, composed of the kernel mixins (``elementwise``, ``block_kernels``,
  ``random_kernels``, ``optim_kernels``) over the ``ArrayKernels`` reference.
"""

from __future__ import annotations

from .runtime import device_count, is_available, require_cuda, unavailable_reason

__all__ = ["backend_for_array", "device_count", "get_backend", "is_available", "require_cuda",
           "unavailable_reason"]

_BACKENDS: dict = {}


def get_backend(index: int | None):
    """The backend for ``cuda:index`` (current device when None); raises if CUDA is unusable."""
    cupy = require_cuda("cuda device")
    if index is None:
        index = cupy.cuda.runtime.getDevice()
    be = _BACKENDS.get(index)
    if be is None:
        count = cupy.cuda.runtime.getDeviceCount()
        if not 0 <= index < count:
            raise RuntimeError(
                f"CUDA error: invalid device ordinal: cuda:{index} requested, {count} visible"
            )
        from .backend import CudaBackend

        be = _BACKENDS[index] = CudaBackend(index, cupy)
    return be


def backend_for_array(array):
    """The backend owning a CuPy array, or None when ``array`` is not one."""
    if not type(array).__module__.startswith("cupy"):
        return None
    return get_backend(array.device.id)
