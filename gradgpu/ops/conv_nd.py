"""conv1d and conv3d, both reduced to conv2d's im2col + matmul (``conv2d_im2col``), so they run
on every backend through conv2d's kernels and are differentiable to any order.

conv1d is conv2d over a height-1 image. conv3d gathers, for each depth offset of the kernel,
the strided depth slices of the input, folds the output depth into the batch and the depth
offsets into the channels (group-major, as conv2d's groups expect), and runs one conv2d.
"""

from __future__ import annotations

from .conv import conv2d_im2col
from .conv_args import conv_setup
from .layers import pad
from .shape import permute, reshape, squeeze, stack, unsqueeze


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """y[n, o, l] = b[o] + sum_{c, k} W[o, c, k] x[n, g(o) * C/groups + c, l * s + k * d - p]
    for input (N, C, L) or (C, L) and weight (O, C / groups, k): conv2d on (N, C, 1, L)."""
    x, unbatched, stride, dilation, pads = conv_setup("conv1d", input, weight, bias, stride,
                                                      padding, dilation, groups, 1)
    out = conv2d_im2col(unsqueeze(x, 2), unsqueeze(weight, 2), bias, (1, stride[0]),
                        (1, dilation[0]), (0, 0) + pads[0], groups)
    out = squeeze(out, 2)
    return squeeze(out, 0) if unbatched else out


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """y[n, o, t, i, j] = b[o] + sum_{c, a, p, q} W[o, c, a, p, q]
    x[n, g(o) * C/groups + c, t * sd + a * dd, i * sh + p * dh, j * sw + q * dw] (zero padded)
    for input (N, C, D, H, W) or (C, D, H, W) and weight (O, C / groups, kd, kh, kw)."""
    x, unbatched, stride, dilation, pads = conv_setup("conv3d", input, weight, bias, stride,
                                                      padding, dilation, groups, 3)
    n, c, depth, h, w = x.shape
    o, cg, kd, kh, kw = weight.shape
    (sd, sh, sw), (dd, dh, dw) = stride, dilation
    if pads[0] != (0, 0):
        x = pad(x, (0, 0, 0, 0) + pads[0])
        depth += sum(pads[0])
    od = (depth - dd * (kd - 1) - 1) // sd + 1
    # (N, C, kd, OD, H, W): depth offset a reads the depth slices a * dd, a * dd + sd, ...
    slices = stack([x[:, :, a * dd:a * dd + sd * (od - 1) + 1:sd] for a in range(kd)], 2)
    slices = reshape(slices, (n, groups, cg, kd, od, h, w))
    planes = reshape(permute(slices, 0, 4, 1, 3, 2, 5, 6), (n * od, groups * kd * cg, h, w))
    w2 = reshape(permute(weight, 0, 2, 1, 3, 4), (o, kd * cg, kh, kw))
    out = conv2d_im2col(planes, w2, bias, (sh, sw), (dh, dw), pads[1] + pads[2], groups)
    oh, ow = out.shape[-2:]
    out = permute(reshape(out, (n, od, o, oh, ow)), 0, 2, 1, 3, 4)
    return squeeze(out, 0) if unbatched else out
