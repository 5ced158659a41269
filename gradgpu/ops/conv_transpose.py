"""Transposed convolutions (conv_transpose1d/2d/3d): the adjoint of conv2d's input map,
written as conv2d's input gradient is: one matmul per group with the transposed weight gives
the windows, and col2im scatters them into the output. The 3-D one runs the 2-D one over the
depth slices and places each depth tap's result along the depth. Built from differentiable ops
(matmul, Col2Im, whose backward is Im2Col), so higher-order gradients work and every backend
runs it through conv2d's kernels.
"""

from __future__ import annotations

from ._common import Tensor, xp_of
from .conv import Col2Im
from .conv_args import conv_transpose_setup
from .layers import pad
from .linalg import matmul
from .shape import permute, reshape, squeeze, stack, unsqueeze


def _conv_transpose2d(x, weight, bias, stride, padding, output_padding, dilation, groups,
                      sizes):
    """y = col2im(W_g^T @ x_g) (+ bias) on validated operands x (N, C_in, H, W), weight
    (C_in, C_out / groups, kh, kw); ``sizes`` is the output (H_out, W_out)."""
    n, cin, h, w = x.shape
    _, cog, kh, kw = weight.shape
    k = cog * kh * kw
    wt = reshape(weight, (groups, cin // groups, k)).mT  # (groups, K, C_in / groups)
    cols = matmul(wt, reshape(x, (n, groups, cin // groups, h * w)))  # (N, groups, K, H * W)
    cols = reshape(cols, (n, groups * cog, kh, kw, h, w))
    # col2im with the top/left padding only: every window then fits exactly, so Im2Col (the
    # backward) finds the same (H, W) windows; the bottom/right is cropped or zero-padded to
    # the requested size (output_padding rows may still hold window sums when padding > 0).
    # (a padding wider than the windows' extent leaves nothing of them: an all-zero output.)
    extent = [(s - 1) * st + d * (kk - 1) + 1 for s, st, d, kk in
              zip((h, w), stride, dilation, (kh, kw))]
    top = [min(p, e) for p, e in zip(padding, extent)]
    full = [e - t for e, t in zip(extent, top)]
    out = Col2Im.apply(cols, tuple(full), stride, dilation, (top[0], 0, top[1], 0))
    if full[0] > sizes[0] or full[1] > sizes[1]:
        out = out[:, :, :sizes[0], :sizes[1]]
    extra = [max(0, s - f) for s, f in zip(sizes, full)]
    if extra[0] or extra[1]:
        out = pad(out, (0, extra[1], 0, extra[0]))
    if bias is not None:
        out = out + reshape(bias, (1, groups * cog, 1, 1))
    return out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1):
    """Transposed 2-D convolution of (N, C_in, H, W) or (C_in, H, W) with weight
    (C_in, C_out / groups, kh, kw): y[n, o, i * s + p * d - pad, j * s + q * d - pad] +=
    W[c, o, p, q] x[n, c, i, j]; output size (H - 1) * s - 2 pad + d (k - 1) + output_padding + 1.
    It is conv2d's gradient with respect to its input."""
    x, unbatched, stride, padding, output_padding, dilation, sizes = conv_transpose_setup(
        "conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups,
        dilation, 2)
    out = _conv_transpose2d(x, weight, bias, stride, padding, output_padding, dilation, groups,
                            sizes)
    return squeeze(out, 0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1):
    """Transposed 1-D convolution of (N, C_in, L) or (C_in, L) with weight
    (C_in, C_out / groups, k): y[n, o, i * s + p * d - pad] += W[c, o, p] x[n, c, i];
    conv_transpose2d over a height-1 image."""
    x, unbatched, stride, padding, output_padding, dilation, sizes = conv_transpose_setup(
        "conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups,
        dilation, 1)
    out = _conv_transpose2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, (1,) + stride,
                            (0,) + padding, (0,) + output_padding, (1,) + dilation, groups,
                            (1,) + sizes)
    out = squeeze(out, 2)
    return squeeze(out, 0) if unbatched else out


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1):
    """Transposed 3-D convolution of (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_in, C_out / groups, kd, kh, kw):
    y[n, o, t * sd + a * dd - pd, i * sh + p * dh - ph, j * sw + q * dw - pw] +=
    W[c, o, a, p, q] x[n, c, t, i, j]; conv3d's gradient with respect to its input."""
    x, unbatched, stride, padding, output_padding, dilation, sizes = conv_transpose_setup(
        "conv_transpose3d", input, weight, bias, stride, padding, output_padding, groups,
        dilation, 3)
    n, cin, depth, h, w = x.shape
    _, cog, kd, kh, kw = weight.shape
    d_out, h_out, w_out = sizes
    # every depth slice through the 2-D transposed convolution once, the kd depth taps stacked
    # as output channels: channel (group, tap, o) of the result is tap a of output channel o
    w2 = reshape(permute(weight, 0, 2, 1, 3, 4), (cin, kd * cog, kh, kw))
    planes = reshape(permute(x, 0, 2, 1, 3, 4), (n * depth, cin, h, w))
    taps = _conv_transpose2d(planes, w2, None, stride[1:], padding[1:], output_padding[1:],
                             dilation[1:], groups, (h_out, w_out))
    taps = reshape(taps, (n, depth, groups, kd, cog, h_out, w_out))
    # tap a of input slice t lands at depth t * sd + a * dd of the unpadded output
    span = (depth - 1) * stride[0] + 1
    full = span + dilation[0] * (kd - 1)
    out = None
    for a in range(kd):
        tap = permute(reshape(taps[:, :, :, a], (n, depth, groups * cog, h_out, w_out)),
                      0, 2, 1, 3, 4)
        if stride[0] > 1:  # stride - 1 zero slices after each slice
            zeros = Tensor._make(xp_of(tap).zeros(tap.shape, dtype=tap._data.dtype))
            spread = stack([tap] + [zeros] * (stride[0] - 1), 3)
            tap = reshape(spread, (n, groups * cog, depth * stride[0], h_out, w_out))[:, :, :span]
        start = a * dilation[0]
        tap = pad(tap, (0, 0, 0, 0, start, full - span - start))
        out = tap if out is None else out + tap
    out = out[:, :, padding[0]:padding[0] + d_out]  # crop the depth padding
    if out.shape[2] < d_out:  # output_padding past the last window: zeros
        out = pad(out, (0, 0, 0, 0, 0, d_out - out.shape[2]))
    if bias is not None:
        out = out + reshape(bias, (1, groups * cog, 1, 1, 1))
    return squeeze(out, 0) if unbatched else out
