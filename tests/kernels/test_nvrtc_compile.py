"""Every kernel source compiles with NVRTC, the compiler CuPy uses, exactly as the CUDA backend
hands it over — no GPU needed.

nvcc (test_nvcc_compile.py) and NVRTC differ: NVRTC has no system headers, compiles the
``__CUDACC_RTC__`` branches nvcc never sees, and refuses host functions, including unannotated
lambdas (this test found that the block kernels' lambdas needed ``-default-device``). So:

- each ``RawModule`` source (``kernel_files.expanded_source``, the inlined text CuPy receives)
  with the backend's options plus what CuPy adds (``-arch=compute_XY``, ``-I`` its CUDA headers),
  for sm_80 and sm_90;
- every ``ElementwiseKernel``/``ReductionKernel`` the backend builds from strings (the
  elementwise table, the reductions, dropout, the random fills), recorded through the host
  stand-in of test_cuda_glue_host.py: its preamble and one-line operations, in a device
  function per kernel and dtype, with the backend's options (float16 as ``__half``);
- each RawModule kernel's registers and static shared memory (ptxas on the NVRTC PTX) against
  the largest block we launch it with (this found float64 cross entropy too big for a
  1024-thread block on sm_90).

CuPy's own wrapper around the string-built kernels (CArray indexing, its float16 class) is
compiled by ``cupy_codegen_check.py`` where CuPy is installed (a manual check, not CI).
"""

from __future__ import annotations

import re
import subprocess
import types

import numpy as np
import pytest

import gradgpu
from gradgpu.backend.cuda import elementwise, kernel_files
from gradgpu.backend.cuda.backend import CudaBackend
from gradgpu.backend.cuda.random_kernels import PhiloxStream
from gradgpu.backend.elementwise_spec import ELEMENTWISE

from . import host_cupy, nvcc, nvrtc
from .host_cupy import HostKernels, fake_cupy
from .test_cuda_glue_host import _elementwise_cases, _reduction_cases

_LIB, _MISSING = nvrtc.library()
pytestmark = pytest.mark.skipif(_LIB is None, reason=_MISSING or "")

RAW_MODULES = sorted(p.name for p in kernel_files.kernel_dir().iterdir() if p.suffix == ".cu")


def _options(base: tuple, arch: str) -> tuple:
    include = nvrtc.include_dir()
    assert include is not None, "no CUDA headers (cuda_fp16.h) found next to nvcc"
    return (*base, f"-arch={arch}", f"-I{include}")


@pytest.mark.parametrize("arch", nvrtc.ARCHS)
@pytest.mark.parametrize("filename", RAW_MODULES)
def test_every_raw_module_compiles_with_nvrtc(filename, arch):
    ptx = nvrtc.compile_ptx(kernel_files.expanded_source(filename),
                            _options(kernel_files.RAW_MODULE_OPTIONS, arch), filename)
    # the kernels are there under their extern "C" names (what get_function looks up)
    entries = set(re.findall(r"\.entry (\w+)\(", ptx))
    expected = _entry_points(filename)
    assert expected and expected <= entries, sorted(expected - entries)


def _entry_points(filename: str) -> set[str]:
    """The ``extern "C" __global__`` names of a .cu file, from nvcc's preprocessor (the
    kernels are stamped out by macros)."""
    if nvcc.nvcc_path() is None:
        pytest.skip("nvcc is not installed (needed to list the macro-made kernels)")
    text = subprocess.run([nvcc.nvcc_path(), "-E", "-x", "cu", "-std=c++17",
                           f"-I{nvcc.KERNEL_DIR}", str(nvcc.KERNEL_DIR / filename)],
                          capture_output=True, text=True, check=True).stdout
    return set(re.findall(r'extern "C" (?:__global__|__attribute__\(\(global\)\))'
                          r"(?: __attribute__\(\(launch_bounds\(\d+\)\)\))? void "
                          r"(gradgpu_\w+)\s*\(", " ".join(text.split())))


class _CompileOnly:
    """A 'library' whose functions are never called: this test only compiles."""

    def __getattr__(self, name):
        return types.SimpleNamespace(restype=None)


