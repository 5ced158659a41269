"""The array boundary: which backend (NumPy or CUDA/CuPy) owns an array, and its kernels.

Ops never import an array library. They ask ``backend_of(array)`` for the backend that owns
their inputs and use its ``xp`` namespace (NumPy and CuPy share that API) or its named kernels
(``be.softmax``, ``be.im2col``, ...), which a backend may implement with fused code of its own.
Only the ``cuda`` package imports cupy.
"""

from __future__ import annotations

import numpy as np

from .numpy_backend import NUMPY, NumpyBackend

__all__ = ["backend_of", "get_backend", "NUMPY", "NumpyBackend", "is_array"]

_ndarray = np.ndarray


def backend_of(array):
    """The backend that owns ``array`` (NumPy for numpy.ndarray, CUDA for cupy.ndarray)."""
    if type(array) is _ndarray:
        return NUMPY
    from . import cuda

    be = cuda.backend_for_array(array)
    if be is None:
        raise TypeError(f"gradgpu: unsupported array type {type(array).__module__}."
                        f"{type(array).__name__}")
    return be


def is_array(obj) -> bool:
    """Whether obj is an array one of our backends can own (without importing cupy)."""
    if isinstance(obj, _ndarray):
        return True
    return type(obj).__module__.startswith("cupy") and hasattr(obj, "__cuda_array_interface__")


def get_backend(device):
    """The backend for a ``gradgpu.device``; raises a clear error when CUDA is unusable."""
    if device.type == "cpu":
        return NUMPY
    from . import cuda

    return cuda.get_backend(device.index)
