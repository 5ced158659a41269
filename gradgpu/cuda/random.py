"""Seeding the CUDA devices' default generators: PyTorch's ``torch.cuda.manual_seed`` family.

Each CUDA device has its own default ``gradgpu.Generator`` (created on first use by
``gradgpu._random``); ``gradgpu.manual_seed`` seeds all devices at once. As in PyTorch, the seeding
functions are silently ignored when CUDA is unusable, so seeding code runs unchanged on a CPU-only
machine; ``initial_seed`` raises there, naming why CUDA is unusable.
"""

from __future__ import annotations

from .._device import device as _device
from .._random import default_generator
from ..backend.cuda import device_api as _api
from ..backend.cuda.runtime import device_count, is_available

__all__ = ["initial_seed", "manual_seed", "manual_seed_all", "seed", "seed_all"]


def _current_generator():
    return default_generator(_device("cuda", _api.current_device()))


def manual_seed(seed: int) -> None:
    """Seed the current CUDA device's default generator (ignored without CUDA)."""
    if is_available():
        _current_generator().manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed the default generator of every CUDA device (ignored without CUDA)."""
    for index in range(device_count()):
        default_generator(_device("cuda", index)).manual_seed(seed)


def seed() -> None:
    """Seed the current CUDA device's default generator from OS entropy (ignored without CUDA)."""
    if is_available():
        _current_generator().seed()


def seed_all() -> None:
    """Seed every CUDA device's default generator from OS entropy (ignored without CUDA)."""
    for index in range(device_count()):
        default_generator(_device("cuda", index)).seed()


def initial_seed() -> int:
    """The seed of the current CUDA device's default generator."""
    return _current_generator().initial_seed()
