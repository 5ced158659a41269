"""erf for float32 and float16 arrays on the host: within 1 ulp, 2-3x faster than SciPy's.

Exact GELU is ``x * Phi(x)`` with ``Phi`` built on erf, and NumPy has no erf: SciPy's (and the
float64 reference in ``ArrayKernels.erf``) evaluate a branchy double-precision routine element
by element, which made erf the most expensive single op of a transformer's CPU training step.
For float32 results we instead evaluate one branch-free rational function with NumPy's vector
ufuncs::

    erf(x) ~= a * P(a^2) / Q(a^2),   a = x clipped to [-4, 4]

P of degree 6 and Q of degree 5 in ``a^2`` are a relative-error minimax fit of erf on [0, 4]
(max relative error 2.0e-9; erf(4) = 1 - 1.5e-8 rounds to 1 in float32, so clipping gives
exactly +-1 beyond). The arithmetic is done in float64, so the float32 result is the correctly
rounded erf or its neighbour (<= 0.54 ulp from the exact value over the whole float32 line,
``tests/test_host_erf.py`` sweeps it); float32 arithmetic would accumulate ~7 ulp over the 26
operations. The array is processed in blocks of ``BLOCK`` elements so the float64 temporaries
stay in the L2 cache: one pass over a block then costs far less than one over the whole array.

``tests/test_host_erf.py`` also holds the fitting procedure (Lawson-weighted linearized least
squares) that produced the coefficients, and checks that it still reproduces a fit this good.
float64 input keeps the float64 reference (SciPy or Cody's): this fit is not accurate enough.
"""

from __future__ import annotations

import numpy as np

CLIP = 4.0
"""Beyond |x| = 4 erf(x) rounds to +-1 in float32 (1 - erf(4) = 1.5e-8 < 2**-25)."""

# erf(a) / a = P(z) / Q(z), z = a^2, coefficients from the constant term up; Q(0) = 1.
P = (1.1283791693784728, 0.18520312924881793, 0.05431690166750013, 0.0038496080619999343,
     0.0003796088465799369, 4.684779365176093e-06, -1.3202234632411382e-08)
Q = (1.0, 0.4974654136752098, 0.11395838017322359, 0.015462082865927828,
     0.0013075691294111424, 6.311059536998874e-05)

BLOCK = 32768
"""Elements per block: four float64 temporaries of 256 KiB stay within a 1 MiB L2 cache."""


def erf_float32(x: np.ndarray) -> np.ndarray:
    """erf of a float32 or float16 array (any shape, any strides), in its dtype."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(flat.size, x.dtype)
    scratch = [np.empty(min(flat.size, BLOCK)) for _ in range(4)]
    with np.errstate(all="ignore"):
        for start in range(0, flat.size, BLOCK):
            stop = min(start + BLOCK, flat.size)
            a, z, p, q = (t[: stop - start] for t in scratch)
            _erf_block(flat[start:stop], out[start:stop], a, z, p, q)
    return out.reshape(x.shape)


def _erf_block(x, out, a, z, p, q) -> None:
    """out = erf(x) for one block; a, z, p, q are float64 scratch arrays of x's length."""
    np.maximum(x, -CLIP, out=a)  # NaN stays NaN; -0 stays -0, so erf(-0) = -0
    np.minimum(a, CLIP, out=a)  # (two ufuncs: np.clip costs more than both)
    np.multiply(a, a, out=z)
    _horner(P, z, p)
    _horner(Q, z, q)
    p *= a
    np.divide(p, q, out=out, casting="same_kind")


def _horner(coefficients, z, out) -> None:
    """out = sum(c[k] z^k), in place (no temporary per step)."""
    np.multiply(z, coefficients[-1], out=out)
    for c in coefficients[-2:0:-1]:
        out += c
        out *= z
    out += coefficients[0]
