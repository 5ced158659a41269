"""Arithmetic: add, sub, mul, div, pow, floor_divide, remainder and square, with the reflected
forms (``radd``, ``rtruediv``...) that Python's operators use.

Forward passes are the array operators (``ad + bd``, ``ad ** bd``): on the GPU each is the same
single instruction a table kernel would run, and on the host the ufunc is the cheapest launch.
Backward passes longer than one multiply run a fused per-element kernel of
backend/elementwise_spec.py (``div_bwd``, ``pow_bwd``, ...) when no graph is being built."""

from __future__ import annotations

import numpy as np

from ... import _dtypes
from ...autograd.function import Function
from .._common import Tensor, backend_of, binary_arrays, xp_of, zeros_like
from ._binary import _apply_binary, _reflected
from .selection import where
from .unary import fused_ok, log, trunc


# ---- arithmetic -----------------------------------------------------------------------------
class Add(Function):
    """y = a + b;  da = g,  db = g"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "add")
        return ad + bd

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        return (g if need[0] else None), (g if need[1] else None)


class Sub(Function):
    """y = a - b;  da = g,  db = -g"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "sub")
        return ad - bd

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        if not need[1]:
            return (g if need[0] else None), None
        minus_g = Tensor._make(-g._data) if fused_ok(g) else -g  # no graph: no node
        return (g if need[0] else None), minus_g


class Mul(Function):
    """y = a * b;  da = g * b,  db = g * a"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "mul")
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            ctx.save_for_backward(a, b)
        else:  # tensor * number: the gradient needs only the number (nothing to save)
            ctx.factor = b if isinstance(a, Tensor) else a
        return ad * bd

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        saved = ctx.saved_tensors
        if not saved:  # one operand was a number
            f = ctx.factor
            if type(f) is float and fused_ok(g):  # no graph to build: one multiply, no node
                gf = Tensor._make(g._data * f)
            else:
                gf = g * f
            return (gf if need[0] else None), (gf if need[1] else None)
        a, b = saved
        gd, ad, bd = g._data, a._data, b._data
        if type(ad) is type(bd) is type(gd) and fused_ok(g, a, b):  # no graph, one dtype/device
            return (Tensor._make(gd * bd) if need[0] else None,
                    Tensor._make(gd * ad) if need[1] else None)
        return (g * b if need[0] else None,
                g * a if need[1] else None)


class Div(Function):
    """y = a / b;  da = g / b,  db = -g * a / b^2"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        a, b = _float_operands(a, b)
        ad, bd = binary_arrays(a, b, "div")
        with _quiet(a, b):
            return ad / bd

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a = ctx.scalars[0] if a is None else a
        b = ctx.scalars[1] if b is None else b
        need = ctx.needs_input_grad
        if need[1] and fused_ok(g, a, b):
            ga, gb = backend_of(g._data).ew("div_bwd", g._data, _data(a), _data(b))
            return (Tensor._make(ga) if need[0] else None), Tensor._make(gb)
        ga = g / b if need[0] else None
        gb = -g * ((a / b) / b) if need[1] else None
        return ga, gb


def _data(x):
    """The array of a tensor; a number stays a number (the kernel broadcasts it)."""
    return x._data if isinstance(x, Tensor) else x


def _is_float(x) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype.kind == "f"
    return isinstance(x, (float, np.floating))


def _as_float(x):
    if isinstance(x, Tensor):
        return Tensor._make(x._data.astype(_dtypes.get_default_dtype().np))
    return float(x) if isinstance(x, (int, np.integer, np.bool_)) else x


def _float_operands(a, b):
    """Operands of a float-valued op (true division, atan2): when neither is floating point,
    both go to the default float dtype as they are, not first to their common integer type,
    which wraps numbers (uint8 / -3 would divide by 253; PyTorch divides by -3)."""
    if _is_float(a) or _is_float(b):
        return a, b
    return _as_float(a), _as_float(b)


def _quiet(a, b=None):
    t = a if isinstance(a, Tensor) else b
    return backend_of(t._data).quiet()


