"""``gradgpu.backends``: user-facing switches of the compute libraries, as ``torch.backends``.

Not to be confused with ``gradgpu.backend`` (singular), gradgpu's internal array layer (the NumPy
and CuPy backends that ops run on). This package only holds settings a user may change, such as
``gradgpu.backends.cuda.matmul.allow_tf32``; it forwards them to ``gradgpu.backend``.
``cudnn`` keeps PyTorch's cuDNN flags, which change nothing here (gradgpu uses no cuDNN).
"""

from __future__ import annotations

from . import cuda, cudnn

__all__ = ["cuda", "cudnn"]
