"""CUDA kernels: one ``cupy.ElementwiseKernel`` per entry of ``backend/elementwise_spec.py``,
calling that entry's ``gg::<name>`` from ``kernels/elementwise.cuh``.

An entry ``tanh_bwd`` with inputs (g, y) becomes the kernel ``gradgpu_tanh_bwd`` with
``in_params="T g, T y"``, ``out_params="T out"`` and the one-line operation
``out = (T)gg::tanh_bwd<T>(g, y)``. Scalars follow the arrays as ``T`` parameters. Entries with
several outputs call the ``void`` form that writes through references. CuPy broadcasts the
inputs and follows their strides, so no contiguous copies are made.

float16 is storage only: its kernels compute in float (``gg::name<float>``), one rounding at the
store.
"""

from __future__ import annotations

import functools

import numpy as np

from ..elementwise_spec import ELEMENTWISE
from .kernel_files import elementwise_kernel

_FLOAT16 = np.dtype(np.float16)
_ARITY = {name: len(spec.inputs) for name, spec in ELEMENTWISE.items()}


def _operation(spec, compute: str) -> str:
    """The kernel body calling ``gg::<name><compute>`` for ``spec``."""
    args = ", ".join(spec.inputs + spec.scalars)
    call = f"gg::{spec.name}<{compute}>"
    if len(spec.outputs) == 1:
        return f"{spec.outputs[0]} = (T){call}({args})"
    # void form: results through references of the compute type, then stored (and rounded)
    temps = [f"gg_r{k}" for k in range(len(spec.outputs))]
    stores = "; ".join(f"{o} = (T){t}" for o, t in zip(spec.outputs, temps))
    return f"{compute} {', '.join(temps)}; {call}({args}, {', '.join(temps)}); {stores}"


@functools.cache
def _kernel(name: str, half: bool):
    """The ElementwiseKernel of entry ``name`` (the float16 variant when ``half``), memoized
    here so that a call does not rebuild its parameter strings on the hot path."""
    spec = ELEMENTWISE[name]
    in_params = ", ".join(f"T {p}" for p in spec.inputs + spec.scalars)
    out_params = ", ".join(f"T {p}" for p in spec.outputs)
    return elementwise_kernel(in_params, out_params, _operation(spec, "float" if half else "T"),
                              f"gradgpu_{name}")


class CudaElementwise:
    """Mixin of CudaBackend: ``ew`` runs our per-element kernels."""

    def ew(self, name: str, *args):
        """Entry ``name`` of the elementwise table on CuPy arrays (then its scalars)."""
        n = _ARITY[name]
        arrays = args[:n]
        dtype = None
        uniform = True  # every input an array of one dtype: the common case, nothing to convert
        for a in arrays:
            d = getattr(a, "dtype", None)
            if d is None:
                uniform = False
            elif dtype is None:
                dtype = d
            elif d != dtype:
                uniform = False
                dtype = np.result_type(dtype, d)
        # scalars as NumPy scalars of the arrays' dtype, so T resolves from the arrays alone
        scalars = tuple(dtype.type(s) for s in args[n:])
        kernel = _kernel(name, dtype == _FLOAT16)
        with self._on_device():
            if not uniform:
                # a Python number among the inputs (tensor / number) becomes a 0-d array of the
                # dtype; CuPy then broadcasts it like any operand
                arrays = tuple(a.astype(dtype, copy=False) if hasattr(a, "dtype")
                               else self._cp.asarray(a, dtype=dtype) for a in arrays)
            return kernel(*arrays, *scalars)
