"""Elementwise ops: arithmetic, unary math, comparisons, logical ops, where/clamp.

Each op's docstring gives its math; backward is written in differentiable gradgpu ops so
``create_graph=True`` works. Backward returns gradients in the broadcast shape; the engine sums
each back to its input's shape (and dtype), for every op alike.
"""

from __future__ import annotations

from .. import _dtypes
from ..autograd.function import Function
from ._common import (
    Tensor,
    backend_of,
    binary_arrays,
    broadcast_error,
    float_dtype_of,
    same_device,
    xp_of,
    zeros_like,
)


def _apply_binary(fn, a, b, op: str):
    try:
        return fn.apply(a, b)
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise broadcast_error(op, a, b) from None
        raise


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
        return (g if need[0] else None), (-g if need[1] else None) if need[1] else None


class Mul(Function):
    """y = a * b;  da = g * b,  db = g * a"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "mul")
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        return ad * bd

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a = ctx.scalars[0] if a is None else a
        b = ctx.scalars[1] if b is None else b
        need = ctx.needs_input_grad
        return (g * b if need[0] else None,
                g * a if need[1] else None)


class Div(Function):
    """y = a / b;  da = g / b,  db = -g * a / b^2"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "div")
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        if getattr(ad, "dtype", None) is not None and ad.dtype.kind != "f" or (
            getattr(bd, "dtype", None) is not None and bd.dtype.kind != "f"
        ):
            ad = _to_float(ad, a)
            bd = _to_float(bd, b)
        with _quiet(a, b):
            return ad / bd

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a = ctx.scalars[0] if a is None else a
        b = ctx.scalars[1] if b is None else b
        need = ctx.needs_input_grad
        ga = g / b if need[0] else None
        gb = -g * a / (b * b) if need[1] else None
        return ga, gb


def _to_float(arr, ref):
    """int/bool operands of true division compute in the default float dtype."""
    if not hasattr(arr, "dtype") or arr.dtype.kind == "f":
        return arr
    return arr.astype(_dtypes.get_default_dtype().np)


def _quiet(a, b=None):
    t = a if isinstance(a, Tensor) else b
    return backend_of(t._data).quiet()


class Pow(Function):
    """y = a ** b;  da = g * b * a^(b-1),  db = g * y * log(a) (0 where a == 0 and b >= 0)"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "pow")
        if isinstance(b, Tensor) and isinstance(a, (int, bool)) and b._data.dtype.kind == "f":
            ad = float(ad)
        with _quiet(a, b):
            y = Tensor._make(ad ** bd)
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None, y)
        ctx.scalars = (a, b)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gb = None
        if need[0]:
            if b is None:
                e = ctx.scalars[1]
                ga = zeros_like(g) if e == 0 else g * (e * a ** (e - 1))
            else:
                ga = g * b * a ** (b - 1)
        if need[1]:
            if a is None:
                base = ctx.scalars[0]
                gb = g * y * _log_scalar(base)
            else:
                log_a = where((a == 0) & (b >= 0), 0.0, log(a))
                gb = g * y * log_a
        return ga, gb


def _log_scalar(x):
    import math

    return math.log(x) if x > 0 else (float("-inf") if x == 0 else float("nan"))


class FloorDivide(Function):
    """y = floor(a / b);  da = 0,  db = 0 (piecewise constant)"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "floor_divide")
        with _quiet(a, b):
            return ad // bd

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        return (zeros_like(g) if need[0] else None,
                zeros_like(g) if need[1] else None)


