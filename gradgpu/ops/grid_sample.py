"""affine_grid and 2-D grid_sample (bilinear / nearest; zeros / border / reflection padding),
as PyTorch's, composed from differentiable ops (matmul, gather, where), so gradients w.r.t.
theta, the input and the grid come from autograd on every backend, create_graph included.

grid_sample maps each grid point (x, y) in [-1, 1] to source pixel coordinates
    align_corners:  ix = (x + 1) / 2 * (W - 1)       else  ix = ((x + 1) * W - 1) / 2
applies the padding mode to the coordinate (border: clamp to [0, W - 1]; reflection: fold
into the image, then clamp), and reads
    bilinear:  sum over the 4 neighbours of (1 - |ix - x_k|)(1 - |iy - y_k|) input[y_k, x_k]
    nearest:   input[rint(iy), rint(ix)]
with out-of-image taps reading 0.
"""

from __future__ import annotations

import warnings

from ._common import Tensor, check_tensor, same_device, xp_of
from .elementwise import where
from .shape import reshape

_INT_RANGE = 2.0 ** 31 - 2  # |coordinate| past which it is treated as outside, as PyTorch's
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.")


def _linspace(xp, steps: int, align_corners: bool, dtype):
    """PyTorch's base-grid coordinates along one axis: -1..1 (pixel centres when not
    align_corners)."""
    if steps <= 1:
        return xp.zeros((max(steps, 0),), dtype=dtype)
    r = xp.linspace(-1.0, 1.0, steps, dtype=dtype)
    return r if align_corners else r * ((steps - 1) / steps)


def affine_grid(theta, size, align_corners=None):
    """grid[n, ..., :] = theta[n] @ (x, y, [z,] 1) over the base grid of ``size``
    ((N, C, H, W) -> grid (N, H, W, 2); (N, C, D, H, W) -> (N, D, H, W, 3));
    dtheta = sum over points of g (x, y, [z,] 1)^T."""
    check_tensor(theta, "affine_grid", "theta")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if theta._data.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    k = len(size) - 2
    if theta._data.ndim != 3 or tuple(theta._data.shape[1:]) != (k, k + 1):
        raise ValueError(f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for "
                         f"size {size}. Got {list(theta.shape)}.")
    if theta._data.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid(): theta has batch size {theta._data.shape[0]} but "
                           f"size {size} asks for {size[0]}")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", UserWarning,
                      stacklevel=2)
    xp = xp_of(theta)
    dt = theta._data.dtype
    axes = [_linspace(xp, s, align_corners, dt) for s in spatial]  # (D,) H, W
    mesh = xp.meshgrid(*axes, indexing="ij")
    # coordinates in (x, y, [z]) order, i.e. the reverse of the spatial dims, then the 1
    cols = [mesh[i] for i in reversed(range(k))] + [xp.ones(spatial, dtype=dt)]
    base = xp.stack(cols, axis=-1).reshape(1, -1, k + 1)
    grid = Tensor._make(base) @ theta.transpose(1, 2)  # (N, points, k)
    return reshape(grid, (size[0],) + spatial + (k,))


def _unnormalize(coord, size: int, align_corners: bool):
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _clip(coord, size: int):
    return coord.clamp(0, size - 1)


