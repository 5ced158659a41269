"""Pooling beyond 2-D: max/avg pooling in 1-D and 3-D, adaptive max pooling (1/2/3-D),
adaptive average pooling in 1-D and 3-D, power-average (Lp) pooling, and the ``*_with_indices``
forms (max_pool1d/2d/3d, adaptive_max_pool1d/2d/3d).

Everything reuses the 2-D pooling Functions of ``conv.py`` (so it runs through the same backend
kernels and is differentiable to any order): 1-D pooling is 2-D pooling over a (1, L) plane;
3-D max/avg pooling is separable — pool (H, W) per depth slice, then pool the depth axis —
because a box's max is the max of its slices' maxima and PyTorch's average divisor is the
product of per-axis window counts. Adaptive max pooling gathers each (variable) window,
padded to the longest one by repeating its last element, and takes a max over it.
"""

from __future__ import annotations

import math

from . import elementwise as ew
from ._common import Tensor, check_tensor, xp_of
from .conv import (
    AvgPool2d,
    MaxPool2d,
    _averaging_matrix,
    _ints,
    adaptive_avg_pool2d,
    avg_pool2d,
    max_pool2d,
    pool_geometry,
)
from .conv_args import divisor_override_arg
from .layers import GatherFlat
from .reduction import max as _max
from .shape import reshape, squeeze, unsqueeze


