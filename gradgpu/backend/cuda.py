"""The CUDA backend: arrays are CuPy arrays on an NVIDIA GPU. The only module importing cupy.

CuPy is optional. ``import cupy`` can succeed on a machine with no usable GPU, so availability
is decided by ``cupy.is_available()`` and, when it is False, ``unavailable_reason()`` says which of
the three usual causes applies (CuPy missing, no device, driver too old) and what to do.
"""

from __future__ import annotations

import contextlib
import functools

from .. import _device
from .array_kernels import ArrayKernels

_INSTALL_HINT = (
    "install CuPy for your CUDA version: pip install 'gradgpu[cuda12]' (CUDA 12.x) or "
    "pip install 'gradgpu[cuda13]' (CUDA 13.x)"
)


@functools.lru_cache(maxsize=1)
def _import_cupy():
    """(cupy module or None, the ImportError message or None)."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA library load
        return None, f"{type(exc).__name__}: {exc}"
    return cupy, None


def unavailable_reason() -> str | None:
    """None when a CUDA device is usable, else a sentence naming the cause and the fix."""
    cupy, err = _import_cupy()
    if cupy is None:
        return f"CuPy is not installed or failed to import ({err}); {_INSTALL_HINT}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError
        text = str(exc)
        if "InsufficientDriver" in text or "driver version is insufficient" in text:
            return (
                f"the NVIDIA driver is too old for this CuPy build ({text}); update the driver, "
                f"or install the CuPy wheel for an older CUDA ({_INSTALL_HINT})"
            )
        if "NoDevice" in text or "no CUDA-capable device" in text:
            return f"no CUDA device was found ({text}); run on a machine with an NVIDIA GPU"
        return f"CUDA could not be initialized ({text})"
    if count == 0:
        return "no CUDA device was found; run on a machine with an NVIDIA GPU"
    return None


def is_available() -> bool:
    """Whether a CUDA device can be used (CuPy installed and a GPU with a recent driver)."""
    return unavailable_reason() is None


def device_count() -> int:
    """Number of visible CUDA devices (0 without CuPy or a GPU)."""
    if not is_available():
        return 0
    cupy, _ = _import_cupy()
    return cupy.cuda.runtime.getDeviceCount()


def require_cuda(what: str = "Tensor.cuda()"):
    """The cupy module, or a RuntimeError explaining why CUDA is unusable."""
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"{what}: CUDA is not available: {reason}")
    cupy, _ = _import_cupy()
    return cupy


class CudaBackend(ArrayKernels):
    """Arrays on GPU ``index`` as CuPy arrays. ``xp`` is the CuPy namespace."""

    name = "cuda"

    def __init__(self, index: int, cupy) -> None:
        self.index = index
        self.device = _device.device("cuda", index)
        self.xp = cupy
        self._cp = cupy

    def _on_device(self):
        return self._cp.cuda.Device(self.index)

    def asarray(self, data, dtype=None):
        with self._on_device():
            return self._cp.asarray(data, dtype=dtype)

    def from_foreign(self, array):
        with self._on_device():
            return self._cp.asarray(array)

    def synchronize(self) -> None:
        self._cp.cuda.Device(self.index).synchronize()

    @staticmethod
    def quiet():
        """CuPy never warns on floating-point exceptions."""
        return contextlib.nullcontext()

    def new_rng(self, seed: int):
        with self._on_device():
            return self._cp.random.RandomState(seed)

    def rng_state(self, rng):
        raise NotImplementedError("CUDA generator state export is not supported yet")

    def set_rng_state(self, rng, state) -> None:
        raise NotImplementedError("CUDA generator state import is not supported yet")

    def uniform(self, rng, shape, dtype):
        with self._on_device():
            return rng.random_sample(shape, dtype=self._cp.float64).astype(dtype, copy=False)

    def normal(self, rng, shape, dtype):
        with self._on_device():
            return rng.standard_normal(shape, dtype=self._cp.float64).astype(dtype, copy=False)

    def randint(self, rng, low, high, shape, dtype):
        with self._on_device():
            return rng.randint(low, high, size=shape, dtype=self._cp.int64).astype(
                dtype, copy=False
            )

    def permutation(self, rng, n):
        with self._on_device():
            return rng.permutation(n)


_BACKENDS: dict = {}


def get_backend(index: int | None) -> CudaBackend:
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
        be = _BACKENDS[index] = CudaBackend(index, cupy)
    return be


def backend_for_array(array):
    """The backend owning a CuPy array, or None when ``array`` is not one."""
    if not type(array).__module__.startswith("cupy"):
        return None
    return get_backend(array.device.id)
