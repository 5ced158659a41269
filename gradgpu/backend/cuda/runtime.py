"""Whether CUDA is usable, and why not: the one place that imports cupy.

CuPy is optional. ``import cupy`` can succeed on a machine with no usable GPU, so availability
is decided by ``cupy.is_available()`` and, when it is False, ``unavailable_reason()`` says which of
the usual causes applies (CuPy missing, no device, no driver, driver too old) and what to do.
"""

from __future__ import annotations

import functools
import warnings

_INSTALL_HINT = (
    "install CuPy for your CUDA version: pip install 'gradgpu[cuda12]' (CUDA 12.x) or "
    "pip install 'gradgpu[cuda13]' (CUDA 13.x)"
)


@functools.lru_cache(maxsize=1)
def _import_cupy():
    """(cupy module or None, the ImportError message or None). On first import, gradgpu's CuPy
    settings are applied once (peak-memory tracking, TF32 off): see ``device_api``."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA library load
        return None, f"{type(exc).__name__}: {exc}"
    from . import device_api

    try:
        device_api.configure_cupy(cupy)
    except Exception as exc:  # a CuPy whose internals moved: CUDA stays usable without them
        warnings.warn(f"gradgpu could not apply its CuPy settings (peak-memory tracking, the TF32 "
                      f"switch): {type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=2)
    return cupy, None


# The CuPy module once it was found usable: availability cannot change within a process (the
# driver and CUDA_VISIBLE_DEVICES are read once), so later checks cost one identity test.
_usable_cupy = None


def unavailable_reason() -> str | None:
    """None when a CUDA device is usable, else a sentence naming the cause and the fix."""
    global _usable_cupy
    cupy, err = _import_cupy()
    if cupy is not None and cupy is _usable_cupy:
        return None
    if cupy is None:
        return f"CuPy is not installed or failed to import ({err}); {_INSTALL_HINT}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError
        text = str(exc)
        if "InsufficientDriver" in text or "driver version is insufficient" in text:
            if not driver_installed():  # CUDA says "insufficient" when there is no driver at all
                return (f"no NVIDIA driver is installed ({text}); run on a machine with an "
                        f"NVIDIA GPU and its driver")
            return (
                f"the NVIDIA driver is too old for this CuPy build ({text}); update the driver, "
                f"or install the CuPy wheel for an older CUDA ({_INSTALL_HINT})"
            )
        if "NoDevice" in text or "no CUDA-capable device" in text:
            return f"no CUDA device was found ({text}); run on a machine with an NVIDIA GPU"
        return f"CUDA could not be initialized ({text})"
    if count == 0:
        return "no CUDA device was found; run on a machine with an NVIDIA GPU"
    _usable_cupy = cupy
    return None


def driver_installed() -> bool:
    """Whether the NVIDIA driver's CUDA library loads (libcuda.so.1 / nvcuda.dll)."""
    import ctypes
    import sys

    name = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def cupy_installed() -> bool:
    """Whether CuPy imports (a usable GPU may still be missing)."""
    return _import_cupy()[0] is not None


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
