"""Tensors of evenly spaced values and of index ranges: ``arange``, ``linspace``, ``logspace``,
``tril_indices``, ``triu_indices``, with PyTorch's dtype rules and end-point arithmetic.
"""

from __future__ import annotations

import math

import numpy as np

from . import _dtypes
from ._factories import _factory_dtype, _finish, _resolve_device
from .backend import get_backend
from .tensor import Tensor


def arange(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 unless any argument is a float."""
    if end is None:
        start, end = 0, start
    if dtype is not None and _dtypes.as_dtype(dtype) is _dtypes.int64:
        # PyTorch computes an int64 range from the bounds and step truncated to integers
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) / step < 0:
        raise RuntimeError(
            f"arange(): upper bound and lower bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    if dtype is None:
        dtype = _dtypes.result_type(start, end, step)
    dt = _dtypes.as_dtype(dtype)
    be = get_backend(_resolve_device(device))
    n = max(0, math.ceil((end - start) / step))
    arr = (be.xp.arange(n, dtype=np.float64) * step + start).astype(dt.np)
    if dt.category != 2:
        arr = be.xp.arange(n, dtype=np.int64) * int(step) + int(start)
        arr = arr.astype(dt.np)
    return _finish(arr, requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive."""
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dt = _factory_dtype(dtype)
    be = get_backend(_resolve_device(device))
    return _finish(_linear_steps(be.xp, start, end, steps, dt).astype(dt.np), requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    """``steps`` values ``base ** e`` for e evenly spaced from start to end inclusive."""
    if steps < 0:
        raise RuntimeError("logspace(): number of steps must be non-negative")
    dt = _factory_dtype(dtype)
    be = get_backend(_resolve_device(device))
    exps = _linear_steps(be.xp, start, end, steps, dt).astype(np.float64)
    return _finish((float(base) ** exps).astype(dt.np), requires_grad)


def _linear_steps(xp, start, end, steps: int, dt):
    """linspace's values as PyTorch's CPU kernel computes them, before the cast to ``dt``.

    The bounds are cast to ``dt`` first (an integer dtype truncates them) and the step is
    computed in ``dt`` (float64 for integer dtypes, float32 for float16); the first half counts
    up from start, the second half down from end, so both ends are exact."""
    if isinstance(start, Tensor):
        start = start.item()
    if isinstance(end, Tensor):
        end = end.item()
    floating = dt.category == _dtypes._FLOAT
    # PyTorch's Half arithmetic runs in float, rounding once at the end
    work = np.dtype(np.float32 if dt is _dtypes.float16 else dt.np if floating else np.float64)
    lo = np.asarray(start).astype(dt.np).astype(work)[()]
    hi = np.asarray(end).astype(dt.np).astype(work)[()]
    if steps == 1:
        return xp.full((1,), lo, dtype=work)
    step = (hi - lo) / work.type(steps - 1)
    if floating:
        step = work.type(np.asarray(step).astype(dt.np))  # the step is stored in dt
    idx = xp.arange(steps, dtype=np.int64)
    half = steps // 2
    out = xp.empty(steps, dtype=work)
    out[:half] = lo + step * idx[:half].astype(work)
    out[half:] = hi - step * (steps - idx[half:] - 1).astype(work)
    return out


# ---- triangle indices -----------------------------------------------------------------------
def _tri_indices(name: str, row: int, col: int, offset: int, dtype, device, lower: bool):
    for arg, v in (("row", row), ("col", col)):
        if v < 0:
            raise RuntimeError(f"{arg} must be non-negative, got{v}")
    dt = _factory_dtype(dtype, _dtypes.int64)
    if dt.np.kind not in "iu":
        names = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
                 "float64": "Double", "bool": "Bool"}
        raise NotImplementedError(f"\"{name}\" not implemented for "
                                  f"'{names.get(dt.name, dt.name)}'")
    be = get_backend(_resolve_device(device))
    # computed on the host (the sizes are host ints) and copied once: on a GPU, CuPy's version
    # would build the mask there and read back its count (a synchronization)
    fn = np.tril_indices if lower else np.triu_indices
    rows, cols = fn(row, offset, col)  # row-major order, PyTorch's
    arr = np.stack([rows, cols]).astype(dt.np).reshape(2, -1)
    return _finish(be.asarray(arr), False)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) coordinates of the lower triangle (on and below diagonal ``offset``) of a
    row x col matrix, row by row; int64 unless ``dtype``."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device, True)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) coordinates of the upper triangle (on and above diagonal ``offset``) of a
    row x col matrix, row by row; int64 unless ``dtype``."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device, False)
