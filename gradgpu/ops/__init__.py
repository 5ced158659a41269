"""Every differentiable op, one module per family. Public functions are re-exported here and
at the top level (``gradgpu.exp``); ``TENSOR_METHODS`` tables become Tensor methods."""

from __future__ import annotations

from . import conversion, elementwise, inplace, linalg, reduction, shape

MODULES = (elementwise, shape, reduction, linalg, conversion, inplace)


def public_functions() -> dict:
    """name -> function for every op module's public functions (those in TENSOR_METHODS or
    ``__all__``)."""
    out = {}
    for module in MODULES:
        names = getattr(module, "__all__", None)
        if names is not None:
            out.update({n: getattr(module, n) for n in names})
        out.update(getattr(module, "TENSOR_METHODS", {}))
    return out
