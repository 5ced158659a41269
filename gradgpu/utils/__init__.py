"""``gradgpu.utils``: helpers around training, as ``torch.utils`` (``data``: datasets, loaders)."""

from . import data

__all__ = ["data"]
