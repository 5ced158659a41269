"""``gradgpu.backends.cuda``: settings of CUDA's math libraries, as ``torch.backends.cuda``.

``gradgpu.backends.cuda.matmul.allow_tf32`` (default False): when True, float32 matrix products on
CUDA may round their inputs to TF32 (a 10-bit mantissa, about 3 decimal digits) to run on tensor
cores; when False they are computed in full float32. The setting is applied to CuPy by
``gradgpu.backend.cuda.device_api.set_matmul_allow_tf32`` (see there for which products follow it).
"""

from __future__ import annotations

from ...backend.cuda import device_api as _api
from ...backend.cuda.runtime import cupy_installed

__all__ = ["is_built", "matmul"]


def is_built() -> bool:
    """Whether gradgpu can drive CUDA here at all: CuPy imports (a GPU may still be missing)."""
    return cupy_installed()


class _CuBLASModule:
    """The ``matmul`` namespace: cuBLAS settings readable and writable as attributes."""

    __slots__ = ()

    def __getattr__(self, name: str):
        if name == "allow_tf32":
            return _api.matmul_allow_tf32()
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value) -> None:
        if name != "allow_tf32":
            raise AttributeError(f"Unknown attribute {name}")
        if not isinstance(value, bool):
            raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got "
                               f"{type(value).__name__}")
        _api.set_matmul_allow_tf32(value)

    def __repr__(self) -> str:
        return f"gradgpu.backends.cuda.matmul(allow_tf32={_api.matmul_allow_tf32()})"


matmul = _CuBLASModule()
