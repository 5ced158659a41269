"""``gradgpu.testing``: ``assert_close``, as ``torch.testing.assert_close``."""

from ._comparison import assert_close

__all__ = ["assert_close"]
