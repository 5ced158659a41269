"""More elementwise math with gradients: xlogy/xlog1py, logaddexp(2), logit, nan_to_num,
fmax/fmin, exp2, float_power, ldexp, copysign and PyTorch's aliases (sgn, fix, positive);
the operand helpers shared by the other new elementwise modules.

Every op is composed from existing gradgpu ops or from array functions that NumPy and CuPy
share, so it runs on both backends with no kernel of its own; backward passes are written in
differentiable gradgpu ops, so ``create_graph=True`` works."""

from __future__ import annotations

import math

import numpy as np

from ... import _dtypes
from ...autograd.function import Function
from .._common import (
    Tensor,
    backend_of,
    broadcast_error,
    check_devices,
    check_tensor,
    float_dtype_of,
    zeros_like,
)
from .arithmetic import pow
from .compare import isfinite, isinf, isnan
from .selection import clamp, maximum, where
from .unary import abs, exp, log, log1p, sigmoid, sign, trunc

_LN2 = math.log(2.0)
_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long", "float16": "Half", "float32": "Float",
                "float64": "Double"}


def torch_name(dtype) -> str:
    """PyTorch's C++ name of a dtype ('Long', 'Float'), as its "not implemented" errors say."""
    return _TORCH_NAMES.get(dtype.name, dtype.name)


# ---- operand handling -----------------------------------------------------------------------
def check_broadcast(op: str, a: Tensor, b: Tensor) -> None:
    """PyTorch's broadcast error, naming ``op``, before any array work."""
    try:
        np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise broadcast_error(op, a, b) from None


def _wrap(x, like: Tensor) -> Tensor:
    """A Python number as a 0-d tensor on ``like``'s device, with the dtype that gives it a
    number's (weak) promotion: bool, int64, or the default float dtype."""
    if isinstance(x, (bool, np.bool_)):
        dt = _dtypes.bool_
    elif isinstance(x, (int, np.integer)):
        dt = _dtypes.int64
    elif isinstance(x, (float, np.floating)):
        dt = _dtypes.get_default_dtype()
    else:
        raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}")
    return Tensor._make(backend_of(like._data).asarray(x, dtype=dt.np))  # (keeps a -0.0)


def tensor_pair(op: str, a, b, numbers: str = "both") -> tuple[Tensor, Tensor]:
    """Both operands as tensors on one device and broadcastable. ``numbers``: which operand
    may be a Python number ("both", "other" or "none"), as PyTorch's overloads allow."""
    names = ("input", "other")
    allowed = {"both": (0, 1), "other": (1,), "none": ()}[numbers]
    for i, x in enumerate((a, b)):
        if not isinstance(x, Tensor) and i not in allowed:
            raise TypeError(f"{op}(): argument '{names[i]}' (position {i + 1}) must be Tensor, "
                            f"not {type(x).__name__}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}(): expected at least one Tensor operand, got "
                        f"{type(a).__name__} and {type(b).__name__}")
    a = a if isinstance(a, Tensor) else _wrap(a, b)
    b = b if isinstance(b, Tensor) else _wrap(b, a)
    check_devices(op, a, b)
    check_broadcast(op, a, b)
    return a, b


def float_pair(op: str, a, b, numbers: str = "both") -> tuple[Tensor, Tensor]:
    """``tensor_pair`` cast to the float dtype PyTorch computes in: the promoted dtype, or the
    default float dtype when that is not floating point."""
    a, b = tensor_pair(op, a, b, numbers)
    dt = _dtypes.result_type(a, b)
    if not dt.is_floating_point:
        dt = _dtypes.get_default_dtype()
    return a.to(dt), b.to(dt)


def as_float(x: Tensor) -> Tensor:
    """x in its own float dtype, or the default float dtype for integer and bool tensors."""
    return x if x._data.dtype.kind == "f" else x.to(float_dtype_of(x))


# ---- x log y ----------------------------------------------------------------------------------
def quiet(t: Tensor):
    """The backend's context that silences NumPy's inf/NaN warnings (a GPU gives none)."""
    return backend_of(t._data).quiet()


