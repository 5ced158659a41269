"""CUDA kernels: the reductions (sum, mean, prod, amax/amin, var, logsumexp, norm) as
``cupy.ReductionKernel`` over ``kernels/reduction.cuh``, and the arg-reductions (max/min with
indices) as the block kernel of ``kernels/reduction.cu``.

float16 is storage only: sums accumulate in float32 (``reduce_type``), and the multi-pass
statistics (var, logsumexp, norm) upcast their input to float32 and round the result once.
"""

from __future__ import annotations

import numpy as np

from .kernel_files import elementwise_kernel, raw_kernel, reduction_kernel

_HEADERS = ("reduction.cuh",)
_ARG_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
               np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}


def _accumulator(dtype) -> str:
    """The C type a sum of ``dtype`` accumulates in."""
    if dtype.kind == "f":
        return "double" if dtype == np.float64 else "float"
    return "long long"  # integers and bools sum in 64 bits, as PyTorch's int64 sums


def _sum_kernel(acc: str, wide_out: bool):
    """sum in ``acc``; ``wide_out`` writes the float32 accumulator itself (float16 means)."""
    out = "float32 y" if wide_out else "T y"
    cast = "y = a" if wide_out else "y = (T)a"
    return reduction_kernel("T x", out, "x", "a + b", cast, "0", "gradgpu_sum_fwd", acc, _HEADERS)


def _float_sum(x, axes, keepdims: bool, wide: bool):
    """sum over ``axes``. float32/float64 go to CuPy's own sum, a CUB device reduction where it
    applies: on an H100 it read 2,308 GB/s where our ReductionKernel read 1,585 (the
    ``gpu_reduction`` row, 2026-11-27); it accumulates in the input's dtype, as ours."""
    if x.dtype == np.float32 or x.dtype == np.float64:
        return x.sum(axis=axes, keepdims=keepdims)
    return _sum_kernel(_accumulator(x.dtype), wide)(x, axis=axes, keepdims=keepdims)


def _extreme_identity(dtype, largest: bool) -> str:
    """The identity of a max (min) reduction of ``dtype`` as a C expression."""
    if dtype.kind == "f":
        acc = "double" if dtype == np.float64 else "float"
        return f"gg::{'lowest' if largest else 'highest'}<{acc}>()"
    if dtype.kind == "b":
        return "false" if largest else "true"
    info = np.iinfo(dtype)
    value = int(info.min if largest else info.max)
    # written as (v + 1) - 1 for the most negative value, which has no literal in C
    return f"(T)({value + 1}LL - 1)" if value < 0 else f"(T)({value}ULL)"


