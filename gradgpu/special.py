"""``torch.special``: special functions under PyTorch's names, as thin aliases of gradgpu ops.

Not here (no accurate implementation from array functions NumPy and CuPy share yet):
gammainc/gammaincc, zeta, ndtri, entr, i0e, i1e, the other Bessel functions and the
orthogonal polynomials.
"""

from __future__ import annotations

from .ops.activation import erf as _erf
from .ops.activation import log_softmax as _log_softmax
from .ops.activation import softmax as _softmax
from .ops.elementwise.gamma_math import digamma, lgamma, mvlgamma, polygamma
from .ops.elementwise.math_extra import exp2, logit, xlog1py, xlogy
from .ops.elementwise.special_math import erfc, erfcx, erfinv, i0, i1, log_ndtr, ndtr
from .ops.elementwise.trig_extra import sinc
from .ops.elementwise.unary import expm1, log1p, sigmoid
from .ops.elementwise.unary import round as _round
from .ops.reduction.statistics import logsumexp as _logsumexp
from .tensor import Tensor

__all__ = [
    "expit", "logit", "xlogy", "xlog1py", "erf", "erfc", "erfcx", "erfinv", "log1p", "expm1",
    "exp2", "logsumexp", "softmax", "log_softmax", "sinc", "round", "i0", "i1", "ndtr",
    "log_ndtr", "gammaln", "digamma", "psi", "polygamma", "multigammaln",
]

gammaln = lgamma
psi = digamma


def expit(input: Tensor) -> Tensor:
    """y = 1 / (1 + e^-x), the logistic sigmoid;  dx = g * y * (1 - y)."""
    return sigmoid(input)


def erf(input: Tensor) -> Tensor:
    """y = erf(x);  dx = g * 2 / sqrt(pi) * e^(-x^2)."""
    return _erf(input)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """y = log(sum(exp(x))) over ``dim``, computed stably."""
    return _logsumexp(input, dim, keepdim)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """y = exp(x) / sum(exp(x)) along ``dim``."""
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """y = x - log(sum(exp(x))) along ``dim``."""
    return _log_softmax(input, dim, dtype=dtype)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - torch.special.round
    """Round half to even (at ``decimals`` places);  dx = 0."""
    return _round(input, decimals=decimals)


def multigammaln(input: Tensor, p: int) -> Tensor:
    """y = log of the multivariate gamma function of dimension p (torch.mvlgamma)."""
    return mvlgamma(input, p)
