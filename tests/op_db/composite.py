"""Registry entries: ops composed from other ops (lerp, addcmul, addmm, hypot, trace, ...)."""

from __future__ import annotations

import numpy as np

import gradgpu

from . import OpInfo, Sample, away_from_zero, randn

OPS = [
    OpInfo("lerp_scalar_weight", lambda a, b: gradgpu.lerp(a, b, 0.3),
           lambda a, b: a + 0.3 * (b - a),
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 3)), desc="broadcast"),
                        Sample((randn(rng, 3, 2).T, randn(rng, 2, 3)), desc="transposed")]),
    OpInfo("lerp_tensor_weight", gradgpu.lerp, lambda a, b, w: a + w * (b - a),
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 2, 3), randn(rng, 3)),
                               desc="broadcast_weight")]),
    OpInfo("addcmul", lambda a, b, c: gradgpu.addcmul(a, b, c, value=-0.5),
           lambda a, b, c: a - 0.5 * b * c,
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 2, 3), randn(rng, 1, 3)),
                               desc="broadcast")]),
    OpInfo("addcdiv", lambda a, b, c: gradgpu.addcdiv(a, b, c, value=2.0),
           lambda a, b, c: a + 2.0 * b / c,
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 2, 3), away_from_zero(rng, 2, 3)),
                               desc="same_shape")]),
    OpInfo("addmm", lambda a, m1, m2: gradgpu.addmm(a, m1, m2, beta=0.5, alpha=2.0),
           lambda a, m1, m2: 0.5 * a + 2.0 * (m1 @ m2),
           lambda rng: [Sample((randn(rng, 3), randn(rng, 2, 4), randn(rng, 3, 4).T),
                               desc="broadcast_bias_transposed")]),
    OpInfo("baddbmm", gradgpu.baddbmm, lambda a, b1, b2: a + b1 @ b2,
           lambda rng: [Sample((randn(rng, 2, 3, 2), randn(rng, 2, 3, 4), randn(rng, 2, 4, 2)),
                               desc="batched")]),
    OpInfo("hypot", gradgpu.hypot, np.hypot,
           lambda rng: [Sample((away_from_zero(rng, 2, 3), randn(rng, 3)), desc="broadcast")]),
    OpInfo("trace", gradgpu.trace, np.trace,
           lambda rng: [Sample((randn(rng, 3, 3),), desc="square"),
                        Sample((randn(rng, 4, 2).T,), desc="wide_transposed")]),
    OpInfo("meshgrid_xy", lambda a, b: gradgpu.meshgrid(a, b, indexing="xy"),
           lambda a, b: tuple(np.meshgrid(a, b, indexing="xy")),
           lambda rng: [Sample((randn(rng, 3), randn(rng, 2)), desc="vectors")]),
    OpInfo("meshgrid_ij", lambda a, b: gradgpu.meshgrid(a, b, indexing="ij"),
           lambda a, b: tuple(np.meshgrid(a, b, indexing="ij")),
           lambda rng: [Sample((randn(rng, 3), randn(rng, 2)), desc="vectors")]),
]