# ---- argument checks ------------------------------------------------------------------------
def _batched(input, op: str, n: int):
    """(input with a batch dim, whether it had none) for n spatial dims; floating point only."""
    check_tensor(input, op)
    nd = input._data.ndim
    if nd not in (n + 1, n + 2):
        raise RuntimeError(f"{op}(): Expected {n + 1}D (unbatched) or {n + 2}D (batched) input "
                           f"to {op}, but got input of size: {list(input.shape)}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"{op}(): not implemented for dtype {input.dtype} (expected a "
                                  f"floating point input)")
    return (unsqueeze(input, 0), True) if nd == n + 1 else (input, False)


def _plane(axes, fields=(0, 1, 2)) -> tuple:
    """Two axes' (kernel, stride[, dilation]) pairs and pads (top, bottom, left, right): the
    geometry tuple of the 2-D pooling Functions."""
    (a, b) = axes
    return tuple((a[f], b[f]) for f in fields) + (a[3] + b[3],)


_UNIT = (1, 1, 1, (0, 0), 1)  # a size-1 axis pooled with a 1-wide window


# ---- 1-D ------------------------------------------------------------------------------------
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """y[n, c, i] = max of x[n, c, i * s - p + t * d] over t < k (inputs (N, C, L) or (C, L));
    dx = g at each window's argmax (first max on ties). ``return_indices``: argmax positions."""
    op = "max_pool1d"
    x, unbatched = _batched(input, op, 1)
    axes = pool_geometry(x, 1, kernel_size, stride, padding, dilation, ceil_mode, op)
    out, idx = MaxPool2d.apply(unsqueeze(x, 2), _plane((_UNIT, axes[0])))
    out, idx = squeeze(out, 2), squeeze(idx, 2)  # flat index h * L + l with h = 0: l
    if unbatched:
        out, idx = squeeze(out, 0), squeeze(idx, 0)
    return (out, idx) if return_indices else out


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    """(values, indices) of ``max_pool1d``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True):
    """y[n, c, i] = sum of the window / (k, or its count of non-padding elements);
    dx = each g / divisor spread over its window."""
    op = "avg_pool1d"
    x, unbatched = _batched(input, op, 1)
    axes = pool_geometry(x, 1, kernel_size, stride, padding, 1, ceil_mode, op)
    geom = _plane((_UNIT, axes[0]), (0, 1)) + (bool(count_include_pad), None)
    out = squeeze(AvgPool2d.apply(unsqueeze(x, 2), geom), 2)
    return squeeze(out, 0) if unbatched else out


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    """(values, indices) of ``max_pool2d``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---- 3-D (separable) ------------------------------------------------------------------------
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """y = max over each (kd, kh, kw) window of x (N, C, D, H, W) or (C, D, H, W): the (H, W)
    maxima of each depth slice, then their maximum over the depth window; dx = g at the argmax.
    ``return_indices``: flat argmax positions d * H * W + h * W + w."""
    op = "max_pool3d"
    x, unbatched = _batched(input, op, 3)
    ad, ah, aw = pool_geometry(x, 3, kernel_size, stride, padding, dilation, ceil_mode, op)
    n, c, d, h, w = x._data.shape
    oh, ow = ah[4], aw[4]
    y1, i1 = MaxPool2d.apply(reshape(x, (n, c * d, h, w)), _plane((ah, aw)))
    y, i2 = MaxPool2d.apply(reshape(y1, (n, c, d, oh * ow)), _plane((ad, _UNIT)))
    out = reshape(y, (n, c, ad[4], oh, ow))
    idx = None
    if return_indices:
        xp = xp_of(x)
        # i2 = dsel * (oh * ow) + j: a flat index into i1's (D, oh * ow) plane
        sel = i2._data.reshape(n, c, ad[4] * oh * ow)
        hw = xp.take_along_axis(i1._data.reshape(n, c, d * oh * ow), sel, axis=2)
        idx = Tensor._make(((sel // (oh * ow)) * (h * w) + hw).reshape(out._data.shape))
        idx = squeeze(idx, 0) if unbatched else idx
    out = squeeze(out, 0) if unbatched else out
    return (out, idx) if return_indices else out


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    """(values, indices) of ``max_pool3d``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None):
    """y = sum over each (kd, kh, kw) window of x (N, C, D, H, W) or (C, D, H, W) / divisor
    (the window's size, or its count of non-padding elements, or divisor_override): (H, W)
    averages per depth slice, then averages over the depth window (divisors multiply)."""
    op = "avg_pool3d"
    x, unbatched = _batched(input, op, 3)
    divisor = divisor_override_arg(divisor_override, op)
    ad, ah, aw = pool_geometry(x, 3, kernel_size, stride, padding, 1, ceil_mode, op)
    n, c, d, h, w = x._data.shape
    oh, ow = ah[4], aw[4]
    include = bool(count_include_pad)
    # with an override: plain sums per slice, the override divides once at the end
    first = _plane((ah, aw), (0, 1)) + (include, None if divisor is None else 1)
    y1 = AvgPool2d.apply(reshape(x, (n, c * d, h, w)), first)
    y = AvgPool2d.apply(reshape(y1, (n, c, d, oh * ow)),
                        _plane((ad, _UNIT), (0, 1)) + (include, divisor))
    out = reshape(y, (n, c, ad[4], oh, ow))
    return squeeze(out, 0) if unbatched else out


# ---- adaptive pooling -----------------------------------------------------------------------
def _adaptive_args(input, output_size, n: int, op: str):
    """(batched input, unbatched?, output sizes) with PyTorch's checks; None keeps a size."""
    x, unbatched = _batched(input, op, n)
    sizes = x._data.shape[2:]
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            raise RuntimeError(f"{op}(): argument 'output_size' should contain {n} int(s) (got "
                               f"{len(output_size)})")
        vals = tuple(output_size)
    else:
        vals = (output_size,) * n
    outs = tuple(s if v is None else int(v) for v, s in zip(vals, sizes))
    if min(outs) < 0:
        raise RuntimeError(f"{op}(): elements of output_size must be greater than or equal to 0 "
                           f"but received {list(outs)}")
    for dim in range(input._data.ndim - n, input._data.ndim):
        if input._data.shape[dim] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {dim} being empty")
    return x, unbatched, outs


def _window_positions(xp, size: int, n_out: int):
    """(n_out, K) input positions of the adaptive windows [floor(i S / O), ceil((i + 1) S / O)),
    each padded to the longest length K by repeating its last position (a max ignores repeats
    and the first occurrence of each element keeps its scan order, so ties pick the first)."""
    k = max([-(-(i + 1) * size // n_out) - (i * size) // n_out for i in range(n_out)] or [1])
    i = xp.arange(n_out, dtype=xp.int64)
    start = (i * size) // n_out
    end = -((-(i + 1) * size) // n_out)
    return xp.minimum(start[:, None] + xp.arange(k, dtype=xp.int64)[None, :], end[:, None] - 1)


def _adaptive_max(input, output_size, return_indices: bool, n: int, op: str):
    """y = max over each adaptive window of the last n dims; dx = g at the argmax. Indices are
    flat positions in each input plane (C order)."""
    x, unbatched, outs = _adaptive_args(input, output_size, n, op)
    sizes = x._data.shape[2:]
    if n <= 2 and all(o > 0 and s % o == 0 for s, o in zip(sizes, outs)):
        # equal windows: ordinary max pooling with kernel = stride = size / out
        axes = [(s // o, s // o, 1, (0, 0), o) for s, o in zip(sizes, outs)]
        x2 = x if n == 2 else unsqueeze(x, 2)
        out, idx = MaxPool2d.apply(x2, _plane(axes if n == 2 else [_UNIT] + axes))
        if n == 1:
            out, idx = squeeze(out, 2), squeeze(idx, 2)
    else:
        xp = xp_of(x)
        flat = 0  # (O_1..O_n, K_1..K_n) flat in-plane positions of every window element
        for a, (s, o) in enumerate(zip(sizes, outs)):
            pos = _window_positions(xp, s, o) * math.prod(sizes[a + 1:])
            shape = [1] * (2 * n)
            shape[a], shape[n + a] = pos.shape
            flat = flat + pos.reshape(shape)
        flat = flat.reshape(outs + (math.prod(flat.shape[n:]),))
        nb, c = x._data.shape[:2]
        planes = xp.arange(nb * c, dtype=xp.int64).reshape((nb, c) + (1,) * (n + 1))
        windows = GatherFlat.apply(x, flat + planes * math.prod(sizes))  # (N, C, O.., K)
        out, arg = _max(windows, -1, keepdim=True)
        full = xp.broadcast_to(flat, windows._data.shape)
        idx = Tensor._make(xp.take_along_axis(full, arg._data, -1))
        out, idx = squeeze(out, -1), squeeze(idx, -1)
    if unbatched:
        out, idx = squeeze(out, 0), squeeze(idx, 0)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    """y[n, c, i] = max of x[n, c, floor(i L / O) : ceil((i + 1) L / O)];  dx = g at the
    argmax (first max on ties)."""
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """y = max over each adaptive (H, W) window (see adaptive_max_pool1d, per axis); indices
    are h * W + w."""
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input, output_size, return_indices: bool = False):
    """y = max over each adaptive (D, H, W) window; indices are d * H * W + h * W + w."""
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices: bool = True):
    """(values, indices) of ``adaptive_max_pool1d``."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices: bool = True):
    """(values, indices) of ``adaptive_max_pool2d``."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices: bool = True):
    """(values, indices) of ``adaptive_max_pool3d``."""
    return adaptive_max_pool3d(input, output_size, True)


def adaptive_avg_pool1d(input, output_size):
    """y[n, c, i] = mean of x[n, c, floor(i L / O) : ceil((i + 1) L / O)] (a matmul with a
    constant averaging matrix)."""
    x, unbatched, (o,) = _adaptive_args(input, output_size, 1, "adaptive_avg_pool1d")
    out = squeeze(adaptive_avg_pool2d(unsqueeze(x, 2), (1, o)), 2)
    return squeeze(out, 0) if unbatched else out


def adaptive_avg_pool3d(input, output_size):
    """y = mean over each adaptive (D, H, W) window: adaptive (H, W) means per depth slice,
    then a matmul with the depth averaging matrix."""
    x, unbatched, (od, oh, ow) = _adaptive_args(input, output_size, 3, "adaptive_avg_pool3d")
    n, c, d, h, w = x._data.shape
    y = adaptive_avg_pool2d(reshape(x, (n * c * d, h, w)), (oh, ow))
    pd = Tensor._make(_averaging_matrix(xp_of(x), d, od, x._data.dtype))
    out = reshape(pd @ reshape(y, (n * c, d, oh * ow)), (n, c, od, oh, ow))
    return squeeze(out, 0) if unbatched else out


# ---- power-average pooling ------------------------------------------------------------------
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, n, max_pool, avg_pool, op):
    """y = (sum over the window of x^p)^(1/p), PyTorch's values: (avg_pool(x^p) * K)^(1/p);
    p = +-inf: max of |x| (min of |x| for -inf).

    Gradient 0 where a window's sum is 0 (PyTorch's sign(a) * relu(|a|) masks the infinite
    derivative of ^(1/p) there): the zero sums are replaced by 1 before the power, so no
    inf * 0 is ever formed (a window of zeros, as after a ReLU, is common)."""
    check_tensor(input, op)
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        if norm_type > 0:
            return max_pool(ew.abs(input), kernel_size, stride, 0, 1, ceil_mode)
        return -max_pool(-ew.abs(input), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    size = math.prod(_ints(kernel_size, n, "kernel_size", op))
    zero = out.detach() == 0
    at_zero = 0.0 if norm_type > 0 else math.inf  # 0^(1/p)
    return ew.where(zero, at_zero, ew.where(zero, 1.0, out * size).pow(1.0 / norm_type))


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """y[n, c, i] = (sum of x^p over the window)^(1/p) (gradient 0 where the sum is 0)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, max_pool1d,
                    avg_pool1d, "lp_pool1d")


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """y = (sum of x^p over each (kh, kw) window)^(1/p)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, max_pool2d,
                    avg_pool2d, "lp_pool2d")


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """y = (sum of x^p over each (kd, kh, kw) window)^(1/p)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, max_pool3d,
                    avg_pool3d, "lp_pool3d")

