"""``gradgpu.backends.cudnn``: PyTorch's cuDNN switches, kept so that PyTorch code that sets them
(``torch.backends.cudnn.benchmark = True``) runs unchanged.

gradgpu calls no cuDNN: its convolutions are im2col/col2im kernels around cuBLAS products, its
pooling and normalization its own kernels (``kernels/``). So ``is_available()`` is False,
``version()`` is None, and the flags below are stored but change nothing. Float32 convolutions
follow ``gradgpu.backends.cuda.matmul.allow_tf32``, the switch of the products they are made of.
"""

from __future__ import annotations

import contextlib
import sys

__all__ = ["is_available", "version", "flags", "enabled", "benchmark", "deterministic",
           "allow_tf32", "benchmark_limit"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10

_FLAGS = ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit")


def is_available() -> bool:
    """Whether gradgpu uses cuDNN: never (see the module docstring)."""
    return False


def version():
    """cuDNN's version as PyTorch reports it; None, as gradgpu uses no cuDNN."""
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True):
    """Set the flags for a block and restore them after it (PyTorch's defaults for the
    arguments)."""
    module = sys.modules[__name__]
    saved = {name: getattr(module, name) for name in _FLAGS}
    new = dict(enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
               deterministic=deterministic, allow_tf32=allow_tf32)
    for name, value in new.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)
