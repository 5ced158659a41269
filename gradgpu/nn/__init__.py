"""``gradgpu.nn``: functional ops now; modules and layers come with the nn issue."""

from . import functional

__all__ = ["functional"]
