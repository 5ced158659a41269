"""Elementwise ops without a gradient: sign bits and infinities (signbit, isposinf, isneginf,
isreal), heaviside, integer gcd/lcm, nextafter and set membership (isin).

Each runs one array function that NumPy and CuPy share; the results are bool or integer
tensors (nextafter's float result passes the gradient of ``input`` straight through)."""

from __future__ import annotations

from ... import _dtypes
from ...autograd.function import Function
from .._common import Tensor, backend_of, check_devices, check_tensor, zeros_like
from .math_extra import tensor_pair, torch_name
from .selection import where


def signbit(input) -> Tensor:
    """True where the sign bit is set (-0.0 and negative NaN included); bool result."""
    check_tensor(input, "signbit")
    xd = input._data
    xp = backend_of(xd).xp
    if xd.dtype.kind == "f":
        return Tensor._make(xp.signbit(xd))
    return Tensor._make(xd < 0 if xd.dtype.kind == "i" else xp.zeros(xd.shape, dtype=bool))


def isposinf(input) -> Tensor:
    """True where input is +inf; bool result."""
    check_tensor(input, "isposinf")
    return Tensor._make(_inf_test(input._data, 1))


def isneginf(input) -> Tensor:
    """True where input is -inf; bool result."""
    check_tensor(input, "isneginf")
    return Tensor._make(_inf_test(input._data, -1))


def _inf_test(xd, sign: int):
    if xd.dtype.kind != "f":
        return backend_of(xd).xp.zeros(xd.shape, dtype=bool)
    return xd == sign * float("inf")


def isreal(input) -> Tensor:
    """True everywhere for real tensors (gradgpu has no complex dtypes); bool result."""
    check_tensor(input, "isreal")
    xd = input._data
    return Tensor._make(backend_of(xd).xp.ones(xd.shape, dtype=bool))


def heaviside(input, values) -> Tensor:
    """y = 0 where x < 0 (and NaN), ``values`` where x == 0, 1 where x > 0; no gradient."""
    a, b = tensor_pair("heaviside", input, values, "none")
    if a.dtype != b.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    ad, bd = a._data, b._data
    xp = backend_of(ad).xp
    with backend_of(ad).quiet():
        return Tensor._make(xp.where(ad == 0, bd, (ad > 0).astype(ad.dtype)))


def _integer_op(op: str, ufunc: str):
    def fn(input, other) -> Tensor:
        a, b = tensor_pair(op, input, other, "none")
        dt = _dtypes.result_type(a, b)
        if dt.np.kind not in "iu":
            raise NotImplementedError(f'"{op}" not implemented for \'{torch_name(dt)}\'')
        ad, bd = a._data.astype(dt.np, copy=False), b._data.astype(dt.np, copy=False)
        be = backend_of(ad)
        with be.quiet():
            return Tensor._make(getattr(be.xp, ufunc)(ad, bd).astype(dt.np, copy=False))

    fn.__name__ = op
    return fn


gcd = _integer_op("gcd", "gcd")
gcd.__doc__ = "Greatest common divisor (non-negative; gcd(0, 0) = 0); integer tensors only."
lcm = _integer_op("lcm", "lcm")
lcm.__doc__ = "Least common multiple (non-negative; 0 if either is 0); integer tensors only."


class Nextafter(Function):
    """y = the next float after a in the direction of b;  da = g (0 where a == b),  db = 0
    (PyTorch's)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        be = backend_of(a._data)
        with be.quiet():
            return be.xp.nextafter(a._data, b._data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (where(a == b, 0.0, g) if need[0] else None), (zeros_like(g) if need[1] else None)


def nextafter(input, other) -> Tensor:
    """The next representable float after input toward other (float tensors only)."""
    a, b = tensor_pair("nextafter", input, other, "none")
    dt = _dtypes.result_type(a, b)
    if not dt.is_floating_point:
        raise NotImplementedError(f'"nextafter" not implemented for \'{torch_name(dt)}\'')
    return Nextafter.apply(a.to(dt), b.to(dt))


def isin(elements, test_elements, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """True where an entry of ``elements`` equals some entry of ``test_elements`` (False where
    ``invert``); either may be a number; bool result of ``elements``' shape."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): expected at least one Tensor operand, got "
                        f"{type(elements).__name__} and {type(test_elements).__name__}")
    check_devices("isin", elements, test_elements)
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = backend_of(like._data).xp
    ed = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    td = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    out = xp.isin(ed, td, assume_unique=assume_unique, invert=invert)
    return Tensor._make(xp.asarray(out).reshape(ed.shape))


TENSOR_METHODS = {
    name: globals()[name]
    for name in "signbit isposinf isneginf isreal heaviside gcd lcm nextafter".split()
}
FUNCTIONS = {"isin": isin}  # torch.isin has no Tensor method