def _x_log_fn(name: str, logf, one: float, dlog):
    """y = a * logf(b), 0 where a == 0 (unless b is NaN);  da = <the same op>(g, b), 0 where
    a == 0 and b <= one - 1 (logf's pole),  db = g * a * dlog(b) (PyTorch's formulas)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with quiet(a):
            safe = where((a == 0) & ~isnan(b), one, b)  # logf(one) = 0: 0 * log(0) not formed
            return a * logf(safe)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        with quiet(g):
            ga = (where((a == 0) & (b <= one - 1), 0.0, _FNS[name](g, b)) if need[0]
                  else None)
            gb = g * a * dlog(b) if need[1] else None
        return ga, gb

    return type(name.capitalize(), (Function,), {
        "__doc__": f"y = a * {logf.__name__}(b) (0 where a == 0);  da = {name}(g, b) (0 where"
                   f" a == 0 and b <= {one - 1:g}),  db = g * a * {logf.__name__}'(b)",
        "forward": staticmethod(forward), "backward": staticmethod(backward),
        "__module__": __name__,
    })


Xlogy = _x_log_fn("xlogy", log, 1.0, lambda b: 1 / b)
Xlog1py = _x_log_fn("xlog1py", log1p, 0.0, lambda b: 1 / (b + 1))


def xlogy(input, other) -> Tensor:
    """y = input * log(other), 0 where input == 0 (NaN where other is NaN);
    d input = log(other) where input != 0, d other = input / other."""
    return Xlogy.apply(*float_pair("xlogy", input, other))


def xlog1py(input, other) -> Tensor:
    """y = input * log1p(other), 0 where input == 0 (NaN where other is NaN);
    d input = log1p(other) where input != 0, d other = input / (1 + other)."""
    return Xlog1py.apply(*float_pair("xlog1py", input, other))


_FNS = {"xlogy": xlogy, "xlog1py": xlog1py}


# ---- log-add-exp ------------------------------------------------------------------------------
class LogAddExp(Function):
    """y = log(e^a + e^b) = max(a, b) + log1p(e^-|a - b|) (a where a == b == +-inf);
    da = g * sigmoid(a - b),  db = g * sigmoid(b - a)"""

    @staticmethod
    def forward(ctx, a, b, base2):
        ctx.save_for_backward(a, b)
        ctx.base2 = base2
        with quiet(a):
            d = -abs(a - b)
            tail = log1p(pow(2.0, d)) / _LN2 if base2 else log1p(exp(d))
            return where(isinf(a) & (a == b), a, maximum(a, b) + tail)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        with quiet(a):
            d = (a - b) * _LN2 if ctx.base2 else a - b
        need = ctx.needs_input_grad
        return (g * sigmoid(d) if need[0] else None), (g * sigmoid(-d) if need[1] else None), None


def _logaddexp(op: str, input, other, base2: bool) -> Tensor:
    a, b = tensor_pair(op, input, other, "none")
    dt = _dtypes.result_type(a, b)
    if not dt.is_floating_point:  # PyTorch has no integer kernel (and would not promote)
        raise NotImplementedError(f'"{op}" not implemented for \'{torch_name(dt)}\'')
    return LogAddExp.apply(a.to(dt), b.to(dt), base2)


def logaddexp(input, other) -> Tensor:
    """y = log(e^input + e^other), without overflow;  d input = g * sigmoid(input - other)."""
    return _logaddexp("logaddexp", input, other, False)


def logaddexp2(input, other) -> Tensor:
    """y = log2(2^input + 2^other), without overflow;
    d input = g * sigmoid((input - other) ln 2)."""
    return _logaddexp("logaddexp2", input, other, True)


# ---- logit, nan_to_num ------------------------------------------------------------------------
class Logit(Function):
    """y = log(z / (1 - z)), z = clamp(x, eps, 1 - eps) (z = x without eps);
    dx = g / (x (1 - x)) inside [eps, 1 - eps], 0 outside it (NaN outside [0, 1] without eps)"""

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x if eps is None else clamp(x, eps, 1.0 - eps)
        with quiet(x):
            return log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        eps = ctx.eps
        lo, hi, outside = (0.0, 1.0, math.nan) if eps is None else (eps, 1.0 - eps, 0.0)
        with quiet(x):
            return where((x < lo) | (x > hi), outside, g / (x * (1 - x))), None


def logit(input, eps: float | None = None) -> Tensor:
    """y = log(x / (1 - x)), x clamped to [eps, 1 - eps] when eps is given (and >= 0);
    dx = g / (x (1 - x)) inside the clamp range, 0 outside."""
    check_tensor(input, "logit")
    eps = None if eps is None or eps < 0 else float(eps)
    return Logit.apply(as_float(input), eps)


def nan_to_num(input, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """y = x, with NaN -> ``nan``, +inf -> ``posinf`` and -inf -> ``neginf`` (defaults: the
    dtype's largest and lowest finite values);  dx = g where x is finite, else 0."""
    check_tensor(input, "nan_to_num")
    if input._data.dtype.kind != "f":
        return input.clone()
    fi = _dtypes.finfo(input.dtype)
    posinf = fi.max if posinf is None else posinf
    neginf = fi.min if neginf is None else neginf
    xp = backend_of(input._data).xp
    xd = input._data
    with backend_of(xd).quiet():  # posinf=1e300 for float32 rounds to inf, as in PyTorch
        fill = xp.where(xd != xd, xp.asarray(nan, dtype=xd.dtype),
                        xp.where(xd > 0, xp.asarray(posinf, dtype=xd.dtype),
                                 xp.asarray(neginf, dtype=xd.dtype)))
    return where(isfinite(input), input, Tensor._make(fill))


# ---- fmax / fmin ------------------------------------------------------------------------------
def fmax(input, other) -> Tensor:
    """y = max(a, b), ignoring a NaN operand (NaN only when both are);
    da = g where a >= b or b is NaN (ties go to a), db = g elsewhere."""
    a, b = tensor_pair("fmax", input, other, "none")
    return where((a >= b) | isnan(b), a, b)


def fmin(input, other) -> Tensor:
    """y = min(a, b), ignoring a NaN operand (NaN only when both are);
    da = g where a <= b or b is NaN (ties go to a), db = g elsewhere."""
    a, b = tensor_pair("fmin", input, other, "none")
    return where((a <= b) | isnan(b), a, b)


# ---- powers of two, float_power ---------------------------------------------------------------
def exp2(input) -> Tensor:
    """y = 2^x;  dx = g * y * ln 2."""
    check_tensor(input, "exp2")
    return pow(2.0, as_float(input))


def ldexp(input, other) -> Tensor:
    """y = input * 2^other (PyTorch's formula: mul(input, pow(2.0, other)))."""
    a, b = tensor_pair("ldexp", input, other, "none")
    with quiet(a):
        if a._data.dtype.kind == "f" and b._data.dtype.kind != "f":
            # integer exponents keep the input's dtype (as PyTorch), scaled in float64 so
            # that 2^b itself neither overflows nor rounds the input
            f64 = _dtypes.float64
            return (a.to(f64) * pow(2.0, b.to(f64))).to(a.dtype)
        return a * pow(2.0, b)


def float_power(input, exponent) -> Tensor:
    """y = input ** exponent computed in float64 (the result is float64);
    d input = g * e * x^(e - 1), d exponent = g * y * log(x)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): expected at least one Tensor operand, got "
                        f"{type(input).__name__} and {type(exponent).__name__}")
    a = input.to(_dtypes.float64) if isinstance(input, Tensor) else float(input)
    b = exponent.to(_dtypes.float64) if isinstance(exponent, Tensor) else float(exponent)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        check_devices("float_power", a, b)
        check_broadcast("float_power", a, b)
    return pow(a, b)


# ---- copysign ---------------------------------------------------------------------------------
class Copysign(Function):
    """y = |a| with the sign of b;  da = g * y / a (0 where a == 0),  db = 0"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = a._data, b._data
        be = backend_of(ad)
        with be.quiet():
            y = be.xp.copysign(ad, bd)
            ctx.ratio = Tensor._make(be.xp.where(ad == 0, 0, y / ad).astype(y.dtype))
        return y

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        return (g * ctx.ratio if need[0] else None), (zeros_like(g) if need[1] else None)


def copysign(input, other) -> Tensor:
    """y = |input| with the sign (bit) of other;  d input = g * sign change, 0 where
    input == 0;  d other = 0."""
    return Copysign.apply(*float_pair("copysign", input, other, "other"))


# ---- aliases ----------------------------------------------------------------------------------
def sgn(input) -> Tensor:
    """sign(x) for real tensors (PyTorch's complex-aware sign);  dx = 0."""
    check_tensor(input, "sgn")
    return input.clone() if input._data.dtype.kind == "b" else sign(input)


def fix(input) -> Tensor:
    """Alias of trunc: round toward zero;  dx = 0."""
    return trunc(check_tensor(input, "fix"))


def positive(input) -> Tensor:
    """+input: the input itself (PyTorch refuses bool tensors)."""
    check_tensor(input, "positive")
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "xlogy logaddexp logaddexp2 logit nan_to_num fmax fmin exp2 ldexp float_power copysign "
        "sgn fix positive"
    ).split()
}
FUNCTIONS: dict = {}  # xlog1py is torch.special's only (gradgpu.special)
