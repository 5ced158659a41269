"""2-D convolution and pooling: conv2d (im2col + matmul), max_pool2d, avg_pool2d,
adaptive_avg_pool2d. conv1d/conv3d (conv_nd.py), conv_transpose1d/2d (conv_transpose.py) and
unfold/fold (fold.py) are built on ``conv2d_im2col``, ``Im2Col`` and ``Col2Im`` below.

``Im2Col`` and ``Col2Im`` are each other's backward (they are adjoint linear maps), so conv2d's
gradients — matmuls and col2im/im2col of differentiable tensors — are differentiable again, to
any order. Pooling forward and backward are named backend kernels; each backward is itself an
op whose backward is the forward's adjoint (a gather at the argmax, or average pooling), so
pooling too is differentiable to any order.
"""

from __future__ import annotations

from ..autograd.function import Function
from ._common import Tensor, backend_of, check_tensor, xp_of
from .conv_args import conv_setup, divisor_override_arg
from .layers import GatherFlat
from .linalg import matmul
from .shape import reshape, squeeze, unsqueeze


class Im2Col(Function):
    """cols[n, c, i, j, oh, ow] = x_padded[n, c, oh*sh + i*dh, ow*sw + j*dw];  dx = col2im(g)"""

    @staticmethod
    def forward(ctx, x, kernel, stride, dilation, pads):
        ctx.geom = (x._data.shape[2:], stride, dilation, pads)
        return backend_of(x._data).im2col(x._data, kernel, stride, dilation, pads)

    @staticmethod
    def backward(ctx, g):
        size, stride, dilation, pads = ctx.geom
        return Col2Im.apply(g, size, stride, dilation, pads), None, None, None, None


class Col2Im(Function):
    """x[n, c, h, w] = sum of the cols entries that im2col reads from (h, w);  dcols = im2col(g)"""

    @staticmethod
    def forward(ctx, cols, size, stride, dilation, pads):
        ctx.geom = (cols._data.shape[2:4], stride, dilation, pads)
        return backend_of(cols._data).col2im(cols._data, size, stride, dilation, pads)

    @staticmethod
    def backward(ctx, g):
        kernel, stride, dilation, pads = ctx.geom
        return Im2Col.apply(g, kernel, stride, dilation, pads), None, None, None, None


def _batched(input, op: str):
    """(4-D input, whether it was unbatched 3-D)."""
    check_tensor(input, op)
    nd = input._data.ndim
    if nd not in (3, 4):
        raise RuntimeError(f"{op}(): Expected 3D (unbatched) or 4D (batched) input to {op}, but "
                           f"got input of size: {list(input.shape)}")
    return (unsqueeze(input, 0), True) if nd == 3 else (input, False)


def _out_len(size, pad_total, dil, k, stride):
    return (size + pad_total - dil * (k - 1) - 1) // stride + 1


# ---- conv2d ---------------------------------------------------------------------------------
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """Cross-correlation of input (N, C, H, W) or (C, H, W) with weight (O, C / groups, kh, kw),
    plus bias (O,): im2col, then one batched matmul per group."""
    x, unbatched, stride, dilation, pads = conv_setup("conv2d", input, weight, bias, stride,
                                                      padding, dilation, groups, 2)
    out = conv2d_im2col(x, weight, bias, stride, dilation, pads[0] + pads[1], groups)
    return squeeze(out, 0) if unbatched else out


