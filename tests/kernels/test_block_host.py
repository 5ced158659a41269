"""The math of the block-level kernels (kernels/*.cu), compiled by nvcc for the host and run
against the reference kernels of ArrayKernels (the NumPy backend).

What runs here is the code the GPU runs, minus the thread layout: the row functions of
softmax.cuh, cross_entropy.cuh and layer_norm.cuh with a one-thread group (SeqGroup, the group the
kernels use for strided rows), rows addressed by row_base as for_each_row does; and every index
function of window.cuh (im2col, col2im, max/avg pooling and their backward) over every output
index. Not covered (needs a GPU): BlockGroup's warp-shuffle and shared-memory reduction, the
grid-stride loops, launch configurations and the Python launchers.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from gradgpu.backend import NUMPY

from . import nvcc

pytestmark = pytest.mark.skipif(nvcc.nvcc_path() is None, reason=nvcc.NO_NVCC)

_TYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_TOL = {np.dtype(np.float32): dict(rtol=2e-5, atol=2e-6), np.dtype(np.float64): dict(rtol=1e-12,
                                                                                    atol=1e-13)}

_HARNESS = r"""
#include "softmax.cuh"
#include "cross_entropy.cuh"
#include "layer_norm.cuh"
#include "window.cuh"
using gg::i64;

namespace {
template <bool LOG, typename T> void softmax_rows(const T* x, T* y, i64 outer, i64 n, i64 inner) {
    gg::SeqGroup seq;
    for (i64 r = 0; r < outer * inner; ++r) {
        const i64 b = gg::row_base(r, n, inner);
        gg::softmax_row<LOG>(x + b, y + b, n, inner, seq);
    }
}
template <bool LOG, typename T>
void softmax_bwd_rows(const T* g, const T* y, T* dx, i64 outer, i64 n, i64 inner) {
    gg::SeqGroup seq;
    for (i64 r = 0; r < outer * inner; ++r) {
        const i64 b = gg::row_base(r, n, inner);
        gg::softmax_bwd_row<LOG>(g + b, y + b, dx + b, n, inner, seq);
    }
}
template <typename T>
void ce_rows(const T* x, const i64* t, const T* w, i64 outer, i64 n, i64 inner, i64 ignore,
             double ls, T* loss, T* lse, T* wt) {
    gg::SeqGroup seq;
    for (i64 r = 0; r < outer * inner; ++r)
        gg::cross_entropy_row(x + gg::row_base(r, n, inner), n, inner, t[r], w, ignore, ls, seq,
                              loss + r, lse + r, wt + r);
}
template <typename T>
void ce_bwd_rows(const T* g, const T* x, const T* lse, const i64* t, const T* w, i64 outer,
                 i64 n, i64 inner, i64 ignore, double ls, T* dx) {
    gg::SeqGroup seq;
    for (i64 r = 0; r < outer * inner; ++r) {
        const i64 b = gg::row_base(r, n, inner);
        gg::cross_entropy_bwd_row(x + b, n, inner, t[r], w, ignore, ls, g[r], lse[r], seq, dx + b);
    }
}
template <typename T> void ln_rows(const T* x, T* xhat, T* rstd, i64 rows, i64 n, double eps) {
    gg::SeqGroup seq;
    for (i64 r = 0; r < rows; ++r)
        gg::layer_norm_row(x + r * n, xhat + r * n, rstd + r, n, eps, seq);
}
template <typename T> void ln_bwd_rows(const T* g, const T* xhat, const T* rstd, T* dx, i64 rows,
                                       i64 n) {
    gg::SeqGroup seq;
    for (i64 r = 0; r < rows; ++r)
        gg::layer_norm_bwd_row(g + r * n, xhat + r * n, rstd[r], dx + r * n, n, seq);
}
}  // namespace

#define GG_HOST(S, T)                                                                        \
extern "C" void softmax_##S(const T* x, T* y, i64 o, i64 n, i64 i, int log) {                 \
    if (log) softmax_rows<true>(x, y, o, n, i); else softmax_rows<false>(x, y, o, n, i); }      \
extern "C" void softmax_bwd_##S(const T* g, const T* y, T* dx, i64 o, i64 n, i64 i, int log) { \
    if (log) softmax_bwd_rows<true>(g, y, dx, o, n, i);                                        \
    else softmax_bwd_rows<false>(g, y, dx, o, n, i); }                                         \
extern "C" void ce_##S(const T* x, const i64* t, const T* w, int has_w, i64 o, i64 n, i64 i,   \
                       i64 ig, double ls, T* loss, T* lse, T* wt) {                            \
    ce_rows(x, t, has_w ? w : nullptr, o, n, i, ig, ls, loss, lse, wt); }                       \
