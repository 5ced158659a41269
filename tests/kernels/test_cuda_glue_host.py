"""The CUDA backend's string-built kernels, compiled for the host and run against the NumPy
reference: every ElementwiseKernel of the elementwise table and every ReductionKernel of the
reductions, exactly as ``gradgpu/backend/cuda`` writes them (see tests/kernels/host_cupy.py
for what this stand-in models and what it cannot)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu.backend import NUMPY
from gradgpu.backend.cuda import elementwise, kernel_files
from gradgpu.backend.cuda.backend import CudaBackend

from .host_cupy import HostKernels, fake_cupy
from .nvcc import build_host_library, nvcc_path

pytestmark = pytest.mark.skipif(nvcc_path() is None, reason="nvcc is not installed")

_BUILDERS = (kernel_files.elementwise_kernel, kernel_files.reduction_kernel,
             kernel_files.raw_module, elementwise._kernel)


@pytest.fixture(scope="module")
def host_backend():
    """A CudaBackend whose kernels run on the host, and the HostKernels that builds them."""
    host = HostKernels(build_host_library)
    cp = fake_cupy(host)
    for b in _BUILDERS:
        b.cache_clear()
    kernel_files._FUNCTIONS.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernel_files, "require_cuda", lambda what="": cp)
        be = CudaBackend.__new__(CudaBackend)
        be._single_gpu = False  # take the device-switch path of the stand-in
        be.index, be.xp, be._cp, be.device = 0, np, cp, gradgpu.device("cuda", 0)
        yield be, host
    kernel_files._FUNCTIONS.clear()
    for b in _BUILDERS:
        b.cache_clear()  # never leave host stand-ins where a real GPU run would find them


def _run_twice(host, cases):
    """Record every case, build the kernels once, then run them for real (NumPy stands in for
    CuPy's array calls around the kernels; CuPy never warns on log(0), so neither may it)."""
    with np.errstate(all="ignore"):
        with host.recording():
            for fn in cases.values():
                fn()
        host.build()
        return {name: fn() for name, fn in cases.items()}


def _reduction_cases(be, rng):
    cases = {}
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((3, 4, 5)).astype(dtype)
        x[0, 1, 2] = np.nan
        y = rng.standard_normal((2, 7, 3)).astype(dtype) * 30
        for axes, keep in (((1,), False), ((0, 2), True), (None, False)):
            tag = f"{np.dtype(dtype).name}-{axes}-{keep}"
            for method in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min"):
                cases[f"{method}-{tag}"] = (method, (x, axes, keep))
            cases[f"reduce_prod-{tag}"] = ("reduce_prod", (y / 30, axes, keep))
            cases[f"reduce_var-{tag}"] = ("reduce_var", (y + 1e4, axes, keep, 3))
            cases[f"reduce_norm3-{tag}"] = ("reduce_norm", (y, 3.0, axes, keep))
            cases[f"reduce_norm2-{tag}"] = ("reduce_norm", (y, 2.0, axes, keep))
        inf_rows = np.array([[-np.inf, -np.inf], [np.inf, 0.0], [800.0, 799.0]], dtype=dtype)
        cases[f"logsumexp-{np.dtype(dtype).name}"] = ("reduce_logsumexp", (inf_rows, (1,)))
        cases[f"logsumexp-big-{np.dtype(dtype).name}"] = ("reduce_logsumexp", (y * 30, None))
        cases[f"empty-sum-{np.dtype(dtype).name}"] = ("reduce_sum", (x[:, :0], (1,), False))
    ints = rng.integers(-50, 50, (4, 6))
    for dt in (np.int32, np.int64, np.int8, np.bool_):
        cases[f"sum-{np.dtype(dt).name}"] = ("reduce_sum", (ints.astype(dt), (1,), False,
                                                            np.dtype(np.int64)))
        cases[f"max-{np.dtype(dt).name}"] = ("reduce_max", (ints.astype(dt), (0,), True))
        cases[f"min-{np.dtype(dt).name}"] = ("reduce_min", (ints.astype(dt), None, False))
    return cases


def test_reduction_kernels_match_the_numpy_reference(host_backend):
    be, host = host_backend
    cases = _reduction_cases(be, np.random.default_rng(0))
    got = _run_twice(host, {k: (lambda m=m, a=a: getattr(be, m)(*a))
                            for k, (m, a) in cases.items()})
    for name, (method, args) in cases.items():
        with np.errstate(all="ignore"):
            want = np.asarray(getattr(NUMPY, method)(*args))
        g = np.asarray(got[name])
        assert g.dtype == want.dtype and g.shape == want.shape, name
        tol = 1e-5 if want.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(g, want, rtol=tol, atol=tol, equal_nan=True, err_msg=name)


def _elementwise_cases(rng):
    from gradgpu.backend.elementwise_spec import ELEMENTWISE

    cases = {}
    for name, spec in ELEMENTWISE.items():
        dtypes = [np.float32, np.float64] + ([np.int64] if spec.integer_ok else [])
        domains = spec.domain or ((-5.0, 5.0),)
        for dtype in dtypes:
            arrays = []
            for k, _ in enumerate(spec.inputs):
                lo, hi = domains[min(k, len(domains) - 1)]
                shape = (3, 4) if k == 0 else (4,)  # the second operand broadcasts
                if np.dtype(dtype).kind == "i":
                    arrays.append(rng.integers(-20, 20, shape).astype(dtype))
                else:
                    arrays.append(rng.uniform(lo, hi, shape).astype(dtype))
            for j, scalars in enumerate(spec.examples):
                cases[f"{name}-{np.dtype(dtype).name}-{j}"] = (name, (*arrays, *scalars))
    # a Python number as an array operand (tensor / number), and operands of two dtypes
    g = rng.uniform(-2, 2, (3, 4))
    cases["div_bwd-number"] = ("div_bwd", (g, g * 3, 2.5))
    cases["div_bwd-mixed-dtypes"] = ("div_bwd", (g.astype(np.float32), g, g + 4))
    return cases


def test_elementwise_kernels_match_the_numpy_reference(host_backend):
    be, host = host_backend
    cases = _elementwise_cases(np.random.default_rng(1))
    got = _run_twice(host, {k: (lambda n=n, a=a: be.ew(n, *a)) for k, (n, a) in cases.items()})
    for case, (name, args) in cases.items():
        want = NUMPY.ew(name, *args)
        outs = got[case] if isinstance(got[case], tuple) else (got[case],)
        wants = want if isinstance(want, tuple) else (want,)
        assert len(outs) == len(wants), case
        for g, w in zip(outs, wants):
            w = np.asarray(w)
            assert g.dtype == w.dtype and g.shape == w.shape, case
            tol = 2e-5 if w.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True, err_msg=case)


