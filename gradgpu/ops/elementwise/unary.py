"""One-input math ops (neg, abs, exp/log, sqrt, trig, tanh/sigmoid/relu, sign and rounding):
each is a ``Function`` class that ``_unary`` builds from its row of the per-element table
(gradgpu/backend/elementwise_spec.py: ``<op>_fwd``, ``<op>_bwd``) and its gradient formula."""

from __future__ import annotations

from ...autograd.function import Function
from ...backend.elementwise_spec import ELEMENTWISE
from .._common import Tensor, backend_of, float_dtype_of, fused_ok, zeros_like


# ---- unary ops ------------------------------------------------------------------------------
def _unary(name: str, doc: str, op: str, bwd, saves: str | None, floating: bool = True):
    """Build a one-input op from the table: forward ``ew("<op>_fwd", x)``; backward
    ``ew("<op>_bwd", g, saved)`` when no graph is built (and the table has it), else ``bwd(g,
    saved)``, the same gradient in differentiable gradgpu ops (double backward).

    ``saves`` is "input", "output" or None: the tensor the backward receives. ``floating`` ops
    turn int/bool inputs into the default float dtype; the others keep integer dtypes.
    """
    fwd_name, bwd_name = f"{op}_fwd", f"{op}_bwd"
    fused = bwd_name in ELEMENTWISE

    def forward(ctx, x):
        xd = x._data
        if floating and xd.dtype.kind != "f":
            xd = xd.astype(float_dtype_of(x))
        y = backend_of(xd).ew(fwd_name, xd)
        if saves == "input":
            ctx.save_for_backward(x)
        elif saves == "output":
            y = Tensor._make(y)
            ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        if saves is None:
            if fused and fused_ok(g):
                return Tensor._make(backend_of(g._data).ew(bwd_name, g._data))
            return bwd(g, None)
        (s,) = ctx.saved_tensors
        if fused and fused_ok(g, s):
            return Tensor._make(backend_of(g._data).ew(bwd_name, g._data, s._data))
        return bwd(g, s)

    cls = type(name, (Function,), {
        "__doc__": doc,
        "forward": staticmethod(forward),
        "backward": staticmethod(backward),
        "__module__": __name__,
    })
    return cls


def _zero(g, _):
    return zeros_like(g)


Neg = _unary("Neg", "y = -x;  dx = -g", "neg", lambda g, _: -g, None, False)
Abs = _unary("Abs", "y = |x|;  dx = g * sign(x)", "abs", lambda g, x: g * sign(x), "input", False)
Exp = _unary("Exp", "y = e^x;  dx = g * y", "exp", lambda g, y: g * y, "output")
Log = _unary("Log", "y = ln x;  dx = g / x", "log", lambda g, x: g / x, "input")
Log2 = _unary("Log2", "y = log2 x;  dx = g / (x ln 2)", "log2",
              lambda g, x: g / (x * 0.6931471805599453), "input")
Log10 = _unary("Log10", "y = log10 x;  dx = g / (x ln 10)", "log10",
               lambda g, x: g / (x * 2.302585092994046), "input")
Log1p = _unary("Log1p", "y = ln(1 + x);  dx = g / (1 + x)", "log1p", lambda g, x: g / (x + 1),
               "input")
Expm1 = _unary("Expm1", "y = e^x - 1;  dx = g * (y + 1)", "expm1", lambda g, y: g * (y + 1),
               "output")
Sqrt = _unary("Sqrt", "y = sqrt(x);  dx = g / (2 y)", "sqrt", lambda g, y: g / (y * 2), "output")
Rsqrt = _unary("Rsqrt", "y = 1 / sqrt(x);  dx = -g * y^3 / 2", "rsqrt",
               lambda g, y: g * (y * y * y) * -0.5, "output")
Reciprocal = _unary("Reciprocal", "y = 1 / x;  dx = -g * y^2", "reciprocal",
                    lambda g, y: -g * (y * y), "output")