class Remainder(Function):
    """y = a - floor(a / b) * b (sign of b, Python's %);  da = g,  db = -g * floor(a / b)"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "remainder")
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        with _quiet(a, b):
            return xp_of(a if isinstance(a, Tensor) else b).remainder(ad, bd)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a = ctx.scalars[0] if a is None else a
        b = ctx.scalars[1] if b is None else b
        need = ctx.needs_input_grad
        ga = g if need[0] else None
        gb = -g * floor_divide(a, b).detach() if need[1] else None
        return ga, gb


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
        q = _apply_binary(Div, input, other, "div")
        out = trunc(q)
        kinds = {x._data.dtype.kind for x in (input, other) if isinstance(x, Tensor)}
        if "f" not in kinds and not any(isinstance(x, float) for x in (input, other)):
            return out.to(_dtypes.result_type(input, other))
        return out
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


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return sub(other, input, alpha=alpha)


def _reflected(fn):
    def op(self, other):
        return fn(other, self)

    op.__name__ = f"r{fn.__name__}"
    return op


radd = _reflected(add)
rmul = _reflected(mul)
rtruediv = _reflected(div)
rpow = _reflected(pow)
rfloordiv = _reflected(floor_divide)
rmod = _reflected(remainder)


def true_divide(input, other):
    return div(input, other)


# ---- unary ops ------------------------------------------------------------------------------
def _unary(name: str, doc: str, fwd, bwd, saves: str | None, floating: bool = True,
           noisy: bool = False):
    """Build a one-input op: ``fwd(xp, array)`` computes y, ``bwd(g, saved)`` its gradient.

    ``saves`` is "input", "output" or None: the tensor ``bwd`` receives. ``floating`` ops turn
    int/bool inputs into the default float dtype; ``noisy`` ones may hit log(0)-like cases.
    """

    def forward(ctx, x):
        xd = x._data
        if floating and xd.dtype.kind != "f":
            xd = xd.astype(float_dtype_of(x))
        be = backend_of(xd)
        if noisy:
            with be.quiet():
                y = Tensor._make(fwd(be.xp, xd))
        else:
            y = Tensor._make(fwd(be.xp, xd))
        if saves == "input":
            ctx.save_for_backward(x)
        elif saves == "output":
            ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        if saves is None:
            return bwd(g, None)
        (s,) = ctx.saved_tensors
        return bwd(g, s)

    cls = type(name, (Function,), {
        "__doc__": doc,
        "forward": staticmethod(forward),
        "backward": staticmethod(backward),
        "__module__": __name__,
    })
    return cls


Neg = _unary("Neg", "y = -x;  dx = -g", lambda xp, x: -x, lambda g, _: -g, None, False)
Abs = _unary("Abs", "y = |x|;  dx = g * sign(x)", lambda xp, x: xp.abs(x),
             lambda g, x: g * sign(x), "input", False)
Exp = _unary("Exp", "y = e^x;  dx = g * y", lambda xp, x: xp.exp(x),
             lambda g, y: g * y, "output", noisy=True)
Log = _unary("Log", "y = ln x;  dx = g / x", lambda xp, x: xp.log(x),
             lambda g, x: g / x, "input", noisy=True)
Log2 = _unary("Log2", "y = log2 x;  dx = g / (x ln 2)", lambda xp, x: xp.log2(x),
              lambda g, x: g / (x * 0.6931471805599453), "input", noisy=True)
Log10 = _unary("Log10", "y = log10 x;  dx = g / (x ln 10)", lambda xp, x: xp.log10(x),
               lambda g, x: g / (x * 2.302585092994046), "input", noisy=True)
Log1p = _unary("Log1p", "y = ln(1 + x);  dx = g / (1 + x)", lambda xp, x: xp.log1p(x),
               lambda g, x: g / (x + 1), "input", noisy=True)
Expm1 = _unary("Expm1", "y = e^x - 1;  dx = g * (y + 1)", lambda xp, x: xp.expm1(x),
               lambda g, y: g * (y + 1), "output", noisy=True)
Sqrt = _unary("Sqrt", "y = sqrt(x);  dx = g / (2 y)", lambda xp, x: xp.sqrt(x),
              lambda g, y: g / (y * 2), "output", noisy=True)
Rsqrt = _unary("Rsqrt", "y = 1 / sqrt(x);  dx = -g * y^3 / 2", lambda xp, x: 1 / xp.sqrt(x),
               lambda g, y: g * (y * y * y) * -0.5, "output", noisy=True)
Reciprocal = _unary("Reciprocal", "y = 1 / x;  dx = -g * y^2", lambda xp, x: 1 / x,
                    lambda g, y: -g * (y * y), "output", noisy=True)
Sin = _unary("Sin", "y = sin x;  dx = g * cos x", lambda xp, x: xp.sin(x),
             lambda g, x: g * cos(x), "input")
Cos = _unary("Cos", "y = cos x;  dx = -g * sin x", lambda xp, x: xp.cos(x),
             lambda g, x: -g * sin(x), "input")
Tanh = _unary("Tanh", "y = tanh x;  dx = g * (1 - y^2)", lambda xp, x: xp.tanh(x),
              lambda g, y: g * (1 - y * y), "output")
Sigmoid = _unary("Sigmoid", "y = 1 / (1 + e^-x);  dx = g * y * (1 - y)",
                 lambda xp, x: _sigmoid(xp, x), lambda g, y: g * (y * (1 - y)), "output")
Relu = _unary("Relu", "y = max(x, 0);  dx = g * [y > 0]", lambda xp, x: xp.maximum(x, 0),
              lambda g, y: g * (y > 0), "output", False)
Sign = _unary("Sign", "y = sign(x);  dx = 0", lambda xp, x: xp.sign(x),
              lambda g, _: zeros_like(g), None, False)
Floor = _unary("Floor", "y = floor(x);  dx = 0", lambda xp, x: xp.floor(x),
               lambda g, _: zeros_like(g), None, False)
Ceil = _unary("Ceil", "y = ceil(x);  dx = 0", lambda xp, x: xp.ceil(x),
              lambda g, _: zeros_like(g), None, False)
Round = _unary("Round", "y = round half to even(x);  dx = 0", lambda xp, x: xp.round(x),
               lambda g, _: zeros_like(g), None, False)
Trunc = _unary("Trunc", "y = trunc(x);  dx = 0", lambda xp, x: xp.trunc(x),
               lambda g, _: zeros_like(g), None, False)


def _sigmoid(xp, x):
    # Split by sign so exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) otherwise.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def neg(input):
    """-input."""
    return Neg.apply(input)


def abs(input):
    """|input|."""
    return Abs.apply(input)


def exp(input):
    """e^input."""
    return Exp.apply(input)


def log(input):
    """Natural logarithm."""
    return Log.apply(input)


def log2(input):
    return Log2.apply(input)


def log10(input):
    return Log10.apply(input)


def log1p(input):
    """ln(1 + input), accurate near 0."""
    return Log1p.apply(input)


def expm1(input):
    """e^input - 1, accurate near 0."""
    return Expm1.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


def rsqrt(input):
    """1 / sqrt(input)."""
    return Rsqrt.apply(input)


def reciprocal(input):
    return Reciprocal.apply(input)


def square(input):
    """input * input."""
    return mul(input, input)


def sin(input):
    return Sin.apply(input)


def cos(input):
    return Cos.apply(input)


def tanh(input):
    return Tanh.apply(input)


def sigmoid(input):
    """The logistic function, stable for large |input|."""
    return Sigmoid.apply(input)


def relu(input):
    """max(input, 0)."""
    return Relu.apply(input)


def sign(input):
    return Sign.apply(input)


def floor(input):
    return Floor.apply(input)


def ceil(input):
    return Ceil.apply(input)


def round(input):
    return Round.apply(input)


def trunc(input):
    return Trunc.apply(input)


# ---- clamp / maximum / minimum / where ------------------------------------------------------
class Clamp(Function):
    """y = min(max(x, lo), hi);  dx = g where lo <= x <= hi, dlo/dhi = g where they bind"""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = xp_of(x)
        y = x._data
        lo_d = lo._data if isinstance(lo, Tensor) else lo
        hi_d = hi._data if isinstance(hi, Tensor) else hi
        if lo is not None:
            y = xp.maximum(y, lo_d)
        if hi is not None:
            y = xp.minimum(y, hi_d)
        ctx.save_for_backward(x, lo if isinstance(lo, Tensor) else None,
                              hi if isinstance(hi, Tensor) else None)
        ctx.bounds = (lo, hi)
        return y.astype(x._data.dtype, copy=False) if y.dtype != x._data.dtype else y

    @staticmethod
    def backward(ctx, g):
        x, lo_t, hi_t = ctx.saved_tensors
        lo, hi = ctx.bounds
        lo = lo_t if lo_t is not None else lo
        hi = hi_t if hi_t is not None else hi
        need = ctx.needs_input_grad
        keep = None  # where x itself is the result
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = (x <= hi) if keep is None else keep & (x <= hi)
        gx = (g * keep if keep is not None else g) if need[0] else None
        glo = ghi = None
        if need[1]:
            lo_binds = x < lo
            glo = g * (lo_binds & (lo <= hi) if hi is not None else lo_binds)
        if need[2]:
            hi_binds = x > hi
            ghi = g * (hi_binds | (hi < lo) if lo is not None else hi_binds)
        return gx, glo, ghi


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; either bound may be a number or a tensor."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    same_device("clamp", input, min, max)
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


class Maximum(Function):
    """y = max(a, b);  da = g where a > b, db = g where b > a, ties split g / 2 each"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "maximum")
        ctx.save_for_backward(a, b)
        return xp_of(a).maximum(ad, bd)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _minmax_grads(ctx, g, a, b, a > b)


