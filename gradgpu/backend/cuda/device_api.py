"""The CuPy side of ``gradgpu.cuda`` and ``gradgpu.backends.cuda``: current device, memory
statistics of CuPy's default pool, TF32 for float32 matrix products, and zero-copy import of
foreign GPU arrays.

The public packages hold no CuPy code: they parse PyTorch-style arguments and call these
functions, which get CuPy through ``require_cuda`` and so raise the one clear error (CuPy missing,
no device, no driver, driver too old, with what to install) when CUDA is unusable.

Two settings are applied once, when gradgpu first imports CuPy (``configure_cupy``):

- Peak memory. CuPy's pool reports current ``used_bytes``/``total_bytes`` but keeps no peaks,
  and a ``cupy.cuda.MemoryHook`` only sees the thread that entered it. CuPy's allocator, though,
  is process-wide (``cupy.cuda.set_allocator``), so ``_PeakTracker`` wraps it and records, after
  every allocation, the pool's used and reserved bytes on that device when they exceed the peak.
- TF32. CuPy picks the float32 GEMM compute type from ``CUPY_TF32`` on first use and caches it;
  gradgpu sets it explicitly instead, so that ``gradgpu.backends.cuda.matmul.allow_tf32`` (default
  False, as PyTorch) is the one switch.
"""

from __future__ import annotations

import importlib

import numpy as np

from . import runtime

# ---- configuration applied at CuPy import -------------------------------------------------------


def configure_cupy(cupy) -> None:
    """Route CuPy's allocator through the peak tracker and pin float32 GEMMs to full precision.

    Touches no device (neither call initializes CUDA), so it is safe where CuPy imports but no GPU
    is usable. An allocator set by the user before this point is kept, wrapped."""
    global _tracker
    inner = cupy.cuda.get_allocator()
    if not isinstance(inner, _PeakTracker):
        _tracker = _PeakTracker(inner, cupy.get_default_memory_pool())
        cupy.cuda.set_allocator(_tracker)
    linalg = _cupy_linalg()
    if linalg is not None:  # COMPUTE_TYPE_DEFAULT needs no device (only TF32 checks one)
        linalg.set_compute_type(np.float32, linalg.COMPUTE_TYPE_DEFAULT)


# Where CuPy keeps its GEMM routines and their compute-type switch (a private module: upstream
# CuPy has it in _core; a refactoring in progress moves it under _core._gpu).
_LINALG_MODULES = ("cupy._core._routines_linalg", "cupy._core._gpu._routines_linalg")


def _cupy_linalg():
    """CuPy's GEMM module (``set_compute_type``, ``COMPUTE_TYPE_*``), None if this CuPy lacks it."""
    for name in _LINALG_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "set_compute_type"):
            return module
    return None


def _cupy_and_index(what: str, index: int | None):
    """(cupy, a valid device ordinal): the current device when ``index`` is None."""
    cupy = runtime.require_cuda(what)
    if index is None:
        return cupy, cupy.cuda.runtime.getDevice()
    count = cupy.cuda.runtime.getDeviceCount()
    if not 0 <= index < count:
        raise RuntimeError(
            f"{what}: CUDA error: invalid device ordinal: cuda:{index} requested, {count} visible"
        )
    return cupy, index


# ---- devices ------------------------------------------------------------------------------------


def current_device() -> int:
    """The ordinal of the calling thread's current CUDA device."""
    _, index = _cupy_and_index("gradgpu.cuda.current_device()", None)
    return index


def set_device(index: int) -> None:
    """Make device ``index`` current for the calling thread (CuPy allocates and launches there)."""
    cupy, index = _cupy_and_index("gradgpu.cuda.set_device()", index)
    cupy.cuda.Device(index).use()


def synchronize(index: int | None) -> None:
    """Wait until every kernel queued on the device has finished."""
    cupy, index = _cupy_and_index("gradgpu.cuda.synchronize()", index)
    cupy.cuda.Device(index).synchronize()


def device_properties(index: int | None) -> dict:
    """CUDA's ``cudaDeviceProp`` fields as CuPy returns them (``name`` decoded to str)."""
    cupy, index = _cupy_and_index("gradgpu.cuda.get_device_properties()", index)
    props = dict(cupy.cuda.runtime.getDeviceProperties(index))
    if isinstance(props.get("name"), bytes):
        props["name"] = props["name"].decode()
    return props


# ---- memory statistics of CuPy's default pool ---------------------------------------------------


class _PeakTracker:
    """A CuPy allocator (callable ``size -> MemoryPointer``) wrapping the previous one and
    recording, per device, the highest used and reserved bytes of the default pool.

    Both counts only grow inside an allocation, so checking right after each one sees every peak.
    Cost: one Python call and two counter reads per allocation (``used_bytes``/``total_bytes`` are
    atomic loads in current CuPy)."""

    __slots__ = ("inner", "pool", "peak_used", "peak_reserved")

    def __init__(self, inner, pool) -> None:
        self.inner = inner
        self.pool = pool
        self.peak_used: dict[int, int] = {}
        self.peak_reserved: dict[int, int] = {}

    def __call__(self, size):
        mem = self.inner(size)
        pool = self.pool  # the pool answers for the current device: the allocation's device
        dev = mem.device_id
        used = pool.used_bytes()
        if used > self.peak_used.get(dev, 0):
            self.peak_used[dev] = used
        reserved = pool.total_bytes()
        if reserved > self.peak_reserved.get(dev, 0):
            self.peak_reserved[dev] = reserved
        return mem

    def devices(self) -> set[int]:
        """Devices that allocated through the tracker (the others hold nothing of the pool)."""
        return set(self.peak_reserved)


