"""Registry entries: softmax, log_softmax and the nn.functional activations.

References are plain NumPy float64 formulas (math.erf for the Gaussian CDF)."""

from __future__ import annotations

import math

import numpy as np

import gradgpu.nn.functional as F
from gradgpu.ops.activation import erf

from . import OpInfo, Sample, away_from_zero, randn

_verf = np.vectorize(math.erf, otypes=[np.float64])


def _softmax_ref(x, dim):
    if x.size == 0:
        return x.copy()
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _log_softmax_ref(x, dim):
    if x.size == 0:
        return x.copy()
    m = np.max(x, axis=dim, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))


def _softmax_samples(rng):
    masked = randn(rng, 3, 4)
    masked[0, 1] = masked[2, 0] = masked[2, 3] = -np.inf
    return [
        Sample((randn(rng, 3, 4), 1), desc="rows"),
        Sample((randn(rng, 3, 4), 0), desc="cols"),
        Sample((randn(rng, 2, 3, 4), -2), desc="negative_dim"),
        Sample((randn(rng, 5, 3).T, -1), desc="transposed"),
        Sample((randn(rng), 0), desc="zero_dim"),
        Sample((randn(rng, 0, 3), 1), desc="empty"),
        Sample((np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1, 3.0]]), 1),
               desc="extreme_logits", grad=False),
        Sample((masked, 1), desc="masked_minus_inf", grad=False),
    ]


def _hardtanh_input(rng, *shape):
    """Values away from the kinks at -1 and 1."""
    x = rng.uniform(-2.5, 2.5, shape)
    return np.where(np.abs(np.abs(x) - 1) < 0.15, x * 0.7, x)


def _pointwise_samples(make=randn, extreme=None):
    def samples(rng):
        out = [
            Sample((make(rng, 3, 4),), desc="matrix"),
            Sample((make(rng, 5, 3).T,), desc="transposed"),
            Sample((make(rng),), desc="zero_dim"),
            Sample((make(rng, 0, 2),), desc="empty"),
        ]
        if extreme is not None:
            out.append(Sample((np.array(extreme),), desc="extreme", grad=False))
        return out

    return samples


def _log_sigmoid_ref(x):
    return -np.logaddexp(0.0, -x)


def _softplus_ref(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.logaddexp(0.0, x * beta) / beta)


def _gelu_ref(x):
    return x * 0.5 * (1.0 + _verf(x / math.sqrt(2.0)))


def _gelu_tanh_ref(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def _silu_ref(x):
    return x / (1.0 + np.exp(-x))


def _elu_ref(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1.0))


def _mish_ref(x):
    return x * np.tanh(np.logaddexp(0.0, x))


_EXTREME = [1e4, -1e4, 0.0, 30.0, -30.0]

OPS = [
    OpInfo("softmax", F.softmax, _softmax_ref, _softmax_samples),
    OpInfo("log_softmax", F.log_softmax, _log_softmax_ref, _softmax_samples),
    OpInfo("tensor_softmax_method", lambda x, d: x.softmax(d), _softmax_ref,
           lambda rng: _softmax_samples(rng)[:3]),
    OpInfo("logsigmoid", F.logsigmoid, _log_sigmoid_ref, _pointwise_samples(randn, _EXTREME)),
    OpInfo("softplus", F.softplus, _softplus_ref, _pointwise_samples(randn, _EXTREME)),
    OpInfo("softplus_beta_threshold", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
           lambda x: _softplus_ref(x, 2.0, 3.0),
           lambda rng: [Sample((np.array([-3.0, -0.4, 0.3, 1.2, 2.5, 4.0]),),
                               desc="both_sides_of_threshold")]),
    OpInfo("gelu", F.gelu, _gelu_ref, _pointwise_samples(randn, _EXTREME)),
    OpInfo("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh_ref,
           _pointwise_samples(randn, _EXTREME)),
    OpInfo("erf", erf, _verf, _pointwise_samples(lambda rng, *s: randn(rng, *s) * 2,
                                                 [0.0, 6.0, -30.0, np.inf, -np.inf])),
    OpInfo("silu", F.silu, _silu_ref, _pointwise_samples(randn, _EXTREME)),
    OpInfo("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
           _pointwise_samples(away_from_zero, _EXTREME)),
    OpInfo("leaky_relu_default", F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x),
           _pointwise_samples(away_from_zero)),
    OpInfo("elu", lambda x: F.elu(x, alpha=1.5), lambda x: _elu_ref(x, 1.5),
           _pointwise_samples(away_from_zero, _EXTREME)),
    OpInfo("hardtanh", F.hardtanh, lambda x: np.clip(x, -1.0, 1.0),
           _pointwise_samples(_hardtanh_input)),
    OpInfo("relu6", F.relu6, lambda x: np.clip(x, 0.0, 6.0),
           lambda rng: [Sample((np.array([-1.0, 0.5, 3.0, 5.5, 7.0, 9.0]),), desc="vector")]),
    OpInfo("mish", F.mish, _mish_ref, _pointwise_samples(randn, [1e4, -1e4, 0.0])),
]