def conv2d_im2col(x, weight, bias, stride: tuple, dilation: tuple, pads: tuple, groups: int):
    """y = W_g @ im2col(x)_g per group (+ bias) on validated operands: x (N, C, H, W), pads
    (top, bottom, left, right); shared by conv1d/conv2d/conv3d."""
    n = x._data.shape[0]
    o, cg, kh, kw = weight._data.shape
    cols = Im2Col.apply(x, (kh, kw), stride, dilation, pads)  # (N, C, kh, kw, oh, ow)
    oh, ow = cols._data.shape[-2:]
    k = cg * kh * kw
    out = matmul(reshape(weight, (groups, o // groups, k)),
                 reshape(cols, (n, groups, k, oh * ow)))  # (N, groups, O / groups, L)
    out = reshape(out, (n, o, oh, ow))
    if bias is not None:
        out = out + reshape(bias, (1, o, 1, 1))
    return out


# ---- pooling --------------------------------------------------------------------------------
class MaxPool2d(Function):
    """(y, idx): window maxima of x (N, C, H, W) and their flat in-plane indices h * W + w
    (first max on ties, NaN propagates);  dx = g added at each window's argmax"""

    @staticmethod
    def forward(ctx, x, geom):
        best, idx = backend_of(x._data).max_pool2d_fwd(x._data, *geom)
        ctx.idx, ctx.size, ctx.geom = idx, x._data.shape[2:], geom
        return best, idx  # idx is integer: not differentiable

    @staticmethod
    def backward(ctx, g, _g_idx):
        return MaxPool2dBwd.apply(g, ctx.idx, ctx.size, ctx.geom), None


class MaxPool2dBwd(Function):
    """dx = zeros (N, C, H, W) with g added at the argmax positions ``idx``;  dg = gg gathered at
    the same positions (the adjoint), so max pooling is differentiable to any order"""

    @staticmethod
    def forward(ctx, g, idx, size, geom):
        ctx.idx = idx
        return backend_of(g._data).max_pool2d_bwd(g._data, idx, size, *geom)

    @staticmethod
    def backward(ctx, gg):
        xp = xp_of(gg)
        n, c, h, w = gg._data.shape
        plane = (xp.arange(n * c, dtype=xp.int64) * (h * w)).reshape(n, c, 1, 1)
        return GatherFlat.apply(gg, ctx.idx + plane), None, None, None


class AvgPool2d(Function):
    """y = window sums / divisor (PyTorch's rule);  dx = avg_pool2d_bwd(g): each g / divisor
    spread over its window (the adjoint, AvgPool2dBwd)"""

    @staticmethod
    def forward(ctx, x, geom):
        ctx.size, ctx.geom = x._data.shape[2:], geom
        return backend_of(x._data).avg_pool2d_fwd(x._data, *geom)

    @staticmethod
    def backward(ctx, g):
        return AvgPool2dBwd.apply(g, ctx.size, ctx.geom), None


class AvgPool2dBwd(Function):
    """dx = avg_pool2d's adjoint applied to g;  dg = avg_pool2d(gg) (the adjoint's adjoint)"""

    @staticmethod
    def forward(ctx, g, size, geom):
        ctx.geom = geom
        return backend_of(g._data).avg_pool2d_bwd(g._data, size, *geom)

    @staticmethod
    def backward(ctx, gg):
        return AvgPool2d.apply(gg, ctx.geom), None, None


def _ints(v, n: int, name: str, op: str) -> tuple:
    """``v`` as n ints (one int, or a sequence of 1 or n ints)."""
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f"{op}(): {name} must either be a single int, or a tuple of "
                               f"{n} ints, got {list(v)}")
        return tuple(int(e) for e in v)
    return (int(v),) * n


def pool_geometry(x, n: int, kernel_size, stride, padding, dilation, ceil_mode, op):
    """Per spatial axis: (kernel, stride, dilation, (pad_lo, pad_hi), out), PyTorch's output
    rule; ceil mode's extra windows get extra high-side padding (never counted by averages)."""
    kernel = _ints(kernel_size, n, "kernel_size", op)
    stride = kernel if stride is None or stride == [] or stride == () else _ints(
        stride, n, "stride", op)
    pad = _ints(padding, n, "padding", op)
    dil = _ints(dilation, n, "dilation", op)
    for name, vals in (("kernel_size", kernel), ("stride", stride), ("dilation", dil)):
        if min(vals) <= 0:
            raise RuntimeError(f"{op}(): {name} must be greater than zero, but got "
                               f"{list(vals)}")
    sizes = x._data.shape[2:]
    axes = []
    for size, k, s, p, d in zip(sizes, kernel, stride, pad, dil):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{op}(): pad should be at most half of effective kernel size, "
                               f"but got pad={p}, kernel_size={k} and dilation={d}")
        o = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= size + p:  # the last window must start inside
            o -= 1
        extra = max(0, (o - 1) * s + d * (k - 1) + 1 - (size + 2 * p))
        axes.append((k, s, d, (p, p + extra), o))
    if min(a[4] for a in axes) < 1:
        out = "x".join(str(a[4]) for a in axes)
        raise RuntimeError(f"{op}(): Given input size: ({'x'.join(map(str, x.shape[1:]))}). "
                           f"Calculated output size: ({x.shape[1]}x{out}). Output size is too "
                           f"small")
    return axes


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, op):
    """(kernel, stride, dilation, pads (top, bottom, left, right), (oh, ow)) of 2-D pooling:
    ``pool_geometry``'s two axes in the layout of the 2-D kernels."""
    (kh, sh, dh, (pt, pb), oh), (kw, sw, dw, (pl, pr), ow) = pool_geometry(
        x, 2, kernel_size, stride, padding, dilation, ceil_mode, op)
    return (kh, kw), (sh, sw), (dh, dw), (pt, pb, pl, pr), (oh, ow)


