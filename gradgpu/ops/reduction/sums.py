"""Sums and products over ``dim``: sum, mean, prod and the scans cumsum/cumprod, with the helpers
every reduction's backward shares (``_expand_back`` broadcasts the output gradient back over the
reduced dims)."""

from __future__ import annotations

from ... import _dtypes
from ...autograd.function import Function
from ...autograd.grad_mode import _state
from .._common import Tensor, backend_of, check_tensor, dims_arg, wrap_dim, xp_of
from ..elementwise import where
from ..shape import expand, movedim, reshape, unsqueeze


def _keepdim_shape(in_shape, axes):
    """The shape of a keepdim=True reduction of ``in_shape`` over ``axes`` (None = all)."""
    if axes is None:
        return (1,) * len(in_shape)
    return tuple(1 if i in axes else s for i, s in enumerate(in_shape))


def _expand_back(g, in_shape, axes, keepdim):
    """Broadcast a reduction's gradient back to the input shape."""
    if not _state.enabled and not g._requires_grad:
        # No graph to build (the usual backward): one read-only broadcast view of the array.
        gd = g._data if keepdim else g._data.reshape(_keepdim_shape(in_shape, axes))
        return Tensor._make(xp_of(g).broadcast_to(gd, in_shape))
    if not keepdim:
        g = reshape(g, _keepdim_shape(in_shape, axes))
    return expand(g, in_shape)


def _quiet(x):
    return backend_of(x._data).quiet()


def _const(arr) -> Tensor:
    """A tensor outside the graph (masks, weights) wrapping ``arr``."""
    return Tensor._make(arr)


# ---- sum / mean ------------------------------------------------------------------------------
class Sum(Function):
    """y = sum_{axes} x;  dx = g broadcast back over axes"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.meta = (x._data.shape, axes, keepdim)
        return backend_of(x._data).reduce_sum(x._data, axes, keepdim, dtype)

    @staticmethod
    def backward(ctx, g):
        in_shape, axes, keepdim = ctx.meta
        return _expand_back(g, in_shape, axes, keepdim), None, None, None


def _sum_dtype(x, dtype):
    if dtype is not None:
        return _dtypes.as_dtype(dtype).np
    kind = x._data.dtype.kind
    return _dtypes.int64.np if kind in "biu" else None


def sum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum over ``dim`` (all dims when None); ints and bools sum in int64."""
    axes = dims_arg(dim, input._data.ndim, "sum")
    if input._data.ndim == 0:  # dim 0 / -1 of a 0-d tensor is the tensor itself
        axes = None
    return Sum.apply(input, axes, keepdim, _sum_dtype(input, dtype))


