"""Finite differences and the trapezoid rule along a dim: diff, trapezoid (trapz) and
cumulative_trapezoid, composed of slicing and differentiable arithmetic."""

from __future__ import annotations

from ... import _dtypes
from .._common import Tensor, check_tensor, describe, same_device, wrap_dim
from ..shape import narrow, reshape
from .sums import cumsum, sum


def _cat(tensors, dim):
    from ..shape import cat

    return cat(tensors, dim)


def _check_extension(input, t, axis, name):
    check_tensor(t, "diff", name)
    same_device("diff", input, t)
    if t._data.ndim != input._data.ndim:
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for d, (a, b) in enumerate(zip(input._data.shape, t._data.shape)):
        if d != axis and a != b:
            raise RuntimeError(f"diff expects the shape of tensor to prepend or append to match "
                               f"that of input except along the differencing dimension; "
                               f"input.size({d}) = {a}, but got tensor.size({d}) = {b}")


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along ``dim`` of [prepend, input, append]:
    y_i = x_{i+1} - x_i applied n times (logical xor for bool); dx: its adjoint."""
    check_tensor(input, "diff")
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = int(n)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = wrap_dim(dim, input._data.ndim, "diff")
    parts = []
    if prepend is not None:
        _check_extension(input, prepend, axis, "prepend")
        parts.append(prepend)
    parts.append(input)
    if append is not None:
        _check_extension(input, append, axis, "append")
        parts.append(append)
    x = _cat(parts, axis) if len(parts) > 1 else input
    for _ in range(n):
        size = x._data.shape[axis]
        if size == 0:
            break
        hi, lo = narrow(x, axis, 1, size - 1), narrow(x, axis, 0, size - 1)
        x = hi.logical_xor(lo) if x._data.dtype.kind == "b" else hi - lo
    return x


def _float(y):
    return y if y._data.dtype.kind == "f" else y.to(_dtypes.get_default_dtype())


def _spacing(y, x, dx, axis, op):
    """The width of each interval along ``axis`` (a tensor broadcastable against the
    interval sums, or a number)."""
    if x is None:
        return 1.0 if dx is None else dx
    if dx is not None:
        raise TypeError(f"{op}(): pass either x or dx, not both")
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'x' must be Tensor, not {type(x).__name__}")
    same_device(op, y, x)
    n = y._data.shape[axis]
    if x._data.ndim == 1:
        if x._data.shape[0] != n:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point "
                               f"(x {describe(x)}, y {describe(y)}, dim {axis})")
        shape = [1] * y._data.ndim
        shape[axis] = max(n - 1, 0)
        return reshape(diff(x), tuple(shape))
    if x._data.ndim != y._data.ndim:
        raise RuntimeError(f"{op}: x must be 1-D or have y's number of dimensions, got "
                           f"{describe(x)} and {describe(y)}")
    return diff(x, dim=axis)


def _intervals(y, x, dx, dim, op):
    """(interval areas (y_i + y_{i+1}) / 2 * width_i along ``axis``, axis)."""
    check_tensor(y, op, "y")
    if y._data.ndim == 0:
        raise IndexError(f"{op}(): Dimension specified as {dim} but tensor has no dimensions")
    axis = wrap_dim(dim, y._data.ndim, op)
    y = _float(y)
    width = _spacing(y, x, dx, axis, op)
    n = y._data.shape[axis]
    if n == 0:
        return narrow(y, axis, 0, 0), axis
    mids = (narrow(y, axis, 1, n - 1) + narrow(y, axis, 0, n - 1)) * 0.5
    return mids * width, axis


def trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoid rule along ``dim``: sum_i (y_i + y_{i+1}) / 2 * (x_{i+1} - x_i), with
    spacing ``dx`` (default 1) when no ``x`` is given; dy, dx: its adjoints."""
    areas, axis = _intervals(y, x, dx, dim, "trapezoid")
    return sum(areas, axis)


def trapz(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoid rule (the older name of trapezoid)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoid rule along ``dim`` (one entry per interval):
    out_k = sum_{i<=k} (y_i + y_{i+1}) / 2 * (x_{i+1} - x_i)."""
    areas, axis = _intervals(y, x, dx, dim, "cumulative_trapezoid")
    return cumsum(areas, axis)


TENSOR_METHODS = {"diff": diff}
FUNCTIONS = {"trapezoid": trapezoid, "trapz": trapz, "cumulative_trapezoid": cumulative_trapezoid}
