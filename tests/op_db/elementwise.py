"""Registry entries: arithmetic, unary math, clamp/maximum/minimum/where."""

from __future__ import annotations

import numpy as np

import gradgpu

from . import Const, OpInfo, Sample, away_from_zero, positive, randn


def _binary_samples(make_a=randn, make_b=randn):
    """Same shape, broadcasting both ways, batch broadcast, 0-d, transposed, empty, scalar."""

    def samples(rng):
        return [
            Sample((make_a(rng, 2, 3), make_b(rng, 2, 3)), desc="same_shape"),
            Sample((make_a(rng, 3, 1), make_b(rng, 1, 4)), desc="broadcast_both"),
            Sample((make_a(rng, 2, 3, 4), make_b(rng, 4)), desc="broadcast_batch"),
            Sample((make_a(rng), make_b(rng, 2, 3)), desc="zero_dim"),
            Sample((make_a(rng, 4, 3).T, make_b(rng, 3, 4)), desc="transposed"),
            Sample((make_a(rng, 0, 3), make_b(rng, 3)), desc="empty"),
            Sample((make_a(rng, 2, 3), 1.5), desc="scalar_other"),
        ]

    return samples


def _unary_samples(make=randn, extreme=None):
    def samples(rng):
        out = [
            Sample((make(rng, 3, 4),), desc="matrix"),
            Sample((make(rng),), desc="zero_dim"),
            Sample((make(rng, 5, 3).T,), desc="transposed"),
            Sample((make(rng, 0, 2),), desc="empty"),
        ]
        if extreme is not None:
            out.append(Sample((np.array(extreme, dtype=np.float64),), desc="extreme",
                              grad=False))
        return out

    return samples


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


