"""Launchers of the block-level CUDA kernels in ``kernels/*.cu``: softmax rows, fused cross
entropy, the layer-norm core, im2col/col2im, max/avg pooling, the flat gather/scatter-add and
the scatter-add along a dim. Integer-index accumulation (``index_put_add``: ``x[idx] += v`` in
backward) stays CuPy's ``add.at``: the same atomic scatter, and it follows NumPy's
advanced-indexing rules for any mix of slices and index arrays.

Each method overrides the reference of the same name in ``ArrayKernels`` with the same signature
and result. A launcher picks the entry point ``gradgpu_<op>_<f16|f32|f64>`` for the array's dtype
and runs the reference (CuPy calls) for any case without one (other dtypes, empty or 0-d arrays,
reductions over non-trailing axes). RawKernel ignores strides, so inputs are made C-contiguous
first; sizes go in as ``numpy.int64`` (``long long`` in C), flags as ``numpy.int32`` (``int``)
and real scalars as ``numpy.float64`` (``double``) or the array's own type (``T``); outputs are
allocated on the arrays' device, where the launch also happens.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from .kernel_files import launch_1d, raw_kernel

_SUFFIX = {np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_MAX_GRID = 65535 * 32  # a grid-stride loop covers the rest


def _kernel(filename: str, op: str, dtype, half: bool = False):
    """The memoized entry point ``gradgpu_<op>_<suffix>`` of ``kernels/<filename>`` for
    ``dtype``, or None when the file has none (float16 only where ``half``)."""
    suffix = _SUFFIX.get(np.dtype(dtype))
    if suffix is None or (suffix == "f16" and not half):
        return None
    return raw_kernel(filename, f"gradgpu_{op}_{suffix}")


def _acc_dtype(dtype):
    """The accumulation dtype of the row kernels: float32 for float16, else the dtype."""
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


def _around(shape: tuple, axis: int) -> tuple:
    """(outer, n, inner): ``shape`` seen as three dims around ``axis``."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


def _i64(*values) -> tuple:
    return tuple(np.int64(v) for v in values)


def _launch_rows(fn, outer: int, n: int, inner: int, args: tuple) -> None:
    """Launch a row kernel over (outer, n, inner) as for_each_row (block_reduce.cuh) expects:
    inner == 1: one block per row, a power of two of 32..1024 threads giving each thread about
    four elements; inner > 1: one thread per row."""
    if inner == 1:
        block = 32
        while block < 1024 and block * 4 < n:
            block *= 2
        fn((max(1, min(outer, _MAX_GRID)),), (block,), args)
    else:
        grid, block = launch_1d(outer * inner)
        fn(grid, block, args)


def _launch_flat(fn, total: int, args: tuple) -> None:
    grid, block = launch_1d(total)
    fn(grid, block, args)


def _window(size: tuple, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple,
            out_size: tuple) -> tuple:
    """GG_WINDOW_PARAMS of window.cuh: H, W, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow."""
    return _i64(*size, *kernel, *stride, *dilation, pads[0], pads[2], *out_size)


