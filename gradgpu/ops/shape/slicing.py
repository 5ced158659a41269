"""Slicing views: narrow, select, split, chunk and unbind, all through one op, ``Slice``, whose
backward ``SliceScatter`` is itself differentiable."""

from __future__ import annotations

from ...autograd.function import Function
from .._common import Tensor, backend_of, fused_ok, wrap_dim
from .views import _as_view


# ---- slicing views: narrow, select, split, chunk, unbind --------------------------------------
class Slice(Function):
    """y = x[key] for a basic key of ints, slices and None (a view);  dx = zeros with g at key"""

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape = x._data.shape
        ctx.key = key
        return _as_view(Tensor._make(x._data[key]), x)

    @staticmethod
    def backward(ctx, g):
        if fused_ok(g):  # no graph to build: the scatter on the arrays, no node
            return Tensor._make(_scatter_slice(g._data, ctx.in_shape, ctx.key)), None
        return SliceScatter.apply(g, ctx.in_shape, ctx.key), None


def _scatter_slice(g, shape, key):
    """zeros(shape) with the array g written at key (g's array library and dtype)."""
    out = backend_of(g).xp.zeros(shape, dtype=g.dtype)
    out[key] = g
    return out


class SliceScatter(Function):
    """y = zeros(shape) with y[key] = g (the gradient of a slice);  dg = dy[key]"""

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        return _scatter_slice(g._data, shape, key)

    @staticmethod
    def backward(ctx, gg):
        return Slice.apply(gg, ctx.key), None, None


def _slice(input, dim: int, item):
    """``input`` indexed by ``item`` (an int or a slice) along the normalized ``dim``."""
    return Slice.apply(input, (slice(None),) * dim + (item, Ellipsis))


def narrow(input, dim: int, start, length: int):
    """The view of ``length`` elements of ``dim`` from ``start`` (negative start wraps)."""
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd, "narrow")
    size = input._data.shape[d]
    start, length = int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start out of range (expected to be in range of "
                         f"[{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative, got {length}")
    if start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}) of dimension {d} (input shape {list(input.shape)}).")
    return _slice(input, d, slice(start, start + length))


def select(input, dim: int, index: int):
    """The view at ``index`` of ``dim``, with that dimension removed."""
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd, "select")
    size = input._data.shape[d]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return _slice(input, d, index + size if index < 0 else index)


class Split(Function):
    """(x[.., a_0:a_1], x[.., a_1:a_2], ...) views of consecutive pieces along ``dim``;
    dx = the pieces' gradients side by side (zeros for a piece that got none).

    One node for all pieces, as PyTorch's SplitBackward: backward writes each gradient into one
    array, where a Slice per piece would build a zero array each for the engine to add up (q, k
    and v of an attention layer: three full-size zero fills and two full-size sums)."""

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.set_materialize_grads(False)
        ctx.in_shape, ctx.keys = x._data.shape, _piece_keys(dim, sizes)
        ctx.dim = dim
        return tuple(_as_view(Tensor._make(x._data[key]), x) for key in ctx.keys)

    @staticmethod
    def backward(ctx, *grads):
        given = [g for g in grads if g is not None]
        if not given:
            return None, None, None
        if fused_ok(given[0], *given[1:]):  # no graph to build: write the arrays in place
            first = given[0]._data
            xp = backend_of(first).xp
            full = len(given) == len(grads)
            out = (xp.empty if full else xp.zeros)(ctx.in_shape, dtype=first.dtype)
            for key, g in zip(ctx.keys, grads):
                if g is not None:
                    out[key] = g._data
            return Tensor._make(out), None, None
        from .joining import cat  # a graph is built (create_graph): differentiable pieces

        like = given[0]._data
        xp = backend_of(like).xp
        pieces = [g if g is not None else Tensor._make(xp.zeros(_shape_at(ctx, key), like.dtype))
                  for key, g in zip(ctx.keys, grads)]
        return cat(pieces, ctx.dim), None, None


def _piece_keys(dim: int, sizes) -> tuple:
    keys = []
    start = 0
    for s in sizes:
        keys.append((slice(None),) * dim + (slice(start, start + s), Ellipsis))
        start += s
    return tuple(keys)


def _shape_at(ctx, key) -> tuple:
    """The shape of the piece of ctx.in_shape at ``key``."""
    d, piece = ctx.dim, key[ctx.dim]
    return ctx.in_shape[:d] + (piece.stop - piece.start,) + ctx.in_shape[d + 1:]


def _pieces(input, d: int, sizes) -> tuple:
    return Split.apply(input, d, tuple(sizes))


def split(tensor, split_size_or_sections=None, dim: int = 0, *, split_size=None) -> tuple:
    """Views of consecutive pieces along ``dim``: of size ``split_size`` (the last may be
    smaller), or of the listed sizes (which must add up to the dimension's size).
    ``split_size=`` is Tensor.split's keyword name for the first argument."""
    if (split_size is None) == (split_size_or_sections is None):
        raise TypeError("split() needs exactly one of split_size_or_sections and split_size")
    if split_size_or_sections is None:
        split_size_or_sections = split_size
    nd = tensor._data.ndim
    if nd == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, nd, "split")
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
        return _pieces(tensor, d, sizes)
    step = int(split_size_or_sections)
    if step < 0 or (step == 0 and size != 0):
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                           f"dimension size of {size} (split_size={step})")
    if size == 0:
        return _pieces(tensor, d, [0])
    return _pieces(tensor, d, [min(step, size - i) for i in range(0, size, step)])


def chunk(input, chunks: int, dim: int = 0) -> tuple:
    """Up to ``chunks`` views of (nearly) equal size along ``dim``."""
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, nd, "chunk")
    size = input._data.shape[d]
    if size == 0:
        return _pieces(input, d, [0] * chunks)
    return split(input, -(-size // chunks), d)


def unbind(input, dim: int = 0) -> tuple:
    """The views at every index of ``dim``, with that dimension removed."""
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("unbind(): dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, nd, "unbind")
    return tuple(_slice(input, d, i) for i in range(input._data.shape[d]))


TENSOR_METHODS = {
    name: globals()[name]
    for name in "narrow select split chunk unbind".split()
}
