"""Registry entries: hardshrink, softshrink and rrelu (eval: the fixed mean slope; training:
one fixed seed, so gradcheck sees one function). Samples keep away from the kinks at
+-lambd (and 0 for rrelu); the kinks themselves are forward-only samples."""

from __future__ import annotations

import numpy as np

import gradgpu
import gradgpu.nn.functional as F

from . import OpInfo, Sample

_KINKS = [-0.5, 0.5, 0.0, -0.0, 1e4, -1e4]


def _away_from(points, scale=2.0):
    """Normal samples times ``scale``, nudged 0.1 away from each of ``points``."""
    def make(rng, *shape):
        x = rng.standard_normal(shape) * scale
        for p in points:
            x = np.where(np.abs(x - p) < 0.1, p + np.where(x >= p, 0.1, -0.1), x)
        return x

    return make


def _samples(make, extreme):
    def samples(rng):
        return [
            Sample((make(rng, 3, 4),), desc="matrix"),
            Sample((make(rng, 5, 3).T,), desc="transposed"),
            Sample((make(rng),), desc="zero_dim"),
            Sample((make(rng, 0, 2),), desc="empty"),
            Sample((np.array(extreme),), desc="kinks_and_extremes", grad=False),
        ]

    return samples


def _hardshrink_ref(x, lambd=0.5):
    return np.where((x >= -lambd) & (x <= lambd), 0.0, x)


def _softshrink_ref(x, lambd=0.5):
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0))


_MEAN_SLOPE = (1.0 / 8 + 1.0 / 3) / 2


def _rrelu_train_fixed_seed(x):
    gradgpu.manual_seed(11)  # the same slopes on every call
    return F.rrelu(x, 0.1, 0.3, training=True)


OPS = [
    OpInfo("hardshrink", F.hardshrink, _hardshrink_ref,
           _samples(_away_from([-0.5, 0.5]), _KINKS)),
    OpInfo("hardshrink_lambd", lambda x: F.hardshrink(x, 1.25),
           lambda x: _hardshrink_ref(x, 1.25), _samples(_away_from([-1.25, 1.25]), [1.25])),
    OpInfo("softshrink", F.softshrink, _softshrink_ref,
           _samples(_away_from([-0.5, 0.5]), _KINKS)),
    OpInfo("softshrink_lambd", lambda x: F.softshrink(x, 1.25),
           lambda x: _softshrink_ref(x, 1.25), _samples(_away_from([-1.25, 1.25]), [-1.25])),
    OpInfo("rrelu_eval", F.rrelu, lambda x: np.where(x > 0, x, _MEAN_SLOPE * x),
           _samples(_away_from([0.0]), [0.0, 1e4, -1e4])),
    OpInfo("rrelu_train_fixed_seed", _rrelu_train_fixed_seed, lambda x: x,
           lambda rng: [Sample((_away_from([0.0])(rng, 3, 4),), desc="matrix")], random=True),
]
