"""Building and loading the compiled host kernels (``kernels/host/``) for ``host_kernels``.

As CuPy does for CUDA kernels, the source is compiled lazily with the machine's C++ compiler
(``$CXX``, else ``c++``/``g++``/``clang++``) for this CPU (``-march=native``), cached on disk
(``$GRADGPU_CACHE_DIR``, else ``$XDG_CACHE_HOME/gradgpu`` or ``~/.cache/gradgpu``, keyed by the
source, compiler, flags and CPU; where that folder is unusable, this user's private folder in
the temporary directory), and loaded with ctypes. A digest beside each library is checked
before loading it: a damaged file is built again (dlopen of a truncated one dies of SIGBUS).
Before any op uses it, the library's erf must equal ``host_erf``'s bit for bit (a compiler that
ignores the flags is caught). Any failure leaves ``library()`` None and says why in ``status()``;
``GRADGPU_HOST_KERNELS=0`` makes it None without running a compiler.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import pathlib
import platform
import shutil
import subprocess
import tempfile
import threading
import time
from stat import S_ISDIR

import numpy as np

from .cuda.kernel_files import kernel_dir
from .host_erf import erf_float32

DISABLE_ENV = "GRADGPU_HOST_KERNELS"
"""Set to 0 to keep every op on the NumPy code (the library then never runs a compiler)."""

FLAGS = ("-O3", "-std=c++17", "-shared", "-fPIC", "-fopenmp-simd",
         # the kernels' roundings must not depend on the compiler's choices: no fused
         # multiply-adds (GELU's forward is bit for bit NumPy's) and no -ffast-math; the two
         # below change no result (errno and FP traps are never used) but allow vectorizing
         "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math")
NATIVE = ("-march=native",)
"""Tried first: the library is built on the machine that runs it (dropped if refused)."""

_P = ctypes.c_void_p
_N = ctypes.c_int64
_SIGNATURES = {  # entry point -> argument types (all return void)
    "gradgpu_host_erf_fwd_f32": (_P, _P, _N),
    "gradgpu_host_gelu_fwd_f32": (_P, _P, _N),
    "gradgpu_host_gelu_bwd_f32": (_P, _P, _P, _P, _N),
    "gradgpu_host_softmax_fwd_f32": (_P, _P, _N, _N),
    "gradgpu_host_causal_softmax_fwd_f32": (_P, _P, _N, _N, _N),
    "gradgpu_host_log_softmax_fwd_f32": (_P, _P, _N, _N),
    "gradgpu_host_softmax_bwd_f32": (_P, _P, _P, _N, _N),
    "gradgpu_host_log_softmax_bwd_f32": (_P, _P, _P, _N, _N),
    "gradgpu_host_layer_norm_fwd_f32": (_P, _P, _P, _N, _N, ctypes.c_double),
    "gradgpu_host_layer_norm_bwd_f32": (_P, _P, _P, _P, _N, _N),
    "gradgpu_host_cross_entropy_fwd_f32": (_P, _P, _P, _P, _P, _N, _N, _N),
    "gradgpu_host_cross_entropy_bwd_f32": (_P, _P, _P, _P, _P, _N, _N, _N),
    "gradgpu_host_adam_step_f32": (_P, _P, _P, _P, _P, _N, _P, _P),
    "gradgpu_host_sgd_step_f32": (_P, _P, _P, _N, _P, _P),
}

_status = "not loaded yet"


def status() -> str:
    """Whether the compiled host kernels are in use, and if not, why."""
    return _status


_LOCK = threading.Lock()  # first calls from several threads at once: one build, one answer
_loaded: tuple | None = None  # (the library or None,) once decided


def _new_lock_in_child() -> None:
    """A child forked while another thread held the lock (building) would wait forever."""
    global _LOCK
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def library():
    """The loaded library with its signatures declared, or None (``status()`` says why)."""
    global _loaded
    if _loaded is None:
        with _LOCK:
            if _loaded is None:
                _loaded = (_load_library(),)
    return _loaded[0]


def _load_library():
    global _status
    if os.environ.get(DISABLE_ENV, "1") == "0":
        _status = f"disabled ({DISABLE_ENV}=0)"
        return None
    try:
        path = _built_library()
        lib = _load(path)
    except (OSError, AttributeError, RuntimeError, subprocess.SubprocessError) as exc:
        _status = f"not in use: {exc}"
        return None
    if not _self_test(lib):
        _status = f"not in use: {path} gives results that differ from the NumPy code"
        return None
    _status = f"in use: {path}"
    return lib


def _load(path: pathlib.Path):
    """CDLL of ``path`` with every entry point's signature declared (AttributeError: one is
    missing)."""
    lib = ctypes.CDLL(str(path))
    for name, argtypes in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = argtypes, None
    return lib


def _sources() -> list[pathlib.Path]:
    """The compiled file first, then every file it includes (all part of the cache key)."""
    folder = kernel_dir()
    return [folder / "host" / "host_kernels.cpp", folder / "host" / "host_math.h",
            folder / "optim.cuh", folder / "common.cuh"]


def _compiler() -> str:
    for name in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if name and (found := shutil.which(name)):
            return found
    raise RuntimeError("no C++ compiler found ($CXX, c++, g++ or clang++)")


def _cpu_features() -> str:
    """What -march=native depends on: the CPU's feature flags (Linux), else the processor name."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return line
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cache_dir() -> pathlib.Path:
    root = os.environ.get("GRADGPU_CACHE_DIR")
    if root:
        return pathlib.Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (pathlib.Path(xdg) if xdg else pathlib.Path.home() / ".cache") / "gradgpu"