def test_dropout_kernels_match_the_numpy_reference(host_backend):
    """The in-kernel Philox mask (one work item per 4-element block, raw arrays) equals the
    NumPy reference's bit for bit, for sizes that do and do not fill the last block."""
    be, host = host_backend
    rng = np.random.default_rng(2)
    cases = {}
    for dtype in (np.float32, np.float64):
        for n, p, key, offset in ((4096, 0.25, 7, 0), (1001, 0.5, 2**63 + 5, 2**64 - 3),
                                  (3, 0.9, 0, 11)):
            x = rng.standard_normal(n).astype(dtype).reshape(-1, 1) if n % 7 else \
                rng.standard_normal(n).astype(dtype)
            cases[f"fwd-{np.dtype(dtype).name}-{n}-{p}"] = ("dropout_fwd", (x, p, key, offset))
            mask = rng.random(x.shape) < 0.5
            cases[f"bwd-{np.dtype(dtype).name}-{n}-{p}"] = ("dropout_bwd", (x, mask, p))
    got = _run_twice(host, {k: (lambda m=m, a=a: getattr(be, m)(*a))
                            for k, (m, a) in cases.items()})
    for name, (method, args) in cases.items():
        want = getattr(NUMPY, method)(*args)
        outs = got[name] if isinstance(got[name], tuple) else (got[name],)
        wants = want if isinstance(want, tuple) else (want,)
        for g, w in zip(outs, wants):
            assert g.dtype == w.dtype and g.shape == w.shape, name
            np.testing.assert_array_equal(g, w, err_msg=name)


def test_random_fills_match_the_numpy_reference(host_backend):
    """rand/randn/randint/randperm on the GPU: the Philox numbers of the reference (uniform
    bit for bit, normal to libm rounding), the generator offset advanced past exactly the
    blocks read, so the next fill continues the stream."""
    from gradgpu.backend.cuda.random_kernels import PhiloxStream
    from gradgpu.backend.reference_random import FILL_STREAM

    be, host = host_backend
    seed = 2**63 + 12345
    cases = {}
    for dtype in (np.float32, np.float64):
        for kind in ("uniform", "normal"):
            cases[f"{kind}-{np.dtype(dtype).name}"] = (kind, dtype, (3, 7))
    got = _run_twice(host, {k: (lambda kind=kind, dt=dt, shape=shape: (
        getattr(be, kind)(rng := PhiloxStream(seed), shape, dt), rng.offset))
        for k, (kind, dt, shape) in cases.items()})
    for name, (kind, dtype, shape) in cases.items():
        values, offset = got[name]
        want = getattr(NUMPY, f"philox_{kind}")(seed, 0, 21, FILL_STREAM, dtype).reshape(shape)
        assert values.dtype == want.dtype and values.shape == shape, name
        if kind == "uniform":
            np.testing.assert_array_equal(values, want, err_msg=name)
        else:
            tol = 1e-5 if dtype == np.float32 else 1e-13
            np.testing.assert_allclose(values, want, rtol=tol, atol=tol, err_msg=name)
        per = {("uniform", 4): 1, ("uniform", 8): 2, ("normal", 4): 2, ("normal", 8): 4}[
            (kind, np.dtype(dtype).itemsize)]
        assert offset == -(-21 * per // 4), name
    # randint and randperm are built on the float64 uniforms
    rng = PhiloxStream(seed)
    ints = be.randint(rng, -3, 4, (1000,), np.int64)
    u = NUMPY.philox_uniform(seed, 0, 1000, FILL_STREAM, np.float64)
    np.testing.assert_array_equal(ints, np.floor(u * 7).astype(np.int64) - 3)
    perm = be.permutation(PhiloxStream(seed), 50)
    np.testing.assert_array_equal(perm, np.argsort(NUMPY.philox_uniform(seed, 0, 50, FILL_STREAM,
                                                                         np.float64)))
    np.testing.assert_array_equal(np.sort(perm), np.arange(50))