_tracker: _PeakTracker | None = None


def _pool_counts(cupy, index: int) -> tuple[int, int]:
    """(used, reserved) bytes of the default pool on device ``index``; (0, 0) for a device that
    never allocated, without creating a CUDA context there."""
    seen = _tracker.devices() if _tracker is not None else set()
    if index not in seen and index != cupy.cuda.runtime.getDevice():
        return 0, 0
    pool = cupy.get_default_memory_pool()
    with cupy.cuda.Device(index):
        return pool.used_bytes(), pool.total_bytes()


def memory_allocated(index: int | None) -> int:
    """Bytes held by live arrays on the device (CuPy default pool's ``used_bytes``)."""
    cupy, index = _cupy_and_index("gradgpu.cuda.memory_allocated()", index)
    return _pool_counts(cupy, index)[0]


def memory_reserved(index: int | None) -> int:
    """Bytes the pool holds from CUDA on the device, in use or cached (``total_bytes``)."""
    cupy, index = _cupy_and_index("gradgpu.cuda.memory_reserved()", index)
    return _pool_counts(cupy, index)[1]


def max_memory_allocated(index: int | None) -> int:
    """Peak of ``memory_allocated`` since the start or the last ``reset_peak_memory_stats``."""
    cupy, index = _cupy_and_index("gradgpu.cuda.max_memory_allocated()", index)
    used = _pool_counts(cupy, index)[0]
    # max with the current count: allocations made while a user allocator replaced the tracker
    # are not recorded, and a peak is never below what is held now.
    return max(used, _tracker.peak_used.get(index, 0) if _tracker is not None else 0)


def max_memory_reserved(index: int | None) -> int:
    """Peak of ``memory_reserved`` since the start or the last ``reset_peak_memory_stats``."""
    cupy, index = _cupy_and_index("gradgpu.cuda.max_memory_reserved()", index)
    reserved = _pool_counts(cupy, index)[1]
    return max(reserved, _tracker.peak_reserved.get(index, 0) if _tracker is not None else 0)


def reset_peak_memory_stats(index: int | None) -> None:
    """Restart both peaks from the device's current counts."""
    cupy, index = _cupy_and_index("gradgpu.cuda.reset_peak_memory_stats()", index)
    if _tracker is None:
        return
    used, reserved = _pool_counts(cupy, index)
    _tracker.peak_used[index] = used
    _tracker.peak_reserved[index] = reserved


def empty_cache() -> None:
    """Return the pool's cached, unused blocks to CUDA on every device that allocated (live
    arrays keep theirs); as PyTorch's, this frees no tensor and resets no peak."""
    cupy = runtime.require_cuda("gradgpu.cuda.empty_cache()")
    devices = _tracker.devices() if _tracker is not None else set()
    devices.add(cupy.cuda.runtime.getDevice())
    pool = cupy.get_default_memory_pool()
    for index in sorted(devices):
        with cupy.cuda.Device(index):
            pool.free_all_blocks()


# ---- TF32 for float32 matrix products -----------------------------------------------------------

_matmul_tf32 = False


def matmul_allow_tf32() -> bool:
    """The value of ``gradgpu.backends.cuda.matmul.allow_tf32``."""
    return _matmul_tf32


def set_matmul_allow_tf32(enabled: bool) -> None:
    """Let float32 GEMMs on CUDA round their inputs to TF32 (10-bit mantissa) on tensor cores.

    Sets CuPy's float32 compute type, which every 2-D product (``matmul`` of matrices and of a
    stack of matrices by one matrix, ``linear``, conv's GEMM) and ``einsum`` use; it is
    process-wide, as CuPy's own ``CUPY_TF32`` is. CuPy's batched path (both operands 3-D or more,
    ``bmm``) ignores the compute type and stays full float32. GPUs older than Ampere (compute
    capability 8.0) have no TF32: there the flag is recorded and changes nothing, as in PyTorch.
    Without a usable GPU the value is only recorded."""
    global _matmul_tf32
    _matmul_tf32 = bool(enabled)
    if runtime.unavailable_reason() is not None:
        return
    cupy = runtime.require_cuda("gradgpu.backends.cuda.matmul.allow_tf32")
    linalg = _cupy_linalg()
    if linalg is None:
        if _matmul_tf32:
            raise RuntimeError(
                f"gradgpu.backends.cuda.matmul.allow_tf32: CuPy {cupy.__version__} has no "
                "float32 compute-type switch (cupy._core._routines_linalg.set_compute_type); "
                "install CuPy 13 or newer"
            )
        return
    compute_type = linalg.COMPUTE_TYPE_DEFAULT
    # CuPy's set_compute_type checks the current device too, but warns where we stay silent.
    if _matmul_tf32 and int(cupy.cuda.Device().compute_capability) >= 80:
        compute_type = linalg.COMPUTE_TYPE_TF32
    linalg.set_compute_type(np.float32, compute_type)


# ---- zero-copy import ---------------------------------------------------------------------------


def from_dlpack(obj):
    """A CuPy array sharing the memory of a DLPack producer on a CUDA device."""
    cupy = runtime.require_cuda("gradgpu.from_dlpack()")
    return cupy.from_dlpack(obj)


def from_cuda_array_interface(obj):
    """A CuPy array sharing the memory of an object exposing ``__cuda_array_interface__``."""
    cupy = runtime.require_cuda("gradgpu.as_tensor()")
    return cupy.asarray(obj)