def _check_windows_reach_the_input(sizes, out_size, kernel, stride, dilation, pads, op):
    """With dilation, padding can hold every tap of a window (pad <= half the effective
    kernel still leaves gaps): such a window has no input position to take its maximum from.
    PyTorch returns -inf with an out-of-range index there (and its backward then crashes); we
    refuse. Depends on the geometry only (no data), and runs only for dilated, padded axes."""
    for size, o, k, s, d, p in zip(sizes, out_size, kernel, stride, dilation, pads):
        if d == 1 or p == 0:
            continue  # consecutive taps: a window always overlaps the input
        for t in range(o):
            start = t * s - p
            if not any(0 <= start + i * d < size for i in range(k)):
                raise RuntimeError(
                    f"{op}(): with input size {size}, kernel {k}, stride {s}, padding {p} and "
                    f"dilation {d}, output position {t} pools only padding: it would have no "
                    "input element to take its maximum from")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Window maxima of (N, C, H, W) or (C, H, W); gradient routed to the argmax (first max on
    ties). ``return_indices`` also gives each max's flat index h * W + w in its plane."""
    op = "max_pool2d"
    x, unbatched = _batched(input, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")
    kernel, stride, dilation, pads, out_size = _pool_geometry(x, kernel_size, stride, padding,
                                                              dilation, ceil_mode, op)
    _check_windows_reach_the_input(x._data.shape[2:], out_size, kernel, stride, dilation,
                                   pads[::2], op)
    out, indices = MaxPool2d.apply(x, (kernel, stride, dilation, pads))
    if unbatched:
        out, indices = squeeze(out, 0), squeeze(indices, 0)
    return (out, indices) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None):
    """Window means of (N, C, H, W) or (C, H, W): sum / (window size, or the count of
    non-padding elements, or divisor_override), as PyTorch."""
    op = "avg_pool2d"
    x, unbatched = _batched(input, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")
    divisor = divisor_override_arg(divisor_override, op)
    kernel, stride, _, pads, _ = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode,
                                                op)
    out = AvgPool2d.apply(x, (kernel, stride, pads, bool(count_include_pad), divisor))
    return squeeze(out, 0) if unbatched else out


def adaptive_avg_pool2d(input, output_size):
    """Mean over the windows [floor(i H / oh), ceil((i + 1) H / oh)) per axis: two matmuls with
    constant averaging matrices."""
    op = "adaptive_avg_pool2d"
    x, unbatched = _batched(input, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise RuntimeError(f"{op}(): output_size must be 2, got {list(output_size)}")
        sizes = output_size
    else:
        sizes = (output_size, output_size)
    h, w = x._data.shape[2:]
    oh, ow = (h if sizes[0] is None else int(sizes[0])), (w if sizes[1] is None else int(sizes[1]))
    if oh < 0 or ow < 0 or (min(oh, ow) > 0 and min(h, w) == 0):
        raise RuntimeError(f"{op}(): invalid output_size {list(sizes)} for input of size "
                           f"{list(input.shape)}")
    xp = xp_of(x)
    dt = x._data.dtype
    ph = Tensor._make(_averaging_matrix(xp, h, oh, dt))
    pw = Tensor._make(_averaging_matrix(xp, w, ow, dt))
    out = matmul(matmul(ph, x), pw.mT)
    return squeeze(out, 0) if unbatched else out


def _averaging_matrix(xp, size, n_out, dtype):
    """(n_out, size) rows averaging the adaptive windows."""
    i = xp.arange(n_out)
    start = (i * size) // n_out
    end = -((-(i + 1) * size) // n_out)  # ceil division
    pos = xp.arange(size)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


TENSOR_METHODS: dict = {}
FUNCTIONS = {"conv2d": conv2d, "max_pool2d": max_pool2d, "avg_pool2d": avg_pool2d,
             "adaptive_avg_pool2d": adaptive_avg_pool2d}
