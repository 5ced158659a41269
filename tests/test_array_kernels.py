"""Reference kernels in gradgpu/backend/array_kernels.py checked on their own."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradgpu.backend import NUMPY
from gradgpu.backend.array_kernels import ArrayKernels

# The NumPy backend may use SciPy's erf; the reference (used without SciPy, and by any backend
# without its own kernel) is ArrayKernels.erf. Both must meet the same contract.
ERF_IMPLEMENTATIONS = {
    "reference": lambda x: ArrayKernels.erf(NUMPY, x),
    "numpy_backend": NUMPY.erf,
}


@pytest.mark.parametrize("impl", list(ERF_IMPLEMENTATIONS))
def test_erf_matches_math_erf_to_float64_rounding_on_every_branch(impl):
    erf = ERF_IMPLEMENTATIONS[impl]
    # dense over all three of Cody's ranges and their boundaries 0.5 and 4
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.4999999, 0.5, 0.5000001, 3.9999999, 4.0,
                                                      4.0000001, 1e-300, -1e-300, 26.0, -26.0]])
    got = erf(x)
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=3e-16)


@pytest.mark.parametrize("impl", list(ERF_IMPLEMENTATIONS))
def test_erf_special_values_and_shapes(impl):
    erf = ERF_IMPLEMENTATIONS[impl]
    got = erf(np.array([np.inf, -np.inf, np.nan, 0.0, -0.0]))
    assert got[0] == 1.0 and got[1] == -1.0 and np.isnan(got[2])
    assert got[3] == 0.0 and math.copysign(1.0, got[4]) == -1.0  # erf(-0) = -0
    zero_d = erf(np.array(0.5))
    assert zero_d.shape == () and abs(float(zero_d) - math.erf(0.5)) < 1e-16
    f32 = erf(np.linspace(-3, 3, 7, dtype=np.float32).reshape(7, 1).T)
    assert f32.dtype == np.float32 and f32.shape == (1, 7)


def test_max_pool_never_picks_padding_when_a_window_is_all_minus_inf():
    x = np.full((1, 1, 3, 3), -np.inf)
    x[0, 0, 2, 2] = 1.0
    values, index = NUMPY.max_pool2d_fwd(x, (2, 2), (2, 2), (1, 1), (1, 1, 1, 1))
    np.testing.assert_array_equal(values[0, 0], [[-np.inf, -np.inf], [-np.inf, 1.0]])
    # the first real pixel of each window (row-major), never a padded position
    np.testing.assert_array_equal(index[0, 0], [[0, 1], [3, 8]])
