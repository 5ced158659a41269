"""The log-gamma function and its derivatives: lgamma, digamma, polygamma.

NumPy and CuPy's core have none of them, so they are evaluated here with array functions both
share, in float64, by classical expansions (every branch on all elements, picked by ``where``):

- lgamma: the Taylor series of lgamma(2 + z) = (1 - gamma) z + sum_k (-1)^k (zeta(k) - 1) / k
  z^k for |z| <= 1/2 (radius 2), reached from [0.5, 10) by the recurrence lgamma(x + 1) =
  lgamma(x) + log(x) (a sum of logs, no cancellation); Stirling's series from 10 up; the
  reflection formula below 0.5.
- digamma and polygamma(n >= 1): the asymptotic series from 10 (10 + 2n) up, the recurrence
  psi^(n)(x) = psi^(n)(x + 1) - (-1)^n n! / x^(n+1) below; digamma and trigamma (n = 1)
  reflect for x <= 0 (n >= 2 gives NaN there).
"""

from __future__ import annotations

import math

from ...autograd.function import Function
from .._common import Tensor, backend_of, check_tensor
from .math_extra import as_float

_EULER = 0.5772156649015329
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330)  # B_2, B_4, ..., B_20
_SERIES_TERMS = 32  # (zeta(k) - 1) / k < 2^-k / k: below 1e-16 of the sum at |z| = 1/2


def _zeta_minus_one(k: int) -> float:
    """zeta(k) - 1 for k >= 2, to double rounding: the terms n = 2..N-1 summed from the small
    end, plus the Euler-Maclaurin tail from N = 1000."""
    n_max = 1000
    s = math.fsum(n ** -k for n in range(n_max - 1, 1, -1))
    tail = n_max ** (1 - k) / (k - 1) + 0.5 * n_max ** -k + k * n_max ** (-k - 1) / 12
    return s + tail


# lgamma(2 + z) = sum_k C[k] z^k (C[0] = 0)
_LGAMMA2 = (0.0, 1.0 - _EULER) + tuple(
    (-1) ** k * _zeta_minus_one(k) / k for k in range(2, _SERIES_TERMS + 1))


def _horner(coefs, z):
    out = coefs[-1]
    for c in reversed(coefs[:-1]):
        out = out * z + c
    return out


def _lgamma_pos(xp, x):
    """lgamma(x) for x >= 0.5 (other entries: garbage)."""
    small = xp.clip(x, 0.5, 10.0)
    # shift down to [1.5, 2.5): lgamma(x) = lgamma(x - m) + sum_{j=1..m} log(x - j)
    m = xp.floor(small - 1.5)  # -1 (for [0.5, 1.5)) ... 8
    prod = xp.ones_like(small)
    for j in range(1, 9):
        prod = prod * xp.where(j <= m, small - j, 1.0)
    log_prod = xp.log(prod)  # <= 9!-sized: no overflow
    z = small - (m + 2.0)  # exact (Sterbenz: x is within 1/2 of the integer m + 2)
    series = _horner(_LGAMMA2, z)
    near = xp.where(m < 0, series - xp.log(small), series + log_prod)
    big = xp.maximum(x, 10.0)
    inv, inv2 = 1.0 / big, 1.0 / (big * big)
    corr = _horner([b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(_BERNOULLI[:8])],
                   inv2) * inv
    stirling = (big - 0.5) * xp.log(big) - big + _HALF_LOG_2PI + corr
    return xp.where(x < 10.0, near, stirling)


def _abs_sin_pi(xp, x):
    """|sin(pi x)|, the argument reduced exactly (x - round(x) is exact in floating point)."""
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def _lgamma_positive(xp, x):
    """lgamma(x) for x > 0 (other entries: garbage); below 0.5 lgamma(x + 1) - log(x)."""
    pos = _lgamma_pos(xp, xp.maximum(x, 0.5))
    tiny = _lgamma_pos(xp, xp.clip(x + 1.0, 1.0, 1.5)) - xp.log(x)
    return xp.where(x >= 0.5, pos, tiny)


def _lgamma64(be, x):
    xp = be.xp
    # x < 0: reflection, lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x), with
    # lgamma(1 - x) = lgamma(-x) + log(-x) (-x is exact, 1 - x would round)
    y = xp.where(x < 0, -x, 1.0)
    reflected = xp.log(math.pi / _abs_sin_pi(xp, x)) - _lgamma_positive(xp, y) - xp.log(y)
    out = xp.where(x > 0, _lgamma_positive(xp, xp.where(x > 0, x, 1.0)), reflected)
    out = xp.where(xp.isinf(x), xp.inf, out)
    return xp.where((x <= 0) & (x == xp.floor(x)), xp.inf, out)  # the poles


def _polygamma_pos(xp, n: int, x):
    """psi^(n)(x) for x > 0 by the recurrence up to z >= T and the asymptotic series there."""
    t = 10.0 + 2 * n
    steps = int(t) + 1
    acc = xp.zeros_like(x)
    z = x
    for _ in range(steps):
        low = z < t
        if n == 0:
            acc = acc + xp.where(low, 1.0 / z, 0.0)
        else:
            acc = acc + xp.where(low, z ** -(n + 1), 0.0)
        z = xp.where(low, z + 1.0, z)
    inv = 1.0 / z
    if n == 0:
        series = xp.log(z) - 0.5 * inv - _horner(
            [0.0] + [b / (2 * k + 2) for k, b in enumerate(_BERNOULLI[:8])], inv * inv)
        return series - acc
    fact = math.factorial(n)
    # (-1)^(n+1) [(n-1)!/z^n + n!/(2 z^(n+1)) + sum_k B_2k (2k+n-1)!/(2k)! / z^(2k+n)]
    terms = [math.factorial(2 * k + n + 1) / math.factorial(2 * k + 2) * b
             for k, b in enumerate(_BERNOULLI)]
    asym = (math.factorial(n - 1) + fact * 0.5 * inv
            + _horner([0.0] + terms, inv * inv)) * inv ** n
    sign = 1.0 if n % 2 else -1.0
    return sign * (asym + fact * acc)