extern "C" void ce_bwd_##S(const T* g, const T* x, const T* lse, const i64* t, const T* w,    \
                           int has_w, i64 o, i64 n, i64 i, i64 ig, double ls, T* dx) {         \
    ce_bwd_rows(g, x, lse, t, has_w ? w : nullptr, o, n, i, ig, ls, dx); }                      \
extern "C" void ln_##S(const T* x, T* xhat, T* rstd, i64 rows, i64 n, double eps) {           \
    ln_rows(x, xhat, rstd, rows, n, eps); }                                                     \
extern "C" void ln_bwd_##S(const T* g, const T* xhat, const T* rstd, T* dx, i64 rows, i64 n) { \
    ln_bwd_rows(g, xhat, rstd, dx, rows, n); }                                                  \
extern "C" void im2col_##S(const T* x, T* cols, i64 total, const i64* geo, T pad) {           \
    const gg::Window2d g = {geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7],    \
                            geo[8], geo[9], geo[10], geo[11]};                                 \
    for (i64 k = 0; k < total; ++k) cols[k] = gg::im2col_at(x, k, g, pad); }                   \
extern "C" void col2im_##S(const T* cols, T* x, i64 total, const i64* geo) {                  \
    const gg::Window2d g = {geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7],    \
                            geo[8], geo[9], geo[10], geo[11]};                                 \
    for (i64 k = 0; k < total; ++k) x[k] = gg::col2im_at(cols, k, g); }                        \
extern "C" void max_pool_##S(const T* x, T* y, i64* idx, i64 total, const i64* geo) {         \
    const gg::Window2d g = {geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7],    \
                            geo[8], geo[9], geo[10], geo[11]};                                 \
    for (i64 k = 0; k < total; ++k) gg::max_pool_at(x, k, g, y + k, idx + k); }                \
extern "C" void max_pool_bwd_##S(const T* gr, const i64* idx, T* dx, i64 total,               \
                                 const i64* geo) {                                             \
    const gg::Window2d g = {geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7],    \
                            geo[8], geo[9], geo[10], geo[11]};                                 \
    for (i64 k = 0; k < total; ++k) dx[k] = gg::max_pool_bwd_at(gr, idx, k, g); }              \
extern "C" void avg_pool_##S(const T* x, T* y, i64 total, const i64* geo, int cip, i64 div) { \
    const gg::Window2d g = {geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7],    \
                            geo[8], geo[9], geo[10], geo[11]};                                 \
    for (i64 k = 0; k < total; ++k) y[k] = gg::avg_pool_at(x, k, g, cip != 0, div); }          \
extern "C" void avg_pool_bwd_##S(const T* gr, T* dx, i64 total, const i64* geo, int cip,      \
                                 i64 div) {                                                    \
    const gg::Window2d g = {geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7],    \
                            geo[8], geo[9], geo[10], geo[11]};                                 \
    for (i64 k = 0; k < total; ++k) dx[k] = gg::avg_pool_bwd_at(gr, k, g, cip != 0, div); }

