"""Every RawModule launch of the CUDA backend passes exactly what its ``extern "C"`` kernel
declares: the same number of arguments, arrays where the kernel takes pointers (of the pointed
type), and NumPy scalars of the exact C type elsewhere (CuPy passes a scalar by its NumPy type:
an int64 given for an ``int`` parameter shifts every later argument). The launchers run with
NumPy arrays and a recorder in place of each kernel; the signatures come from the preprocessed
``.cu`` files (nvcc -E), so macros that stamp out the entry points are expanded."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

import gradgpu
from gradgpu.backend import NUMPY
from gradgpu.backend.cuda import block_kernels, reductions
from gradgpu.backend.cuda.backend import CudaBackend

from .host_cupy import HostKernels, fake_cupy
from .nvcc import KERNEL_DIR, nvcc_path

pytestmark = pytest.mark.skipif(nvcc_path() is None, reason="nvcc is not installed")

_ENTRY = re.compile(r'extern "C" (?:__global__|__attribute__\(\(global\)\))'
                    r"(?: __attribute__\(\(launch_bounds\(\d+\)\)\))? void "
                    r"(gradgpu_\w+)\s*\(([^)]*)\)")
_SCALARS = {"float": np.float32, "double": np.float64, "int": np.int32,
            "long long": np.int64, "gg::i64": np.int64, "i64": np.int64,
            "unsigned long long": np.uint64, "gg::u64": np.uint64, "__half": np.float16}


def _c_type(param: str) -> tuple:
    """(NumPy dtype, is_pointer) of one C parameter such as ``const float* x``."""
    text = re.sub(r"\b(const|__restrict__)\b", " ", param)
    pointer = "*" in text
    words = text.replace("*", " ").split()[:-1]  # drop the parameter's name
    return np.dtype(_SCALARS[" ".join(words)]), pointer


@pytest.fixture(scope="module")
def signatures() -> dict:
    """kernel name -> [(dtype, is_pointer)] for every entry point of every .cu file."""
    out = {}
    for cu in sorted(KERNEL_DIR.glob("*.cu")):
        text = subprocess.run([nvcc_path(), "-E", "-x", "cu", "-std=c++17", f"-I{KERNEL_DIR}",
                               str(cu)], capture_output=True, text=True, check=True).stdout
        for name, params in _ENTRY.findall(" ".join(text.split())):
            out[name] = [_c_type(p) for p in params.split(",") if p.strip()]
    assert out, "no extern \"C\" entry points found"
    return out


class _Recorder:
    """Stands in for one kernel: remembers each launch."""

    def __init__(self, calls, name):
        self.calls, self.name = calls, name

    def __call__(self, grid, block, args):
        self.calls.append((self.name, grid, block, args))


@pytest.fixture()
def backend(monkeypatch):
    calls = []
    recorder = lambda filename, name: _Recorder(calls, name)  # noqa: E731
    monkeypatch.setattr(block_kernels, "raw_kernel", recorder)
    monkeypatch.setattr(reductions, "raw_kernel", recorder)
    be = CudaBackend.__new__(CudaBackend)
    be._single_gpu = False  # take the device-switch path of the stand-in
    be.index, be.xp, be._cp, be.device = 0, np, fake_cupy(HostKernels(None)), \
        gradgpu.device("cuda", 0)
    return be, calls


def _launches(be, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 5)).astype(dtype)
    t = rng.integers(0, 3, (2, 6, 5))
    w = rng.random(3).astype(dtype)
    rows = rng.standard_normal((4, 7)).astype(dtype)
    lse = np.zeros((2, 6, 5), np.float32 if dtype == np.float16 else dtype)
    yield lambda: be.softmax(x, 1)
    yield lambda: be.log_softmax(x, -1)
    yield lambda: be.softmax_bwd(x, x, 3)
    yield lambda: be.log_softmax_bwd(x, x, 1)
    yield lambda: be.cross_entropy_fwd(x, t, None, -100, 0.1, 1)
    yield lambda: be.cross_entropy_fwd(x, t, w, 2, 0.0, 1)
    yield lambda: be.cross_entropy_bwd(np.ones((2, 6, 5), dtype), x, lse, t, w, -100, 0.2, 1)
    yield lambda: be.layer_norm_fwd(x, (2, 3), 1e-5)
    yield lambda: be.layer_norm_bwd(x, x, np.ones((2, 3, 1, 1), dtype), (2, 3))
    if dtype == np.float16:
        return
    yield lambda: be.take_flat(rows, np.array([0, 5, 27]))
    yield lambda: be.scatter_add_flat(rows.reshape(-1)[:3], np.array([0, 5, 5]), 28)
    yield lambda: be.im2col(x, (3, 2), (1, 2), (1, 1), (1, 1, 0, 1), 0.0)
    yield lambda: be.col2im(np.zeros((2, 3, 3, 2, 6, 3), dtype), (6, 5), (1, 2), (1, 1),
                            (1, 1, 0, 1))
    yield lambda: be.max_pool2d_fwd(x, (2, 2), (2, 2), (1, 1), (0, 0, 0, 0))
    yield lambda: be.max_pool2d_bwd(np.ones((2, 3, 3, 2), dtype), np.zeros((2, 3, 3, 2),
                                    np.int64), (6, 5), (2, 2), (2, 2), (1, 1), (0, 0, 0, 0))
    yield lambda: be.avg_pool2d_fwd(x, (2, 2), (2, 2), (1, 1, 0, 0), True, None)
    yield lambda: be.avg_pool2d_bwd(np.ones((2, 3, 4, 2), dtype), (6, 5), (2, 2), (2, 2),
                                    (1, 1, 0, 0), False, 3)
    yield lambda: be.scatter_add(np.zeros((3, 7), dtype), 1, np.array([[0, 6], [6, 6], [1, 2]]),
                                 np.ones((3, 2), dtype))
    yield lambda: be.arg_reduce(rows, 1, True)
    yield lambda: be.arg_reduce(rows.astype(np.int64), 0, False)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_every_launch_matches_its_kernel_signature(backend, signatures, dtype):
    be, calls = backend
    for launch in _launches(be, dtype):
        launch()
    assert calls, "no kernel was launched"
    for name, grid, block, args in calls:
        assert name in signatures, f"{name}: no such extern \"C\" kernel in kernels/*.cu"
        params = signatures[name]
        assert len(args) == len(params), f"{name}: {len(args)} arguments for {len(params)}"
        for k, (arg, (ctype, pointer)) in enumerate(zip(args, params)):
            if pointer:
                assert isinstance(arg, np.ndarray) and arg.dtype == ctype, \
                    f"{name} argument {k}: wants a {ctype} array, got {type(arg).__name__} " \
                    f"{getattr(arg, 'dtype', '')}"
                assert arg.flags.c_contiguous, f"{name} argument {k}: not contiguous"
            else:
                assert isinstance(arg, np.generic) and arg.dtype == ctype, \
                    f"{name} argument {k}: wants a {ctype} scalar, got {type(arg).__name__}"
        assert all(isinstance(v, int) and v >= 1 for v in grid + block), (name, grid, block)
        assert block[0] <= 1024 and block[0] % 32 == 0, (name, block)


def _host_take_bwd(grid, block, args):
    """What gradgpu_take_bwd_* does, on the host: out[index[k]] += src[k] for k < total."""
    src, index, out, total, size = args
    assert out.flags.c_contiguous and 0 <= index.min() and index.max() < size
    np.add.at(out, index.reshape(-1)[:total], src.reshape(-1)[:total])


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_scatter_add_along_a_dim_hits_the_reference_positions(monkeypatch, dim):
    """The flat positions the CUDA scatter_add computes from ``out``'s strides, run through a
    host stand-in of its kernel, give the reference result (repeated indices summed)."""
    monkeypatch.setattr(block_kernels, "raw_kernel", lambda f, name: _host_take_bwd)
    be = CudaBackend.__new__(CudaBackend)
    be._single_gpu = False  # take the device-switch path of the stand-in
    be.index, be.xp, be._cp = 0, np, fake_cupy(HostKernels(None))
    rng = np.random.default_rng(dim + 5)
    out = rng.standard_normal((3, 4, 5))
    size = out.shape[dim]
    index = rng.integers(0, size, (2, 3, 4))  # repeats are certain
    src = rng.standard_normal((2, 3, 4))
    want = out.copy()
    NUMPY.scatter_add(want, dim % 3, index, src)
    got = out.copy()
    be.scatter_add(got, dim % 3, index, src)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_add_at_falls_back_to_cupyx_scatter_add_on_a_cupy_without_ufunc_at(monkeypatch):
    calls = []
    fake_cupyx = type("cupyx", (), {"scatter_add": staticmethod(
        lambda out, key, values: calls.append((out, key, values)))})
    monkeypatch.setattr(block_kernels.importlib, "import_module",
                        lambda name: fake_cupyx if name == "cupyx" else None)
    be = CudaBackend.__new__(CudaBackend)
    be.xp = type("xp", (), {"add": object()})  # a ufunc without .at
    out, key, values = np.zeros(3), np.array([0, 0]), np.ones(2)
    be.add_at(out, key, values)
    assert calls == [(out, key, values)]
    be.xp = np  # with ufunc.at: NumPy's semantics, repeats summed
    be.add_at(out, key, values)
    assert out.tolist() == [2.0, 0.0, 0.0]
