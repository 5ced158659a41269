"""The CUDA C source in ``kernels/``: finding it, inlining its headers, and building memoized
CuPy kernel objects from it (GUIDE section 2: built on first use, never per call).

Headers are inlined into the source handed to CuPy rather than found through ``-I``: the text
compiled is then exactly the text hashed into CuPy's on-disk kernel cache, and nothing depends on
NVRTC's include path. Each header is inlined once (its ``#pragma once`` is honoured by hand).
"""

from __future__ import annotations

import functools
import pathlib
import re

from .runtime import require_cuda

_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]+"([^"]+)"[ \t]*$', re.MULTILINE)
COMPILE_OPTIONS = ("--std=c++17",)  # if constexpr in unary.cuh; the spelling CuPy users pass
# RawModules add NVRTC's -default-device: the block kernels hand lambdas to for_each_row, and
# NVRTC (unlike nvcc) takes an unannotated lambda for a host function, which JIT mode refuses
# (tests/kernels/test_nvrtc_compile.py compiles every source with NVRTC, as CuPy does).
RAW_MODULE_OPTIONS = COMPILE_OPTIONS + ("-default-device",)


@functools.lru_cache(maxsize=1)
def kernel_dir() -> pathlib.Path:
    """The folder holding the ``.cuh``/``.cu`` files: ``gradgpu/_kernels`` in an installed wheel
    (setup.py maps ``kernels/`` there), else ``kernels/`` of this source checkout."""
    package = pathlib.Path(__file__).resolve().parents[2]  # .../gradgpu
    installed = package / "_kernels"
    if (installed / "common.cuh").is_file():
        return installed
    checkout = package.parent / "kernels"
    if (checkout / "common.cuh").is_file():
        return checkout
    raise FileNotFoundError(
        "gradgpu's CUDA kernel sources (common.cuh, ...) are missing: looked in "
        f"{installed} and {checkout}; reinstall gradgpu")


def expanded_source(filename: str) -> str:
    """The text of ``kernels/<filename>`` with every local ``#include "x.cuh"`` inlined once."""
    return expanded_sources((filename,))


@functools.cache
def preamble(*headers: str) -> str:
    """The inlined text of ``headers`` (shared includes once), for a kernel's ``preamble=``."""
    return expanded_sources(headers)


def expanded_sources(filenames) -> str:
    """``filenames`` concatenated, local includes inlined, each file at most once."""
    includes = "\n".join(f'#include "{f}"' for f in filenames)
    seen: set[str] = set()

    def expand_text(text: str) -> str:
        return _INCLUDE.sub(lambda m: expand(m.group(1)), text)

    def expand(name: str) -> str:
        if name in seen:
            return ""
        seen.add(name)
        return expand_text((kernel_dir() / name).read_text().replace("#pragma once", ""))

    return expand_text(includes)


@functools.cache
def raw_module(filename: str):
    """``cupy.RawModule`` of ``kernels/<filename>`` (a ``.cu`` of ``extern "C"`` kernels)."""
    cupy = require_cuda("gradgpu kernels")
    return cupy.RawModule(code=expanded_source(filename), options=RAW_MODULE_OPTIONS)


_FUNCTIONS: dict = {}


def raw_kernel(filename: str, function: str):
    """One ``extern "C" __global__`` function of ``kernels/<filename>`` on the current device,
    memoized per device (a module's functions are bound to the device that loaded it)."""
    cupy = require_cuda("gradgpu kernels")
    key = (filename, function, cupy.cuda.runtime.getDevice())
    fn = _FUNCTIONS.get(key)
    if fn is None:
        fn = _FUNCTIONS[key] = raw_module(filename).get_function(function)
    return fn


@functools.cache
def elementwise_kernel(in_params: str, out_params: str, operation: str, name: str,
                       headers: tuple = ("elementwise.cuh",)):
    """``cupy.ElementwiseKernel`` whose one-line ``operation`` calls functions of ``headers``."""
    cupy = require_cuda("gradgpu kernels")
    return cupy.ElementwiseKernel(in_params, out_params, operation, name,
                                  preamble=preamble(*headers), options=COMPILE_OPTIONS)


@functools.cache
def reduction_kernel(in_params: str, out_params: str, map_expr: str, reduce_expr: str,
                     post_map_expr: str, identity: str, name: str, reduce_type: str | None = None,
                     headers: tuple = ("reduction.cuh",)):
    """``cupy.ReductionKernel`` over functions of ``headers``, memoized."""
    cupy = require_cuda("gradgpu kernels")
    return cupy.ReductionKernel(in_params, out_params, map_expr, reduce_expr, post_map_expr,
                                identity, name, reduce_type=reduce_type,
                                preamble=preamble(*headers), options=COMPILE_OPTIONS)


def launch_1d(n: int, block: int = 256) -> tuple:
    """(grid, block) for a grid-stride loop over ``n`` items (grid capped; kernels loop)."""
    grid = max(1, min((n + block - 1) // block, 65535 * 8))
    return (grid,), (block,)
