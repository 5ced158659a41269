"""unfold (im2col) and fold (col2im) with PyTorch's (N, C * kh * kw, L) block layout: reshapes
around conv2d's Im2Col / Col2Im Functions, which are each other's backward (so both ops are
differentiable to any order and run on every backend through the window kernels)."""

from __future__ import annotations

from ._common import check_tensor
from .conv import Col2Im, Im2Col
from .shape import reshape, squeeze, unsqueeze


def _expect2(value, name: str, op: str) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise RuntimeError(f"{op}(): It is expected {name} equals to 2, but got size "
                               f"{len(value)}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _geometry(op, kernel_size, dilation, padding, stride):
    kernel = _expect2(kernel_size, "kernel_size", op)
    dilation = _expect2(dilation, "dilation", op)
    padding = _expect2(padding, "padding", op)
    stride = _expect2(stride, "stride", op)
    for name, v, low in (("kernel size", kernel, 1), ("stride", stride, 1),
                         ("padding", padding, 0), ("dilation", dilation, 1)):
        if min(v) < low:
            rule = "be non-negative" if low == 0 else "be greater than zero"
            raise RuntimeError(f"{op}(): {name} should {rule}, but got {name}={v}")
    return kernel, dilation, padding, stride


def _blocks(size, kernel, dilation, padding, stride):
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                 for s, k, d, p, st in zip(size, kernel, dilation, padding, stride))


def _check_float(input, op):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"{op}(): not implemented for {input.dtype} input (expected "
                                  f"a floating point tensor)")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) or (C, H, W) as columns (N, C * kh * kw, L):
    y[n, (c, i, j), (oh, ow)] = x_padded[n, c, oh * sh + i * dh, ow * sw + j * dw];
    dx = fold(dy)."""
    op = "unfold"
    check_tensor(input, op)
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"{op}(): Expected 3D or 4D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got: {list(input.shape)}")
    _check_float(input, op)
    kernel, dilation, padding, stride = _geometry(op, kernel_size, dilation, padding, stride)
    x = unsqueeze(input, 0) if input._data.ndim == 3 else input
    n, c = x.shape[:2]
    blocks = _blocks(x.shape[2:], kernel, dilation, padding, stride)
    if min(blocks) < 1:
        raise RuntimeError(f"{op}(): Given input with spatial size {tuple(x.shape[2:])}, "
                           f"kernel_size={kernel}, dilation={dilation}, padding={padding}, "
                           f"calculated shape of the array of sliding blocks as {blocks}, but "
                           f"its components must be at least one.")
    pads = (padding[0], padding[0], padding[1], padding[1])
    cols = Im2Col.apply(x, kernel, stride, dilation, pads)  # (N, C, kh, kw, oh, ow)
    out = reshape(cols, (n, c * kernel[0] * kernel[1], blocks[0] * blocks[1]))
    return squeeze(out, 0) if input._data.ndim == 3 else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum of sliding blocks (N, C * kh * kw, L) or (C * kh * kw, L) back into an image
    (N, C, H, W), overlaps added: unfold's adjoint; dx = unfold(dy)."""
    op = "fold"
    check_tensor(input, op)
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"{op}(): Expected 2D or 3D (batch mode) tensor for input with "
                           f"possibly 0 batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    _check_float(input, op)
    size = _expect2(output_size, "output_size", op)
    kernel, dilation, padding, stride = _geometry(op, kernel_size, dilation, padding, stride)
    x = unsqueeze(input, 0) if nd == 2 else input
    n, ck, length = x.shape
    kk = kernel[0] * kernel[1]
    if ck % kk:
        raise RuntimeError(f"{op}(): Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={ck} and "
                           f"kernel_size={kernel}.")
    blocks = _blocks(size, kernel, dilation, padding, stride)
    given = (f"{op}(): Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
             f"padding={padding}, stride={stride}, ")
    if min(blocks) < 1:
        raise RuntimeError(given + f"calculated shape of the array of sliding blocks as "
                                   f"{blocks}, but its components must be at least one.")
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(given + f"expected size of input's dimension 2 to match the "
                                   f"calculated number of sliding blocks {blocks[0]} * "
                                   f"{blocks[1]} = {blocks[0] * blocks[1]}, but got "
                                   f"input.size(2)={length}.")
    cols = reshape(x, (n, ck // kk, *kernel, *blocks))
    pads = (padding[0], padding[0], padding[1], padding[1])
    out = Col2Im.apply(cols, size, stride, dilation, pads)
    return squeeze(out, 0) if nd == 2 else out
