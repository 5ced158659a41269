"""The compiled host kernels (gradgpu/backend/host_kernels.py, kernels/host/) against the NumPy
code they stand in for, which stays the specification: bit for bit where the kernel promises
it (erf, GELU's forward), else against a float64 reference within a stated number of ulps; the
edges (NaN, inf, -0, subnormals, rows of one element, lengths off the vector width); and what
the NumPy backend hands them. The loader's tests: tests/test_host_kernels_loader.py."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu.backend import NUMPY, host_kernels
from gradgpu.backend.array_kernels import ArrayKernels
from gradgpu.backend.host_erf import erf_float32
from gradgpu.backend.reference_optim import adam_arguments, sgd_arguments

LIB = host_kernels.library()
needs_lib = pytest.mark.skipif(LIB is None, reason=f"host kernels: {host_kernels.status()}")

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 1e-30, -1e-31, 3.9,
                    -3.9, 4.5, -12.0, 1e30, -1e30, 88.0, -88.0, 104.0, -104.0], np.float32)
LENGTHS = (1, 3, 16, 17, 64, 100, 1000)  # off and on the 16-lane vector width


def f32(*shape, scale=3.0, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def ulps(got, want):
    """|got - want| in units of float32 spacing at want (want: float64)."""
    want32 = np.abs(want).astype(np.float32)
    return np.abs(got.astype(np.float64) - want) / np.spacing(want32).astype(np.float64)


# ---- per-element kernels ------------------------------------------------------------------

@needs_lib
def test_erf_is_bit_for_bit_host_erf_across_the_float32_line():
    bits = np.arange(0, 2**32, 997, dtype=np.uint64).astype(np.uint32)  # every sign/exponent
    x = np.concatenate([bits.view(np.float32), SPECIAL])
    got = host_kernels.erf(x)
    assert np.array_equal(got.view(np.uint32), erf_float32(x).view(np.uint32))


@needs_lib
@pytest.mark.parametrize("n", LENGTHS)
def test_gelu_forward_is_bit_for_bit_the_numpy_reference(n):
    x = np.concatenate([f32(n), SPECIAL])
    with np.errstate(all="ignore"):
        want = ArrayKernels.ew(NUMPY, "gelu_fwd", x)
    assert np.array_equal(host_kernels.gelu_fwd(x).view(np.uint32), want.view(np.uint32))


@needs_lib
def test_gelu_backward_is_the_reference_but_for_its_exp():
    """The reference's float32 operations in its order; only exp differs (ours within 1 ulp,
    NumPy's within ~2.5), so the two agree to a few ulps of the terms summed, g Phi and g x phi
    (not of their sum, which cancels near x = -0.75)."""
    x = np.concatenate([f32(4096, seed=1), SPECIAL])
    g = f32(x.size, scale=1.0, seed=2)
    with np.errstate(all="ignore"):
        y = ArrayKernels.ew(NUMPY, "gelu_fwd", x)
        got = host_kernels.gelu_bwd(g, x, y)
        ref = ArrayKernels.ew(NUMPY, "gelu_bwd", g, x, y)
        xd = x.astype(np.float64)
        terms = np.abs(g) * (np.abs(y / xd) + np.abs(xd) * np.exp(-xd * xd / 2))
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    ok = np.isfinite(terms)
    assert np.all(np.abs(got[ok] - ref[ok]) <= 4 * 2.0**-24 * terms[ok] + 1e-38)
    assert np.array_equal(got[~ok], ref[~ok], equal_nan=True)


@needs_lib
def test_exp_is_within_one_ulp_down_to_the_subnormals():
    """exp_f32 (kernels/host/host_math.h) seen through log_softmax's backward: with g = (1, 0,
    ..., 0), dx_j = 0 - exp(y_j) * 1 exactly, for j > 0."""
    neg = np.arange(0x80000000, 0xC2D00000, 401, dtype=np.uint64).astype(np.uint32)
    pos = np.arange(0, 0x42B20000, 401, dtype=np.uint64).astype(np.uint32)
    y = np.concatenate([neg.view(np.float32), pos.view(np.float32)])
    y = np.pad(y, (0, -y.size % 1000)).reshape(-1, 1000)
    yy = np.concatenate([np.zeros((len(y), 1), np.float32), y], axis=1)
    g = np.zeros_like(yy)
    g[:, 0] = 1.0
    got = -host_kernels.softmax_bwd(g, yy, 1, log=True)[:, 1:]
    truth = np.exp(y.astype(np.float64))
    finite = truth < np.finfo(np.float32).max
    assert ulps(got[finite], truth[finite]).max() <= 1.0
    assert np.all(np.isinf(got[~finite]))


# ---- row kernels ----------------------------------------------------------------------------

def _softmax64(x, log=False):
    x = x.astype(np.float64)
    s = x - x.max(-1, keepdims=True)
    lse = np.log(np.exp(s).sum(-1, keepdims=True))
    return s - lse if log else np.exp(s - lse)


@needs_lib
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("log", [False, True])
def test_softmax_rows_match_float64(n, log):
    x = f32(37, n, scale=5.0, seed=n)
    got = host_kernels.softmax(x, 1, log=log)
    truth = _softmax64(x, log)
    # float32 x - max is rounded (as in the NumPy code and PyTorch): exp's relative error grows
    # with |x - max|; the row sum is float32 in 16 lanes and a tree (kernels/host: row_sum),
    # whose relative error is at most (n / 16 + 4) ulps; plus 2 ulps for exp and the division
    d = np.abs(x.astype(np.float64) - x.max(-1, keepdims=True))
    sum_ulps = n / 16 + 4
    ref = (ArrayKernels.log_softmax if log else ArrayKernels.softmax)(NUMPY, x, 1)
    if log:
        bound = (2 * np.abs(truth) + 4 * d + sum_ulps) * 2.0**-24
        assert np.all(np.abs(got - truth) <= bound)
        assert np.all(np.abs(got - ref) <= 4 * bound)  # the reference has its own rounding
    else:
        assert np.all(ulps(got, truth) <= 2 + 2 * d + sum_ulps)
        assert np.all(ulps(got, ref) <= 2 * (2 + 2 * d + sum_ulps))


@needs_lib
@pytest.mark.parametrize("log", [False, True])
def test_softmax_edge_rows_are_the_references(log):
    inf, nan = np.inf, np.nan
    x = np.array([[1.0, nan, 2.0], [-inf, -inf, -inf], [inf, 0.0, 1.0], [-inf, 0.0, -inf],
                  [3e38, -3e38, 3e38], [0.0, 0.0, 0.0]], np.float32)
    got = host_kernels.softmax(x, -1, log=log)
    with np.errstate(all="ignore"):
        ref = (ArrayKernels.log_softmax if log else ArrayKernels.softmax)(NUMPY, x, 1)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=0)
    one = np.array([[7.0]], np.float32)  # a single element: softmax 1, log_softmax 0
    assert host_kernels.softmax(one, 1, log=log)[0, 0] == (0.0 if log else 1.0)


@needs_lib
@pytest.mark.parametrize("shape", [(2, 3, 5, 5), (4, 6, 9), (3, 9, 4), (1, 1)])
def test_causal_softmax_is_masked_fill_then_softmax(shape):
    x = f32(*shape, seed=3)
    rows, cols = shape[-2:]
    masked = ~np.tri(rows, cols, dtype=bool)
    # what the mask hides never reaches the result, NaN and +inf included
    x[..., masked] = np.where(np.arange(masked.sum()) % 2, np.nan, np.inf).astype(np.float32)
    got = host_kernels.causal_softmax(x)
    with np.errstate(all="ignore"):
        ref = ArrayKernels.causal_softmax(NUMPY, x)
    assert np.all(got[..., masked] == 0)
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=1e-8)
    assert np.isfinite(got).all()


@needs_lib
@pytest.mark.parametrize("cols", [4, 40])  # within the first vector of 16, and past it
def test_a_causal_row_that_is_nan_is_nan_under_the_mask_too(cols):
    """NaN or +inf where the query sees: masked_fill(-inf) and softmax give a row of NaN, masked
    entries included (PyTorch: torch.softmax(x.masked_fill(~tril, -inf), -1) is [nan] * cols
    for these rows); only -inf there: zeros, PyTorch's safe softmax in attention (2.13's
    scaled_dot_product_attention(is_causal=True) gives 0 for such a query)."""
    x = f32(5, cols, seed=5)
    x[1, 0], x[2, 1], x[3, :4] = np.nan, np.inf, -np.inf
    got = host_kernels.causal_softmax(x)
    with np.errstate(all="ignore"):
        ref = ArrayKernels.causal_softmax(NUMPY, x)
    assert np.isnan(got[1:3]).all() and np.isnan(ref[1:3]).all()
    assert np.all(got[3] == 0) and np.all(ref[3] == 0)
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=0)
    assert np.all(got[4, 5:] == 0) and np.isclose(got[4].sum(), 1.0, rtol=1e-6, atol=0)


@needs_lib
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("log", [False, True])
def test_softmax_backward_matches_float64(n, log):
    x = f32(23, n, seed=n + 1)
    g = f32(23, n, scale=1.0, seed=n + 2)
    y = host_kernels.softmax(x, 1, log=log)
    got = host_kernels.softmax_bwd(g, y, 1, log=log)
    yd, gd = y.astype(np.float64), g.astype(np.float64)
    truth = (gd - np.exp(yd) * gd.sum(-1, keepdims=True) if log
             else yd * (gd - (gd * yd).sum(-1, keepdims=True)))
    scale = np.abs(gd).sum(-1, keepdims=True) * (np.exp(yd) if log else yd) + np.abs(truth)
    assert np.all(np.abs(got - truth) <= 2e-7 * scale + 1e-30)
    ref = (ArrayKernels.log_softmax_bwd if log else ArrayKernels.softmax_bwd)(NUMPY, g, y, 1)
    assert np.allclose(got, ref, rtol=1e-5, atol=1e-6)


@needs_lib
@pytest.mark.parametrize("n", LENGTHS)
def test_layer_norm_forward_and_backward_match_float64(n):
    x = f32(29, n, scale=2.0, seed=n) + 10.0  # an offset: the two-pass variance keeps it
    x[0] = 5.0  # a constant row: xhat 0, rstd 1 / sqrt(eps)
    eps = 1e-5
    xhat, rstd = host_kernels.layer_norm_fwd(x, n, eps)
    xd = x.astype(np.float64)
    d = xd - xd.mean(-1, keepdims=True)
    rs = 1.0 / np.sqrt((d * d).mean(-1, keepdims=True) + eps)
    assert ulps(rstd, rs[:, 0]).max() <= 0.5
    assert np.abs(xhat - d * rs).max() <= 2e-6
    g = f32(29, n, scale=1.0, seed=n + 5)
    got = host_kernels.layer_norm_bwd(g, xhat, rstd.reshape(29, 1), n)
    hd, gd = xhat.astype(np.float64), g.astype(np.float64)
    r = rstd.astype(np.float64)[:, None]
    truth = r * (gd - gd.mean(-1, keepdims=True) - hd * (gd * hd).mean(-1, keepdims=True))
    assert np.abs(got - truth).max() <= 1e-6 * max(1.0, np.abs(truth).max())
    ref_x, ref_r = ArrayKernels.layer_norm_fwd(NUMPY, x, (1,), eps)
    assert np.allclose(xhat, ref_x, atol=2e-5) and np.allclose(rstd, ref_r[:, 0], rtol=1e-6)


@needs_lib
@pytest.mark.parametrize("n", (1, 17, 103))
def test_cross_entropy_matches_the_reference(n):
    x = f32(40, n, seed=n)
    x[3, 0] = np.nan  # a NaN row: NaN loss unless ignored
    t = np.random.default_rng(n).integers(0, n, 40)
    t[5], t[6], t[7], t[3] = -100, n, -1, 0  # ignored, two out of range, the NaN row's target
    got = host_kernels.cross_entropy_fwd(x, t, None, -100, 0.0, 1)
    with np.errstate(all="ignore"):
        ref = ArrayKernels.cross_entropy_fwd(NUMPY, x, t, None, -100, 0.0, 1)
    for a, b in zip(got, ref):
        assert a.dtype == b.dtype == np.float32 and a.shape == b.shape == (40,)
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6)  # NaN where the reference's
    g = f32(40, scale=1.0, seed=1)
    dx = host_kernels.cross_entropy_bwd(g, x, got[1], t, None, -100, 0.0, 1)
    with np.errstate(all="ignore"):
        ref_dx = ArrayKernels.cross_entropy_bwd(NUMPY, g, x, ref[1], t, None, -100, 0.0, 1)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-5, atol=1e-7)
    assert np.all(dx[5] == 0) and np.isnan(dx[6]).all() and np.isnan(dx[7]).all()
    scalar_g = host_kernels.cross_entropy_bwd(np.float32(0.5), x, got[1], t, None, -100, 0.0, 1)
    np.testing.assert_allclose(scalar_g[8], host_kernels.cross_entropy_bwd(
        np.full(40, 0.5, np.float32), x, got[1], t, None, -100, 0.0, 1)[8])


def test_cross_entropy_options_the_kernel_lacks_stay_on_numpy():
    x, t = f32(4, 5), np.array([0, 1, 2, 3])
    assert host_kernels.cross_entropy_fwd(x, t, np.ones(5, np.float32), -100, 0.0, 1) is None
    assert host_kernels.cross_entropy_fwd(x, t, None, -100, 0.1, 1) is None
    assert host_kernels.cross_entropy_fwd(x.T, t[:, None].T, None, -100, 0.0, 0) is None
    assert host_kernels.cross_entropy_fwd(x, t.astype(np.int32), None, -100, 0.0, 1) is None


# ---- optimizer steps ------------------------------------------------------------------------

def _optim_state(n_buffers: int, seed: int):
    """Parameters (three float32, one float64 and one transposed float32, which the kernels
    leave to the NumPy code), their gradients and ``n_buffers`` state lists."""
    rng = np.random.default_rng(seed)
    shapes = [(7,), (33, 5), (1000,), (4, 3), (6, 4)]
    arrays = []
    for k in range(2 + n_buffers):
        group = [rng.standard_normal(sh).astype(np.float32) for sh in shapes]
        if k >= 2:  # state buffers start non-negative (v, v_max)
            group = [np.abs(a) for a in group]
        group[3] = group[3].astype(np.float64)
        group[4] = np.ascontiguousarray(group[4].T).T
        arrays.append(group)
    return arrays


def _copy(arrays):
    return [[a.copy(order="K") for a in group] for group in arrays]


def _same_bits(a, b) -> bool:
    return all(x.dtype == y.dtype and x.tobytes() == y.tobytes()
               for ga, gb in zip(a, b) for x, y in zip(ga, gb))


@needs_lib
@pytest.mark.parametrize("options", [
    dict(weight_decay=0.0, amsgrad=False, maximize=False, decoupled_weight_decay=False),
    dict(weight_decay=0.1, amsgrad=False, maximize=False, decoupled_weight_decay=True),
    dict(weight_decay=0.1, amsgrad=True, maximize=True, decoupled_weight_decay=False),
])
def test_adam_steps_are_bit_for_bit_the_reference(options):
    state = _optim_state(3, seed=1)
    ref = _copy(state)
    for step in (1, 2, 3):
        kw = dict(lr=3e-3, beta1=0.9, beta2=0.999, eps=1e-8, step=step, **options)
        vmax = state[4] if options["amsgrad"] else None
        NUMPY.adam_step(*state[:4], vmax, **kw)
        ArrayKernels.adam_step(NUMPY, *ref[:4], ref[4] if options["amsgrad"] else None, **kw)
    assert _same_bits(state, ref)
    assert not np.array_equal(state[0][0], _optim_state(3, seed=1)[0][0])  # it did step
    scratch = _copy(state)  # the kernel took the float32 C-contiguous ones, left the others
    kw = dict(lr=3e-3, beta1=0.9, beta2=0.999, eps=1e-8, step=4, **options)
    assert host_kernels.adam_step(*scratch[:4], scratch[4] if options["amsgrad"] else None,
                                  adam_arguments(**kw)) == [3, 4]


@needs_lib
@pytest.mark.parametrize("options", [
    dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False),
    dict(momentum=0.9, dampening=0.1, weight_decay=1e-2, nesterov=False, maximize=True),
    dict(momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True, maximize=False),
])
def test_sgd_steps_are_bit_for_bit_the_reference(options):
    with_buffers = options["momentum"] != 0
    state = _optim_state(1, seed=2)
    ref = _copy(state)
    for step in (1, 2, 3):
        kw = dict(lr=0.1, first_step=step == 1, **options)
        NUMPY.sgd_step(state[0], state[1], state[2] if with_buffers else None, **kw)
        ArrayKernels.sgd_step(NUMPY, ref[0], ref[1], ref[2] if with_buffers else None, **kw)
    assert _same_bits(state, ref)
    assert host_kernels.sgd_step(state[0], state[1], state[2] if with_buffers else None,
                                 sgd_arguments(**kw)) == [3, 4]


_SGD = dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False, first_step=True)
_ADAM = dict(lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=0.0, amsgrad=True,
             maximize=False, decoupled_weight_decay=False, step=1)


@needs_lib
def test_state_the_flags_need_but_that_is_missing_is_left_to_the_numpy_code():
    """Momentum without buffers, amsgrad without v_max: the kernel dereferenced a null pointer
    (a crash); the NumPy code raises."""
    p, g = f32(10), f32(10, seed=1)
    assert host_kernels.sgd_step([p], [g], None, sgd_arguments(**_SGD)) == [0]
    assert host_kernels.sgd_step([p], [g], [None], sgd_arguments(**_SGD)) == [0]
    m, v = np.zeros_like(p), np.zeros_like(p)
    assert host_kernels.adam_step([p], [g], [m], [v], None, adam_arguments(**_ADAM)) == [0]
    with pytest.raises(TypeError):
        NUMPY.sgd_step([p], [g], None, **_SGD)
    with pytest.raises(TypeError):
        NUMPY.adam_step([p], [g], [m], [v], None, **_ADAM)
    # state the flags do not use is not read: any shape, and the kernel still runs
    unused = [np.zeros(3, np.float32)]
    assert host_kernels.adam_step([p], [g], [m], [v], unused,
                                  adam_arguments(**{**_ADAM, "amsgrad": False})) == []
    assert host_kernels.sgd_step([p], [g], unused,
                                 sgd_arguments(**{**_SGD, "momentum": 0.0})) == []
    assert np.all(unused[0] == 0)


@needs_lib
@pytest.mark.parametrize("frozen", ["param", "buffer"])
def test_read_only_arrays_are_not_written_behind_numpys_back(frozen):
    """The kernel wrote into read-only arrays; the NumPy code refuses (ValueError)."""
    p, g, buf = f32(10), f32(10, seed=1), np.zeros(10, np.float32)
    (p if frozen == "param" else buf).flags.writeable = False
    before = p.copy(), buf.copy()
    assert host_kernels.sgd_step([p], [g], [buf], sgd_arguments(**_SGD)) == [0]
    with pytest.raises(ValueError, match="read-only"):
        NUMPY.sgd_step([p], [g], [buf], **_SGD)
    if frozen == "param":
        assert np.array_equal(p, before[0])
    else:
        assert np.array_equal(buf, before[1])
    g.flags.writeable = False  # only read: still taken
    p2 = f32(10)
    assert host_kernels.sgd_step([p2], [g], None,
                                 sgd_arguments(**{**_SGD, "momentum": 0.0})) == []


# ---- what the NumPy backend hands them ------------------------------------------------------

@needs_lib
def test_only_float32_c_contiguous_arrays_are_taken():
    x = f32(8, 6)
    assert host_kernels.gelu_fwd(x.T) is None  # not C-contiguous
    assert host_kernels.gelu_fwd(x.astype(np.float64)) is None
    assert host_kernels.gelu_fwd(x.astype(np.float16)) is None
    assert host_kernels.gelu_bwd(x, x, x[:1]) is None  # shapes differ (broadcast)
    assert host_kernels.softmax(x, 0) is None  # not the last axis
    assert host_kernels.layer_norm_fwd(x, 0, 1e-5) is None  # not trailing axes
    assert host_kernels.softmax(np.zeros((3, 0), np.float32), 1) is None  # empty rows
    assert host_kernels.gelu_fwd(x.astype(">f4")) is None  # byte-swapped
    t = np.arange(8).astype(">i8")
    assert host_kernels.cross_entropy_fwd(x, t, None, -100, 0.0, 1) is None


@needs_lib
@pytest.mark.parametrize("axis", [3, -3])
def test_an_axis_out_of_range_is_numpys_error_not_the_last_axis(axis):
    """Axes were read modulo ndim: softmax(x, 3) or layer_norm over (-3,) of a 2-D array ran
    the last-axis kernel instead of raising as the NumPy code does."""
    x = f32(2, 3)
    assert host_kernels.softmax(x, axis) is None
    for run in (lambda: NUMPY.softmax(x, axis), lambda: NUMPY.log_softmax(x, axis),
                lambda: NUMPY.layer_norm_fwd(x, (axis,), 1e-5),
                lambda: NUMPY.slice_sum(x, (axis,))):
        with pytest.raises(IndexError):  # NumPy's AxisError is one
            run()


def _misaligned(x):
    """A C-contiguous copy of x whose data starts one byte past an aligned address."""
    raw = np.zeros(x.nbytes + 1, np.uint8)
    out = raw[1:].view(x.dtype).reshape(x.shape)
    out[...] = x
    assert out.flags.c_contiguous and not out.flags.aligned
    return out


@needs_lib
def test_misaligned_arrays_are_left_to_numpy():
    """A float* or int64* off its alignment is undefined behaviour in C++ (vector code may
    fault on it): such arrays (np.frombuffer at an odd offset, say) stay on the NumPy code."""
    x = _misaligned(f32(8, 6))
    assert host_kernels.gelu_fwd(x) is None
    assert host_kernels.softmax(x, 1) is None
    assert host_kernels.layer_norm_fwd(x, 6, 1e-5) is None
    t = _misaligned(np.arange(8) % 6)
    assert host_kernels.cross_entropy_fwd(np.ascontiguousarray(x), t, None, -100, 0.0, 1) is None
    want = ArrayKernels.ew(NUMPY, "gelu_fwd", np.ascontiguousarray(x))
    assert np.array_equal(NUMPY.ew("gelu_fwd", x), want)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "float64"])
def test_the_backend_gives_the_same_results_whichever_path_runs(layout):
    x = f32(6, 10, seed=7)
    if layout == "transposed":
        x = np.ascontiguousarray(x.T).T
    elif layout == "float64":
        x = x.astype(np.float64)
    t = gradgpu.tensor(x, requires_grad=True)
    y = gradgpu.nn.functional.gelu(gradgpu.softmax(gradgpu.nn.functional.layer_norm(t, (10,)),
                                                   -1))
    y.backward(gradgpu.ones_like(y))
    ref = gradgpu.tensor(x.astype(np.float64), requires_grad=True)
    yr = gradgpu.nn.functional.gelu(gradgpu.softmax(
        gradgpu.nn.functional.layer_norm(ref, (10,)), -1))
    yr.backward(gradgpu.ones_like(yr))
    tol = 1e-12 if layout == "float64" else 1e-5
    np.testing.assert_allclose(y.detach().numpy(), yr.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(t.grad.numpy(), ref.grad.numpy(), rtol=tol, atol=tol)


@needs_lib
def test_a_training_step_in_float32_runs_every_kernel(monkeypatch):
    """The dispatch itself: each op of a float32 step reaches its kernel (which answers), so
    the tests above, which call the kernels directly, cover what training runs."""
    from gradgpu.backend import numpy_backend

    ran = []

    def spy(name, real):
        def call(*args, **kwargs):
            out = real(*args, **kwargs)
            declined = out is None or (name == "adam_step" and out)  # adam: indices left
            ran.append(None if declined else name)
            return out
        return call

    for name in ("softmax", "causal_softmax", "softmax_bwd", "layer_norm_fwd", "layer_norm_bwd",
                 "cross_entropy_fwd", "cross_entropy_bwd", "adam_step"):
        monkeypatch.setattr(host_kernels, name, spy(name, getattr(host_kernels, name)))
    for name, real in numpy_backend._HOST_EW.items():
        monkeypatch.setitem(numpy_backend._HOST_EW, name, spy(name, real))
    F = gradgpu.nn.functional
    x = gradgpu.tensor(f32(2, 5, 8, seed=4), requires_grad=True)
    h = F.gelu(F.layer_norm(x, (8,)))
    a = F.scaled_dot_product_attention(h, h, h, is_causal=True)
    loss = F.cross_entropy(F.log_softmax(a, -1).reshape(10, 8), gradgpu.tensor(np.arange(10) % 8))
    opt = gradgpu.optim.AdamW([x])
    loss.backward()
    opt.step()
    assert None not in ran
    assert set(ran) == {"softmax", "causal_softmax", "softmax_bwd", "layer_norm_fwd",
                        "layer_norm_bwd", "cross_entropy_fwd", "cross_entropy_bwd", "adam_step",
                        "gelu_fwd", "gelu_bwd"}


def test_causal_attention_gradients_pass_gradcheck():
    q, k, v = (gradgpu.tensor(f32(2, 5, 4, seed=s).astype(np.float64), requires_grad=True)
               for s in (1, 2, 3))

    def attend(q, k, v):
        return gradgpu.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)

    assert gradgpu.autograd.gradcheck(attend, (q, k, v))
    assert gradgpu.autograd.gradgradcheck(attend, (q, k, v))
