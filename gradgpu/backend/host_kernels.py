"""Compiled host kernels: the NumPy backend's hottest float32 ops as C++ loops, built on first use.

NumPy runs exact GELU, softmax rows, layer norm and an optimizer's update as chains of
whole-array passes (GELU's erf alone is ~26 of them, Adam ~12 per parameter);
``kernels/host/host_kernels.cpp`` does each in one vectorized loop. As
CuPy does for CUDA kernels, the source is compiled lazily with the machine's C++ compiler
(``$CXX``, else ``c++``/``g++``/``clang++``) for this CPU (``-march=native``), cached on disk
(``$GRADGPU_CACHE_DIR``, else ``$XDG_CACHE_HOME/gradgpu`` or ``~/.cache/gradgpu``, keyed by the
source, compiler, flags and CPU), and called through ctypes.

Everything here is an accelerator, never a requirement: with no compiler, a failed build, or
``GRADGPU_HOST_KERNELS=0``, each function returns None and the NumPy backend runs its NumPy code,
which stays the specification (``tests/backend/test_host_kernels.py`` compares the two). Only
float32 C-contiguous arrays are taken; anything else returns None too. ``status()`` says which
applies, for bug reports and the benchmark report.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import pathlib
import platform
import shutil
import subprocess
import tempfile

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

_F32 = np.dtype(np.float32)
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


# ---- the ops: each returns None when it does not apply (the caller runs the NumPy code) -------

def _usable(*arrays) -> bool:
    """float32, C-contiguous NumPy arrays of one shape (what every kernel here takes)."""
    shape = arrays[0].shape
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != _F32 or not a.flags.c_contiguous \
                or a.shape != shape:
            return False
    return True


def erf(x):
    """erf(x), bit for bit ``host_erf.erf_float32``."""
    lib = library()
    if lib is None or not _usable(x):
        return None
    y = np.empty_like(x)
    lib.gradgpu_host_erf_fwd_f32(x.ctypes.data, y.ctypes.data, x.size)
    return y


def gelu_fwd(x):
    """x * Phi(x), bit for bit the NumPy reference (``elementwise_spec._gelu``)."""
    lib = library()
    if lib is None or not _usable(x):
        return None
    y = np.empty_like(x)
    lib.gradgpu_host_gelu_fwd_f32(x.ctypes.data, y.ctypes.data, x.size)
    return y


def gelu_bwd(g, x, y):
    """g * (Phi(x) + x phi(x)) with Phi(x) = y / x (the reference's formula; phi in double)."""
    lib = library()
    if lib is None or not _usable(g, x, y):
        return None
    dx = np.empty_like(x)
    lib.gradgpu_host_gelu_bwd_f32(g.ctypes.data, x.ctypes.data, y.ctypes.data, dx.ctypes.data,
                                  x.size)
    return dx


def softmax(x, axis: int, log: bool = False):
    """softmax (or log_softmax) along the last axis."""
    lib = library()
    if lib is None or not _last_axis_rows(x, axis) or not _usable(x):
        return None
    y = np.empty_like(x)
    n = x.shape[-1]
    fn = lib.gradgpu_host_log_softmax_fwd_f32 if log else lib.gradgpu_host_softmax_fwd_f32
    fn(x.ctypes.data, y.ctypes.data, x.size // n, n)
    return y


def causal_softmax(x):
    """softmax along the last axis of attention scores (..., L, S) where query i sees keys
    j <= i: the masked entries are 0 and never computed."""
    lib = library()
    if lib is None or x.ndim < 2 or not _last_axis_rows(x, -1) or not _usable(x):
        return None
    y = np.empty_like(x)
    n = x.shape[-1]
    lib.gradgpu_host_causal_softmax_fwd_f32(x.ctypes.data, y.ctypes.data, x.size // n, n,
                                            x.shape[-2])
    return y


def softmax_bwd(g, y, axis: int, log: bool = False):
    """y (g - sum(g y)) (softmax) or g - exp(y) sum(g) (log_softmax) along the last axis."""
    lib = library()
    if lib is None or not _last_axis_rows(y, axis) or not _usable(g, y):
        return None
    dx = np.empty_like(y)
    n = y.shape[-1]
    fn = lib.gradgpu_host_log_softmax_bwd_f32 if log else lib.gradgpu_host_softmax_bwd_f32
    fn(g.ctypes.data, y.ctypes.data, dx.ctypes.data, y.size // n, n)
    return dx


def layer_norm_fwd(x, n: int, eps: float):
    """(xhat, rstd) over the trailing ``n`` elements of each row (``n`` = 0: not applicable)."""
    lib = library()
    if lib is None or n == 0 or x.size == 0 or not _usable(x):
        return None
    rows = x.size // n
    xhat = np.empty_like(x)
    rstd = np.empty(rows, _F32)
    lib.gradgpu_host_layer_norm_fwd_f32(x.ctypes.data, xhat.ctypes.data, rstd.ctypes.data, rows,
                                        n, eps)
    return xhat, rstd


def layer_norm_bwd(g, xhat, rstd, n: int):
    """rstd (g - mean(g) - xhat mean(g xhat)) over the trailing ``n`` elements of each row."""
    lib = library()
    if lib is None or n == 0 or xhat.size == 0 or not _usable(g, xhat) \
            or rstd.dtype != _F32 or rstd.size * n != xhat.size:
        return None
    rstd = np.ascontiguousarray(rstd)
    dx = np.empty_like(xhat)
    lib.gradgpu_host_layer_norm_bwd_f32(g.ctypes.data, xhat.ctypes.data, rstd.ctypes.data,
                                        dx.ctypes.data, xhat.size // n, n)
    return dx


def cross_entropy_fwd(x, target, weight, ignore_index: int, label_smoothing: float, axis: int):
    """(loss, lse, wt) of ``ArrayKernels.cross_entropy_fwd`` for classes along the last axis,
    without class weights or label smoothing."""
    lib = library()
    if lib is None or not _plain_cross_entropy(x, target, weight, label_smoothing, axis):
        return None
    rows, n = target.size, x.shape[-1]
    loss, lse, wt = (np.empty(target.shape, _F32) for _ in range(3))
    lib.gradgpu_host_cross_entropy_fwd_f32(x.ctypes.data, target.ctypes.data, loss.ctypes.data,
                                           lse.ctypes.data, wt.ctypes.data, rows, n,
                                           ignore_index)
    return loss, lse, wt


def cross_entropy_bwd(g, x, lse, target, weight, ignore_index: int, label_smoothing: float,
                      axis: int):
    """dx of ``cross_entropy_fwd``'s loss for the upstream gradient g (broadcast to target)."""
    lib = library()
    if lib is None or not _plain_cross_entropy(x, target, weight, label_smoothing, axis) \
            or not (lse.dtype == _F32 and lse.shape == target.shape):
        return None
    g = np.ascontiguousarray(np.broadcast_to(g, target.shape), _F32)
    lse = np.ascontiguousarray(lse)
    dx = np.empty_like(x)
    lib.gradgpu_host_cross_entropy_bwd_f32(g.ctypes.data, x.ctypes.data, lse.ctypes.data,
                                           target.ctypes.data, dx.ctypes.data, target.size,
                                           x.shape[-1], ignore_index)
    return dx


def _plain_cross_entropy(x, target, weight, label_smoothing, axis) -> bool:
    """Classes along the last axis of a float32 C-contiguous x with at least one class, int64
    C-contiguous targets of x's other dims, no class weights, no label smoothing."""
    return (weight is None and not label_smoothing and _last_axis_rows(x, axis) and _usable(x)
            and type(target) is np.ndarray and target.dtype == np.int64
            and target.flags.c_contiguous and target.shape == x.shape[:-1])


def adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, arguments) -> list:
    """Adam(W) in place on every parameter whose arrays the kernel takes (kernels/optim.cuh's
    update, bit for bit OptimReference.adam_step); returns the indices of the others.
    ``arguments``: ``reference_optim.adam_arguments``' (scalars, flags)."""
    return _optim_step("adam", (params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs),
                       arguments)


def sgd_step(params, grads, momentum_buffers, arguments) -> list:
    """SGD in place, as ``adam_step`` (``momentum_buffers`` None without momentum)."""
    return _optim_step("sgd", (params, grads, momentum_buffers), arguments)


def _optim_step(name: str, slots, arguments) -> list:
    lib = library()
    count = len(slots[0])
    if lib is None:
        return list(range(count))
    scalars, flags = arguments
    sc = np.array(scalars, _F32)  # the kernels' T = float: as NumPy casts them for float32
    fl = np.array(flags, np.int32)
    fn = getattr(lib, f"gradgpu_host_{name}_step_f32")
    rest = []
    for i in range(count):
        arrays = [None if s is None else s[i] for s in slots]
        present = [a for a in arrays if a is not None]
        if not _usable(*present):
            rest.append(i)
            continue
        fn(*[0 if a is None else a.ctypes.data for a in arrays], present[0].size,
           sc.ctypes.data, fl.ctypes.data)
    return rest


def _last_axis_rows(x, axis: int) -> bool:
    return x.ndim > 0 and x.size > 0 and axis % x.ndim == x.ndim - 1


# ---- building and loading --------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def library():
    """The loaded library with its signatures declared, or None (``status()`` says why)."""
    global _status
    if os.environ.get(DISABLE_ENV, "1") == "0":
        _status = f"disabled ({DISABLE_ENV}=0)"
        return None
    try:
        path = _built_library()
        lib = ctypes.CDLL(str(path))
        for name, argtypes in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = argtypes, None
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        _status = f"not in use: {exc}"
        return None
    if not _self_test(lib):
        _status = f"not in use: {path} gives results that differ from the NumPy code"
        return None
    _status = f"in use: {path}"
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
    """The cached library for this source, compiler and CPU; compiled when missing."""
    cxx = _compiler()
    stat = os.stat(cxx)
    key = hashlib.sha256("\0".join(
        [p.read_text() for p in _sources()]
        + [cxx, str(stat.st_mtime_ns), str(stat.st_size), " ".join(FLAGS + NATIVE),
           platform.machine(), _cpu_features()]).encode()).hexdigest()[:20]
    name = f"host_kernels-{key}{_suffix()}"
    for folder in (_cache_dir() / "host", pathlib.Path(tempfile.gettempdir()) / "gradgpu-host"):
        path = folder / name
        if path.is_file():
            return path
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return _compile(cxx, path)
        except PermissionError:
            continue  # an unwritable cache: try the temporary folder
    raise RuntimeError("no writable folder for the compiled host kernels")


def _suffix() -> str:
    return ".dll" if os.name == "nt" else (".dylib" if platform.system() == "Darwin" else ".so")


def _compile(cxx: str, path: pathlib.Path) -> pathlib.Path:
    """Compile into a temporary file beside ``path`` and rename it there: processes that build
    at the same time each write their own file, and readers only ever see a complete one."""
    fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=path.suffix, dir=path.parent)
    os.close(fd)
    source = str(_sources()[0])
    try:
        errors = ""
        for extra in (NATIVE, ()):  # without -march=native where the compiler refuses it
            done = subprocess.run([cxx, *FLAGS, *extra, "-o", tmp, source], capture_output=True,
                                  text=True, timeout=300)
            if done.returncode == 0:
                os.replace(tmp, path)
                return path
            errors = done.stderr.strip()
        raise RuntimeError(f"{cxx} could not build {source}: {errors[-2000:]}")
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _self_test(lib) -> bool:
    """erf of a few values against the NumPy code, which it must equal bit for bit: a compiler
    that ignores the flags (fast-math by default, say) is caught before it serves any op."""
    x = np.array([-5.5, -3.9, -1.25, -1e-3, -0.0, 0.0, 1e-30, 0.3, 1.0, 2.75, 4.5, np.inf,
                  -np.inf, np.nan], _F32)
    y = np.empty_like(x)
    lib.gradgpu_host_erf_fwd_f32(x.ctypes.data, y.ctypes.data, x.size)
    return bool(np.array_equal(y.view(np.int32), erf_float32(x).view(np.int32)))