GG_HOST(f32, float)
GG_HOST(f64, double)
"""


@pytest.fixture(scope="module")
def lib():
    return nvcc.build_host_library(_HARNESS, "block kernel host harness")


def _call(lib, name: str, dtype, *args):
    """Call ``name_<f32|f64>`` with arrays as pointers, ints as long long, floats as double
    (a numpy floating scalar goes as the kernel's T)."""
    conv = []
    for a in args:
        if isinstance(a, np.ndarray):
            assert a.flags.c_contiguous
            conv.append(a.ctypes.data_as(ctypes.c_void_p))
        elif isinstance(a, (bool, np.bool_)):
            conv.append(ctypes.c_int(int(a)))
        elif isinstance(a, np.floating):
            conv.append(ctypes.c_float(a) if a.dtype == np.float32 else ctypes.c_double(a))
        elif isinstance(a, float):
            conv.append(ctypes.c_double(a))
        else:
            conv.append(ctypes.c_longlong(int(a)))
    getattr(lib, f"{name}_{_SUFFIX[np.dtype(dtype)]}")(*conv)


def _around(shape, axis):
    return int(np.prod(shape[:axis])), shape[axis], int(np.prod(shape[axis + 1:]))


DTYPES = [np.float32, np.float64]
# (shape, axis): the last axis (block rows on the GPU), a middle one and the first (strided rows)
ROW_CASES = [((5, 7), 1), ((3, 4, 5), 1), ((6, 2, 3), 0), ((1, 33), 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", ROW_CASES)
@pytest.mark.parametrize("log", [False, True])
def test_softmax_rows_match_reference(lib, dtype, shape, axis, log):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    x.reshape(-1)[::5] = -np.inf  # masked entries, as attention masks give
    ref_fwd = NUMPY.log_softmax if log else NUMPY.softmax
    ref_bwd = NUMPY.log_softmax_bwd if log else NUMPY.softmax_bwd
    want = ref_fwd(x, axis)
    y = np.empty_like(x)
    _call(lib, "softmax", dtype, x, y, *_around(shape, axis), log)
    np.testing.assert_allclose(y, want, **_TOL[np.dtype(dtype)])
    g = rng.standard_normal(shape).astype(dtype)
    dx = np.empty_like(x)
    _call(lib, "softmax_bwd", dtype, g, y, dx, *_around(shape, axis), log)
    with NUMPY.quiet():
        np.testing.assert_allclose(dx, ref_bwd(g, y, axis), **_TOL[np.dtype(dtype)])


@pytest.mark.parametrize("log", [False, True])
def test_softmax_rows_extreme_values_give_reference_nan_and_inf(lib, log):
    x = np.array([[-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0], [np.nan, 1.0, 2.0],
                  [1e30, -1e30, 0.0], [-80.0, 0.0, 80.0]])
    y = np.empty_like(x)
    _call(lib, "softmax", np.float64, x, y, 5, 3, 1, log)
    want = (NUMPY.log_softmax if log else NUMPY.softmax)(x, 1)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(want))
    np.testing.assert_allclose(y[3:], want[3:], rtol=1e-12)


CE_CASES = [  # (x shape, class axis, label smoothing, weighted)
    ((6, 5), 1, 0.0, False),
    ((6, 5), 1, 0.2, False),
    ((6, 5), 1, 0.0, True),
    ((6, 5), 1, 0.3, True),
    ((2, 4, 3), 1, 0.1, True),
    ((3, 4, 2, 2), 1, 0.0, False),
    ((7,), 0, 0.25, True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis,ls,weighted", CE_CASES)
def test_cross_entropy_rows_match_reference(lib, dtype, shape, axis, ls, weighted):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    n = shape[axis]
    tshape = shape[:axis] + shape[axis + 1:]
    t = rng.integers(0, n, tshape).astype(np.int64)
    if t.size > 1:
        t.reshape(-1)[1] = -100  # ignored
    w = rng.uniform(0.5, 2.0, n).astype(dtype) if weighted else None
    loss_r, lse_r, wt_r = NUMPY.cross_entropy_fwd(x, t, w, -100, ls, axis)
    loss, lse, wt = (np.empty(tshape, dtype) for _ in range(3))
    wp = w if weighted else x
    dims = _around(shape, axis)
    _call(lib, "ce", dtype, x, t, wp, weighted, *dims, -100, ls, loss, lse, wt)
    tol = _TOL[np.dtype(dtype)]
    np.testing.assert_allclose(loss, loss_r, **tol)
    np.testing.assert_allclose(wt, wt_r, **tol)
    keep = t != -100
    np.testing.assert_allclose(lse[keep], lse_r[keep], **tol)
    g = rng.standard_normal(tshape).astype(dtype)
    dx = np.empty_like(x)
    _call(lib, "ce_bwd", dtype, g, x, lse, t, wp, weighted, *dims, -100, ls, dx)
    np.testing.assert_allclose(dx, NUMPY.cross_entropy_bwd(g, x, lse_r, t, w, -100, ls, axis),
                               **tol)


def test_cross_entropy_row_out_of_range_target_is_nan_not_a_read(lib):
    x = np.arange(8.0).reshape(2, 4)
    t = np.array([4, -3], dtype=np.int64)  # past the end, and negative (not ignore_index)
    loss, lse, wt = (np.empty(2) for _ in range(3))
    _call(lib, "ce", np.float64, x, t, x, False, 2, 4, 1, -100, 0.0, loss, lse, wt)
    assert np.isnan(loss).all() and (wt == 0).all()
    ref_loss, _, ref_wt = NUMPY.cross_entropy_fwd(x, t, None, -100, 0.0, 1)
    assert np.isnan(ref_loss).all() and (ref_wt == 0).all()
    dx = np.empty_like(x)
    _call(lib, "ce_bwd", np.float64, np.ones(2), x, lse, t, x, False, 2, 4, 1, -100, 0.0, dx)
    assert np.isnan(dx).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows,n", [(4, 7), (1, 64), (3, 1)])
def test_layer_norm_rows_match_reference(lib, dtype, rows, n):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((rows, n)) * 2 + 5).astype(dtype)
    xhat_r, rstd_r = NUMPY.layer_norm_fwd(x, (1,), 1e-5)
    xhat, rstd = np.empty_like(x), np.empty((rows, 1), dtype)
    _call(lib, "ln", dtype, x, xhat, rstd, rows, n, 1e-5)
    tol = _TOL[np.dtype(dtype)]
    np.testing.assert_allclose(xhat, xhat_r, **tol)
    np.testing.assert_allclose(rstd, rstd_r, **tol)
    g = rng.standard_normal((rows, n)).astype(dtype)
    dx = np.empty_like(x)
    _call(lib, "ln_bwd", dtype, g, xhat_r, rstd_r, dx, rows, n)
    np.testing.assert_allclose(dx, NUMPY.layer_norm_bwd(g, xhat_r, rstd_r, (1,)), **tol)


# (H, W, kernel, stride, dilation, pads (top, bottom, left, right)): overlapping and disjoint
# windows, padding with the extra bottom/right padding of ceil mode, dilation, 1x1
WINDOWS = [
    (5, 6, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1)),
    (6, 6, (2, 2), (2, 2), (1, 1), (0, 0, 0, 0)),
    (5, 5, (3, 2), (2, 1), (1, 1), (1, 2, 1, 1)),
    (7, 6, (2, 3), (1, 2), (2, 1), (0, 1, 1, 0)),
    (4, 3, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0)),
]


def _geometry(h, w, kernel, stride, dilation, pads):
    oh = (h + pads[0] + pads[1] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (w + pads[2] + pads[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    geo = np.array([h, w, *kernel, *stride, *dilation, pads[0], pads[2], oh, ow], np.int64)
    return geo, oh, ow


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", WINDOWS)
def test_im2col_col2im_index_math_matches_reference(lib, dtype, case):
    h, w, kernel, stride, dilation, pads = case
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, h, w)).astype(dtype)
    geo, oh, ow = _geometry(h, w, kernel, stride, dilation, pads)
    want = NUMPY.im2col(x, kernel, stride, dilation, pads, pad_value=-7.0)
    cols = np.empty_like(want)
    _call(lib, "im2col", dtype, x, cols, cols.size, geo, np.dtype(dtype).type(-7.0))
    np.testing.assert_array_equal(cols, want)
    c = rng.standard_normal(want.shape).astype(dtype)
    back = np.empty_like(x)
    _call(lib, "col2im", dtype, c, back, back.size, geo)
    np.testing.assert_allclose(back, NUMPY.col2im(c, (h, w), stride, dilation, pads),
                               **_TOL[np.dtype(dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", WINDOWS)
def test_max_pool_index_math_matches_reference(lib, dtype, case):
    h, w, kernel, stride, dilation, pads = case
    rng = np.random.default_rng(4)
    x = rng.integers(-3, 4, (2, 2, h, w)).astype(dtype)  # many ties: the first max must win
    x[0, 0, 1, 1] = np.nan
    geo, oh, ow = _geometry(h, w, kernel, stride, dilation, pads)
    best_r, idx_r = NUMPY.max_pool2d_fwd(x, kernel, stride, dilation, pads)
    best, idx = np.empty((2, 2, oh, ow), dtype), np.empty((2, 2, oh, ow), np.int64)
    _call(lib, "max_pool", dtype, x, best, idx, best.size, geo)
    np.testing.assert_array_equal(best, best_r)
    np.testing.assert_array_equal(idx, idx_r)
    g = rng.standard_normal(best.shape).astype(dtype)
    dx = np.empty_like(x)
    _call(lib, "max_pool_bwd", dtype, g, idx, dx, dx.size, geo)
    want = NUMPY.max_pool2d_bwd(g, idx_r, (h, w), kernel, stride, dilation, pads)
    np.testing.assert_allclose(dx, want, **_TOL[np.dtype(dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [c for c in WINDOWS if c[4] == (1, 1)])
@pytest.mark.parametrize("include_pad,divisor", [(True, None), (False, None), (True, 5)])
def test_avg_pool_index_math_matches_reference(lib, dtype, case, include_pad, divisor):
    h, w, kernel, stride, _, pads = case
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, h, w)).astype(dtype)
    geo, oh, ow = _geometry(h, w, kernel, stride, (1, 1), pads)
    want = NUMPY.avg_pool2d_fwd(x, kernel, stride, pads, include_pad, divisor)
    y = np.empty((2, 2, oh, ow), dtype)
    _call(lib, "avg_pool", dtype, x, y, y.size, geo, include_pad, divisor or 0)
    tol = _TOL[np.dtype(dtype)]
    np.testing.assert_allclose(y, want, **tol)
    g = rng.standard_normal(y.shape).astype(dtype)
    dx = np.empty_like(x)
    _call(lib, "avg_pool_bwd", dtype, g, dx, dx.size, geo, include_pad, divisor or 0)
    want_dx = NUMPY.avg_pool2d_bwd(g, (h, w), kernel, stride, pads, include_pad, divisor)
    np.testing.assert_allclose(dx, want_dx, **tol)