def _compile_device_text(text: str) -> _CompileOnly:
    """The stand-in's kernel text (preamble, then one ``extern "C"`` loop per recorded kernel
    and dtype) compiled as device code with the options the backend gives CuPy (float16 is
    cuda_fp16.h's ``__half``, standing for CuPy's float16 class)."""
    device_text = "#include <cuda_fp16.h>\n" + text.replace('extern "C" void ',
                                                           'extern "C" __device__ void ')
    assert device_text.count("__device__ void ") == text.count('extern "C" void ')
    for arch in nvrtc.ARCHS:
        nvrtc.compile_ptx(device_text, _options(kernel_files.COMPILE_OPTIONS, arch),
                          "string_kernels.cu")
    return _CompileOnly()


def test_every_string_built_kernel_compiles_with_nvrtc(monkeypatch):
    monkeypatch.setitem(host_cupy._CTYPES, np.dtype(np.float16), "__half")
    host = HostKernels(_compile_device_text)
    cp = fake_cupy(host)
    builders = (kernel_files.elementwise_kernel, kernel_files.reduction_kernel,
                kernel_files.raw_module, elementwise._kernel)
    for b in builders:
        b.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as mp, np.errstate(all="ignore"):
            mp.setattr(kernel_files, "require_cuda", lambda what="": cp)
            be = CudaBackend.__new__(CudaBackend)
            be._single_gpu = False
            be.index, be.xp, be._cp, be.device = 0, np, cp, gradgpu.device("cuda", 0)
            rng = np.random.default_rng(0)
            with host.recording():
                for method, args in _reduction_cases(be, rng).values():
                    getattr(be, method)(*args)
                for name, args in _elementwise_cases(rng).values():
                    be.ew(name, *args)
                half = rng.standard_normal((3, 5)).astype(np.float16)
                for method in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min",
                               "reduce_prod"):  # float16 reductions accumulate in float
                    getattr(be, method)(half, (1,), False)
                x = rng.standard_normal(1001)
                for dtype in (np.float32, np.float64):
                    be.dropout_fwd(x.astype(dtype), 0.25, 7, 0)
                    be.dropout_bwd(x.astype(dtype), x > 0, 0.25)
                    for kind in ("uniform", "normal"):
                        getattr(be, kind)(PhiloxStream(5), (3, 7), dtype)
            recorded = len(host._wanted)
            halves = sum(np.dtype(np.float16) in tmap.values() for _, tmap in host._wanted.values())
            host.build()  # compiles; raises with NVRTC's log on any error or warning
    finally:
        kernel_files._FUNCTIONS.clear()
        for b in builders:
            b.cache_clear()
    assert recorded > 150  # the elementwise table alone is 79 entries x 2-3 dtypes
    assert halves >= 4  # float16 sum/mean/max/min/prod kernels among them


def test_the_float16_elementwise_kernels_compile_with_nvrtc():
    """The float16 variant of every elementwise entry: the backend's exact operation (computed
    in float, stored through ``(T)``) with T standing for CuPy's float16 — here cuda_fp16.h's
    ``__half``, which like CuPy's class converts to and from float."""
    bodies = []
    for k, spec in enumerate(ELEMENTWISE.values()):
        params = spec.inputs + spec.scalars
        loads = [f"T {p} = ((const T*)ins[{j}])[i];" for j, p in enumerate(params)]
        stores = [f"T& {o} = ((T*)outs[{j}])[i];" for j, o in enumerate(spec.outputs)]
        bodies.append(
            f'extern "C" __global__ void half_{k}(void** ins, void** outs, long long n) {{\n'
            f"  typedef __half T;\n"
            f"  for (long long i = blockIdx.x * blockDim.x + threadIdx.x; i < n; "
            f"i += gridDim.x * blockDim.x) {{\n    " + " ".join(loads + stores)
            + f"\n    {elementwise._operation(spec, 'float')};\n  }}\n}}\n")
    source = ("#include <cuda_fp16.h>\n" + kernel_files.preamble("elementwise.cuh") + "\n"
              + "".join(bodies))
    for arch in nvrtc.ARCHS:
        ptx = nvrtc.compile_ptx(source, _options(kernel_files.COMPILE_OPTIONS, arch),
                                "half_kernels.cu")
        assert ptx.count(".entry half_") == len(ELEMENTWISE)