def _pooled_size(size: tuple, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple):
    """(oh, ow) of windows over the padded input, as the references compute it."""
    (h, w), (kh, kw), (sh, sw), (dh, dw), (pt, pb, pl, pr) = size, kernel, stride, dilation, pads
    return ((h + pt + pb - dh * (kh - 1) - 1) // sh + 1,
            (w + pl + pr - dw * (kw - 1) - 1) // sw + 1)


def _trailing(axes: tuple, ndim: int) -> bool:
    """Whether ``axes`` are the last len(axes) dims, in order (rows of a C-contiguous array)."""
    return len(axes) > 0 and tuple(a % ndim for a in axes) == tuple(range(ndim - len(axes), ndim))


class CudaBlockKernels:
    """Mixin of CudaBackend (backend.py): the block-level kernels. Needs ``self.xp`` (cupy) and
    ``self._on_device()`` (a context making the backend's GPU current)."""

    # ---- softmax rows (softmax.cu) ----
    def _softmax_fwd(self, op: str, x, axis: int):
        fn = _kernel("softmax.cu", op, x.dtype, half=True)
        if fn is None or x.ndim == 0 or x.size == 0:
            return None
        with self._on_device():
            x = self.xp.ascontiguousarray(x)
            outer, n, inner = _around(x.shape, axis % x.ndim)
            y = self.xp.empty_like(x)
            _launch_rows(fn, outer, n, inner, (x, y, *_i64(outer, n, inner)))
        return y

    def _softmax_bwd(self, op: str, g, y, axis: int):
        fn = _kernel("softmax.cu", op, y.dtype, half=True)
        if fn is None or y.ndim == 0 or y.size == 0 or g.shape != y.shape:
            return None
        with self._on_device():
            xp = self.xp
            g = xp.ascontiguousarray(g, dtype=y.dtype)
            y = xp.ascontiguousarray(y)
            outer, n, inner = _around(y.shape, axis % y.ndim)
            dx = xp.empty_like(y)
            _launch_rows(fn, outer, n, inner, (g, y, dx, *_i64(outer, n, inner)))
        return dx

    def softmax(self, x, axis: int):
        y = self._softmax_fwd("softmax_fwd", x, axis)
        return super().softmax(x, axis) if y is None else y

    def log_softmax(self, x, axis: int):
        y = self._softmax_fwd("log_softmax_fwd", x, axis)
        return super().log_softmax(x, axis) if y is None else y

    def softmax_bwd(self, g, y, axis: int):
        dx = self._softmax_bwd("softmax_bwd", g, y, axis)
        return super().softmax_bwd(g, y, axis) if dx is None else dx

    def log_softmax_bwd(self, g, y, axis: int):
        dx = self._softmax_bwd("log_softmax_bwd", g, y, axis)
        return super().log_softmax_bwd(g, y, axis) if dx is None else dx

    # ---- cross entropy (cross_entropy.cu) ----
    def _ce_args(self, x, target, weight, axis: int):
        """Contiguous x, int64 target, weight (x itself when absent: never read) and the flags
        and sizes shared by the forward and backward launches."""
        xp = self.xp
        x = xp.ascontiguousarray(x)
        outer, n, inner = _around(x.shape, axis)
        t = xp.ascontiguousarray(target, dtype=xp.int64)
        has_weight = weight is not None
        w = xp.ascontiguousarray(weight, dtype=x.dtype) if has_weight else x
        return x, t, w, np.int32(has_weight), (outer, n, inner)

    def cross_entropy_fwd(self, x, target, weight, ignore_index: int, label_smoothing: float,
                          axis: int):
        fn = _kernel("cross_entropy.cu", "cross_entropy_fwd", x.dtype, half=True)
        if fn is None or x.size == 0:
            return super().cross_entropy_fwd(x, target, weight, ignore_index, label_smoothing,
                                             axis)
        axis %= x.ndim
        with self._on_device():
            xp = self.xp
            x, t, w, has_w, (outer, n, inner) = self._ce_args(x, target, weight, axis)
            rows_shape = x.shape[:axis] + x.shape[axis + 1:]
            loss = xp.empty(rows_shape, dtype=x.dtype)
            lse = xp.empty(rows_shape, dtype=_acc_dtype(x.dtype))
            wt = xp.empty(rows_shape, dtype=x.dtype)
            _launch_rows(fn, outer, n, inner,
                         (x, t, w, has_w, *_i64(outer, n, inner, ignore_index),
                          np.float64(label_smoothing), loss, lse, wt))
        return loss, lse, wt

    def cross_entropy_bwd(self, g, x, lse, target, weight, ignore_index: int,
                          label_smoothing: float, axis: int):
        fn = _kernel("cross_entropy.cu", "cross_entropy_bwd", x.dtype, half=True)
        if fn is None or x.size == 0:
            return super().cross_entropy_bwd(g, x, lse, target, weight, ignore_index,
                                             label_smoothing, axis)
        axis %= x.ndim
        with self._on_device():
            xp = self.xp
            x, t, w, has_w, (outer, n, inner) = self._ce_args(x, target, weight, axis)
            g = xp.ascontiguousarray(xp.broadcast_to(g, t.shape), dtype=x.dtype)
            lse = xp.ascontiguousarray(lse, dtype=_acc_dtype(x.dtype))
            dx = xp.empty_like(x)
            _launch_rows(fn, outer, n, inner,
                         (g, x, lse, t, w, has_w, *_i64(outer, n, inner, ignore_index),
                          np.float64(label_smoothing), dx))
        return dx

    # ---- layer norm core (layer_norm.cu): trailing axes only ----
    def layer_norm_fwd(self, x, axes: tuple, eps: float):
        fn = _kernel("layer_norm.cu", "layer_norm_fwd", x.dtype, half=True)
        if fn is None or x.size == 0 or not _trailing(axes, x.ndim):
            return super().layer_norm_fwd(x, axes, eps)  # batch_norm's (0, 2, 3) and the like
        k = len(axes)
        with self._on_device():
            xp = self.xp
            x = xp.ascontiguousarray(x)
            n = math.prod(x.shape[x.ndim - k:])
            rows = x.size // n
            xhat = xp.empty_like(x)
            rstd = xp.empty(x.shape[:x.ndim - k] + (1,) * k, dtype=x.dtype)
            _launch_rows(fn, rows, n, 1, (x, xhat, rstd, *_i64(rows, n), np.float64(eps)))
        return xhat, rstd

    def layer_norm_bwd(self, g, xhat, rstd, axes: tuple):
        fn = _kernel("layer_norm.cu", "layer_norm_bwd", xhat.dtype, half=True)
        if fn is None or xhat.size == 0 or not _trailing(axes, xhat.ndim):
            return super().layer_norm_bwd(g, xhat, rstd, axes)
        k = len(axes)
        with self._on_device():
            xp = self.xp
            g = xp.ascontiguousarray(xp.broadcast_to(g, xhat.shape), dtype=xhat.dtype)
            xhat = xp.ascontiguousarray(xhat)
            rstd = xp.ascontiguousarray(rstd, dtype=xhat.dtype)
            n = math.prod(xhat.shape[xhat.ndim - k:])
            rows = xhat.size // n
            dx = xp.empty_like(xhat)
            _launch_rows(fn, rows, n, 1, (g, xhat, rstd, dx, *_i64(rows, n)))
        return dx

    # ---- flat gather / scatter-add (index.cu) ----
    def take_flat(self, x, index):
        fn = _kernel("index.cu", "take_fwd", x.dtype)
        if fn is None or index.size == 0:
            return super().take_flat(x, index)
        with self._on_device():
            xp = self.xp
            x = xp.ascontiguousarray(x)
            idx = xp.ascontiguousarray(index, dtype=xp.int64)
            out = xp.empty(idx.shape, dtype=x.dtype)
            _launch_flat(fn, idx.size, (x, idx, out, *_i64(idx.size, x.size)))
        return out

    def scatter_add_flat(self, src, index, size: int):
        if np.dtype(src.dtype) == np.float16 and src.size == index.size:
            # float16: add in float32 (many small repeated terms), round once at the end
            wide = self.scatter_add_flat(src.astype(np.float32), index, size)
            return wide.astype(np.float16)
        fn = _kernel("index.cu", "take_bwd", src.dtype)
        if fn is None or src.size != index.size or src.size == 0:
            return super().scatter_add_flat(src, index, size)
        with self._on_device():
            xp = self.xp
            src = xp.ascontiguousarray(src)
            idx = xp.ascontiguousarray(index, dtype=xp.int64)
            out = xp.zeros(size, dtype=src.dtype)
            _launch_flat(fn, idx.size, (src, idx, out, *_i64(idx.size, size)))
        return out

    # CuPy's add.at / scatter_add (atomicAdd) types; ArrayKernels.add_at widens the others
    add_at_dtypes = frozenset(np.dtype(t) for t in (np.int32, np.uint32, np.uint64, np.float16,
                                                     np.float32, np.float64))

    def _add_at(self, out, key, values) -> None:
        """out[key] += values, repeats summed: CuPy's ``add.at`` (CuPy >= 13), else
        ``cupyx.scatter_add`` (the same atomicAdd scatter under its older name); both follow
        NumPy's indexing rules for any mix of slices and index arrays."""
        at = getattr(self.xp.add, "at", None)
        if at is not None:
            at(out, key, values)
        else:
            importlib.import_module("cupyx").scatter_add(out, key, values)

    def scatter_add(self, out, dim: int, index, src):
        """out[.., index[i], ..] += src[i] along ``dim`` (gather's backward, scatter_add):
        flat positions from the C strides of ``out``, then the atomicAdd kernel writing
        straight into ``out``. Other layouts run the reference (CuPy's ``add.at``, the same
        atomic scatter)."""
        fn = _kernel("index.cu", "take_bwd", out.dtype)
        if (fn is None or index.size == 0 or src.dtype != out.dtype
                or not out.flags.c_contiguous):
            return super().scatter_add(out, dim, index, src)
        with self._on_device():
            xp = self.xp
            strides = [s // out.itemsize for s in out.strides]
            flat = xp.zeros(index.shape, dtype=xp.int64)
            for d, part in enumerate(self.along_dim_key(index, dim)):
                flat += part.astype(xp.int64, copy=False) * strides[d]
            src = xp.ascontiguousarray(xp.broadcast_to(src, index.shape))
            _launch_flat(fn, flat.size, (src, flat, out.reshape(-1), *_i64(flat.size, out.size)))

    # ---- im2col / col2im (conv.cu) ----
    def im2col(self, x, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple,
               pad_value=0.0):
        fn = _kernel("conv.cu", "im2col_fwd", x.dtype)
        if fn is None:
            return super().im2col(x, kernel, stride, dilation, pads, pad_value)
        n, c, h, w = x.shape
        oh, ow = _pooled_size((h, w), kernel, stride, dilation, pads)
        with self._on_device():
            xp = self.xp
            x = xp.ascontiguousarray(x)
            cols = xp.empty((n, c, *kernel, oh, ow), dtype=x.dtype)
            if cols.size:
                geo = _window((h, w), kernel, stride, dilation, pads, (oh, ow))
                _launch_flat(fn, cols.size, (x, cols, np.int64(cols.size), *geo,
                                             x.dtype.type(pad_value)))
        return cols

    def col2im(self, cols, size: tuple, stride: tuple, dilation: tuple, pads: tuple):
        fn = _kernel("conv.cu", "col2im_fwd", cols.dtype)
        if fn is None:
            return super().col2im(cols, size, stride, dilation, pads)
        n, c, kh, kw, oh, ow = cols.shape
        with self._on_device():
            xp = self.xp
            cols = xp.ascontiguousarray(cols)
            out = xp.empty((n, c, *size), dtype=cols.dtype)
            if out.size:
                geo = _window(size, (kh, kw), stride, dilation, pads, (oh, ow))
                _launch_flat(fn, out.size, (cols, out, np.int64(out.size), *geo))
        return out

    # ---- pooling (pool.cu) ----
    def max_pool2d_fwd(self, x, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple):
        fn = _kernel("pool.cu", "max_pool2d_fwd", x.dtype)
        if fn is None:
            return super().max_pool2d_fwd(x, kernel, stride, dilation, pads)
        n, c, h, w = x.shape
        oh, ow = _pooled_size((h, w), kernel, stride, dilation, pads)
        with self._on_device():
            xp = self.xp
            x = xp.ascontiguousarray(x)
            best = xp.empty((n, c, oh, ow), dtype=x.dtype)
            index = xp.empty((n, c, oh, ow), dtype=xp.int64)
            if best.size:
                geo = _window((h, w), kernel, stride, dilation, pads, (oh, ow))
                _launch_flat(fn, best.size, (x, best, index, np.int64(best.size), *geo))
        return best, index

    def max_pool2d_bwd(self, g, index, size: tuple, kernel: tuple, stride: tuple,
                       dilation: tuple, pads: tuple):
        fn = _kernel("pool.cu", "max_pool2d_bwd", g.dtype)
        if fn is None or g.shape != index.shape:
            return super().max_pool2d_bwd(g, index, size, kernel, stride, dilation, pads)
        n, c, oh, ow = g.shape
        with self._on_device():
            xp = self.xp
            g = xp.ascontiguousarray(g)
            index = xp.ascontiguousarray(index, dtype=xp.int64)
            dx = xp.empty((n, c, *size), dtype=g.dtype)
            if dx.size:
                geo = _window(size, kernel, stride, dilation, pads, (oh, ow))
                _launch_flat(fn, dx.size, (g, index, dx, np.int64(dx.size), *geo))
        return dx

    def avg_pool2d_fwd(self, x, kernel: tuple, stride: tuple, pads: tuple,
                       count_include_pad: bool, divisor_override):
        fn = _kernel("pool.cu", "avg_pool2d_fwd", x.dtype)
        if fn is None:
            return super().avg_pool2d_fwd(x, kernel, stride, pads, count_include_pad,
                                          divisor_override)
        n, c, h, w = x.shape
        oh, ow = _pooled_size((h, w), kernel, stride, (1, 1), pads)
        with self._on_device():
            xp = self.xp
            x = xp.ascontiguousarray(x)
            y = xp.empty((n, c, oh, ow), dtype=x.dtype)
            if y.size:
                geo = _window((h, w), kernel, stride, (1, 1), pads, (oh, ow))
                _launch_flat(fn, y.size, (x, y, np.int64(y.size), *geo,
                                          np.int32(bool(count_include_pad)),
                                          np.int64(divisor_override or 0)))
        return y

    def avg_pool2d_bwd(self, g, size: tuple, kernel: tuple, stride: tuple, pads: tuple,
                       count_include_pad: bool, divisor_override):
        fn = _kernel("pool.cu", "avg_pool2d_bwd", g.dtype)
        if fn is None:
            return super().avg_pool2d_bwd(g, size, kernel, stride, pads, count_include_pad,
                                          divisor_override)
        n, c, oh, ow = g.shape
        with self._on_device():
            xp = self.xp
            g = xp.ascontiguousarray(g)
            dx = xp.empty((n, c, *size), dtype=g.dtype)
            if dx.size:
                geo = _window(size, kernel, stride, (1, 1), pads, (oh, ow))
                _launch_flat(fn, dx.size, (g, dx, np.int64(dx.size), *geo,
                                           np.int32(bool(count_include_pad)),
                                           np.int64(divisor_override or 0)))
        return dx
