"""Philox4x32-10 and dropout: ``kernels/philox.cuh`` and ``kernels/dropout.cuh`` compiled for the
host and checked bit for bit against the NumPy reference (``backend/reference_random.py``), and
both against Random123's published known-answer vectors."""

from __future__ import annotations

import ctypes
from fractions import Fraction

import numpy as np
import pytest

from gradgpu.backend import NUMPY
from gradgpu.backend.cuda import kernel_files
from gradgpu.backend.reference_random import DROPOUT_STREAM, dropout_scale, dropout_threshold

from .nvcc import build_host_library, nvcc_path

# Random123 tests/kat_vectors, the three "philox4x32 10" lines (github.com/DEShawResearch/
# random123): counter (4 words), key (2 words) -> output (4 words).
KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]

_WRAPPERS = r"""
typedef unsigned char gg_byte;
extern "C" void host_philox(const gg::u32* ctr, const gg::u32* key, gg::u32* out, long long n) {
  for (long long i = 0; i < n; ++i) {
    gg::u32 c0 = ctr[4 * i], c1 = ctr[4 * i + 1], c2 = ctr[4 * i + 2], c3 = ctr[4 * i + 3];
    gg::philox4x32_10(c0, c1, c2, c3, key[2 * i], key[2 * i + 1]);
    out[4 * i] = c0; out[4 * i + 1] = c1; out[4 * i + 2] = c2; out[4 * i + 3] = c3;
  }
}
extern "C" void host_keep(gg::u64 key, gg::u64 offset, gg::u32 stream, gg::u64 threshold,
                          const long long* index, gg_byte* out, long long n) {
  for (long long i = 0; i < n; ++i)
    out[i] = gg::dropout_keep(key, offset, stream, threshold, index[i]) ? 1 : 0;
}
template <typename C>
void host_fwd(const C* x, C* y, bool* mask, long long n, gg::u64 key, gg::u64 offset,
              gg::u32 stream, gg::u64 threshold, C scale) {
  for (long long b = 0; 4 * b < n; ++b)  // any order of blocks: each writes only its own four
    gg::dropout_fwd_block<C>(x, y, mask, b, n, key, offset, stream, threshold, scale);
}
extern "C" void host_fwd_f32(const float* x, float* y, bool* m, long long n, gg::u64 key,
                             gg::u64 offset, gg::u32 stream, gg::u64 t, float s) {
  host_fwd<float>(x, y, m, n, key, offset, stream, t, s);
}
extern "C" void host_fwd_f64(const double* x, double* y, bool* m, long long n, gg::u64 key,
                             gg::u64 offset, gg::u32 stream, gg::u64 t, double s) {
  host_fwd<double>(x, y, m, n, key, offset, stream, t, s);
}
extern "C" void host_bwd_f32(const float* g, const bool* m, float* out, long long n, float s) {
  for (long long i = 0; i < n; ++i) out[i] = gg::dropout_apply<float>(g[i], m[i], s);
}
extern "C" void host_bwd_f64(const double* g, const bool* m, double* out, long long n, double s) {
  for (long long i = 0; i < n; ++i) out[i] = gg::dropout_apply<double>(g[i], m[i], s);
}
"""

_U64, _U32, _I64 = ctypes.c_uint64, ctypes.c_uint32, ctypes.c_longlong

pytestmark = pytest.mark.skipif(nvcc_path() is None, reason="nvcc is not installed")


@pytest.fixture(scope="module")
def lib():
    """dropout.cuh (with philox.cuh and common.cuh inlined) and the wrappers, as a host library."""
    lib = build_host_library(kernel_files.preamble("dropout.cuh") + _WRAPPERS)
    for name in ("host_philox", "host_keep", "host_fwd_f32", "host_fwd_f64", "host_bwd_f32",
                 "host_bwd_f64"):
        getattr(lib, name).restype = None
    return lib


def _ptr(a: np.ndarray):
    assert a.flags.c_contiguous
    return ctypes.c_void_p(a.ctypes.data)


def _host_philox(lib, ctr: np.ndarray, key: np.ndarray) -> np.ndarray:
    ctr = np.ascontiguousarray(ctr, dtype=np.uint32)
    key = np.ascontiguousarray(key, dtype=np.uint32)
    out = np.zeros_like(ctr)
    lib.host_philox(_ptr(ctr), _ptr(key), _ptr(out), _I64(len(ctr)))
    return out


def _ref_philox(ctr: np.ndarray, key: np.ndarray) -> np.ndarray:
    words = NUMPY.philox4x32_10(*ctr.T.astype(np.uint64), *key.T.astype(np.uint64))
    return np.stack(words, axis=1).astype(np.uint32)


@pytest.mark.parametrize("ctr,key,expected", KAT)
def test_known_answers(lib, ctr, key, expected):
    c, k = np.array([ctr], np.uint32), np.array([key], np.uint32)
    assert tuple(int(w) for w in NUMPY.philox4x32_10(*ctr, *key)) == expected
    assert tuple(_host_philox(lib, c, k)[0].tolist()) == expected


def test_host_and_reference_agree_on_random_counters_and_keys(lib):
    rng = np.random.default_rng(2024)
    ctr = rng.integers(0, 1 << 32, (5000, 4), dtype=np.uint64).astype(np.uint32)
    key = rng.integers(0, 1 << 32, (5000, 2), dtype=np.uint64).astype(np.uint32)
    ctr[:8] = 0xFFFFFFFF  # words at the top of the range, where products are largest
    np.testing.assert_array_equal(_host_philox(lib, ctr, key), _ref_philox(ctr, key))


