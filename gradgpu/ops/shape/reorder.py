"""Ops that move elements within a tensor or keep part of it: flip/fliplr/flipud, roll,
tril/triu, and the diagonal views (diagonal, diag)."""

from __future__ import annotations

from ...autograd.function import Function
from .._common import Tensor, dims_arg, wrap_dim, xp_of
from .views import _as_view, _same, _shape_arg, reshape


# ---- flip / roll / tril / triu / diagonal ---------------------------------------------------
class Flip(Function):
    """y = x reversed along dims (a copy);  dx = flip(g, dims)"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        if not dims:  # (NumPy's flip of a 0-d array over no axes gives a scalar, not an array)
            return x._data.copy()
        return xp_of(x).flip(x._data, axis=dims).copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims), None


def flip(input, *args, dims=None):
    """The elements in reverse order along each of ``dims`` (a sequence, or the dims one by one
    as ``Tensor.flip(0, 2)`` takes them)."""
    if dims is not None and args:
        raise TypeError("flip() got multiple values for argument 'dims'")
    if dims is None and not args:
        raise TypeError("flip() missing 1 required positional arguments: \"dims\"")
    dims = _shape_arg(args if dims is None else (dims,), "flip", "dims")
    axes = dims_arg(dims, input._data.ndim, "flip") or ()
    if input._data.ndim == 0:  # dim 0 / -1 of a 0-d tensor: nothing to reverse
        axes = ()
    return Flip.apply(input, axes)


def fliplr(input):
    """Columns (dim 1) in reverse order."""
    if input._data.ndim < 2:
        raise RuntimeError("fliplr(): input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    """Rows (dim 0) in reverse order."""
    if input._data.ndim < 1:
        raise RuntimeError("flipud(): input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Function):
    """y = x shifted cyclically by shifts along dims;  dx = g rolled back by -shifts"""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(x).roll(x._data, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(g, back, ctx.dims), None, None


def roll(input, shifts, dims=None):
    """Elements shifted cyclically along ``dims`` (the flattened tensor when None)."""
    shifts = _shape_arg((shifts,), "roll", "shifts")  # (ints, sequences and 0-d integer tensors)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll(): shifts {list(shifts)} needs dims when it has more than "
                               "one entry")
        return reshape(Roll.apply(reshape(input, -1), shifts[0], None), input._data.shape)
    dims = _shape_arg((dims,), "roll", "dims")
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims: {len(dims)}")
    nd = max(input._data.ndim, 1)
    axes = tuple(wrap_dim(d, nd, "roll") for d in dims)
    if input._data.ndim == 0:
        return _same(input) if not input._requires_grad else Roll.apply(input, 0, None)
    return Roll.apply(input, shifts, axes)


class Triangle(Function):
    """y = x with the entries above (tril) / below (triu) the ``diagonal`` zeroed, on the last
    two dims;  dx = the same triangle of g"""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        xp = xp_of(x)
        n, m = x._data.shape[-2:]
        # tri(k) is True on and below diagonal k: tril keeps it, triu keeps the rest of k-1's.
        keep = xp.tri(n, m, diagonal - 1, dtype=bool) if upper else xp.tri(n, m, diagonal,
                                                                           dtype=bool)
        if upper:
            keep = ~keep
        return xp.where(keep, x._data, xp.zeros((), dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, g):
        return Triangle.apply(g, ctx.diagonal, ctx.upper), None, None


def _triangle(input, diagonal, upper):
    name = "triu" if upper else "tril"
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got shape "
                           f"{list(input.shape)}")
    return Triangle.apply(input, int(diagonal), upper)


def tril(input, diagonal: int = 0):
    """The lower triangle (on and below ``diagonal``) of the last two dims; the rest zero."""
    return _triangle(input, diagonal, False)


def triu(input, diagonal: int = 0):
    """The upper triangle (on and above ``diagonal``) of the last two dims; the rest zero."""
    return _triangle(input, diagonal, True)


def _diagonal_view(arr, offset, d1, d2):
    """A writable view of a diagonal (NumPy's ``diagonal`` is read-only): the other dims in
    order, then the diagonal, as PyTorch lays it out."""
    xp = _xp_of_array(arr)
    sl = [slice(None)] * arr.ndim
    sl[d1] = slice(max(0, -offset), None)
    sl[d2] = slice(max(0, offset), None)
    start = arr[tuple(sl)]
    n = max(0, min(start.shape[d1], start.shape[d2]))
    others = [i for i in range(arr.ndim) if i not in (d1, d2)]
    shape = tuple(start.shape[i] for i in others) + (n,)
    strides = tuple(start.strides[i] for i in others) + (start.strides[d1] + start.strides[d2],)
    return xp.lib.stride_tricks.as_strided(start, shape, strides)


def _xp_of_array(arr):
    from ...backend import backend_of

    return backend_of(arr).xp


class Diagonal(Function):
    """y = the diagonal (offset) of dims d1, d2, as the last dim (a view);
    dx = zeros with g on that diagonal"""

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.args = (x._data.shape, offset, d1, d2)
        return _as_view(Tensor._make(_diagonal_view(x._data, offset, d1, d2)), x, always=True)

    @staticmethod
    def backward(ctx, g):
        return DiagonalScatter.apply(g, *ctx.args), None, None, None


class DiagonalScatter(Function):
    """y = zeros(shape) with g on the diagonal (offset) of dims d1, d2;  dg = diagonal(dy)"""

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = xp_of(g).zeros(shape, dtype=g._data.dtype)
        _diagonal_view(out, offset, d1, d2)[...] = g._data
        return out

    @staticmethod
    def backward(ctx, gg):
        return (Diagonal.apply(gg, *ctx.args),) + (None,) * 4


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The view of the diagonal (above it for offset > 0) of dims dim1, dim2, as the last dim."""
    nd = input._data.ndim
    d1 = wrap_dim(dim1, nd, "diagonal")
    d2 = wrap_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), d1, d2)


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Each vector along the last dim placed on the diagonal (offset) of dims dim1, dim2 of a
    new tensor of one more dim, zeros elsewhere;  dx = diagonal(g, offset, dim1, dim2)."""
    nd = input._data.ndim + 1
    d1 = wrap_dim(dim1, nd, "diag_embed")
    d2 = wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed(): diagonal dimensions cannot be identical {dim1}, "
                           f"{dim2}")
    offset = int(offset)
    shp = input._data.shape if input._data.ndim else (1,)
    n = shp[-1] + abs(offset)
    rest = iter(shp[:-1])
    shape = tuple(n if i in (d1, d2) else next(rest) for i in range(nd))
    return DiagonalScatter.apply(input, shape, offset, d1, d2)


def rot90(input, k: int = 1, dims=(0, 1)):
    """Rotated by 90 degrees ``k`` times in the plane of ``dims``, from the first dim towards
    the second (PyTorch's and NumPy's direction)."""
    from .views import transpose

    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"rot90(): expected total rotation dims == 2, but got dims = "
                           f"{len(dims)}")
    if nd < 2:
        raise RuntimeError(f"rot90(): expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = (wrap_dim(d, nd, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"rot90(): expected rotation dims to be different, but got dim0 = "
                           f"{d0} and dim1 = {d1}")
    k = int(k) % 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, (d0,)), d0, d1)
    from ..conversion import clone

    return clone(input)


class DiagEmbed(Function):
    """y = square matrix with the vector x on diagonal k;  dx = diagonal(g, k)"""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return xp_of(x).diag(x._data, k)

    @staticmethod
    def backward(ctx, g):
        return Diagonal.apply(g, ctx.k, 0, 1), None


def diag(input, diagonal: int = 0):
    """A 1-D tensor placed on a diagonal of a square matrix, or the diagonal of a 2-D tensor
    (a copy)."""
    nd = input._data.ndim
    if nd == 1:
        return DiagEmbed.apply(input, int(diagonal))
    if nd == 2:
        from ..conversion import clone

        return clone(Diagonal.apply(input, int(diagonal), 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


TENSOR_METHODS = {
    name: globals()[name]
    for name in "flip fliplr flipud roll rot90 tril triu diagonal diag diag_embed".split()
}