def test_the_backend_hands_cupy_the_options_compiled_here(monkeypatch):
    """What this file compiles is what the backend passes: RawModule gets RAW_MODULE_OPTIONS
    (with -default-device), the string-built kernels COMPILE_OPTIONS."""
    seen = {}

    class _Recorder:
        def __init__(self, *args, **kwargs):
            seen[type(self).__name__] = kwargs.get("options")

    cp = types.SimpleNamespace(**{n: type(n, (_Recorder,), {}) for n in (
        "RawModule", "ElementwiseKernel", "ReductionKernel")})
    monkeypatch.setattr(kernel_files, "require_cuda", lambda what="": cp)
    for b in (kernel_files.raw_module, kernel_files.elementwise_kernel,
              kernel_files.reduction_kernel):
        b.cache_clear()
    try:
        kernel_files.raw_module("softmax.cu")
        kernel_files.elementwise_kernel("T x", "T y", "y = x", "copy")
        kernel_files.reduction_kernel("T x", "T y", "x", "a + b", "y = a", "0", "sum")
    finally:
        for b in (kernel_files.raw_module, kernel_files.elementwise_kernel,
                  kernel_files.reduction_kernel):
            b.cache_clear()
    assert seen["RawModule"] == kernel_files.RAW_MODULE_OPTIONS
    assert "-default-device" in kernel_files.RAW_MODULE_OPTIONS
    assert seen["ElementwiseKernel"] == seen["ReductionKernel"] == kernel_files.COMPILE_OPTIONS


# The most threads per block each file's kernels are launched with: the row kernels up to 1024
# (block_kernels._launch_rows), everything else 256 (kernel_files.launch_1d, optim_kernels.BLOCK,
# reductions' arg_reduce).
_MAX_BLOCK = {"softmax.cu": 1024, "cross_entropy.cu": 1024, "layer_norm.cu": 1024}
_REGISTERS_PER_BLOCK = 65536  # sm_80 and sm_90
_STATIC_SHARED = 48 * 1024


def _ptxas():
    for toolkit in nvrtc._toolkits():
        path = toolkit / "bin" / "ptxas"
        if path.is_file():
            return str(path)
    return None


@pytest.mark.parametrize("arch", nvrtc.ARCHS)
@pytest.mark.parametrize("filename", RAW_MODULES)
def test_every_raw_module_kernel_fits_its_largest_launch(filename, arch, tmp_path):
    """ptxas's register and shared-memory counts for each kernel (as the driver will place the
    PTX CuPy gets from NVRTC): a block of the largest size we launch must fit in an SM."""
    ptxas = _ptxas()
    if ptxas is None:
        pytest.skip("ptxas (CUDA toolkit) not found")
    ptx = nvrtc.compile_ptx(kernel_files.expanded_source(filename),
                            _options(kernel_files.RAW_MODULE_OPTIONS, arch), filename)
    (tmp_path / "k.ptx").write_text(ptx)
    sm = arch.replace("compute_", "sm_")
    log = subprocess.run([ptxas, f"-arch={sm}", "-v", str(tmp_path / "k.ptx"), "-o",
                          str(tmp_path / "k.cubin")], capture_output=True, text=True, check=True)
    block = _MAX_BLOCK.get(filename, 256)
    kernel, seen = None, 0
    for line in log.stderr.splitlines():
        name = re.search(r"Compiling entry function '(\w+)'", line)
        if name:
            kernel = name.group(1)
        used = re.search(r"Used (\d+) registers", line)
        if used:
            seen += 1
            regs = int(used.group(1))
            assert regs * block <= _REGISTERS_PER_BLOCK, \
                f"{kernel} ({sm}): {regs} registers x {block} threads do not fit one block"
            smem = re.search(r"(\d+) bytes smem", line)
            assert smem is None or int(smem.group(1)) <= _STATIC_SHARED, (kernel, line)
    assert seen >= len(_entry_points(filename)), log.stderr