@pytest.mark.parametrize("p", [1e-12, 0.1, 0.5, 0.7, 0.999999, 1.0, 0.0, 1 / 3])
def test_threshold_is_the_exact_count_of_words_with_u_below_keep_probability(p):
    t = dropout_threshold(p)
    keep = 1 - Fraction(p)

    def u(w):  # the word's uniform in (0, 1)
        return (Fraction(w) + Fraction(1, 2)) / (1 << 32)

    assert 0 <= t <= 1 << 32
    assert t == 0 or u(t - 1) < keep          # the last kept word is below 1 - p
    assert t == 1 << 32 or u(t) >= keep       # the first dropped word is not


# offsets: small, across a carry into the counter's high word, and wrapping past 2^64
@pytest.mark.parametrize("key,offset", [
    (0, 0), (67280421310721, 12345), ((1 << 64) - 1, (1 << 32) - 100), (987654321, (1 << 64) - 50),
])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_keep_matches_the_reference_words(lib, key, offset, p):
    rng = np.random.default_rng(offset % 1000)
    n = 1 << 17
    index = np.concatenate([np.arange(1000), rng.integers(0, n, 3000)]).astype(np.int64)
    t = dropout_threshold(p)
    out = np.zeros(len(index), np.uint8)
    lib.host_keep(_U64(key), _U64(offset), _U32(DROPOUT_STREAM), _U64(t), _ptr(index), _ptr(out),
                  _I64(len(index)))
    ref = NUMPY.philox_words(key, offset, n, DROPOUT_STREAM) < t
    np.testing.assert_array_equal(out.astype(bool), ref[index])
    assert 0 < out.sum() < len(out)  # both outcomes occur, so the comparison means something


def _special_inputs(dtype, n: int, rng) -> np.ndarray:
    x = rng.standard_normal(n).astype(dtype)
    x[:6] = [np.inf, -np.inf, np.nan, -0.0, 0.0, np.finfo(dtype).tiny / 4]  # incl. a denormal
    x[6:12] = np.finfo(dtype).max
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 3, 4, 1001])
@pytest.mark.parametrize("p", [0.25, 0.8])
def test_forward_block_kernel_matches_the_reference(lib, dtype, n, p):
    rng = np.random.default_rng(n)
    x = _special_inputs(dtype, max(n, 12), rng)[:n].copy()
    key, offset = 424242, 77
    y, mask = np.zeros_like(x), np.zeros(n, bool)
    fn = lib.host_fwd_f32 if dtype == np.float32 else lib.host_fwd_f64
    scalar = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    scale = float(dtype(dropout_scale(p)))
    fn(_ptr(x), _ptr(y), _ptr(mask), _I64(n), _U64(key), _U64(offset), _U32(DROPOUT_STREAM),
       _U64(dropout_threshold(p)), scalar(scale))
    ref_y, ref_mask = NUMPY.dropout_fwd(x, p, key, offset)
    np.testing.assert_array_equal(mask, ref_mask)
    np.testing.assert_array_equal(y, ref_y)  # NaN where an inf or NaN is dropped, on both sides
    finite = ~np.isnan(ref_y)
    np.testing.assert_array_equal(np.signbit(y[finite]), np.signbit(ref_y[finite]))  # -0.0 kept


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.3, 1.0])
def test_backward_apply_matches_the_reference(lib, dtype, p):
    rng = np.random.default_rng(5)
    g = _special_inputs(dtype, 257, rng)
    mask = rng.random(257) < 0.6
    out = np.zeros_like(g)
    fn = lib.host_bwd_f32 if dtype == np.float32 else lib.host_bwd_f64
    scalar = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    fn(_ptr(g), _ptr(mask), _ptr(out), _I64(len(g)), scalar(dropout_scale(p)))
    ref = NUMPY.dropout_bwd(g, mask, p)
    np.testing.assert_array_equal(out, ref)
    finite = ~np.isnan(ref)
    np.testing.assert_array_equal(np.signbit(out[finite]), np.signbit(ref[finite]))


def test_kernels_keep_exactly_the_words_below_the_threshold(lib):
    """Thresholds equal to words that occur: a <= for < (or an off-by-one index) shows."""
    n, key, offset = 64, 99, 5
    words = NUMPY.philox_words(key, offset, n, DROPOUT_STREAM)
    index = np.arange(n, dtype=np.int64)
    x = np.ones(n, np.float64)
    for t in words[[0, 7, 33]].astype(np.uint64):
        keep = np.zeros(n, np.uint8)
        lib.host_keep(_U64(key), _U64(offset), _U32(DROPOUT_STREAM), _U64(int(t)), _ptr(index),
                      _ptr(keep), _I64(n))
        y, mask = np.zeros(n), np.zeros(n, bool)
        lib.host_fwd_f64(_ptr(x), _ptr(y), _ptr(mask), _I64(n), _U64(key), _U64(offset),
                         _U32(DROPOUT_STREAM), _U64(int(t)), ctypes.c_double(2.0))
        np.testing.assert_array_equal(keep.astype(bool), words < t)
        np.testing.assert_array_equal(mask, words < t)
        np.testing.assert_array_equal(y, np.where(words < t, 2.0, 0.0))
