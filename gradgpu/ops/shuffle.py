"""Pixel and channel shuffles: pure rearrangements (reshape + permute), so their gradients are
the inverse rearrangements and they run on every backend."""

from __future__ import annotations

import operator

from ._common import check_tensor
from .shape import permute, reshape


def _factor(v, name: str, op: str) -> int:
    try:
        if isinstance(v, bool):
            raise TypeError
        v = operator.index(v)
    except TypeError:
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(v).__name__}") from None
    if v <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {v}")
    return v


def _at_least_3d(input, op: str):
    check_tensor(input, op)
    nd = input._data.ndim
    if nd < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input "
                           f"with {nd} dimension(s)")
    return input._data.shape


def pixel_shuffle(input, upscale_factor: int):
    """(*, C r^2, H, W) -> (*, C, H r, W r):  y[..., c, h r + i, w r + j] =
    x[..., c r^2 + i r + j, h, w];  dx = pixel_unshuffle(g, r)."""
    op = "pixel_shuffle"
    r = _factor(upscale_factor, "upscale_factor", op)
    shape = _at_least_3d(input, op)
    *batch, c, h, w = shape
    if c % (r * r):
        raise RuntimeError(f"{op} expects its input's 'channel' dimension to be divisible by the "
                           f"square of upscale_factor, but input.size(-3)={c} is not divisible "
                           f"by {r * r}")
    b = len(batch)
    x = reshape(input, (*batch, c // (r * r), r, r, h, w))
    x = permute(x, (*range(b), b, b + 3, b + 1, b + 4, b + 2))  # (*, C, H, r, W, r)
    return reshape(x, (*batch, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle;
    dx = pixel_shuffle(g, r)."""
    op = "pixel_unshuffle"
    r = _factor(downscale_factor, "downscale_factor", op)
    shape = _at_least_3d(input, op)
    *batch, c, h, w = shape
    for name, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"{op} expects {name} to be divisible by downscale_factor, but "
                               f"input.size({dim})={size} is not divisible by {r}")
    b = len(batch)
    x = reshape(input, (*batch, c, h // r, r, w // r, r))
    x = permute(x, (*range(b), b, b + 2, b + 4, b + 1, b + 3))  # (*, C, r, r, H, W)
    return reshape(x, (*batch, c * r * r, h // r, w // r))


def channel_shuffle(input, groups: int):
    """(N, C, *) with C = g k: y[:, i g + j] = x[:, j k + i] (the channel groups
    interleaved);  dx = channel_shuffle(g, k)."""
    op = "channel_shuffle"
    check_tensor(input, op)
    try:
        groups = operator.index(groups)
    except TypeError:
        raise TypeError(f"{op}(): argument 'groups' must be int, not "
                        f"{type(groups).__name__}") from None
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    shape = input._data.shape
    if len(shape) <= 2:
        raise RuntimeError(f"{op} expects input with > 2 dims, but got input with sizes "
                           f"{list(shape)}")
    n, c, *rest = shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    x = reshape(input, (n, groups, c // groups, *rest))
    x = permute(x, (0, 2, 1, *range(3, 3 + len(rest))))
    return reshape(x, shape)


def native_channel_shuffle(input, groups: int):
    """Same as ``channel_shuffle`` (PyTorch's non-dispatching variant)."""
    return channel_shuffle(input, groups)
