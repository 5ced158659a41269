"""nvcc helpers for the kernel tests: find the compiler, compile device code for the GPUs we
target, and build host shared libraries from CUDA C++ (called through ctypes).

No GPU is needed: ``nvcc -c`` compiles device code without one, and host code compiled by nvcc
runs on the CPU. Tests skip (with the reason) only when nvcc itself is missing.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import pathlib
import shutil
import subprocess
import tempfile

KERNEL_DIR = pathlib.Path(__file__).resolve().parents[2] / "kernels"
"""The repository's ``kernels/`` folder (passed to nvcc with ``-I``)."""

ARCHS = ("sm_80", "sm_90")
NO_NVCC = "nvcc (the CUDA compiler) is not on PATH"


def nvcc_path() -> str | None:
    """The nvcc executable, or None when the CUDA toolkit is not installed."""
    return shutil.which("nvcc")


@functools.lru_cache(maxsize=1)
def _build_dir() -> pathlib.Path:
    # One folder per test session, removed by the OS's tmp cleaning (tests leave nothing else).
    return pathlib.Path(tempfile.mkdtemp(prefix="gradgpu-nvcc-"))


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _run_nvcc(args: list[str], what: str) -> None:
    nvcc = nvcc_path()
    if nvcc is None:
        raise AssertionError(NO_NVCC)
    proc = subprocess.run([nvcc, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"nvcc failed on {what} (exit {proc.returncode}):\n"
                             f"{' '.join(args)}\n{proc.stdout}{proc.stderr}")
    if "warning" in proc.stderr.lower():
        raise AssertionError(f"nvcc warned on {what}:\n{proc.stderr}")


def _source_file(source: str, suffix: str, key: str) -> pathlib.Path:
    path = _build_dir() / f"{key}{suffix}"
    path.write_text(source)
    return path


def compile_object(source: str, archs=ARCHS, name: str = "source") -> pathlib.Path:
    """Compile CUDA ``source`` (device and host code) to an object file for each of ``archs``
    (``"sm_80"``...); ``-I kernels/``. Raises AssertionError with the compiler output on any
    error or warning. Cached per session by the source's hash."""
    key = _key("obj", source, *archs)
    out = _build_dir() / f"{key}.o"
    if not out.exists():
        src = _source_file(source, ".cu", key)
        gencode = [f"--generate-code=arch=compute_{a[3:]},code={a}" for a in archs]
        _run_nvcc(["-std=c++17", "-c", *gencode, f"-I{KERNEL_DIR}", "-o", str(out), str(src)],
                  name)
    return out


_LIBRARIES: dict[str, ctypes.CDLL] = {}


def build_host_library(source: str, name: str = "source") -> ctypes.CDLL:
    """Compile CUDA C++ ``source`` as host code into a shared library and load it
    (``nvcc -shared -Xcompiler -fPIC -std=c++17 -I kernels/``). Its ``extern "C"`` functions are
    then callable through ctypes. Cached per session by the source's hash."""
    key = _key("lib", source)
    lib = _LIBRARIES.get(key)
    if lib is None:
        out = _build_dir() / f"{key}.so"
        src = _source_file(source, ".cu", key)
        _run_nvcc(["-std=c++17", "-shared", "-Xcompiler", "-fPIC", "-O2", f"-I{KERNEL_DIR}",
                   "-o", str(out), str(src)], name)
        lib = _LIBRARIES[key] = ctypes.CDLL(str(out))
    return lib
