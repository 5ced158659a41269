"""``gradgpu.utils``: helpers around training, as ``torch.utils`` (``data``: datasets, loaders;
``checkpoint``: activation checkpointing)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
