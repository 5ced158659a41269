"""Python numbers converted to an array dtype the way PyTorch converts them: the value of
``fill_``/``masked_fill``/``fill_diagonal_`` (overflow raises) and a number operand of integer
in-place arithmetic (wraps modulo the dtype's range)."""

from __future__ import annotations

import math

import numpy as np

from .. import _dtypes


def wrapped_int(value: int, dtype) -> int:
    """``value`` wrapped into an integer dtype's range, as PyTorch's arithmetic with a number
    wraps (uint8 add_(-3) subtracts 3 modulo 256)."""
    info = np.iinfo(dtype)
    if info.min <= value <= info.max:
        return value
    return (value - info.min) % (int(info.max) - int(info.min) + 1) + int(info.min)


_FLOAT_MAX = {np.dtype(t): float(np.finfo(t).max) for t in (np.float16, np.float32, np.float64)}


def checked_value(value, dtype, op: str):
    """A number converted to the NumPy ``dtype`` the way PyTorch converts a fill value
    (fill_, masked_fill): a value the dtype cannot hold raises instead of wrapping (uint8 300,
    NaN or inf into an integer, 1e6 into float16); an unsigned dtype takes negatives down to
    -max in two's complement (uint8 fill_(-1) is 255); any number fits bool."""
    if isinstance(value, (bool, np.bool_)) or dtype.kind == "b":
        return bool(value)
    if isinstance(value, (complex, np.complexfloating)):
        if value.imag != 0:
            raise _overflow(value, dtype)
        value = value.real
    if dtype.kind == "f":
        try:
            v = float(value)
        except OverflowError:  # an int beyond float64
            raise _overflow(value, dtype) from None
        if abs(v) > _FLOAT_MAX[dtype] and math.isfinite(v):
            raise _overflow(value, dtype)
        return v
    info = np.iinfo(dtype)
    if isinstance(value, (float, np.floating)):
        if not (math.isfinite(value) and info.min <= value <= info.max):
            raise _overflow(value, dtype)
        return int(value)  # truncated toward zero, as C's cast
    v = int(value)
    if not (-int(info.max) if info.min == 0 else int(info.min)) <= v <= info.max:
        raise _overflow(value, dtype)
    return wrapped_int(v, dtype)


def _overflow(value, dtype) -> RuntimeError:
    name = _dtypes.from_numpy_dtype(dtype).name
    return RuntimeError(f"value cannot be converted to type {name} without overflow "
                        f"(got {value!r})")
