"""Every per-element C++ function of kernels/elementwise.cuh, compiled by nvcc, against its NumPy
reference in gradgpu/backend/elementwise_spec.py.

Host build: one generated ``extern "C"`` loop per entry and dtype, one shared library per session,
called through ctypes on random inputs (from each entry's domain) and on the extreme values (0,
-0, +-inf, nan, +-80, denormals, huge and tiny magnitudes) in every combination across inputs.
NaN and inf positions must match exactly, signed zeros too; finite values within a few ulp.

Device build: a ``__global__`` per entry and dtype, compiled for sm_80 and sm_90 (no GPU needed).
"""

from __future__ import annotations

import ctypes
import itertools
import os
import zlib

import numpy as np
import pytest

from gradgpu.backend.elementwise_spec import ELEMENTWISE

from . import nvcc

pytestmark = pytest.mark.skipif(nvcc.nvcc_path() is None, reason=nvcc.NO_NVCC)

_C_TYPES = {  # dtype -> (C++ type, ctypes scalar type)
    np.dtype(np.float32): ("float", ctypes.c_float),
    np.dtype(np.float64): ("double", ctypes.c_double),
    np.dtype(np.int32): ("int", ctypes.c_int),
    np.dtype(np.int64): ("long long", ctypes.c_longlong),
}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_INTS = (np.dtype(np.int32), np.dtype(np.int64))


def _dtypes(entry):
    return _FLOATS + (_INTS if entry.integer_ok else ())


def _symbol(entry, dtype) -> str:
    return f"{entry.name}_{dtype.str[1:]}"  # tanh_bwd_f4


def _signature(entry, ctype: str) -> str:
    params = ["long long n"]
    params += [f"const {ctype}* {p}" for p in entry.inputs]
    params += [f"{ctype} {p}" for p in entry.scalars]
    params += [f"{ctype}* {p}" for p in entry.outputs]
    return ", ".join(params)


def _call(entry, ctype: str) -> str:
    """The statement computing element i (``out[i] = gg::f<T>(x[i], slope)``)."""
    args = [f"{p}[i]" for p in entry.inputs] + list(entry.scalars)
    if len(entry.outputs) == 1:
        return f"{entry.outputs[0]}[i] = gg::{entry.name}<{ctype}>({', '.join(args)});"
    args += [f"{p}[i]" for p in entry.outputs]
    return f"gg::{entry.name}<{ctype}>({', '.join(args)});"


def host_source() -> str:
    """A host loop ``extern "C" void <name>_<f4|f8|i4|i8>(n, inputs, scalars, outputs)``."""
    lines = ['#include "elementwise.cuh"', ""]
    for entry in ELEMENTWISE.values():
        for dtype in _dtypes(entry):
            ctype = _C_TYPES[dtype][0]
            lines += [
                f'extern "C" void {_symbol(entry, dtype)}({_signature(entry, ctype)}) {{',
                "  for (long long i = 0; i < n; ++i) {",
                f"    {_call(entry, ctype)}",
                "  }",
                "}",
            ]
    return "\n".join(lines) + "\n"