def _reflect(coord, twice_low: int, twice_high: int):
    """Fold coord into [twice_low / 2, twice_high / 2] by mirror reflections (d/dcoord = +-1)."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    dist = (coord - low).abs()
    flips = Tensor._make(xp_of(coord).floor(dist._data / span))
    extra = dist - flips * span
    even = Tensor._make((flips._data % 2) == 0)
    return where(even, extra + low, span - extra + low)


def _source_coord(coord, size: int, padding_mode: str, align_corners: bool):
    c = _unnormalize(coord, size, align_corners)
    xp = xp_of(c)
    ok = xp.isfinite(c._data)
    if padding_mode == "border":
        c = _clip(c, size)
    elif padding_mode == "reflection":
        c = where(Tensor._make(ok), c, 0.0)  # inf would fold to NaN (with warnings)
        c = _reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1)
        c = _clip(c, size)
    # PyTorch's safe_downgrade_to_int_range: a coordinate that is not finite (or, reflected,
    # was not) or lies beyond the int32 range samples as outside (-100) with a zero gradient,
    # instead of an overflowing float -> int64 cast (garbage indices, NumPy RuntimeWarning)
    d = c._data
    ok = (ok if padding_mode == "reflection" else xp.isfinite(d)) & (xp.abs(d) < _INT_RANGE)
    return where(Tensor._make(ok), c, -100.0)


def _tap(flat_input, xi, yi, h: int, w: int, xp):
    """input[n, :, yi, xi] for integer arrays xi, yi (N, P), 0 where outside the image:
    (values (N, C, P), in-image mask (N, 1, P) as a constant tensor)."""
    inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    lin = xp.where(inside, yi * w + xi, 0).astype(xp.int64)
    n, c, _ = flat_input._data.shape
    index = Tensor._make(xp.broadcast_to(lin[:, None, :], (n, c, lin.shape[1])))
    mask = Tensor._make(inside[:, None, :].astype(flat_input._data.dtype))
    return flat_input.gather(2, index), mask


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None):
    """out[n, c, i, j] = input[n, c] read at grid[n, i, j] = (x, y) in [-1, 1] (module
    docstring for the maps); d/dinput scatters the weights back, d/dgrid (bilinear) is the
    difference of neighbouring taps times (W - 1) / 2 or W / 2; nearest: d/dgrid = 0."""
    check_tensor(input, "grid_sample")
    check_tensor(grid, "grid_sample", "grid")
    same_device("grid_sample", input, grid)
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if mode == "bicubic":
        raise NotImplementedError("grid_sample(): mode='bicubic' is not supported")
    ish, gsh = list(input.shape), list(grid.shape)
    if input._data.ndim == 5:
        raise NotImplementedError("grid_sample(): 5-D (volumetric) inputs are not supported")
    if input._data.ndim != 4 or grid._data.ndim != 4:
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with same number of "
                           f"dimensions, but got input with sizes {ish} and grid with sizes "
                           f"{gsh}")
    if gsh[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, "
                           f"but got grid with sizes {gsh}")
    if ish[0] != gsh[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {ish} and grid with sizes {gsh}")
    if input._data.dtype != grid._data.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, "
                           f"but input has {input.dtype} and grid has {grid.dtype}")
    xp = xp_of(input)
    n, c, h, w = ish
    ho, wo = gsh[1], gsh[2]
    g = reshape(grid, (n, ho * wo, 2))
    ix = _source_coord(g[..., 0], w, padding_mode, align_corners)
    iy = _source_coord(g[..., 1], h, padding_mode, align_corners)
    flat = reshape(input, (n, c, h * w))
    if mode == "nearest":
        xi = xp.rint(ix._data).astype(xp.int64)
        yi = xp.rint(iy._data).astype(xp.int64)
        vals, mask = _tap(flat, xi, yi, h, w, xp)
        out = vals * mask
        if grid.requires_grad:  # PyTorch gives the grid a zero gradient, not None
            out = out + ((ix + iy) * 0).unsqueeze(1)
    else:
        x0 = xp.floor(ix._data).astype(xp.int64)
        y0 = xp.floor(iy._data).astype(xp.int64)
        wx1 = ix - Tensor._make(x0.astype(ix._data.dtype))  # in [0, 1), carries d/dgrid
        wy1 = iy - Tensor._make(y0.astype(iy._data.dtype))
        wx0, wy0 = 1 - wx1, 1 - wy1
        out = None
        for dx, dy, wx, wy in ((0, 0, wx0, wy0), (1, 0, wx1, wy0), (0, 1, wx0, wy1),
                               (1, 1, wx1, wy1)):
            vals, mask = _tap(flat, x0 + dx, y0 + dy, h, w, xp)
            term = vals * (mask * (wx * wy).unsqueeze(1))
            out = term if out is None else out + term
    return reshape(out, (n, c, ho, wo))


TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
