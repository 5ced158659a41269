"""Special functions NumPy lacks, built from the backend's erf and array functions NumPy and
CuPy share: erfc, erfcx, erfinv, ndtr, log_ndtr, and i0 (NumPy's/CuPy's ``i0``) with its
derivative i1.

Each is computed in float64 and rounded to the input's float dtype. Every branch is evaluated
on all elements and selected with ``where`` (no boolean indexing: on the GPU that would read
the mask's count back to the host)."""

from __future__ import annotations

import math

from ...autograd.function import Function
from ...backend.array_kernels import _ERF_C, _ERF_D, _ERF_P, _ERF_Q, _rational
from .._common import Tensor, backend_of, check_tensor
from .math_extra import as_float, quiet
from .selection import where
from .unary import exp, log, log1p

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ONE_OVER_SQRT_PI = 1.0 / math.sqrt(math.pi)
_SQRT_HALF = math.sqrt(0.5)


# ---- float64 array kernels ------------------------------------------------------------------
def _erfcx_tail(xp, a):
    """erfcx(a) = e^(a^2) erfc(a) for a >= 0.5 (a float64 array; other entries are garbage):
    W. J. Cody's rational approximations (Math. Comp. 23, 1969) on [0.5, 4] and beyond 4,
    the same as the backend's float64 erf uses."""
    mid = xp.clip(a, 0.5, 4.0)
    num, den = _rational(mid, _ERF_C, _ERF_D, 7)
    r_mid = num / den
    big = xp.maximum(a, 4.0)
    w = 1.0 / (big * big)
    num, den = _rational(w, _ERF_P, _ERF_Q, 4)
    r_big = (_ONE_OVER_SQRT_PI - w * num / den) / big  # 0 at inf
    return xp.where(a <= 4.0, r_mid, r_big)


def _exp_neg_square(xp, a):
    """e^(-a^2) without the rounding of a^2: split a = s + (a - s) with s = a rounded to 1/16,
    e^(-s^2) e^(-(a - s)(a + s)) (0 at inf)."""
    s = xp.trunc(a * 16.0) / 16.0
    return xp.where(xp.isinf(a), 0.0, xp.exp(-s * s) * xp.exp(-(a - s) * (a + s)))


def _erfc64(be, x):
    """erfc(x) for a float64 array, to float64 rounding (relative, also deep in the tail)."""
    xp = be.xp
    a = xp.abs(x)
    tail = _erfcx_tail(xp, a) * _exp_neg_square(xp, a)
    out = xp.where(a < 0.5, 1.0 - be.ew("erf_fwd", x), tail)
    return xp.where((x < 0) & (a >= 0.5), 2.0 - tail, out)


def _erfcx64(be, x):
    """erfcx(x) = e^(x^2) erfc(x) for a float64 array (inf for x below about -26.6)."""
    xp = be.xp
    a = xp.abs(x)
    tail = _erfcx_tail(xp, a)
    small = xp.exp(x * x) * (1.0 - be.ew("erf_fwd", x))
    neg = 2.0 * xp.exp(x * x) - tail
    return xp.where(a < 0.5, small, xp.where(x < 0, neg, tail))


def _erfinv64(be, y):
    """erfinv(y) for a float64 array: M. Giles' single-precision approximation ("Approximating
    the erfinv function", GPU Computing Gems, 2011), refined by Newton steps: on erf(x) = y for
    |y| <= 0.5, and on log(erfc(t)) = log(1 - |y|) for the tail (1 - |y| is exact there, and
    the log keeps the steps linear where erfc falls off like e^(-t^2))."""
    xp = be.xp
    a = xp.abs(y)
    w = -xp.log((1.0 - a) * (1.0 + a))
    wc = w - 2.5
    pc = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        pc = pc * wc + c
    wt = xp.sqrt(w) - 3.0
    pt = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        pt = pt * wt + c
    x0 = xp.where(w < 5.0, pc, pt) * y

    x = xp.where(a <= 0.5, x0, 0.0)  # center: Newton on erf, quadratic from ~1e-7
    for _ in range(2):
        x = x - (be.ew("erf_fwd", x) - y) / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
    log_q = xp.log(1.0 - a)
    # beyond Giles' range (w > 16, 1 - |y| < 6e-8) start from erfc(t) ~ e^(-t^2) / (t sqrt(pi))
    lq = xp.maximum(-log_q, 16.0)
    t_far = xp.sqrt(lq - xp.log(math.sqrt(math.pi) * xp.sqrt(lq)))
    t = xp.where(a > 0.5, xp.where(w < 16.0, xp.abs(x0), t_far), 1.0)  # t = |erfinv(y)|
    for _ in range(3):
        ex = _erfcx64(be, t)
        t = t + (xp.log(ex) - t * t - log_q) * ex / _TWO_OVER_SQRT_PI
    out = xp.where(a <= 0.5, x, xp.copysign(t, y))
    out = xp.where(a == 1.0, xp.copysign(xp.inf, y), out)
    return xp.where(a > 1.0, xp.nan, out)  # NaN stays NaN through every branch


