"""A manual check, not part of the test suite: CuPy's *own* generated code for every kernel the
CUDA backend builds from strings, compiled with NVRTC — no GPU needed.

``test_nvrtc_compile.py`` compiles our preambles and operations inside a wrapper of ours; this
script asks an installed CuPy to write the real kernel source (its ``CArray``/``CIndexer``
parameters, its float16 class, its reduction loop) and CuPy's compiler options, then compiles
that with NVRTC. It uses CuPy internals (``cupy._core._kernel._get_elementwise_kernel_code``,
``cupy._core._reduction._ReductionKernel_get_cached_function_code``, ``_ArgInfo``), so it is
tied to the CuPy version it was written for (14.2) and stays out of CI, where CuPy is absent.

    python -m venv /tmp/cupyenv
    /tmp/cupyenv/bin/pip install cupy-cuda13x "nvidia-cuda-nvrtc==13.0.*" numpy pytest
    /tmp/cupyenv/bin/python tests/kernels/cupy_codegen_check.py    # from the repository root

Also compiles every RawModule source with CuPy's full option list (its CCCL and header
folders around ours). Prints the counts and every failure with NVRTC's log; exit status 1 on
any.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import cupy  # noqa: E402
import cupy._core.core as cupy_core  # noqa: E402
from cupy._core import _carray, _scalar  # noqa: E402
from cupy._core import _kernel as cupy_kernel  # noqa: E402
from cupy._core import _reduction as cupy_reduction  # noqa: E402

import gradgpu  # noqa: E402
from gradgpu.backend.cuda import elementwise, kernel_files  # noqa: E402
from gradgpu.backend.cuda.backend import CudaBackend  # noqa: E402
from gradgpu.backend.cuda.random_kernels import PhiloxStream  # noqa: E402
from gradgpu.backend.elementwise_spec import ELEMENTWISE  # noqa: E402
from tests.kernels import host_cupy, nvrtc  # noqa: E402
from tests.kernels.test_cuda_glue_host import _reduction_cases  # noqa: E402

_NDARRAY, _INDEXER, _SCALAR = 1, 2, 3  # CuPy's _ArgKind


def _array(dtype, ndim: int = 1):
    return cupy_kernel._ArgInfo(_NDARRAY, cupy.ndarray, np.dtype(dtype), ndim, True, True)


def _indexer(ndim: int):
    return cupy_kernel._ArgInfo(_INDEXER, _carray.Indexer, None, ndim, True, True)


def _scalar_info(dtype):
    return cupy_kernel._ArgInfo(_SCALAR, _scalar.CScalar, np.dtype(dtype), 0, True, True)


def _compile(code: str, name: str) -> None:
    """As CuPy's compile_with_cache would: its headers first, its options around ours."""
    source = "".join(f"#include <{h}>\n" for h in cupy_core._cupy_header_list) + code
    options = cupy_core.assemble_cupy_compiler_options(kernel_files.COMPILE_OPTIONS)
    for arch in nvrtc.ARCHS:
        nvrtc.compile_ptx(source, (*options, f"-arch={arch}"), f"{name}.cu")


def _elementwise_table() -> list[tuple[str, str]]:
    """Every entry of the elementwise table in every dtype it runs in (float16 computed in
    float): (label, CuPy's kernel source)."""
    kernel_files.require_cuda = lambda what="": cupy
    elementwise._kernel.cache_clear()
    kernel_files.elementwise_kernel.cache_clear()
    out = []
    for name, spec in ELEMENTWISE.items():
        dtypes = [np.float16, np.float32, np.float64] + ([np.int64] if spec.integer_ok else [])
        for dtype in dtypes:
            kernel = elementwise._kernel(name, dtype == np.float16)
            types = cupy_kernel._TypeMap((("T", np.dtype(dtype).type),))
            infos = tuple(_array(dtype) for _ in kernel.in_params + kernel.out_params)
            code = cupy_kernel._get_elementwise_kernel_code(
                infos + (_indexer(1),), types, kernel.params, kernel.operation, kernel.name,
                kernel.preamble)
            out.append((f"{name} {np.dtype(dtype).name}", code))
    return out


