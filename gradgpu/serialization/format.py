"""The checkpoint format's constants and its error type, shared by saving and loading."""

from __future__ import annotations

import zipfile
import zlib

FORMAT = "gradgpu-checkpoint"
VERSION = 1
MANIFEST = "gradgpu-manifest.json"
ZIP_MAGIC = b"PK\x03\x04"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # identical objects give byte-identical checkpoints
# NumPy kinds a checkpoint may hold: bool, signed/unsigned int, float, complex (never objects).
ARRAY_KINDS = "biufc"
# What reading a damaged archive raises (a bad CRC, a cut member, an unknown compression).
ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError)
SUPPORTED = ("tensors, NumPy arrays and scalars, dicts (str/int/float/bool/None/tuple keys), "
              "lists, tuples, str, bytes, int, float, bool, None, gradgpu.dtype and gradgpu.device")


class CheckpointError(RuntimeError):
    """A file is not a gradgpu checkpoint, is truncated or corrupted, or has an unknown version."""


def parameter_class():
    """``nn.Parameter``, imported late: nn imports the core, not the other way round."""
    from ..nn.parameter import Parameter

    return Parameter