def device_source() -> str:
    """A ``__global__`` per entry and float dtype (integer ones too where valid)."""
    lines = ['#include "elementwise.cuh"', ""]
    for entry in ELEMENTWISE.values():
        for dtype in _dtypes(entry):
            ctype = _C_TYPES[dtype][0]
            lines += [
                f'extern "C" __global__ void {_symbol(entry, dtype)}'
                f"({_signature(entry, ctype)}) {{",
                "  long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;",
                f"  if (i < n) {{ {_call(entry, ctype)} }}",
                "}",
            ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def host_lib():
    return nvcc.build_host_library(host_source(), "elementwise host loops")


def run_host(lib, entry, dtype, arrays, scalars):
    """Call the compiled loop of ``entry`` on equal-length 1-D ``arrays``; its outputs."""
    ctype_scalar = _C_TYPES[dtype][1]
    n = arrays[0].size
    ins = [np.ascontiguousarray(a, dtype=dtype) for a in arrays]
    outs = [np.empty(n, dtype=dtype) for _ in entry.outputs]
    fn = getattr(lib, _symbol(entry, dtype))
    fn.restype = None
    fn.argtypes = ([ctypes.c_longlong] + [ctypes.c_void_p] * len(ins)
                   + [ctype_scalar] * len(scalars) + [ctypes.c_void_p] * len(outs))
    fn(n, *(a.ctypes.data for a in ins), *scalars, *(o.ctypes.data for o in outs))
    return outs


# ---- inputs ----------------------------------------------------------------------------------
_EXTREMES = {
    np.dtype(np.float64): [0.0, -0.0, np.inf, -np.inf, np.nan, 80.0, -80.0, 1e-310, -1e-310,
                           1e300, -1e300, 1e-300, 0.5, -1.0, 1.0, 2.0, 30.0, -30.0, 710.0, -745.0],
    np.dtype(np.float32): [0.0, -0.0, np.inf, -np.inf, np.nan, 80.0, -80.0, 1e-40, -1e-40,
                           1e30, -1e30, 1e-30, 0.5, -1.0, 1.0, 2.0, 30.0, -30.0, 89.0, -104.0],
}
_RANDOM = 2000
_SEED = int(os.environ.get("GRADGPU_HOST_MATH_SEED", "0"))  # other seeds: more inputs


def _inputs(entry, dtype, rng):
    """Equal-length 1-D inputs: random values from the entry's domain, then every combination of
    extreme values across the inputs."""
    k = len(entry.inputs)
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        # not info.min: negating it overflows, which is undefined behaviour in C++
        extremes = [0, 1, -1, 7, -7, info.max, info.min + 1]
        random = [rng.integers(-1000, 1000, _RANDOM) for _ in range(k)]
    else:
        extremes = _EXTREMES[dtype]
        domain = entry.domain or ((-5.0, 5.0),)
        random = [rng.uniform(*domain[min(i, len(domain) - 1)], _RANDOM) for i in range(k)]
    combos = np.array(list(itertools.product(extremes, repeat=k))).T
    return [np.concatenate([r, c]).astype(dtype) for r, c in zip(random, combos)]


# ---- comparison ------------------------------------------------------------------------------
_ULPS = 8  # the libraries' transcendental functions differ by up to ~4 ulp (NumPy's SIMD ones)


def _mismatches(got, want, dtype, cancels, inputs=()):
    """Boolean mask of elements that disagree. ``cancels``: the formula loses relative accuracy
    (1 + erf(x) for x << 0, 1 - tanh^2 near 1), so finite values are compared absolutely, at
    the scale of max(1, |result|) times max(1, |input|) for each input (a last-ulp difference
    of a transcendental near 1 is multiplied by the inputs: x (1 - t^2) g), with twice the
    ulps."""
    if dtype.kind == "i":
        return got != want
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).tiny
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    bad = nan_g != nan_w
    inf = np.isinf(got) | np.isinf(want)
    bad |= inf & ~nan_g & ~nan_w & (got != want)
    fin = np.isfinite(got) & np.isfinite(want)
    ulps, scale = _ULPS, np.abs(want)
    with np.errstate(all="ignore"):
        if cancels:
            ulps, scale = 2 * _ULPS, np.maximum(scale, 1.0)
            for a in inputs:
                scale = scale * np.maximum(np.abs(a.astype(np.float64)), 1.0)
        err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    # denormal results are compared at the smallest normal's scale (their precision is lower)
    bad |= fin & (err > ulps * eps * scale + ulps * tiny)
    zero = fin & (got == 0) & (want == 0)
    bad |= zero & (np.signbit(got) != np.signbit(want))
    return bad


def _check(entry, dtype, arrays, scalars, got):
    with np.errstate(all="ignore"):
        want = entry.reference(np, *arrays, *scalars)
    want = want if isinstance(want, tuple) else (want,)
    assert len(want) == len(entry.outputs)
    errors = []
    for out_name, g, w in zip(entry.outputs, got, want):
        w = np.broadcast_to(np.asarray(w), g.shape).astype(dtype)
        bad = _mismatches(g, w, dtype, entry.cancels, arrays)
        for i in np.flatnonzero(bad)[:6]:
            args = ", ".join(f"{p}={a[i]!r}" for p, a in zip(entry.inputs, arrays))
            errors.append(f"{out_name}({args}, scalars={scalars}): C++ {g[i]!r}, NumPy {w[i]!r}")
        if bad.any():
            errors.append(f"... {int(bad.sum())} of {bad.size} elements of {out_name} differ")
    assert not errors, f"{entry.name} [{dtype}]:\n" + "\n".join(errors)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_host_matches_reference(host_lib, name):
    entry = ELEMENTWISE[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()) + _SEED)
    for dtype in _dtypes(entry):
        arrays = _inputs(entry, dtype, rng)
        for scalars in entry.examples:
            if dtype.kind == "i":
                scalars = tuple(int(s) for s in scalars)
            got = run_host(host_lib, entry, dtype, arrays, scalars)
            _check(entry, dtype, arrays, scalars, got)


def test_every_entry_compiles_for_the_device():
    """sm_80 and sm_90 object code for a kernel calling each entry (any error or warning
    fails, with nvcc's output)."""
    obj = nvcc.compile_object(device_source(), name="elementwise device kernels")
    assert obj.stat().st_size > 0


def test_comparison_catches_a_wrong_function(host_lib):
    """The harness itself: tanh_fwd's loop compared against sin's reference must fail, and a
    one-ulp perturbation must pass."""
    entry = ELEMENTWISE["tanh_fwd"]
    dtype = np.dtype(np.float32)
    arrays = _inputs(entry, dtype, np.random.default_rng(0))
    (got,) = run_host(host_lib, entry, dtype, arrays, ())
    with pytest.raises(AssertionError, match="tanh_fwd"):
        _check(ELEMENTWISE["sin_fwd"].__class__(
            "tanh_fwd", ("x",), lambda xp, x: xp.sin(x)), dtype, arrays, (), [got])
    _check(entry, dtype, arrays, (), [np.nextafter(got, np.float32(np.inf))])
