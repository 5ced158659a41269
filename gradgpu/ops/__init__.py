"""Every differentiable op, one module per family. Public functions are re-exported at the top
level (``gradgpu.exp``); each module's ``TENSOR_METHODS`` become Tensor methods and its
``FUNCTIONS`` are top-level functions that are not methods."""

from __future__ import annotations

from . import (
    activation,
    attention,
    batch_norm,
    composite,
    conv,
    conversion,
    dropout,
    elementwise,
    functional_aliases,
    indexing,
    inplace,
    inplace_more,
    layers,
    linalg,
    linalg_aliases,
    linalg_matrix_exp,
    loss,
    random_fills,
    reduction,
    rnn,
    sampling,
    shape,
    sorting,
    tensor_misc,
)

MODULES = (
    elementwise, shape, reduction, sorting, sampling, linalg, indexing, conversion, inplace,
    activation, loss, layers, dropout, conv, composite, batch_norm, attention, rnn,
    linalg_aliases, functional_aliases, inplace_more, tensor_misc,
    linalg_matrix_exp, random_fills,
)


def public_functions() -> dict:
    """name -> function for the top-level namespace: each module's TENSOR_METHODS (minus
    dunders and in-place methods) plus its FUNCTIONS (functions that are not methods)."""
    out = {}
    for module in MODULES:
        methods_only = getattr(module, "METHODS_ONLY", ())  # no torch.<name> function
        for name, fn in getattr(module, "TENSOR_METHODS", {}).items():
            if not name.startswith("__") and not name.endswith("_") and name not in methods_only:
                out[name] = fn
        out.update(getattr(module, "FUNCTIONS", {}))
    return out
