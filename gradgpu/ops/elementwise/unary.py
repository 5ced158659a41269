"""One-input math ops (neg, abs, exp/log, sqrt, trig, tanh/sigmoid/relu, sign and rounding):
each is a ``Function`` class that ``_unary`` builds from its forward and gradient formulas."""

from __future__ import annotations

from ...autograd.function import Function
from .._common import Tensor, backend_of, float_dtype_of, zeros_like


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

Tan = _unary("Tan", "y = tan x;  dx = g * (1 + y^2)", lambda xp, x: xp.tan(x),
             lambda g, y: g * (1 + y * y), "output")
Sinh = _unary("Sinh", "y = sinh x;  dx = g * cosh x", lambda xp, x: xp.sinh(x),
              lambda g, x: g * cosh(x), "input", noisy=True)
Cosh = _unary("Cosh", "y = cosh x;  dx = g * sinh x", lambda xp, x: xp.cosh(x),
              lambda g, x: g * sinh(x), "input", noisy=True)
Asin = _unary("Asin", "y = asin x;  dx = g / sqrt(1 - x^2)", lambda xp, x: xp.arcsin(x),
              lambda g, x: g * rsqrt(1 - x * x), "input", noisy=True)
Acos = _unary("Acos", "y = acos x;  dx = -g / sqrt(1 - x^2)", lambda xp, x: xp.arccos(x),
              lambda g, x: -g * rsqrt(1 - x * x), "input", noisy=True)
Atan = _unary("Atan", "y = atan x;  dx = g / (1 + x^2)", lambda xp, x: xp.arctan(x),
              lambda g, x: g / (1 + x * x), "input")
Frac = _unary("Frac", "y = x - trunc(x);  dx = g", lambda xp, x: x - xp.trunc(x),
              lambda g, _: g, None, False)


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
