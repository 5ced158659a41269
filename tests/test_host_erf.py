"""The host's float32 erf (gradgpu/backend/host_erf.py): accuracy over the float32 line, special
values, layouts, and the fit that produced its coefficients."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradgpu.backend import NUMPY, host_erf
from gradgpu.backend.array_kernels import ArrayKernels


def reference_erf(x64: np.ndarray) -> np.ndarray:
    """float64 erf to float64 rounding (Cody's, checked against math.erf in
    test_array_kernels.py)."""
    return ArrayKernels.erf(NUMPY, x64)


def ulp_error(got32: np.ndarray, exact64: np.ndarray) -> np.ndarray:
    """|got - exact| in units of the float32 spacing at the exact value."""
    a = np.abs(exact64)
    e = np.floor(np.log2(np.maximum(a, np.finfo(np.float32).tiny)))
    spacing = np.exp2(e - 23)  # float32: 24-bit significand; subnormals share tiny's spacing
    return np.abs(got32.astype(np.float64) - exact64) / spacing


def test_float32_erf_is_within_one_ulp_over_the_float32_line():
    # every 29th positive float32 bit pattern below 8 (37 million values, zero and subnormals
    # included; erf is odd and the code treats -x as x) and every float32 in [3.8, 4.2], around
    # the clip where erf meets 1
    bits = np.concatenate([np.arange(0, 0x41000000, 29, dtype=np.uint32),
                           np.arange(0x40733333, 0x40866667, dtype=np.uint32)])
    for chunk in np.array_split(bits.view(np.float32), 16):
        err = ulp_error(host_erf.erf_float32(chunk), reference_erf(chunk.astype(np.float64)))
        assert err.max() <= 0.6, f"{err.max():.3f} ulp at x = {chunk[err.argmax()]!r}"


def test_float32_erf_special_values_and_symmetry():
    x = np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 4.0, -4.0, 1e30, -1e-45, 1e-45])
    got = host_erf.erf_float32(x)
    assert got.dtype == np.float32
    assert got[0] == 0.0 and math.copysign(1.0, got[0]) == 1.0
    assert got[1] == 0.0 and math.copysign(1.0, got[1]) == -1.0
    assert got[2] == 1.0 and got[3] == -1.0 and np.isnan(got[4])
    assert got[5] == 1.0 and got[6] == -1.0 and got[7] == 1.0
    assert got[8] == -got[9] and got[9] > 0  # erf(x) ~ 1.128 x for subnormal x
    v = np.random.default_rng(0).standard_normal(10_000).astype(np.float32)
    np.testing.assert_array_equal(host_erf.erf_float32(-v), -host_erf.erf_float32(v))


@pytest.mark.parametrize("shape", [(), (1,), (7, 3), (2 * host_erf.BLOCK + 5,)])
def test_float32_erf_any_shape_and_layout_matches_elementwise(shape):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    want = np.array([np.float32(math.erf(float(v))) for v in x.reshape(-1)]).reshape(shape)
    got = host_erf.erf_float32(x)
    assert got.shape == shape and got.dtype == np.float32
    assert ulp_error(got, want.astype(np.float64)).max() <= 1.0
    if x.ndim == 2:  # strided views give the same values as their contiguous copies
        np.testing.assert_array_equal(host_erf.erf_float32(x.T), got.T)
        np.testing.assert_array_equal(host_erf.erf_float32(x[::2]), got[::2])


def test_float16_erf_rounds_the_float64_value():
    x = np.arange(0, 0x7C00, dtype=np.uint16).view(np.float16)  # every finite float16 >= 0
    got = host_erf.erf_float32(x)
    assert got.dtype == np.float16
    want = reference_erf(x.astype(np.float64)).astype(np.float16)
    assert np.abs(got.astype(np.float64) - want.astype(np.float64)).max() <= np.spacing(
        np.float16(1)) / 2  # at most one float16 step below 1 (2**-11), and mostly identical
    assert (got == want).mean() > 0.999


def test_the_numpy_backend_uses_it_for_float32_and_the_reference_for_float64():
    x = np.linspace(-5, 5, 1001)
    np.testing.assert_array_equal(NUMPY.erf(x.astype(np.float32)),
                                  host_erf.erf_float32(x.astype(np.float32)))
    np.testing.assert_allclose(NUMPY.erf(x), [math.erf(v) for v in x], rtol=1e-15, atol=3e-16)


# ------------------------------------------------------------------------------------- the fit


def fit_erf_rational(num_degree: int, den_degree: int, clip: float, iterations: int = 300):
    """Relative-error minimax fit of erf(a)/a = P(z)/Q(z), z = a^2 on [0, clip], Q(0) = 1.

    Linearized least squares (P - f Q = 0, scaled by 1 / (f Q_previous)) with Lawson's
    weights, which converge to the equioscillating minimax solution. Solved in t = z / clip^2
    for conditioning, returned in powers of z. Returns (P, Q, max relative error on the grid).
    """
    z_max = clip * clip
    t = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, 6000))  # dense at both ends
    a = np.sqrt(t * z_max)
    f = np.array([math.erf(v) / v if v > 0 else 2 / math.sqrt(math.pi) for v in a])
    basis_p = np.vander(t, num_degree + 1, increasing=True)
    basis_q = np.vander(t, den_degree + 1, increasing=True)[:, 1:]
    system = np.hstack([basis_p, -f[:, None] * basis_q])
    q_previous, weights = np.ones_like(t), np.ones_like(t)
    for _ in range(iterations):
        scale = np.sqrt(weights) / (f * q_previous)
        solution = np.linalg.lstsq(system * scale[:, None], f * scale, rcond=None)[0]
        p_t = solution[: num_degree + 1]
        q_t = np.concatenate([[1.0], solution[num_degree + 1:]])
        q_previous = np.polynomial.polynomial.polyval(t, q_t)
        rel = np.abs(np.polynomial.polynomial.polyval(t, p_t) / q_previous - f) / f
        weights = weights * rel
        weights /= weights.sum()
    p = p_t / z_max ** np.arange(num_degree + 1)
    q = q_t / z_max ** np.arange(den_degree + 1)
    return p, q, rel.max()


def _max_relative_error(p, q, clip):
    a = np.linspace(1e-6, clip, 200_001)
    z = a * a
    approx = a * np.polynomial.polynomial.polyval(z, p) / np.polynomial.polynomial.polyval(z, q)
    exact = reference_erf(a)
    return np.max(np.abs(approx - exact) / exact)


def test_the_stored_coefficients_are_a_minimax_quality_fit():
    assert len(host_erf.P) == 7 and len(host_erf.Q) == 6 and host_erf.Q[0] == 1.0
    assert _max_relative_error(host_erf.P, host_erf.Q, host_erf.CLIP) < 2.2e-9


def test_the_fitting_procedure_reproduces_a_fit_as_good():
    p, q, grid_error = fit_erf_rational(6, 5, host_erf.CLIP)
    assert grid_error < 2.2e-9
    assert _max_relative_error(p, q, host_erf.CLIP) < 2.2e-9
    # a minimax fit is unique: the procedure lands on the stored coefficients
    np.testing.assert_allclose(p, host_erf.P, rtol=1e-5)
    np.testing.assert_allclose(q, host_erf.Q, rtol=1e-5)
