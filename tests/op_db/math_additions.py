"""Registry entries: the elementwise math of gradgpu/ops/elementwise/math_extra.py and
special_math.py (xlogy, logaddexp, logit, fmax, sinc, erfc, erfinv, i0, ndtr, ...).

References are NumPy float64 (and Python's math.erfc for the error functions)."""

from __future__ import annotations

import math
import statistics

import numpy as np

import gradgpu
import gradgpu.special

from . import Const, OpInfo, Sample, away_from_zero, positive, randn
from .elementwise import _binary_samples, _unary_samples

_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_inv_cdf = np.vectorize(statistics.NormalDist().inv_cdf, otypes=[np.float64])


def _uniform(low, high):
    return lambda rng, *s: rng.uniform(low, high, s)


def _tensor_pairs(make_a=randn, make_b=randn):
    """_binary_samples without the Python-number operand (tensor-only ops)."""
    return lambda rng: _binary_samples(make_a, make_b)(rng)[:-1]


def _xlogy_ref(a, b):
    with np.errstate(all="ignore"):
        return np.where(a == 0, 0.0, a * np.log(b))


def _logaddexp_ties(rng):
    return [Sample((np.array([1.0, -2.0, 0.5]), np.array([1.0, -2.0, 3.0])), desc="ties")]


def _i1_ref(x):
    """sum (x/2)^(2k+1) / (k! (k+1)!), to convergence for the |x| < 5 of the samples."""
    return sum((x / 2) ** (2 * k + 1) / (math.factorial(k) * math.factorial(k + 1))
               for k in range(40))


_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def _digamma_ref(x):
    """psi(x) = psi(x + 20) - sum 1/(x + k), psi(z) by its asymptotic series at z >= 20."""
    z = x + 20.0
    psi = np.log(z) - 0.5 / z - 1 / (12 * z**2) + 1 / (120 * z**4) - 1 / (252 * z**6)
    return psi - sum(1.0 / (x + k) for k in range(20))


def _trigamma_ref(x):
    """sum_k 1/(x + k)^2: 100 terms, then the Euler-Maclaurin tail at z = x + 100."""
    z = x + 100.0
    tail = 1 / z + 1 / (2 * z**2) + 1 / (6 * z**3) - 1 / (30 * z**5)
    return sum(1.0 / (x + k) ** 2 for k in range(100)) + tail


def _log_ndtr_ref(x):
    return np.log(0.5 * _erfc(-x / math.sqrt(2.0)))