class Pow(Function):
    """y = a ** b;  da = g * b * a^(b-1) (0 where b == 0),  db = g * y * log(a) (0 where a == 0
    and b >= 0)"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "pow")
        if isinstance(b, Tensor) and isinstance(a, (int, bool)) and b._data.dtype.kind == "f":
            ad = float(ad)
        with _quiet(a, b):
            y = Tensor._make(_power(ad, bd, b))
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None, y)
        ctx.scalars = (a, b)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gb = None
        if a is not None and b is not None and fused_ok(g, a, b, y):
            ga, gb = backend_of(g._data).ew("pow_bwd", g._data, a._data, b._data, y._data)
            return (Tensor._make(ga) if need[0] else None), (Tensor._make(gb) if need[1] else None)
        if b is None and need[0] and fused_ok(g, a):
            e = ctx.scalars[1]
            return Tensor._make(backend_of(g._data).ew("pow_scalar_bwd", g._data, a._data, e)), None
        if need[0]:
            if b is None:
                e = ctx.scalars[1]
                ga = zeros_like(g) if e == 0 else g * (e * a ** (e - 1))
            else:  # 0 where b == 0, also where a^(b-1) is inf (not computed there: 0 * inf)
                b0 = b == 0
                ga = where(b0, 0.0, g * b * a ** (where(b0, 1.0, b) - 1))
        if need[1]:
            if a is None:
                base = ctx.scalars[0]
                if base == 0:  # 0^b: 0 for b >= 0 (not 0 * -inf), as for a tensor base
                    nonneg = b >= 0
                    gb = g * where(nonneg, 0.0, where(nonneg, 1.0, y) * float("-inf"))
                else:
                    gb = g * y * _log_scalar(base)
            else:
                log_a = where((a == 0) & (b >= 0), 0.0, log(a))
                gb = g * y * log_a
        return ga, gb


def _power(ad, bd, exponent):
    """ad ** bd, with PyTorch's integer powers where NumPy refuses negative exponents: a
    negative number raises; negative entries of a tensor give 1 for base 1, +-1 for base -1
    (by the exponent's parity) and 0 for every other base."""
    arr = bd if hasattr(bd, "dtype") else ad
    if arr.dtype.kind not in "iu":
        return ad ** bd
    if not hasattr(bd, "dtype"):
        if exponent < 0 or bd < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return ad ** bd
    if bd.dtype.kind == "u":
        return ad ** bd
    xp = backend_of(bd).xp
    neg = bd < 0
    y = ad ** xp.where(neg, bd & 1, bd)  # (-1)^e by e's parity; 1^e = 1
    return xp.where(neg & (abs(ad) != 1), 0, y)


def _log_scalar(x):
    import math

    return math.log(x) if x > 0 else (float("-inf") if x == 0 else float("nan"))


class FloorDivide(Function):
    """y = floor(a / b);  da = 0,  db = 0 (piecewise constant)"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "floor_divide")
        _check_int_divisor(ad, bd)
        with _quiet(a, b):
            return ad // bd

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        return (zeros_like(g) if need[0] else None,
                zeros_like(g) if need[1] else None)


def _check_int_divisor(ad, bd) -> None:
    """Integer division by zero raises on the host, as PyTorch's CPU kernels do (NumPy would
    give 0). Not for GPU arrays: PyTorch's CUDA kernels do not check either, and the test
    would cost a synchronization per call."""
    if type(ad) is not np.ndarray and type(bd) is not np.ndarray:
        return
    if hasattr(bd, "dtype"):
        zero = bd.dtype.kind in "biu" and not bd.all()
    else:  # a number: the tensor operand's dtype says whether the division is integral
        zero = ad.dtype.kind in "biu" and bd == 0
    if zero:
        raise RuntimeError("ZeroDivisionError")


def _modulo(name: str, doc: str, ufunc: str, quotient):
    """A remainder op: y = a - q(a / b) * b, with ``quotient(a, b)`` giving q(a / b) rounded
    (floor for Python's %, trunc for C's fmod);  da = g,  db = -g * q(a / b) (the fused
    ``<name>_bwd`` kernel when no graph is built)."""
    bwd_name = f"{name}_bwd"

    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, name)
        _check_int_divisor(ad, bd)
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        with _quiet(a, b):
            return getattr(xp_of(a if isinstance(a, Tensor) else b), ufunc)(ad, bd)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a = ctx.scalars[0] if a is None else a
        b = ctx.scalars[1] if b is None else b
        need = ctx.needs_input_grad
        ga = g if need[0] else None
        gb = None
        if need[1]:
            if fused_ok(g, a, b):
                gb = Tensor._make(backend_of(g._data).ew(bwd_name, g._data, _data(a), _data(b)))
            else:
                gb = -g * quotient(a, b).detach()
        return ga, gb

    return type(name.capitalize(), (Function,), {
        "__doc__": doc, "forward": staticmethod(forward), "backward": staticmethod(backward),
        "__module__": __name__,
    })


Remainder = _modulo(
    "remainder", "y = a - floor(a / b) * b (sign of b, Python's %);  da = g,  db = -g floor(a/b)",
    "remainder", lambda a, b: floor_divide(a, b))
Fmod = _modulo(
    "fmod", "y = a - trunc(a / b) * b (sign of a, C's fmod);  da = g,  db = -g trunc(a/b)",
    "fmod", lambda a, b: trunc(div(a, b)))


class Atan2(Function):
    """y = atan2(a, b);  da = g * b / (a^2 + b^2),  db = -g * a / (a^2 + b^2) (both 0 where
    a^2 + b^2 == 0, as PyTorch)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        a, b = _float_operands(a, b)
        ad, bd = binary_arrays(a, b, "atan2")
        with _quiet(a, b):
            return xp_of(a).arctan2(ad, bd)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        if fused_ok(g, a, b):
            ga, gb = backend_of(g._data).ew("atan2_bwd", g._data, a._data, b._data)
            return (Tensor._make(ga) if need[0] else None), (Tensor._make(gb) if need[1] else None)
        r2 = a * a + b * b
        origin = r2 == 0
        scale = where(origin, 0.0, g / where(origin, 1.0, r2))
        return (scale * b if need[0] else None), (-scale * a if need[1] else None)