class CudaReductions:
    """Mixin of CudaBackend: the ReductionReference kernels on the GPU."""

    def reduce_sum(self, x, axes, keepdims: bool, dtype=None):
        if dtype is not None and x.dtype != dtype:
            x = x.astype(dtype)
        if x.dtype.kind == "b":
            x = x.astype(np.int64)
        wide = x.dtype == np.float16
        y = _float_sum(x, axes, keepdims, wide)
        return y.astype(np.float16) if wide else y

    def reduce_mean(self, x, axes, keepdims: bool):
        n = _count(x.shape, axes)
        wide = x.dtype == np.float16
        s = _float_sum(x, axes, keepdims, wide)
        # 0 / 0 is NaN for an empty slice, as NumPy's mean; the count goes as a kernel scalar
        # of s's dtype (an array made from it would be a host-to-device copy per mean)
        mean = s / s.dtype.type(n)
        return mean.astype(x.dtype, copy=False)

    def reduce_prod(self, x, axes, keepdims: bool, dtype=None):
        if dtype is not None and x.dtype != dtype:
            x = x.astype(dtype)
        if x.dtype.kind == "b":
            x = x.astype(np.int64)
        k = reduction_kernel("T x", "T y", "x", "a * b", "y = (T)a", "1", "gradgpu_prod_fwd",
                             _accumulator(x.dtype), _HEADERS)
        return k(x, axis=axes, keepdims=keepdims)

    def _extreme(self, x, axes, keepdims: bool, largest: bool):
        combine = "gg::max_nan(a, b)" if largest else "gg::min_nan(a, b)"
        acc = "float" if x.dtype == np.float16 else None
        k = reduction_kernel("T x", "T y", "x", combine, "y = (T)a",
                             _extreme_identity(x.dtype, largest),
                             "gradgpu_amax_fwd" if largest else "gradgpu_amin_fwd", acc, _HEADERS)
        return k(x, axis=axes, keepdims=keepdims)

    def reduce_max(self, x, axes, keepdims: bool):
        return self._extreme(x, axes, keepdims, True)

    def reduce_min(self, x, axes, keepdims: bool):
        return self._extreme(x, axes, keepdims, False)

    def arg_reduce(self, x, axis: int, largest: bool):
        xp = self.xp
        dtype = x.dtype
        # the block kernel has float32/float64/int32/int64 entry points; others are widened
        # (exactly: every float16/int8/int16/uint8/bool value is representable there)
        work = {"f": np.float32, "b": np.int64}.get(dtype.kind, np.int64)
        rows_x = xp.moveaxis(x, axis, -1)
        if dtype not in _ARG_SUFFIX:
            rows_x = rows_x.astype(work)
        rows_x = xp.ascontiguousarray(rows_x)
        cols = rows_x.shape[-1]
        rows = rows_x.size // cols
        values = xp.empty(rows_x.shape[:-1], dtype=rows_x.dtype)
        indices = xp.empty(rows_x.shape[:-1], dtype=np.int64)
        if rows:
            grid = (min(rows, 65535 * 8),)
            block = (256 if cols >= 256 else 32 * max(1, min(8, (cols + 31) // 32)),)
            kernel = raw_kernel("reduction.cu",
                                f"gradgpu_arg_reduce_fwd_{_ARG_SUFFIX[rows_x.dtype]}")
            kernel(grid, block, (rows_x, np.int64(rows), np.int64(cols), values, indices,
                                 np.int32(1 if largest else 0)))
        values = xp.expand_dims(values.astype(dtype, copy=False), axis)
        indices = xp.expand_dims(indices, axis)
        return values, indices

    def reduce_var(self, x, axes, keepdims: bool, dof: int):
        xp = self.xp
        work = x.astype(np.float32) if x.dtype == np.float16 else x
        mean = self.reduce_mean(work, axes, True)
        k = reduction_kernel("T x, T m", "T y", "(x - m) * (x - m)", "a + b", "y = (T)a", "0",
                             "gradgpu_var_fwd", None, _HEADERS)
        s = k(work, mean, axis=axes, keepdims=keepdims)
        return (s / xp.asarray(dof, dtype=s.dtype)).astype(x.dtype, copy=False)

    def reduce_logsumexp(self, x, axes):
        xp = self.xp
        work = x.astype(np.float32) if x.dtype == np.float16 else x
        shift = _finite_or_zero(self.reduce_max(work, axes, True))
        k = reduction_kernel("T x, T m", "T y", "exp(x - m)", "a + b", "y = (T)a", "0",
                             "gradgpu_logsumexp_fwd", None, _HEADERS)
        y = xp.log(k(work, shift, axis=axes, keepdims=True)) + shift
        return y.astype(x.dtype, copy=False)

    def reduce_norm(self, x, p: float, axes, keepdims: bool):
        xp = self.xp
        work = x.astype(np.float32) if x.dtype == np.float16 else x
        k = reduction_kernel("T x, T p", "T y", "gg::pow_abs(x, p)", "a + b", "y = (T)a", "0",
                             "gradgpu_norm_fwd", None, _HEADERS)
        # p travels as a 0-d array: ReductionKernel broadcasts its array arguments
        s = k(work, xp.asarray(p, dtype=work.dtype), axis=axes, keepdims=keepdims)
        y = s if p == 1 else xp.sqrt(s) if p == 2 else s ** (1.0 / p)
        return y.astype(x.dtype, copy=False)


def _count(shape, axes) -> int:
    n = 1
    for i in range(len(shape)) if axes is None else axes:
        n *= shape[i]
    return n


def _finite_or_zero(m):
    """The logsumexp shift: the slice max where finite, else 0 (one elementwise kernel)."""
    return elementwise_kernel("T m", "T y", "y = gg::finite_or_zero(m)",
                              "gradgpu_logsumexp_shift", _HEADERS)(m)
