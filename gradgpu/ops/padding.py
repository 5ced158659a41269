"""The non-constant modes of ``pad`` ('reflect', 'replicate', 'circular'): each padded axis is
one gather (``IndexSelect``) at precomputed source positions, so the gradient is the matching
scatter-add (border elements collect the gradients of their copies) and is differentiable again.
"""

from __future__ import annotations

from ._common import Tensor, xp_of
from .indexing.gather_scatter import IndexSelect

_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
_KERNEL = {"reflect": "reflection_pad", "replicate": "replication_pad"}


def _check(input, pad: tuple, mode: str, value) -> None:
    """PyTorch's argument checks for the non-constant modes, in its order."""
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad(): Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'pad(): Padding mode "{mode}" doesn\'t take in value argument')
    shape = tuple(input._data.shape)
    nd, k = len(shape), len(pad) // 2
    if not (1 <= k <= 3 and nd in (k + 1, k + 2)):
        raise NotImplementedError(f"pad(): Padding size {len(pad)} is not supported for {nd}D "
                                  f"input tensor.\n{_SUPPORTED}")
    if mode == "circular":
        return
    if input._data.dtype.kind == "b":
        raise NotImplementedError(f"pad(): \"{_KERNEL[mode]}{k}d\" not implemented for 'Bool'")
    if 0 in shape[nd - k - 1 if nd == k + 2 else 0:]:
        raise RuntimeError(f"pad(): Expected {k + 1}D or {k + 2}D (batch mode) tensor with "
                           f"possibly 0 batch size and other non-zero dimensions for input, but "
                           f"got: {list(shape)}")


def _positions(xp, shape, i: int, a: int, b: int, mode: str, k: int):
    """Source positions of the ``size + a + b`` outputs along the i-th padded axis from the end
    (of ``size``), padded by (a, b)."""
    dim = len(shape) - 1 - i
    size = shape[dim]
    out = size + a + b
    if mode == "circular":
        if a > size or b > size:
            raise RuntimeError("pad(): Padding value causes wrapping around more than once.")
        if out < 0:
            raise RuntimeError("pad(): Negative padding value is resulting in an empty dimension")
        lo = max(-a, 0)
        kept = size - lo - max(-b, 0)  # the cropped input that wraps around
        if a > kept or b > kept:  # PyTorch's copies would overlap (it raises as well)
            raise RuntimeError(f"pad(): circular padding ({a}, {b}) wraps around more than the "
                               f"{kept} elements left after cropping dimension {dim} of input "
                               f"{list(shape)}")
        return lo + (xp.arange(out, dtype=xp.int64) - max(a, 0)) % max(kept, 1)
    if mode == "reflect" and (a >= size or b >= size):
        raise RuntimeError(f"pad(): Argument #{4 + 2 * i}: Padding size should be less than the "
                           f"corresponding input dimension, but got: padding ({a}, {b}) at "
                           f"dimension {dim} of input {list(shape)}")
    if out < (1 if k == 1 else 0):
        axis = "WHD"[i]
        raise RuntimeError(f"pad(): input ({axis}: {size}) is too small. Calculated output {axis}: "
                           f"{out}")
    pos = xp.arange(out, dtype=xp.int64) - a
    if mode == "replicate":
        return xp.clip(pos, 0, size - 1)
    pos = xp.abs(pos)  # reflect about the first element, then about the last
    return (size - 1) - xp.abs((size - 1) - pos)


def pad_nonconstant(input, pad: tuple, mode: str, value) -> Tensor:
    """y = x at reflected / clamped / wrapped positions along the last len(pad) // 2 dims
    (``pad`` = (last_left, last_right, prev_left, ...));  dx = g scatter-added back."""
    _check(input, pad, mode, value)
    shape = tuple(input._data.shape)
    xp = xp_of(input)
    out = input
    for i in range(len(pad) // 2):
        pos = _positions(xp, shape, i, pad[2 * i], pad[2 * i + 1], mode, len(pad) // 2)
        out = IndexSelect.apply(out, len(shape) - 1 - i, Tensor._make(pos))
    return out