def _recorded_kernels() -> list[tuple[str, str]]:
    """The reductions, dropout and random-fill kernels, recorded through the host stand-in of
    test_cuda_glue_host.py with the dtypes they are launched with, then written by CuPy."""
    raw_args = {}
    for cls in (host_cupy.ElementwiseKernel, host_cupy.ReductionKernel):
        def init(self, *args, _init=cls.__init__, _kind=cls.__name__, **kwargs):
            _init(self, *args, **kwargs)
            raw_args[id(self)] = (_kind, args, kwargs)
        cls.__init__ = init
    host = host_cupy.HostKernels(lambda text: None)
    fake = host_cupy.fake_cupy(host)
    kernel_files.require_cuda = lambda what="": fake
    for builder in (kernel_files.elementwise_kernel, kernel_files.reduction_kernel,
                    elementwise._kernel):
        builder.cache_clear()
    be = CudaBackend.__new__(CudaBackend)
    be._single_gpu = False
    be.index, be.xp, be._cp, be.device = 0, np, fake, gradgpu.device("cuda", 0)
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"), host.recording():
        for method, args in _reduction_cases(be, rng).values():
            getattr(be, method)(*args)
        half = rng.standard_normal((3, 5)).astype(np.float16)
        for method in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"):
            getattr(be, method)(half, (1,), False)
        x = rng.standard_normal(1001)
        for dtype in (np.float16, np.float32, np.float64):
            be.dropout_fwd(x.astype(dtype), 0.25, 7, 0)
            be.dropout_bwd(x.astype(dtype), x > 0, 0.25)
        for dtype in (np.float32, np.float64):
            for kind in ("uniform", "normal"):
                getattr(be, kind)(PhiloxStream(5), (3, 7), dtype)

    out = []
    for kernel, tmap in host._wanted.values():
        kind, args, kwargs = raw_args[id(kernel)]
        pairs = [(k, v.type) for k, v in tmap.items()]
        if kind == "ElementwiseKernel":
            real = cupy.ElementwiseKernel(*args, **kwargs)
            # named-type inputs that are not arrays are passed as numbers (CScalars)
            infos = [_array(tmap[p.ctype]) if p.dtype is None or p.raw else _scalar_info(p.dtype)
                     for p in real.in_params]
            infos += [_array(tmap.get(p.ctype, p.dtype)) for p in real.out_params]
            code = cupy_kernel._get_elementwise_kernel_code(
                tuple(infos) + (_indexer(1),), cupy_kernel._TypeMap(tuple(sorted(pairs))),
                real.params, real.operation, real.name, real.preamble)
        else:
            real = cupy.ReductionKernel(*args, **kwargs)
            params = (real.in_params + real.out_params
                      + cupy_kernel._get_param_info("CIndexer _in_ind, CIndexer _out_ind", False)
                      + cupy_kernel._get_param_info("int32 _block_stride", True))
            infos = ([_array(tmap.get(p.ctype, p.dtype), 2) for p in real.in_params]
                     + [_array(tmap.get(p.ctype, p.dtype), 1) for p in real.out_params]
                     + [_indexer(2), _indexer(1), _scalar_info(np.int32)])
            types = cupy_kernel._TypeMap(tuple(sorted(pairs + [("IndexT", np.int32)])))
            code = cupy_reduction._ReductionKernel_get_cached_function_code(
                len(real.in_params), len(real.out_params), params, tuple(infos), types,
                real.name, 512, real.reduce_type, real.identity, real.map_expr,
                real.reduce_expr, real.post_map_expr, real.preamble, ())
        dtypes = ",".join(f"{k}={np.dtype(v).name}" for k, v in sorted(tmap.items()))
        out.append((f"{real.name} {dtypes}", code))
    return out


def _raw_modules() -> list[tuple[str, str, tuple]]:
    """Every RawModule source with CuPy's option list around the backend's (RawModule compiles
    with prepend_cupy_headers=False: the source is ours alone)."""
    options = cupy_core.assemble_cupy_compiler_options(kernel_files.RAW_MODULE_OPTIONS)
    return [(path.name, kernel_files.expanded_source(path.name), options)
            for path in sorted(kernel_files.kernel_dir().glob("*.cu"))]


def main() -> int:
    lib, missing = nvrtc.library()
    if lib is None:
        print(missing)
        return 1
    failures = []
    kernels = _elementwise_table() + _recorded_kernels()
    for label, code in kernels:
        try:
            _compile(code, label.split()[0])
        except AssertionError as exc:
            failures.append(f"{label}:\n{exc}")
    modules = _raw_modules()
    for name, source, options in modules:
        for arch in nvrtc.ARCHS:
            try:
                nvrtc.compile_ptx(source, (*options, f"-arch={arch}"), name)
            except AssertionError as exc:
                failures.append(f"RawModule {name} {arch}:\n{exc}")
    print(f"CuPy {cupy.__version__}, NVRTC {nvrtc.version()}: {len(kernels)} string-built "
          f"kernels and {len(modules)} RawModules x {len(nvrtc.ARCHS)} architectures, "
          f"{len(failures)} failures")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
