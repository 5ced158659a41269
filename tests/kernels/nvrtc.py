"""NVRTC, the runtime compiler CuPy hands our kernel sources to, called through ctypes.

NVRTC compiles to PTX without a GPU, so CI can compile every source exactly as the CUDA backend
passes it to ``cupy.RawModule`` / ``ElementwiseKernel`` — in particular the ``__CUDACC_RTC__``
branches nvcc never sees. The library comes from NVIDIA's ``nvidia-cuda-nvrtc`` wheel (the
``test`` extra on Linux) or a CUDA toolkit; tests skip with the reason when neither is there.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
import pathlib
import re
import subprocess

from . import nvcc

ARCHS = ("compute_80", "compute_90")
"""Virtual architectures, as CuPy passes ``-arch=compute_XY`` for the device it compiles for."""


def _toolkits() -> list[pathlib.Path]:
    """CUDA toolkit folders that may hold NVRTC and the headers: $CUDA_HOME/$CUDA_PATH, the
    one nvcc belongs to (nvcc may be a wrapper script: ask it), /usr/local/cuda."""
    roots = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH")]
    compiler = nvcc.nvcc_path()
    if compiler is not None:
        roots.append(str(pathlib.Path(os.path.realpath(compiler)).parents[1]))
        try:  # "#$ TOP=/usr/local/cuda-13.0/bin/.." in nvcc's dry run
            dry = subprocess.run([compiler, "--dryrun", "-c", "-x", "cu", os.devnull],
                                 capture_output=True, text=True, timeout=60).stderr
            roots += re.findall(r"^#\$ TOP=(\S+)", dry, re.MULTILINE)
        except (OSError, subprocess.SubprocessError):
            pass
    roots.append("/usr/local/cuda")
    out = []
    for r in roots:
        if r and os.path.isdir(r):
            path = pathlib.Path(os.path.realpath(r))
            if path not in out:
                out.append(path)
    return out


def _candidates() -> list[str]:
    """libnvrtc.so paths: NVIDIA's pip wheel first, then toolkits (not the .alt variant)."""
    found = []
    try:
        import nvidia  # the namespace package of NVIDIA's CUDA wheels

        for root in nvidia.__path__:
            found += sorted(glob.glob(os.path.join(root, "cu*", "lib", "libnvrtc.so*")))
    except ImportError:
        pass
    for toolkit in _toolkits():
        found += sorted(glob.glob(str(toolkit / "lib*" / "libnvrtc.so*")))
    return [p for p in found if ".alt." not in p]


@functools.lru_cache(maxsize=1)
def library():
    """(ctypes library, None) or (None, the reason it is missing). NVRTC dlopens its builtins
    library by name at compile time: it is loaded first, from the same folder."""
    for path in _candidates():
        try:
            for builtins in sorted(glob.glob(os.path.join(os.path.dirname(path),
                                                          "libnvrtc-builtins.so*"))):
                if ".alt." not in builtins:
                    ctypes.CDLL(builtins, mode=ctypes.RTLD_GLOBAL)
            return ctypes.CDLL(path), None
        except OSError:
            continue
    return None, ("NVRTC not found: pip install nvidia-cuda-nvrtc (the test extra on Linux) or "
                  "install a CUDA toolkit with libnvrtc")


def include_dir() -> str | None:
    """A CUDA toolkit's include folder (CuPy passes its CUDA's with -I): where cuda_fp16.h is."""
    for toolkit in _toolkits():
        for path in (toolkit / "include", *toolkit.glob("targets/*/include")):
            if (path / "cuda_fp16.h").is_file():
                return str(path)
    return None


def version() -> tuple[int, int]:
    lib, _ = library()
    major, minor = ctypes.c_int(), ctypes.c_int()
    lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
    return major.value, minor.value


def compile_ptx(source: str, options: tuple[str, ...], name: str = "gradgpu.cu") -> str:
    """Compile ``source`` with ``options``; the PTX on success. Raises AssertionError with
    NVRTC's log on any error, and on any warning (as the nvcc tests do)."""
    lib, reason = library()
    if lib is None:
        raise AssertionError(reason)
    prog = ctypes.c_void_p()
    _check(lib, lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0,
                                       None, None), "nvrtcCreateProgram")
    try:
        opts = (ctypes.c_char_p * len(options))(*(o.encode() for o in options))
        status = lib.nvrtcCompileProgram(prog, len(options), opts)
        log = _log(lib, prog)
        if status != 0:
            raise AssertionError(f"NVRTC failed on {name} with {' '.join(options)}:\n{log}")
        if "warning" in log.lower():
            raise AssertionError(f"NVRTC warned on {name}:\n{log}")
        size = ctypes.c_size_t()
        _check(lib, lib.nvrtcGetPTXSize(prog, ctypes.byref(size)), "nvrtcGetPTXSize")
        ptx = ctypes.create_string_buffer(size.value)
        _check(lib, lib.nvrtcGetPTX(prog, ptx), "nvrtcGetPTX")
        return ptx.value.decode()
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


def _log(lib, prog) -> str:
    size = ctypes.c_size_t()
    lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    buf = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(prog, buf)
    return buf.value.decode(errors="replace")


def _check(lib, status: int, what: str) -> None:
    if status != 0:
        lib.nvrtcGetErrorString.restype = ctypes.c_char_p
        raise AssertionError(f"{what}: {lib.nvrtcGetErrorString(status).decode()}")