OPS = [
    OpInfo("add", gradgpu.add, np.add, _binary_samples()),
    OpInfo("add_alpha", lambda a, b: gradgpu.add(a, b, alpha=-2.5),
           lambda a, b: a - 2.5 * b, _binary_samples()),
    OpInfo("sub", gradgpu.sub, np.subtract, _binary_samples()),
    OpInfo("rsub_operator", lambda a, b: 2.0 - a * b, lambda a, b: 2.0 - a * b,
           _binary_samples()),
    OpInfo("mul", gradgpu.mul, np.multiply, _binary_samples()),
    OpInfo("div", gradgpu.div, np.divide, _binary_samples(randn, away_from_zero)),
    OpInfo("rdiv_operator", lambda a: 3.0 / a, lambda a: 3.0 / a,
           _unary_samples(away_from_zero)),
    OpInfo("pow_tensor_tensor", gradgpu.pow, np.power, _binary_samples(positive, randn)),
    OpInfo("pow_scalar_exponent", lambda a: a ** 3, lambda a: a ** 3, _unary_samples()),
    OpInfo("pow_fractional_exponent", lambda a: a ** 0.5, np.sqrt, _unary_samples(positive)),
    OpInfo("pow_scalar_base", lambda b: 2.0 ** b, lambda b: 2.0 ** b, _unary_samples()),
    OpInfo("floor_divide", gradgpu.floor_divide, np.floor_divide,
           _binary_samples(randn, away_from_zero), gradgradcheck=False),
    OpInfo("remainder", gradgpu.remainder, np.remainder,
           lambda rng: [Sample((rng.uniform(0.1, 0.9, (2, 3)) + 2 * rng.integers(-2, 3, (2, 3)),
                                np.full((2, 3), 2.0)), desc="away_from_jumps")]),
    OpInfo("neg", gradgpu.neg, np.negative, _unary_samples()),
    OpInfo("abs", gradgpu.abs, np.abs, _unary_samples(away_from_zero, [0.0, -0.0, -1e30])),
    OpInfo("exp", gradgpu.exp, np.exp, _unary_samples(randn, [80.0, -80.0, 0.0, -np.inf])),
    OpInfo("log", gradgpu.log, np.log, _unary_samples(positive, [0.0, 1e-300, np.inf])),
    OpInfo("log2", gradgpu.log2, np.log2, _unary_samples(positive)),
    OpInfo("log10", gradgpu.log10, np.log10, _unary_samples(positive)),
    OpInfo("log1p", gradgpu.log1p, np.log1p, _unary_samples(positive, [1e-12, -1.0])),
    OpInfo("expm1", gradgpu.expm1, np.expm1, _unary_samples(randn, [1e-12, 80.0, -80.0])),
    OpInfo("sqrt", gradgpu.sqrt, np.sqrt, _unary_samples(positive, [0.0, np.inf])),
    OpInfo("rsqrt", gradgpu.rsqrt, lambda x: 1 / np.sqrt(x), _unary_samples(positive)),
    OpInfo("reciprocal", gradgpu.reciprocal, np.reciprocal, _unary_samples(away_from_zero)),
    OpInfo("square", gradgpu.square, np.square, _unary_samples()),
    OpInfo("sin", gradgpu.sin, np.sin, _unary_samples()),
    OpInfo("cos", gradgpu.cos, np.cos, _unary_samples()),
    OpInfo("tanh", gradgpu.tanh, np.tanh, _unary_samples(randn, [20.0, -20.0, 0.0])),
    OpInfo("sigmoid", gradgpu.sigmoid, _sigmoid,
           _unary_samples(randn, [-800.0, 800.0, 0.0, -30.0])),
    OpInfo("relu", gradgpu.relu, lambda x: np.maximum(x, 0), _unary_samples(away_from_zero)),
    OpInfo("sign", gradgpu.sign, np.sign, _unary_samples(away_from_zero), gradgradcheck=False),
    OpInfo("clamp", lambda x: gradgpu.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
           _unary_samples(lambda rng, *s: np.round(randn(rng, *s), 1) + 0.05)),
    OpInfo("clamp_min_only", lambda x: x.clamp(min=0.1), lambda x: np.maximum(x, 0.1),
           _unary_samples(lambda rng, *s: np.round(randn(rng, *s), 1) + 0.05)),
    OpInfo("clamp_tensor_bounds", lambda x, lo, hi: gradgpu.clamp(x, lo, hi),
           lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
           lambda rng: [Sample((np.array([-2.0, -0.3, 0.4, 2.0]), np.full(4, -1.0),
                                np.array([1.0, 1.0, 1.0, 1.5])), desc="vector_bounds")]),
    OpInfo("maximum", gradgpu.maximum, np.maximum,
           lambda rng: _binary_samples()(rng)[:-1]),
    OpInfo("minimum", gradgpu.minimum, np.minimum,
           lambda rng: _binary_samples()(rng)[:-1]),
    OpInfo("maximum_ties", gradgpu.maximum, np.maximum,
           lambda rng: [Sample((np.array([1.0, 2.0, 3.0]), Const(np.array([1.0, 0.0, 3.0]))),
                               desc="ties", grad=False)]),
    OpInfo("where", lambda c, a, b: gradgpu.where(c, a, b), np.where,
           lambda rng: [
               Sample((Const(rng.random((3, 4)) > 0.5), randn(rng, 3, 4), randn(rng, 3, 4)),
                      desc="same_shape"),
               Sample((Const(rng.random((3, 1)) > 0.5), randn(rng, 1, 4), randn(rng, 3, 4)),
                      desc="broadcast"),
               Sample((Const(rng.random((2, 2)) > 0.5), randn(rng, 2, 2), 0.0), desc="scalar"),
           ]),
    OpInfo("tan", gradgpu.tan, np.tan, _unary_samples(lambda rng, *s: rng.uniform(-1.2, 1.2, s))),
    OpInfo("sinh", gradgpu.sinh, np.sinh, _unary_samples(randn, [800.0, -800.0])),
    OpInfo("cosh", gradgpu.cosh, np.cosh, _unary_samples(randn, [800.0])),
    OpInfo("asin", gradgpu.asin, np.arcsin,
           _unary_samples(lambda rng, *s: rng.uniform(-0.9, 0.9, s), [1.0, -1.0, 2.0])),
    OpInfo("acos", gradgpu.acos, np.arccos,
           _unary_samples(lambda rng, *s: rng.uniform(-0.9, 0.9, s), [1.0, -1.0])),
    OpInfo("atan", gradgpu.atan, np.arctan, _unary_samples(randn, [np.inf, -np.inf])),
    OpInfo("frac", gradgpu.frac, lambda x: x - np.trunc(x),
           _unary_samples(lambda rng, *s: np.round(randn(rng, *s) * 3, 1) + 0.05)),
    OpInfo("fmod", gradgpu.fmod, np.fmod,
           lambda rng: [Sample((rng.uniform(0.1, 0.9, (2, 3)) + 2 * rng.integers(-2, 3, (2, 3)),
                                np.full((2, 3), 2.0)), desc="away_from_jumps"),
                        Sample((np.array([-3.5, 3.5, -0.5]), 2.0), desc="scalar_divisor")]),
    OpInfo("atan2", gradgpu.atan2, np.arctan2,
           lambda rng: _binary_samples(away_from_zero, away_from_zero)(rng)[:-1]),
]

