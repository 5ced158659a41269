"""Compiled host kernels: the NumPy backend's hottest float32 ops as C++ loops, built on first use.

NumPy runs exact GELU, softmax rows, layer norm and an optimizer's update as chains of
whole-array passes (GELU's erf alone is ~26 of them, Adam ~12 per parameter);
``kernels/host/host_kernels.cpp`` does each in one vectorized loop. ``host_build`` compiles it
with the machine's C++ compiler on first use and caches it on disk.

Everything here is an accelerator, never a requirement: with no compiler, a failed build, or
``GRADGPU_HOST_KERNELS=0``, each function returns None and the NumPy backend runs its NumPy code,
which stays the specification (``tests/test_host_kernels.py`` compares the two). Only
float32 C-contiguous aligned arrays are taken; anything else returns None too. ``status()``
says which applies, for bug reports and the benchmark report.
"""

from __future__ import annotations

import numpy as np

from .host_build import DISABLE_ENV, library, status

__all__ = ["DISABLE_ENV", "library", "status", "erf", "gelu_fwd", "gelu_bwd", "softmax",
           "causal_softmax", "softmax_bwd", "layer_norm_fwd", "layer_norm_bwd",
           "cross_entropy_fwd", "cross_entropy_bwd", "adam_step", "sgd_step"]

_F32 = np.dtype(np.float32)
_I64 = np.dtype(np.int64)  # native byte order: a big-endian '>i8' compares unequal


# ---- the ops: each returns None when it does not apply (the caller runs the NumPy code) -------

def _usable(*arrays) -> bool:
    """float32 (native byte order), C-contiguous, aligned NumPy arrays of one shape (what every
    kernel here takes: a float* that is not 4-byte aligned is undefined behaviour in C++, and
    vector code may fault on it)."""
    shape = getattr(arrays[0], "shape", None)
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != _F32 or a.shape != shape:
            return False
        flags = a.flags
        if not (flags.c_contiguous and flags.aligned):
            return False
    return True


def erf(x):
    """erf(x), bit for bit ``host_erf.erf_float32``."""
    return _elementwise("gradgpu_host_erf_fwd_f32", x)


def gelu_fwd(x):
    """x * Phi(x), bit for bit the NumPy reference (``elementwise_spec._gelu``)."""
    return _elementwise("gradgpu_host_gelu_fwd_f32", x)


def _elementwise(entry: str, x):
    lib = library()
    if lib is None or not _usable(x):
        return None
    y = np.empty_like(x)
    getattr(lib, entry)(x.ctypes.data, y.ctypes.data, x.size)
    return y


def gelu_bwd(g, x, y):
    """g * (Phi(x) + x phi(x)) with Phi(x) = y / x: the reference's float32 operations."""
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
            and type(target) is np.ndarray and target.dtype == _I64
            and target.flags.c_contiguous and target.flags.aligned
            and target.shape == x.shape[:-1])


def adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, arguments) -> list:
    """Adam(W) in place on every parameter whose arrays the kernel takes (kernels/optim.cuh's
    update, bit for bit OptimReference.adam_step); returns the indices of the others.
    ``arguments``: ``reference_optim.adam_arguments``' (scalars, flags)."""
    # written: p, m, v, v_max; v_max is read only with amsgrad (flags[2])
    return _optim_step("adam", (params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs),
                       arguments, written=(0, 2, 3, 4), optional=(4, arguments[1][2]))


def sgd_step(params, grads, momentum_buffers, arguments) -> list:
    """SGD in place, as ``adam_step`` (``momentum_buffers`` None without momentum)."""
    # written: p, buf; buf is read only with momentum (flags[2])
    return _optim_step("sgd", (params, grads, momentum_buffers), arguments, written=(0, 2),
                       optional=(2, arguments[1][2]))


def _optim_step(name: str, slots, arguments, written: tuple, optional: tuple) -> list:
    """Run the kernel on each parameter whose arrays it takes; return the others' indices.
    ``optional`` = (slot, used): the state slot the kernel reads only when ``used``; unused, it
    gets a null pointer, and used but missing (None), the parameter is left to the NumPy code
    (which raises) rather than the kernel dereferencing null. Written arrays must be writeable
    (the NumPy code raises for a read-only one)."""
    lib = library()
    count = len(slots[0])
    if lib is None:
        return list(range(count))
    scalars, flags = arguments
    sc = np.array(scalars, _F32)  # the kernels' T = float: as NumPy casts them for float32
    fl = np.array(flags, np.int32)
    fn = getattr(lib, f"gradgpu_host_{name}_step_f32")
    slot, used = optional
    if not used:
        slots = slots[:slot] + (None,) + slots[slot + 1:]
    rest = []
    for i in range(count):
        arrays = [None if s is None else s[i] for s in slots]
        present = [a for a in arrays if a is not None]
        if (used and arrays[slot] is None) or not _usable(*present) \
                or not all(arrays[k] is None or arrays[k].flags.writeable for k in written):
            rest.append(i)
            continue
        fn(*[0 if a is None else a.ctypes.data for a in arrays], present[0].size,
           sc.ctypes.data, fl.ctypes.data)
    return rest


def _last_axis_rows(x, axis: int) -> bool:
    # axis compared, not reduced modulo ndim: an out-of-range axis is the NumPy code's error
    return x.ndim > 0 and x.size > 0 and (axis == -1 or axis == x.ndim - 1)
