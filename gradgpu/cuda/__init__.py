"""``gradgpu.cuda``: PyTorch's ``torch.cuda`` API for gradgpu's CUDA devices (CuPy underneath).

Availability (``is_available``, ``device_count``), the current device (``current_device``,
``set_device``, the ``device``/``device_of`` context managers), ``synchronize``, device queries,
the CUDA random generators (``manual_seed``...) and the memory statistics of CuPy's default pool
(``memory_allocated``...).

Without a usable GPU, ``is_available()`` is False and ``device_count()`` 0; functions that PyTorch
makes safe to call there (seeding, memory counters, ``empty_cache``) do nothing or return 0, and
the others raise a RuntimeError naming the cause (CuPy missing, no device, no driver, driver too
old) and what to install. The CuPy calls live in ``gradgpu.backend.cuda.device_api``.
"""

from __future__ import annotations

from .._device import cuda_index
from ..backend.cuda import device_api as _api
from ..backend.cuda.runtime import device_count, is_available
from .memory import (
    empty_cache,
    max_memory_allocated,
    max_memory_reserved,
    memory_allocated,
    memory_reserved,
    reset_peak_memory_stats,
)
from .random import initial_seed, manual_seed, manual_seed_all, seed, seed_all

__all__ = [
    "current_device", "device", "device_count", "device_of", "empty_cache",
    "get_device_capability", "get_device_name", "initial_seed", "is_available", "manual_seed",
    "manual_seed_all", "max_memory_allocated", "max_memory_reserved", "memory_allocated",
    "memory_reserved", "reset_peak_memory_stats", "seed", "seed_all", "set_device", "synchronize",
]


def current_device() -> int:
    """The index of the current CUDA device (where ``device='cuda'`` tensors go)."""
    return _api.current_device()


def set_device(device) -> None:
    """Make ``device`` (int, 'cuda:N' or a gradgpu.device) current; a negative index does
    nothing, as in PyTorch. Prefer the ``gradgpu.cuda.device(...)`` context manager."""
    index = cuda_index(device, "gradgpu.cuda.set_device()")
    if index is not None and index >= 0:
        _api.set_device(index)


class device:
    """Context manager making a CUDA device current inside its block, the previous one after:
    ``with gradgpu.cuda.device(1): x = gradgpu.zeros(3, device='cuda')`` puts x on cuda:1.

    ``None``, 'cuda' (no index) or a negative index make it a no-op, as in PyTorch."""

    def __init__(self, device) -> None:
        index = cuda_index(device, "gradgpu.cuda.device()")
        self.idx = -1 if index is None else index
        self.prev_idx = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev_idx = _api.current_device()
            if self.prev_idx != self.idx:
                _api.set_device(self.idx)
        return self

    def __exit__(self, *exc) -> bool:
        if self.idx >= 0 and self.prev_idx != self.idx:
            _api.set_device(self.prev_idx)
        return False


class device_of(device):
    """Context manager making the device of tensor ``obj`` current; a no-op for a CPU tensor."""

    def __init__(self, obj) -> None:
        super().__init__(obj.get_device())


def synchronize(device=None) -> None:
    """Wait for all kernels queued on a CUDA device (current one by default) to finish."""
    _api.synchronize(cuda_index(device, "gradgpu.cuda.synchronize()"))


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3' (current device by default)."""
    return _api.device_properties(cuda_index(device, "gradgpu.cuda.get_device_name()"))["name"]


def get_device_capability(device=None) -> tuple[int, int]:
    """The GPU's compute capability (major, minor), e.g. (9, 0) for an H100."""
    props = _api.device_properties(cuda_index(device, "gradgpu.cuda.get_device_capability()"))
    return props["major"], props["minor"]