def _i1_64(xp, x):
    """The modified Bessel function I1 for a float64 array: its power series
    sum (x/2)^(2k+1) / (k! (k+1)!) for |x| <= 30 (positive terms: no cancellation), and the
    asymptotic series e^|x| / sqrt(2 pi |x|) (1 - 3/(8|x|) - ...) beyond; odd in x."""
    a = xp.abs(x)
    s = xp.minimum(a, 30.0)
    h2 = (s * 0.5) ** 2
    term = s * 0.5
    total = term
    for k in range(1, 75):  # at |x| = 30 the terms fall below 1e-17 of the sum by k = 75
        term = term * h2 / (k * (k + 1))
        total = total + term
    b = xp.maximum(a, 30.0)
    coef, series = 1.0, 1.0
    for k in range(1, 20):  # a_k(1) = prod (4 - (2j-1)^2) / (k! 8^k)
        coef *= (4.0 - (2 * k - 1) ** 2) / (k * 8.0)
        series = series + (-1) ** k * coef / b ** k
    big = xp.exp(b) / xp.sqrt(2.0 * math.pi * b) * series
    return xp.copysign(xp.where(a <= 30.0, total, big), x)


# ---- ops ----------------------------------------------------------------------------------
def _float64_unary(name: str, doc: str, fn, grad):
    """A one-input op computed in float64 by ``fn(backend, array)`` and rounded to the input's
    float dtype; backward ``grad(g, x, y)`` in differentiable ops."""

    def forward(ctx, x):
        xd = x._data
        be = backend_of(xd)
        with be.quiet():
            y = Tensor._make(fn(be, xd.astype(be.xp.float64)).astype(xd.dtype, copy=False))
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        with backend_of(x._data).quiet():
            return grad(g, x, y)

    return type(name, (Function,), {
        "__doc__": doc, "forward": staticmethod(forward), "backward": staticmethod(backward),
        "__module__": __name__,
    })


Erfc = _float64_unary("Erfc", "y = 1 - erf(x);  dx = -g * 2 / sqrt(pi) * e^(-x^2)", _erfc64,
                      lambda g, x, y: g * exp(-(x * x)) * -_TWO_OVER_SQRT_PI)
Erfcx = _float64_unary("Erfcx", "y = e^(x^2) erfc(x);  dx = g * (2 x y - 2 / sqrt(pi))",
                       _erfcx64, lambda g, x, y: g * (x * y * 2.0 - _TWO_OVER_SQRT_PI))
Erfinv = _float64_unary("Erfinv", "y = erf^-1(x);  dx = g * sqrt(pi) / 2 * e^(y^2)", _erfinv64,
                        lambda g, x, y: g * exp(y * y) * (0.5 * math.sqrt(math.pi)))
I1 = _float64_unary("I1", "y = I1(x);  dx = g * (I0(x) - I1(x) / x) (1/2 at 0)",
                    lambda be, x: _i1_64(be.xp, x),
                    lambda g, x, y: g * (i0(x) - where(x == 0, 0.5, y / where(x == 0, 1.0, x))))
I0 = _float64_unary("I0", "y = I0(x);  dx = g * I1(x)", lambda be, x: be.xp.i0(x),
                    lambda g, x, y: g * i1(x))


def erfc(input) -> Tensor:
    """y = 1 - erf(x), accurate in the tail;  dx = -g * 2 / sqrt(pi) * e^(-x^2)."""
    return Erfc.apply(as_float(check_tensor(input, "erfc")))


def erfcx(input) -> Tensor:
    """y = e^(x^2) erfc(x) (the scaled complementary error function);
    dx = g * (2 x y - 2 / sqrt(pi))."""
    return Erfcx.apply(as_float(check_tensor(input, "erfcx")))


def erfinv(input) -> Tensor:
    """y = erf^-1(x) (+-inf at +-1, NaN outside [-1, 1]);  dx = g * sqrt(pi) / 2 * e^(y^2)."""
    return Erfinv.apply(as_float(check_tensor(input, "erfinv")))


def i0(input) -> Tensor:
    """y = I0(x), the modified Bessel function of the first kind, order 0;  dx = g * I1(x)."""
    return I0.apply(as_float(check_tensor(input, "i0")))


def i1(input) -> Tensor:
    """y = I1(x), the modified Bessel function of the first kind, order 1;
    dx = g * (I0(x) - I1(x) / x)."""
    return I1.apply(as_float(check_tensor(input, "i1")))


def ndtr(input) -> Tensor:
    """y = Phi(x) = erfc(-x / sqrt 2) / 2, the standard normal CDF;
    dx = g * e^(-x^2 / 2) / sqrt(2 pi)."""
    return erfc(as_float(check_tensor(input, "ndtr")) * -_SQRT_HALF) * 0.5


def log_ndtr(input) -> Tensor:
    """y = log Phi(x): log(erfcx(-x / sqrt 2) / 2) - x^2 / 2 for x < -1 (finite far into the
    left tail), log1p(-erfc(x / sqrt 2) / 2) otherwise;  dx = g * phi(x) / Phi(x)."""
    x = as_float(check_tensor(input, "log_ndtr"))
    left = x < -1
    xl = where(left, x, -1.0)  # each branch sees only its own range: no inf * 0 in backward
    xr = where(left, -1.0, x)
    with quiet(x):  # x^2 overflows below -1.3e154: y = -inf there, as PyTorch, no warning
        yl = log(erfcx(xl * -_SQRT_HALF) * 0.5) - xl * xl * 0.5
    yr = log1p(erfc(xr * _SQRT_HALF) * -0.5)
    return where(left, yl, yr)


TENSOR_METHODS = {"erfc": erfc, "erfinv": erfinv, "i0": i0}
FUNCTIONS: dict = {}  # erfcx, i1, ndtr, log_ndtr: torch.special only (gradgpu.special)
