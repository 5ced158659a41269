"""Memory statistics of a CUDA device, read from CuPy's default memory pool (which holds every
gradgpu CUDA tensor): PyTorch's ``torch.cuda.memory_allocated`` family.

"Allocated" is what live arrays hold (the pool's ``used_bytes``); "reserved" is what the pool has
taken from CUDA, in use or cached for reuse (``total_bytes``). Peaks are recorded by gradgpu's
wrapper around CuPy's allocator (see ``gradgpu.backend.cuda.device_api``).

As in PyTorch, the counters read 0 and ``empty_cache`` does nothing when CUDA is unusable (no CUDA
memory is held then); ``reset_peak_memory_stats`` raises, naming why CUDA is unusable.
"""

from __future__ import annotations

from .._device import cuda_index
from ..backend.cuda import device_api as _api
from ..backend.cuda.runtime import is_available

__all__ = ["empty_cache", "max_memory_allocated", "max_memory_reserved", "memory_allocated",
           "memory_reserved", "reset_peak_memory_stats"]


def _counter(read, device, what: str) -> int:
    index = cuda_index(device, what)  # a bad argument raises even without CUDA
    return read(index) if is_available() else 0


def memory_allocated(device=None) -> int:
    """Bytes held by tensors on a CUDA device (the current one by default)."""
    return _counter(_api.memory_allocated, device, "gradgpu.cuda.memory_allocated()")


def max_memory_allocated(device=None) -> int:
    """The most bytes tensors held at once on the device, since the program started or the last
    ``reset_peak_memory_stats``."""
    return _counter(_api.max_memory_allocated, device, "gradgpu.cuda.max_memory_allocated()")


def memory_reserved(device=None) -> int:
    """Bytes the memory pool holds on the device: in use plus cached for reuse."""
    return _counter(_api.memory_reserved, device, "gradgpu.cuda.memory_reserved()")


def max_memory_reserved(device=None) -> int:
    """The most bytes the pool held at once on the device since the start or the last reset."""
    return _counter(_api.max_memory_reserved, device, "gradgpu.cuda.max_memory_reserved()")


def reset_peak_memory_stats(device=None) -> None:
    """Restart the peaks of ``max_memory_allocated``/``max_memory_reserved`` from now."""
    _api.reset_peak_memory_stats(cuda_index(device, "gradgpu.cuda.reset_peak_memory_stats()"))


def empty_cache() -> None:
    """Give the pool's cached, unused blocks back to CUDA (so other processes and ``nvidia-smi``
    see them free). Tensors keep their memory; ``memory_allocated`` does not change."""
    if is_available():
        _api.empty_cache()
