"""Checkpoints: ``gradgpu.save(obj, f)`` and ``gradgpu.load(f, map_location=None)``.

A checkpoint is a ZIP archive (stored, uncompressed) holding

- ``gradgpu-manifest.json``: ``{"format": "gradgpu-checkpoint", "version": 1, "root": node,
  "arrays": [{"dtype", "shape"}...], "tensors": [{"array", "kind", "device",
  "requires_grad"}...]}``, where ``root`` describes the saved object (see ``saving._Encoder``);
- ``arrays/<j>.npy``: one NumPy ``.npy`` file per array, always from host memory.

Loading parses JSON and reads the ``.npy`` files with ``allow_pickle=False``: nothing in the file
can name a class or a function, so loading a checkpoint never executes code from it (unlike a
pickle, or PyTorch's ``.pt`` files, which are pickles inside a ZIP).

Memory sharing: the same tensor object reached twice is saved once and loads as one object;
distinct tensors viewing exactly the same memory (same address, shape, strides and dtype, e.g.
two ``p.detach()`` of one tied weight) are saved once and load as distinct tensors sharing one
array; tensors that only partly overlap are saved separately and load as independent copies.
Other containers reached twice are saved twice.
"""

from .format import FORMAT, MANIFEST, VERSION, CheckpointError
from .loading import load
from .saving import save

__all__ = ["FORMAT", "MANIFEST", "VERSION", "CheckpointError", "load", "save"]