def add(input, other, *, alpha=1):
    """input + alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _apply_binary(Add, input, other, "add")


def sub(input, other, *, alpha=1):
    """input - alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _apply_binary(Sub, input, other, "sub")


def mul(input, other):
    """input * other, broadcasting."""
    return _apply_binary(Mul, input, other, "mul")


def div(input, other, *, rounding_mode=None):
    """input / other (true division; ``rounding_mode`` 'trunc' or 'floor' rounds)."""
    if rounding_mode is None:
        return _apply_binary(Div, input, other, "div")
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        if not (_is_float(input) or _is_float(other)):
            # exact in the integer type, out-of-range numbers wrapped as PyTorch does (a float
            # quotient would not wrap them, and rounds large int64 values)
            return floor_divide(sub(input, fmod(input, other)), other)
        return trunc(_apply_binary(Div, input, other, "div"))
    raise RuntimeError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


def pow(input, exponent):
    """input ** exponent (either may be a number)."""
    return _apply_binary(Pow, input, exponent, "pow")


def floor_divide(input, other):
    """floor(input / other)."""
    return _apply_binary(FloorDivide, input, other, "floor_divide")


def remainder(input, other):
    """Python-style modulus (result has the sign of ``other``)."""
    return _apply_binary(Remainder, input, other, "remainder")


def fmod(input, other):
    """C-style remainder (result has the sign of ``input``)."""
    return _apply_binary(Fmod, input, other, "fmod")


def atan2(input, other):
    """Elementwise arctangent of input / other, in the correct quadrant (tensors only)."""
    for name, x in (("input", input), ("other", other)):
        if not isinstance(x, Tensor):
            raise TypeError(f"atan2(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return _apply_binary(Atan2, input, other, "atan2")


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return sub(other, input, alpha=alpha)


radd = _reflected(add)
rmul = _reflected(mul)
rtruediv = _reflected(div)
rpow = _reflected(pow)
rfloordiv = _reflected(floor_divide)
rmod = _reflected(remainder)


def true_divide(input, other):
    return div(input, other)


def square(input):
    """input * input."""
    return mul(input, input)


TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "add sub mul div pow floor_divide remainder fmod atan2 true_divide square"
    ).split()
}
TENSOR_METHODS.update(multiply=mul, divide=div, subtract=sub, arctan2=atan2)
FUNCTIONS = {"rsub": rsub}