def _digamma64(be, x):
    xp = be.xp
    pos = _polygamma_pos(xp, 0, xp.where(x > 0, x, 1.0))
    refl = _polygamma_pos(xp, 0, xp.maximum(1.0 - x, 1.0))
    r = x - xp.round(x)
    reflected = refl - math.pi / xp.tan(math.pi * r)  # cot(pi x) has period 1
    out = xp.where(x > 0, pos, reflected)
    out = xp.where(x == 0, xp.copysign(xp.inf, -x), out)  # PyTorch: -inf at +0, inf at -0
    out = xp.where((x < 0) & (x == xp.floor(x)), xp.nan, out)
    return xp.where(x == xp.inf, xp.inf, out)


def _cot_pi(xp, x):
    """cot(pi x), the argument reduced exactly to r in [-1/2, 1/2] (period 1); for |r| > 1/4
    as tan(pi (1/2 - |r|)) (exact by Sterbenz), so that cot is exactly 0 at half-integers."""
    r = x - xp.round(x)
    a = xp.abs(r)
    return xp.where(a > 0.25, xp.copysign(xp.tan(math.pi * (0.5 - a)), r),
                    1.0 / xp.tan(math.pi * r))


def _cot_derivative(n: int) -> list:
    """The coefficients (constant first) of Q_n with d^n/dx^n cot(pi x) = pi^n Q_n(cot(pi x)):
    Q_0(c) = c, Q_(k+1)(c) = -(1 + c^2) Q_k'(c), in exact integers."""
    q = [0, 1]
    for _ in range(n):
        d = [j * q[j] for j in range(1, len(q))] + [0, 0]
        q = [-(d[j] + (d[j - 2] if j >= 2 else 0)) for j in range(len(d))]
    return q


def _polygamma64(n: int):
    def fn(be, x):
        if n == 0:
            return _digamma64(be, x)
        xp = be.xp
        out = _polygamma_pos(xp, n, xp.where(x > 0, x, 1.0))
        if n == 1:  # reflection: psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x)
            s = _abs_sin_pi(xp, x)
            refl = math.pi ** 2 / (s * s) - _polygamma_pos(xp, 1, xp.maximum(1.0 - x, 1.0))
            out = xp.where(x > 0, out, refl)
        else:  # reflection: psi_n(x) = (-1)^n psi_n(1 - x) - pi^(n+1) Q_n(cot(pi x))
            cot = _cot_pi(xp, x)
            coefs = [-(math.pi ** (n + 1)) * q for q in _cot_derivative(n)]
            refl = (-1) ** n * _polygamma_pos(xp, n, xp.maximum(1.0 - x, 1.0)) + _horner(
                coefs, cot)
            pole = (x <= 0) & (x == xp.floor(x))  # 0, -1, ... and -inf: PyTorch's sign
            out = xp.where(x > 0, out, xp.where(pole, (-1) ** (n + 1) * math.inf, refl))
        return xp.where(x == xp.inf, 0.0, out)

    return fn


def _float64_forward(ctx, x, fn):
    xd = x._data
    be = backend_of(xd)
    with be.quiet():
        return fn(be, xd.astype(be.xp.float64)).astype(xd.dtype, copy=False)


class Lgamma(Function):
    """y = log|Gamma(x)|;  dx = g * digamma(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _float64_forward(ctx, x, _lgamma64)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * digamma(x)


class Polygamma(Function):
    """y = psi^(n)(x), the n-th derivative of digamma;  dx = g * psi^(n+1)(x)"""

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return _float64_forward(ctx, x, _polygamma64(n))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * polygamma(ctx.n + 1, x), None


def lgamma(input) -> Tensor:
    """y = log|Gamma(x)| (inf at the poles 0, -1, -2, ...);  dx = g * digamma(x)."""
    return Lgamma.apply(as_float(check_tensor(input, "lgamma")))


def digamma(input) -> Tensor:
    """y = psi(x) = d/dx lgamma(x);  dx = g * polygamma(1, x)."""
    return Polygamma.apply(as_float(check_tensor(input, "digamma")), 0)


def polygamma(n: int, input) -> Tensor:
    """y = psi^(n)(x), the n-th derivative of digamma (n >= 0);  dx = g * psi^(n+1)(x)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(as_float(check_tensor(input, "polygamma")), n)


def mvlgamma(input, p: int) -> Tensor:
    """y = log of the multivariate gamma function of dimension p:
    p (p - 1) / 4 log(pi) + sum_{j=1..p} lgamma(x + (1 - j) / 2);  dx = g * sum of digammas."""
    check_tensor(input, "mvlgamma")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = as_float(input)
    out = lgamma(x)
    for j in range(2, p + 1):
        out = out + lgamma(x - (j - 1) / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


def _polygamma_method(self, n: int) -> Tensor:
    return polygamma(n, self)


TENSOR_METHODS = {"lgamma": lgamma, "digamma": digamma, "polygamma": _polygamma_method,
                  "mvlgamma": mvlgamma}
FUNCTIONS = {"polygamma": polygamma}