class Minimum(Function):
    """y = min(a, b);  da = g where a < b, db = g where b < a, ties split g / 2 each"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "minimum")
        ctx.save_for_backward(a, b)
        return xp_of(a).minimum(ad, bd)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _minmax_grads(ctx, g, a, b, a < b)


def _minmax_grads(ctx, g, a, b, a_wins):
    tie = a == b
    half = g * 0.5
    need = ctx.needs_input_grad
    ga = where(tie, half, g * a_wins) if need[0] else None
    gb = where(tie, half, g * ~(a_wins | tie)) if need[1] else None
    return ga, gb


def maximum(input, other):
    """Elementwise maximum of two tensors (NaN propagates)."""
    _require_tensors("maximum", input, other)
    return _apply_binary(Maximum, input, other, "maximum")


def minimum(input, other):
    """Elementwise minimum of two tensors (NaN propagates)."""
    _require_tensors("minimum", input, other)
    return _apply_binary(Minimum, input, other, "minimum")


def _require_tensors(op, *xs):
    for x in xs:
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'other' must be Tensor, not {type(x).__name__}")


class Where(Function):
    """y = cond ? a : b;  da = g where cond, db = g where not cond"""

    @staticmethod
    def forward(ctx, cond, a, b):
        ad, bd = binary_arrays(a, b, "where")
        ctx.cond = cond  # bool: never differentiated, so no version check needed
        return xp_of(cond).where(cond._data, ad, bd)

    @staticmethod
    def backward(ctx, g):
        cond = ctx.cond
        need = ctx.needs_input_grad
        zero = zeros_like(g)
        ga = where(cond, g, zero) if need[1] else None
        gb = where(cond, zero, g) if need[2] else None
        return None, ga, gb


def where(condition, input=None, other=None):
    """Elementwise select: ``input`` where condition is True, else ``other``.

    With one argument, the indices of the True elements (like ``nonzero(as_tuple=True)``).
    """
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor) or condition._data.dtype.kind != "b":
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got "
            f"{condition.dtype if isinstance(condition, Tensor) else type(condition).__name__}"
        )
    same_device("where", condition, input, other)
    try:
        return Where.apply(condition, input, other)
    except ValueError as exc:
        if "broadcast" in str(exc):
            shapes = [list(x.shape) for x in (condition, input, other) if isinstance(x, Tensor)]
            raise RuntimeError(f"where: shapes {shapes} cannot be broadcast together") from None
        raise


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


def _logical(name: str, ufunc_name: str):
    def op(input, other):
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        same_device(name, input, other)
        xp = xp_of(input if isinstance(input, Tensor) else other)
        return Tensor._make(getattr(xp, ufunc_name)(a, b))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` (nonzero is True), returning a bool tensor."
    return op


logical_and = _logical("logical_and", "logical_and")
logical_or = _logical("logical_or", "logical_or")
logical_xor = _logical("logical_xor", "logical_xor")


def logical_not(input):
    """Elementwise not (nonzero is True), returning a bool tensor."""
    return Tensor._make(xp_of(input).logical_not(input._data))


def _bitwise(name: str, ufunc_name: str):
    def op(input, other):
        for x in (input, other):
            if isinstance(x, Tensor) and x._data.dtype.kind == "f":
                raise RuntimeError(f"\"{name}_cpu\" not implemented for '{x.dtype.name}'")
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        same_device(name, input, other)
        xp = xp_of(input if isinstance(input, Tensor) else other)
        return Tensor._make(getattr(xp, ufunc_name)(a, b))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` of integer or bool tensors."
    return op


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
    return bool(xp_of(input).allclose(input._data, other._data, rtol=rtol, atol=atol,
                                      equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return Tensor._make(xp_of(input).isclose(input._data, other._data, rtol=rtol, atol=atol,
                                             equal_nan=equal_nan))


def equal(input, other) -> bool:
    """True if both tensors have the same shape and elements."""
    return input.shape == other.shape and bool((input._data == other._data).all())


TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "add sub mul div pow floor_divide remainder true_divide neg abs exp log log2 log10 "
        "log1p expm1 sqrt rsqrt reciprocal square sin cos tanh sigmoid relu sign floor ceil "
        "round trunc clamp clip clamp_min clamp_max maximum minimum eq ne lt le gt ge greater "
        "greater_equal less less_equal not_equal logical_and logical_or logical_xor logical_not "
        "bitwise_and bitwise_or bitwise_xor bitwise_not isnan isinf isfinite allclose isclose "
        "equal"
    ).split()
}
TENSOR_METHODS.update(negative=neg, absolute=abs, multiply=mul, divide=div, subtract=sub,
                      where=lambda self, condition, other: where(condition, self, other))
FUNCTIONS = {"where": where, "rsub": rsub}
