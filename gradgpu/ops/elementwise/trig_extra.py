"""sinc, deg2rad/rad2deg and the inverse hyperbolic functions (asinh, acosh, atanh), with
gradients written in differentiable gradgpu ops; forward passes are gradgpu ops or array
functions NumPy and CuPy share."""

from __future__ import annotations

import math

from ...autograd.function import Function
from .._common import Tensor, backend_of, check_tensor
from .math_extra import as_float, quiet
from .selection import where
from .unary import cos, rsqrt, sin


# ---- sinc, angles -----------------------------------------------------------------------------
class Sinc(Function):
    """y = sin(pi x) / (pi x) (1 at 0);
    dx = g * (pi x cos(pi x) - sin(pi x)) / (pi x^2) (0 at 0)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        zero = x == 0
        px = where(zero, 1.0, x) * math.pi  # the 0/0 branch is never formed
        with quiet(x):
            return where(zero, 1.0, sin(px) / px)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        zero = x == 0
        xs = where(zero, 1.0, x)
        px = xs * math.pi
        with quiet(x):
            den = px * xs
            # where pi x^2 underflows to 0 the slope (about -pi^2 x / 3) is 0, as PyTorch's
            flat = zero | (den == 0)
            return where(flat, 0.0, g * ((px * cos(px) - sin(px)) / where(flat, 1.0, den)))


def sinc(input) -> Tensor:
    """y = sin(pi x) / (pi x), 1 at x = 0;  dx = g * (cos(pi x) - sinc(x)) / x (0 at 0)."""
    check_tensor(input, "sinc")
    return Sinc.apply(as_float(input))


def deg2rad(input) -> Tensor:
    """y = x * pi / 180;  dx = g * pi / 180."""
    check_tensor(input, "deg2rad")
    return as_float(input) * (math.pi / 180.0)


def rad2deg(input) -> Tensor:
    """y = x * 180 / pi;  dx = g * 180 / pi."""
    check_tensor(input, "rad2deg")
    return as_float(input) * (180.0 / math.pi)


# ---- inverse hyperbolic functions -------------------------------------------------------------
def _xp_unary(name: str, ufunc: str, grad):
    """A one-input op: forward ``xp.<ufunc>`` (NumPy and CuPy both have it) in the input's
    float dtype; backward ``grad(g, x)`` in differentiable ops."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        be = backend_of(x._data)
        with be.quiet():
            return getattr(be.xp, ufunc)(x._data)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with quiet(x):
            return grad(g, x)

    return type(name, (Function,), {
        "__doc__": f"y = {ufunc}(x);  dx = g * {ufunc}'(x)",
        "forward": staticmethod(forward), "backward": staticmethod(backward),
        "__module__": __name__,
    })


Asinh = _xp_unary("Asinh", "arcsinh", lambda g, x: g * rsqrt(x * x + 1))
Acosh = _xp_unary("Acosh", "arccosh", lambda g, x: g * rsqrt(x * x - 1))
Atanh = _xp_unary("Atanh", "arctanh", lambda g, x: g / (1 - x * x))


def asinh(input) -> Tensor:
    """y = asinh(x);  dx = g / sqrt(x^2 + 1)."""
    return Asinh.apply(as_float(check_tensor(input, "asinh")))


def acosh(input) -> Tensor:
    """y = acosh(x) (NaN below 1);  dx = g / sqrt(x^2 - 1)."""
    return Acosh.apply(as_float(check_tensor(input, "acosh")))


def atanh(input) -> Tensor:
    """y = atanh(x) (+-inf at +-1, NaN outside);  dx = g / (1 - x^2)."""
    return Atanh.apply(as_float(check_tensor(input, "atanh")))


TENSOR_METHODS = {
    name: globals()[name] for name in "sinc deg2rad rad2deg asinh acosh atanh".split()
}
TENSOR_METHODS.update(arcsinh=asinh, arccosh=acosh, arctanh=atanh)
