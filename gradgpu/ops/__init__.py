"""Every differentiable op, one module per family. Public functions are re-exported here and
at the top level (``gradgpu.exp``); ``TENSOR_METHODS`` tables become Tensor methods."""

from __future__ import annotations

from . import conversion, elementwise, inplace, linalg, reduction, shape

MODULES = (elementwise, shape, reduction, linalg, conversion, inplace)


def public_functions() -> dict:
    """name -> function for the top-level namespace: each module's TENSOR_METHODS (minus
    dunders and in-place methods) plus its FUNCTIONS (functions that are not methods)."""
    out = {}
    for module in MODULES:
        for name, fn in getattr(module, "TENSOR_METHODS", {}).items():
            if not name.startswith("__") and not name.endswith("_"):
                out[name] = fn
        out.update(getattr(module, "FUNCTIONS", {}))
    return out