def _built_library() -> pathlib.Path:
    """The cached library for this source, compiler and CPU; compiled when missing or when the
    file is not the one that was built (see ``_intact``)."""
    cxx = _compiler()
    stat = os.stat(cxx)
    key = hashlib.sha256("\0".join(
        [p.read_text() for p in _sources()]
        + [cxx, str(stat.st_mtime_ns), str(stat.st_size), " ".join(FLAGS + NATIVE),
           platform.machine(), _cpu_features()]).encode()).hexdigest()[:20]
    name = f"host_kernels-{key}{_suffix()}"
    errors = []
    for folder_of in (lambda: _cache_dir() / "host", _private_temp_dir):
        try:
            path = folder_of() / name
            if _intact(path):
                return path
            path.parent.mkdir(parents=True, exist_ok=True)
            return _compile(cxx, path)
        except OSError as exc:  # unwritable, read-only file system, a file in the way...
            errors.append(str(exc))  # ...try the temporary folder
    raise RuntimeError(f"no writable folder for the compiled host kernels ({'; '.join(errors)})")


def _private_temp_dir() -> pathlib.Path:
    """This user's folder in the temporary directory: libraries loaded from a shared folder
    could have been planted by another user (the file names are predictable)."""
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    folder = pathlib.Path(tempfile.gettempdir()) / f"gradgpu-host-{user}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if hasattr(os, "getuid"):
        info = folder.lstat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077 or not S_ISDIR(info.st_mode):
            raise PermissionError(f"{folder} is not a private folder of this user")
    return folder


def _suffix() -> str:
    return ".dll" if os.name == "nt" else (".dylib" if platform.system() == "Darwin" else ".so")


def _digest_file(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + ".sha256")


def _intact(path: pathlib.Path) -> bool:
    """Whether ``path`` holds the bytes that were built (its digest file says so): loading a
    truncated library (a crash between write and flush, a full disk, a copied cache) kills the
    process with SIGBUS inside dlopen, and a foreign one lacks the entry points."""
    try:
        with open(path, "rb") as f:
            got = hashlib.sha256(f.read()).hexdigest()
        return _digest_file(path).read_text() == got
    except OSError:
        return False


def _compile(cxx: str, path: pathlib.Path) -> pathlib.Path:
    """Compile into a temporary file beside ``path`` and rename it there, after its digest:
    processes that build at the same time each write their own file, and readers only ever see
    a complete one (a digest of another build's bytes only costs a rebuild)."""
    fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=path.suffix, dir=path.parent)
    os.close(fd)
    fd, tmp_digest = tempfile.mkstemp(prefix=path.stem, suffix=".sha256", dir=path.parent)
    os.close(fd)
    source = str(_sources()[0])
    try:
        errors = ""
        for extra in (NATIVE, ()):  # without -march=native where the compiler refuses it
            done = subprocess.run([cxx, *FLAGS, *extra, "-o", tmp, source], capture_output=True,
                                  text=True, timeout=300)
            if done.returncode == 0:
                with open(tmp, "rb") as f:
                    pathlib.Path(tmp_digest).write_text(hashlib.sha256(f.read()).hexdigest())
                os.replace(tmp_digest, _digest_file(path))
                os.replace(tmp, path)
                _prune(path)
                return path
            errors = done.stderr.strip()
        raise RuntimeError(f"{cxx} could not build {source}: {errors[-2000:]}")
    finally:
        for name in (tmp, tmp_digest):
            if os.path.exists(name):
                os.remove(name)


STALE_SECONDS = 7 * 24 * 3600
"""Builds of other sources or compilers older than this are removed after a build (a week:
two gradgpu versions in use side by side do not rebuild each other's library)."""


def _prune(built: pathlib.Path) -> None:
    """Remove the folder's other libraries (and digests) untouched for ``STALE_SECONDS``: each
    change of source, compiler or CPU leaves one behind. A process that has one loaded keeps
    its mapping."""
    cutoff = time.time() - STALE_SECONDS
    for other in built.parent.glob("host_kernels-*"):
        if other.name.startswith(built.stem):
            continue
        try:
            if other.stat().st_mtime < cutoff:
                other.unlink()
        except OSError:
            pass  # another process pruned it, or it is not ours to remove


def _self_test(lib) -> bool:
    """erf of a few values against the NumPy code, which it must equal bit for bit: a compiler
    that ignores the flags (fast-math by default, say) is caught before it serves any op."""
    x = np.array([-5.5, -3.9, -1.25, -1e-3, -0.0, 0.0, 1e-30, 0.3, 1.0, 2.75, 4.5, np.inf,
                  -np.inf, np.nan], np.float32)
    y = np.empty_like(x)
    lib.gradgpu_host_erf_fwd_f32(x.ctypes.data, y.ctypes.data, x.size)
    return bool(np.array_equal(y.view(np.int32), erf_float32(x).view(np.int32)))