Sin = _unary("Sin", "y = sin x;  dx = g * cos x", "sin", lambda g, x: g * cos(x), "input")
Cos = _unary("Cos", "y = cos x;  dx = -g * sin x", "cos", lambda g, x: -g * sin(x), "input")
Tanh = _unary("Tanh", "y = tanh x;  dx = g * (1 - y^2)", "tanh", lambda g, y: g * (1 - y * y),
              "output")
Sigmoid = _unary("Sigmoid", "y = 1 / (1 + e^-x);  dx = g * y * (1 - y)", "sigmoid",
                 lambda g, y: g * (y * (1 - y)), "output")
Relu = _unary("Relu", "y = max(x, 0);  dx = g * [not y <= 0] (g where y is NaN)", "relu",
              lambda g, y: g * ~(y <= 0), "output", False)
Sign = _unary("Sign", "y = sign(x);  dx = 0", "sign", _zero, None, False)
Floor = _unary("Floor", "y = floor(x);  dx = 0", "floor", _zero, None, False)
Ceil = _unary("Ceil", "y = ceil(x);  dx = 0", "ceil", _zero, None, False)
Round = _unary("Round", "y = round half to even(x);  dx = 0", "round", _zero, None, False)
Trunc = _unary("Trunc", "y = trunc(x);  dx = 0", "trunc", _zero, None, False)

Tan = _unary("Tan", "y = tan x;  dx = g * (1 + y^2)", "tan", lambda g, y: g * (1 + y * y),
             "output")
Sinh = _unary("Sinh", "y = sinh x;  dx = g * cosh x", "sinh", lambda g, x: g * cosh(x), "input")
Cosh = _unary("Cosh", "y = cosh x;  dx = g * sinh x", "cosh", lambda g, x: g * sinh(x), "input")
Asin = _unary("Asin", "y = asin x;  dx = g / sqrt(1 - x^2)", "asin",
              lambda g, x: g * rsqrt(1 - x * x), "input")
Acos = _unary("Acos", "y = acos x;  dx = -g / sqrt(1 - x^2)", "acos",
              lambda g, x: -g * rsqrt(1 - x * x), "input")
Atan = _unary("Atan", "y = atan x;  dx = g / (1 + x^2)", "atan", lambda g, x: g / (1 + x * x),
              "input")
Frac = _unary("Frac", "y = x - trunc(x);  dx = g", "frac", lambda g, _: g, None, False)


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


def round(input, *, decimals: int = 0):
    """Round half to even; with ``decimals``, at that decimal place (negative: left of the
    point), as PyTorch computes it: rint(x * 10^d) / 10^d, or rint(x / 10^-d) * 10^-d."""
    decimals = int(decimals)
    if decimals == 0:
        return Round.apply(input)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"round(): decimals needs a floating point input, got {input.dtype}")
    scale = 10.0 ** (decimals if decimals > 0 else -decimals)  # (abs is the op here)
    if decimals > 0:
        return Round.apply(input * scale) / scale
    return Round.apply(input / scale) * scale


def trunc(input):
    return Trunc.apply(input)


def tan(input):
    return Tan.apply(input)


def sinh(input):
    return Sinh.apply(input)


def cosh(input):
    return Cosh.apply(input)


def asin(input):
    return Asin.apply(input)


def acos(input):
    return Acos.apply(input)


def atan(input):
    return Atan.apply(input)


def frac(input):
    """The fractional part, with the sign of input (x - trunc(x))."""
    return Frac.apply(input)


TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "neg abs exp log log2 log10 log1p expm1 sqrt rsqrt reciprocal sin cos tanh sigmoid "
        "relu sign floor ceil round trunc tan sinh cosh asin acos atan frac"
    ).split()
}
TENSOR_METHODS.update(negative=neg, absolute=abs, arcsin=asin, arccos=acos, arctan=atan)
