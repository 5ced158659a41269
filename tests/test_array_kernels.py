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


# ---- slice sums and maxima: the NumPy backend's faster forms against the reference ----------
SLICE_CASES = [  # (shape, axes, layout): the einsum path, its limits, and what falls back
    ((32, 4, 64, 64), -1, "c"), ((8, 7, 5), (1, 2), "c"), ((3, 512), 1, "c"),
    ((3, 513), -1, "c"), ((6, 1), -1, "c"), ((4, 64), 0, "c"), ((4, 6, 5), (0, 2), "c"),
    ((64, 8), -1, "transposed"), ((10, 12), -1, "strided"), ((5,), 0, "c"), ((), (), "c"),
]


def _laid_out(shape, layout, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    if layout == "transposed":
        return np.ascontiguousarray(x.T).T
    if layout == "strided":
        return np.repeat(x, 2, axis=-1)[..., ::2]
    return x


@pytest.mark.parametrize("shape, axes, layout", SLICE_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_numpy_slice_sum_and_max_agree_with_the_reference(shape, axes, layout, dtype):
    x = _laid_out(shape, layout, dtype, np.random.default_rng(0))
    want_sum = ArrayKernels.slice_sum(NUMPY, x, axes)
    got_sum = NUMPY.slice_sum(x, axes)
    assert got_sum.shape == want_sum.shape and got_sum.dtype == want_sum.dtype
    exact = x.astype(np.float64).sum(axis=axes, keepdims=True)
    tol = {np.float16: 2e-2, np.float32: 2e-6, np.float64: 1e-14}[dtype] * max(1, x.size)
    np.testing.assert_allclose(got_sum, exact, rtol=0, atol=tol)
    np.testing.assert_array_equal(NUMPY.slice_max(x, axes), ArrayKernels.slice_max(NUMPY, x, axes))


def test_numpy_slice_sum_takes_the_row_loop_for_short_contiguous_rows(monkeypatch):
    """The einsum path is taken where it pays (so the comparison above tests it)."""
    calls = []
    real = np.einsum
    monkeypatch.setattr(np, "einsum", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    NUMPY.slice_sum(np.ones((4, 64), np.float32), -1)
    NUMPY.slice_sum(np.ones((4, 6, 5)), (1, 2))
    assert calls == ["ij->i", "ij->i"]
    NUMPY.slice_sum(np.ones((4, 64), np.float32), 0)  # not trailing
    NUMPY.slice_sum(np.ones((4, 1024), np.float32), -1)  # long rows: pairwise sum
    NUMPY.slice_sum(np.ones((4, 64), np.float16), -1)  # no vector loop for float16
    NUMPY.slice_sum(np.ones((64, 4), np.float32).T, -1)  # not C-contiguous
    assert len(calls) == 2


def test_numpy_slice_sum_and_max_keep_ieee_specials():
    x = np.array([[1.0, np.inf, 2.0], [np.inf, -np.inf, 0.0], [np.nan, 1.0, 2.0],
                  [-np.inf, -np.inf, -np.inf]], np.float32)
    s = NUMPY.slice_sum(x, -1).ravel()
    assert s[0] == np.inf and np.isnan(s[1]) and np.isnan(s[2]) and s[3] == -np.inf
    m = NUMPY.slice_max(x, -1).ravel()
    assert m[0] == np.inf and m[1] == np.inf and np.isnan(m[2]) and m[3] == -np.inf