OPS = [
    OpInfo("xlogy", gradgpu.xlogy, _xlogy_ref, _binary_samples(randn, positive)),
    OpInfo("xlogy_zero_input", gradgpu.xlogy, _xlogy_ref,
           lambda rng: [Sample((Const(np.array([0.0, 1.0, 0.0, 2.0])),
                                np.array([0.5, 2.0, 3.0, 1.5])), desc="zeros_in_x")]),
    OpInfo("xlogy_number_input", lambda b: gradgpu.xlogy(2.5, b), lambda b: 2.5 * np.log(b),
           _unary_samples(positive)),
    OpInfo("special_xlog1py", gradgpu.special.xlog1py,
           lambda a, b: np.where(a == 0, 0.0, a * np.log1p(b)),
           _binary_samples(randn, lambda rng, *s: positive(rng, *s, low=-0.5, high=2.0))),
    OpInfo("logaddexp", gradgpu.logaddexp, np.logaddexp, _tensor_pairs()),
    OpInfo("logaddexp_ties", gradgpu.logaddexp, np.logaddexp, _logaddexp_ties),
    OpInfo("logaddexp_extreme", gradgpu.logaddexp, np.logaddexp,
           lambda rng: [Sample((np.array([800.0, -800.0, np.inf, -np.inf, np.inf]),
                                np.array([790.0, -805.0, np.inf, -np.inf, 1.0])),
                               desc="extreme", grad=False)]),
    OpInfo("logaddexp2", gradgpu.logaddexp2, np.logaddexp2, _tensor_pairs()),
    OpInfo("logit", gradgpu.logit, lambda x: np.log(x / (1 - x)),
           _unary_samples(_uniform(0.05, 0.95), [0.0, 1.0, 0.5])),
    OpInfo("logit_eps", lambda x: gradgpu.logit(x, eps=0.2),
           lambda x: (lambda z: np.log(z / (1 - z)))(np.clip(x, 0.2, 0.8)),
           lambda rng: [Sample((np.array([0.05, 0.3, 0.6, 0.95, 1.5]),), desc="outside_eps")]),
    OpInfo("nan_to_num", lambda x: gradgpu.nan_to_num(x, nan=1.5, posinf=2.0),
           lambda x: np.nan_to_num(x, nan=1.5, posinf=2.0,
                                   neginf=np.finfo(np.float64).min),
           lambda rng: [*_unary_samples()(rng),
                        Sample((np.array([np.nan, np.inf, 0.25]),), desc="nonfinite")]),
    OpInfo("fmax", gradgpu.fmax, np.fmax, _tensor_pairs()),
    OpInfo("fmin", gradgpu.fmin, np.fmin, _tensor_pairs()),
    OpInfo("fmax_nan", gradgpu.fmax, np.fmax,
           lambda rng: [Sample((np.array([np.nan, 1.0, 2.0, np.nan]),
                                np.array([1.0, np.nan, 2.0, np.nan])),
                               desc="nan_operands", grad=False)]),
    OpInfo("exp2", gradgpu.exp2, np.exp2, _unary_samples(randn, [-1100.0, 1100.0, 0.5])),
    OpInfo("ldexp", gradgpu.ldexp, lambda a, b: a * 2.0 ** b, _tensor_pairs()),
    OpInfo("copysign", gradgpu.copysign, np.copysign,
           _binary_samples(away_from_zero, away_from_zero)),
    OpInfo("copysign_signed_zero", gradgpu.copysign, np.copysign,
           lambda rng: [Sample((np.array([1.0, 2.0, 0.0, -3.0]),
                                Const(np.array([-0.0, 0.0, -1.0, np.nan]))),
                               desc="signed_zero_nan")],
           gradgradcheck=False),  # a kink at input 0: the gradient jumps between -1 and 1
    OpInfo("sinc", gradgpu.sinc, np.sinc, _unary_samples(randn, [0.0, 1e-20, 3.0, -2.5])),
    OpInfo("deg2rad", gradgpu.deg2rad, np.deg2rad, _unary_samples()),
    OpInfo("rad2deg", gradgpu.rad2deg, np.rad2deg, _unary_samples()),
    OpInfo("asinh", gradgpu.asinh, np.arcsinh, _unary_samples(randn, [1e30, -1e-30])),
    OpInfo("acosh", gradgpu.acosh, np.arccosh,
           _unary_samples(_uniform(1.2, 4.0), [1.0, 0.5, np.inf])),
    OpInfo("atanh", gradgpu.atanh, np.arctanh,
           _unary_samples(_uniform(-0.9, 0.9), [1.0, -1.0, 2.0])),
    OpInfo("erfc", gradgpu.erfc, _erfc, _unary_samples(lambda rng, *s: randn(rng, *s) * 3,
                                                        [-30.0, 10.0, 26.0, np.inf])),
    OpInfo("erfinv", gradgpu.erfinv,
           lambda y: _inv_cdf((np.asarray(y) + 1) / 2) / math.sqrt(2.0),
           _unary_samples(_uniform(-0.95, 0.95))),
    OpInfo("i0", gradgpu.i0, np.i0, _unary_samples(lambda rng, *s: randn(rng, *s) * 2)),
    OpInfo("special_i1", gradgpu.special.i1, _i1_ref,
           _unary_samples(lambda rng, *s: randn(rng, *s) * 2)),
    OpInfo("special_ndtr", gradgpu.special.ndtr, lambda x: 0.5 * _erfc(-x / math.sqrt(2.0)),
           _unary_samples(lambda rng, *s: randn(rng, *s) * 3)),
    OpInfo("special_log_ndtr", gradgpu.special.log_ndtr, _log_ndtr_ref,
           _unary_samples(lambda rng, *s: randn(rng, *s) * 3, [-20.0, -1.0, 5.0])),
    OpInfo("lgamma", gradgpu.lgamma, _lgamma,
           _unary_samples(lambda rng, *s: rng.uniform(0.2, 12.0, s), [-2.5, -0.3, 1.0, 2.0])),
    OpInfo("lgamma_negative", gradgpu.lgamma, _lgamma,
           _unary_samples(lambda rng, *s: -rng.uniform(0.1, 0.9, s) - rng.integers(0, 5, s))),
    OpInfo("digamma", gradgpu.digamma, _digamma_ref,
           _unary_samples(lambda rng, *s: rng.uniform(0.2, 12.0, s), [-2.5, 1.0, 1e-3])),
    OpInfo("polygamma_1", lambda x: gradgpu.polygamma(1, x),
           _trigamma_ref, _unary_samples(lambda rng, *s: rng.uniform(0.2, 12.0, s))),
    OpInfo("mvlgamma", lambda x: gradgpu.mvlgamma(x, 3),
           lambda x: 1.5 * math.log(math.pi) + _lgamma(x) + _lgamma(x - 0.5) + _lgamma(x - 1),
           _unary_samples(lambda rng, *s: rng.uniform(1.5, 6.0, s))),
    OpInfo("special_erfcx", gradgpu.special.erfcx,
           lambda x: np.exp(x * x) * _erfc(x), _unary_samples(randn, [0.0, -3.0, 6.0])),
]
