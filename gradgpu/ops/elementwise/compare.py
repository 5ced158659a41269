"""Comparisons, logical and bitwise ops, and the NaN/inf/closeness tests: bool (or integer)
results that are never differentiated.

On the GPU these are CuPy's ufuncs (``xp.less`` ...), not kernels of ours: one comparison or bit
operation per element is exactly the kernel we would write."""

from __future__ import annotations

from .._common import (
    Tensor,
    backend_of,
    binary_arrays,
    broadcast_error,
    check_devices,
    same_device,
    to_common_device,
    xp_of,
)
from ._binary import _reflected


# ---- comparisons and logical ops (bool results, no graph) -----------------------------------
def _compare(name: str, fn):
    def op(input, other):
        ad, bd = binary_arrays(input, other, name)
        try:
            return Tensor._make(fn(ad, bd))
        except ValueError as exc:
            if "broadcast" in str(exc):
                raise broadcast_error(name, input, other) from None
            raise

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` returning a bool tensor."
    return op


eq = _compare("eq", lambda a, b: a == b)
ne = _compare("ne", lambda a, b: a != b)
lt = _compare("lt", lambda a, b: a < b)
le = _compare("le", lambda a, b: a <= b)
gt = _compare("gt", lambda a, b: a > b)
ge = _compare("ge", lambda a, b: a >= b)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _array_binary(name: str, ufunc_name: str, doc: str, integral_only: bool):
    """A non-differentiable binary op straight on the arrays (logical and bitwise ops)."""

    def op(input, other):
        if integral_only:
            for x in (input, other):
                if isinstance(x, Tensor) and x._data.dtype.kind == "f":
                    raise RuntimeError(f"\"{name}_cpu\" not implemented for '{x.dtype.name}'")
        if integral_only:  # bitwise: PyTorch's result dtype (0-d tensors, wrapped numbers)
            a, b = binary_arrays(input, other, name)
        else:  # logical: the result is bool whatever the operand types
            check_devices(name, input, other)  # a 0-d CPU tensor joins
            a, b = to_common_device(*(x._data if isinstance(x, Tensor) else x
                                      for x in (input, other)))
        xp = backend_of(a if isinstance(input, Tensor) else b).xp
        return Tensor._make(getattr(xp, ufunc_name)(a, b))

    op.__name__ = name
    op.__doc__ = doc
    return op


def _logical(name: str, ufunc_name: str):
    return _array_binary(name, ufunc_name, f"Elementwise ``{name}`` (nonzero is True), "
                         "returning a bool tensor.", integral_only=False)


logical_and = _logical("logical_and", "logical_and")
logical_or = _logical("logical_or", "logical_or")
logical_xor = _logical("logical_xor", "logical_xor")


def logical_not(input):
    """Elementwise not (nonzero is True), returning a bool tensor."""
    return Tensor._make(xp_of(input).logical_not(input._data))


def _bitwise(name: str, ufunc_name: str):
    return _array_binary(name, ufunc_name, f"Elementwise ``{name}`` of integer or bool tensors.",
                         integral_only=True)


bitwise_and = _bitwise("bitwise_and", "bitwise_and")
bitwise_or = _bitwise("bitwise_or", "bitwise_or")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor")
rand_ = _reflected(bitwise_and)
ror_ = _reflected(bitwise_or)
rxor_ = _reflected(bitwise_xor)


def bitwise_not(input):
    """~input for integer and bool tensors."""
    if input._data.dtype.kind == "f":
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for '{input.dtype.name}'")
    return Tensor._make(xp_of(input).invert(input._data))


def isnan(input):
    return Tensor._make(xp_of(input).isnan(input._data))


def isinf(input):
    return Tensor._make(xp_of(input).isinf(input._data))


def isfinite(input):
    return Tensor._make(xp_of(input).isfinite(input._data))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether all elements are close (a Python bool)."""
    same_device("allclose", input, other)
    return bool(xp_of(input).allclose(input._data, other._data, rtol=rtol, atol=atol,
                                      equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |input - other| <= atol + rtol * |other| (NaNs equal when ``equal_nan``)."""
    same_device("isclose", input, other)
    return Tensor._make(xp_of(input).isclose(input._data, other._data, rtol=rtol, atol=atol,
                                             equal_nan=equal_nan))


def equal(input, other) -> bool:
    """True if both tensors have the same shape and elements."""
    same_device("equal", input, other)
    return input.shape == other.shape and bool((input._data == other._data).all())


TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and "
        "logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not "
        "isnan isinf isfinite allclose isclose equal"
    ).split()
}