class Mean(Function):
    """y = mean_{axes} x;  dx = g / n broadcast back over axes"""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        shape = x._data.shape
        n = _count(shape, axes)
        ctx.meta = (shape, axes, keepdim, n)
        return backend_of(x._data).reduce_mean(x._data, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        in_shape, axes, keepdim, n = ctx.meta
        return _expand_back(g / n if n else g * float("nan"), in_shape, axes, keepdim), None, None


def _count(shape, axes) -> int:
    n = 1
    for i in range(len(shape)) if axes is None else axes:
        n *= shape[i]
    return n


def mean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Mean over ``dim``; float (or the given dtype) inputs only, as in PyTorch."""
    if dtype is not None:
        input = input.to(_dtypes.as_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.name.capitalize()}"
        )
    axes = dims_arg(dim, input._data.ndim, "mean")
    if input._data.ndim == 0:
        axes = None
    return Mean.apply(input, axes, keepdim)


# ---- prod ------------------------------------------------------------------------------------
class Prod(Function):
    """y = prod_{axis} x;  dx = g * prod_{j != i} x_j  (= g * y / x when x has no zero)"""

    @staticmethod
    def forward(ctx, x, axis, keepdim, dtype):
        ctx.meta = (x._data.shape, axis, keepdim)
        y = Tensor._make(backend_of(x._data).reduce_prod(x._data, axis, keepdim, dtype))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        in_shape, axis, keepdim = ctx.meta
        axes = None if axis is None else (axis,)
        gx = _expand_back(g, in_shape, axes, keepdim)
        if not bool((x._data == 0).any()):
            return gx * (_expand_back(y, in_shape, axes, keepdim) / x), None, None, None
        if axis is None:  # product of every element: work along the flattened input
            others = reshape(_prod_others(reshape(x, (-1,)), 0), in_shape)
        else:
            others = _prod_others(x, axis)
        return gx * others, None, None, None


def _prod_others(x, axis):
    """prod_{j != i} x_j along ``axis``, exact with zeros in ``x``."""
    if not _state.enabled:
        # First-order backward: exclusive prefix times exclusive suffix products, O(n).
        xp = xp_of(x)
        a = xp.moveaxis(x._data, axis, -1)
        ones = xp.ones(a.shape[:-1] + (1,), dtype=a.dtype)
        before = xp.cumprod(xp.concatenate([ones, a[..., :-1]], axis=-1), axis=-1)
        after = xp.cumprod(xp.concatenate([ones, a[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        return _const(xp.moveaxis(before * after, -1, axis))
    # create_graph: a differentiable O(n^2) form, rows of x with their own entry set to 1.
    xm = movedim(x, axis, -1)
    return movedim(prod(_drop_diagonal(xm), -1), -1, axis)


def _drop_diagonal(xm):
    """(..., n) -> (..., n, n) with row i holding x but 1 at position i."""
    n = xm._data.shape[-1]
    eye = _const(xp_of(xm).eye(n, dtype=bool))
    return where(eye, 1.0, unsqueeze(xm, -2))


def prod(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Product over one dim (or all elements); ints and bools multiply in int64."""
    check_tensor(input, "prod")
    if isinstance(dim, (tuple, list)):
        raise TypeError("prod(): argument 'dim' must be int or None, not a sequence")
    axis = None if dim is None else wrap_dim(dim, input._data.ndim, "prod")
    if axis is not None and input._data.ndim == 0:
        axis = None
    return Prod.apply(input, axis, keepdim, _sum_dtype(input, dtype))


# ---- cumsum / cumprod ------------------------------------------------------------------------
def _cum_axis(x, dim, op):
    nd = x._data.ndim
    axis = wrap_dim(dim, nd, op)
    return axis if nd else None  # a 0-d input is its own running sum/product


class Cumsum(Function):
    """y_k = sum_{i<=k} x_i (reverse: sum_{i>=k});  dx = the cumsum of g in the other direction"""

    @staticmethod
    def forward(ctx, x, axis, reverse, dtype):
        ctx.meta = (axis, reverse)
        xd = x._data
        if axis is None:  # 0-d input
            return xd.astype(dtype) if dtype is not None else xd.copy()
        xp = xp_of(x)
        if reverse:
            return xp.flip(xp.cumsum(xp.flip(xd, axis), axis=axis, dtype=dtype), axis)
        return xp.cumsum(xd, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        axis, reverse = ctx.meta
        return Cumsum.apply(g, axis, not reverse, None), None, None, None


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``; ints and bools accumulate in int64."""
    check_tensor(input, "cumsum")
    return Cumsum.apply(input, _cum_axis(input, dim, "cumsum"), False, _sum_dtype(input, dtype))


class Cumprod(Function):
    """y_k = prod_{i<=k} x_i;  dx_i = sum_{k>=i} g_k prod_{j<=k, j!=i} x_j
    (= revcumsum(g * y)_i / x_i when x has no zero)"""

    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        xd = x._data
        if axis is None:
            y = Tensor._make(xd.astype(dtype) if dtype is not None else xd.copy())
        else:
            y = Tensor._make(xp_of(x).cumprod(xd, axis=axis, dtype=dtype))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        axis = ctx.axis
        if axis is None:
            return g, None, None
        if not bool((x._data == 0).any()):
            return Cumsum.apply(g * y, axis, True, None) / x, None, None
        if not _state.enabled:
            return _const(_cumprod_grad_zeros(x._data, y._data, g._data, axis)), None, None
        # create_graph: C[i, k] = prod_{j<=k, j!=i} x_j; dx_i = sum_{k>=i} g_k C[i, k]
        xm = movedim(x, axis, -1)
        n = xm._data.shape[-1]
        later = _const(xp_of(x).triu(xp_of(x).ones((n, n), dtype=bool)))
        c = cumprod(_drop_diagonal(xm), -1)
        gm = unsqueeze(movedim(g, axis, -1), -2)
        return movedim(sum(where(later, c * gm, 0.0), -1), -1, axis), None, None


def _cumprod_grad_zeros(x, y, g, axis):
    """Exact O(n) cumprod gradient with zeros (arrays; first-order backward only).

    Before the first zero of a slice the no-zero formula holds; at the first zero the gradient is
    revcumsum(g * y') where y' is the cumprod with that zero replaced by 1; after it, 0."""
    xp = backend_of(x).xp
    zero = x == 0
    seen = xp.cumsum(zero, axis=axis)
    before = seen == 0
    first = zero & (seen == 1)
    y_skip = xp.cumprod(xp.where(first, 1, x), axis=axis)

    def revcumsum(a):
        return xp.flip(xp.cumsum(xp.flip(a, axis), axis=axis), axis)

    at_first = revcumsum(g * y_skip)
    safe_x = xp.where(before, x, 1)
    return xp.where(before, revcumsum(g * y) / safe_x, xp.where(first, at_first, 0))


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``; gradient exact with zeros in the input."""
    check_tensor(input, "cumprod")
    return Cumprod.apply(input, _cum_axis(input, dim, "cumprod"), _sum_dtype(input, dtype))


TENSOR_METHODS = {
    name: globals()[name]
    for name in "sum mean prod cumsum cumprod".split()
}
