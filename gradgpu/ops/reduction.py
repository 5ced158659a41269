"""Reductions over ``dim`` (int, tuple or None) with ``keepdim``: sum, mean, prod, max/min,
amax/amin, argmax/argmin, var/std, logsumexp, norm, all/any, count_nonzero, and the scans
cumsum/cumprod.

Backward broadcasts the output gradient back over the reduced dims (``_expand_back``).
Reductions that pick elements (max with dim, sort, topk) route the gradient through the
gather/scatter pair ``TakeAlong``/``PutAlong`` defined here, which are each other's backward.
"""

from __future__ import annotations

import builtins
import collections
import math
import warnings

from .. import _dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ._common import Tensor, backend_of, check_tensor, dims_arg, wrap_dim, xp_of
from .elementwise import abs as _abs
from .elementwise import exp as _exp
from .elementwise import maximum, minimum, sign, sqrt, where
from .elementwise import pow as _pow
from .shape import expand, movedim, reshape, squeeze, unsqueeze


def _keepdim_shape(in_shape, axes):
    """The shape of a keepdim=True reduction of ``in_shape`` over ``axes`` (None = all)."""
    if axes is None:
        return (1,) * len(in_shape)
    return tuple(1 if i in axes else s for i, s in enumerate(in_shape))


def _expand_back(g, in_shape, axes, keepdim):
    """Broadcast a reduction's gradient back to the input shape."""
    if not keepdim:
        g = reshape(g, _keepdim_shape(in_shape, axes))
    return expand(g, in_shape)


def _quiet(x):
    return backend_of(x._data).quiet()


def _const(arr) -> Tensor:
    """A tensor outside the graph (masks, weights) wrapping ``arr``."""
    return Tensor._make(arr)


_RETURN_TYPES: dict = {}


def return_type(name: str, fields=("values", "indices")):
    """The named tuple class PyTorch returns from ``name`` (``torch.return_types.max``)."""
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        cls = collections.namedtuple(name, fields)
        cls.__module__ = "gradgpu.return_types"
        _RETURN_TYPES[name] = cls
    return cls


def _check_nonempty(x, axes, op):
    """PyTorch refuses to pick an element (max, argmax...) out of an empty reduced dim."""
    shape = x._data.shape
    for a in range(len(shape)) if axes is None else axes:
        if shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size "
                             f"(input shape {list(shape)}).")


def _require_float(x, op):
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input tensor, got {x.dtype}")


# ---- sum / mean ------------------------------------------------------------------------------
class Sum(Function):
    """y = sum_{axes} x;  dx = g broadcast back over axes"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.meta = (x._data.shape, axes, keepdim)
        return x._data.sum(axis=axes, keepdims=keepdim, dtype=dtype)

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
    return Sum.apply(input, axes, keepdim, _sum_dtype(input, dtype))


class Mean(Function):
    """y = mean_{axes} x;  dx = g / n broadcast back over axes"""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        shape = x._data.shape
        n = _count(shape, axes)
        ctx.meta = (shape, axes, keepdim, n)
        with _quiet(x):
            return x._data.mean(axis=axes, keepdims=keepdim)

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
    return Mean.apply(input, axes, keepdim)


# ---- prod ------------------------------------------------------------------------------------
class Prod(Function):
    """y = prod_{axis} x;  dx = g * prod_{j != i} x_j  (= g * y / x when x has no zero)"""

    @staticmethod
    def forward(ctx, x, axis, keepdim, dtype):
        ctx.meta = (x._data.shape, axis, keepdim)
        y = Tensor._make(x._data.prod(axis=axis, keepdims=keepdim, dtype=dtype))
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


# ---- amax / amin / max / min -----------------------------------------------------------------
class SelectEven(Function):
    """y = max / min / lower median of x over axes;  dx = g / count at every x equal to y
    (ties share the gradient evenly, as PyTorch's amax/amin and full max()/min()/median())"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, kind):
        xd = x._data
        xp = xp_of(x)
        if kind == "max":
            yd = xd.max(axis=axes, keepdims=keepdim)
        elif kind == "min":
            yd = xd.min(axis=axes, keepdims=keepdim)
        else:  # median of all elements (axes is None): the lower of the two middle values
            flat = xp.sort(xd.reshape(-1))
            yd = flat[(flat.size - 1) // 2].reshape((1,) * xd.ndim if keepdim else ())
        y = Tensor._make(xp.asarray(yd))
        ctx.meta = (xd.shape, axes, keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        in_shape, axes, keepdim = ctx.meta
        yk = y._data if keepdim else y._data.reshape(_keepdim_shape(in_shape, axes))
        hit = x._data == yk
        with _quiet(x):
            weights = (hit / hit.sum(axis=axes, keepdims=True)).astype(x._data.dtype)
        return _expand_back(g, in_shape, axes, keepdim) * _const(weights), None, None, None


def _amax_amin(input, dim, keepdim, kind, op):
    check_tensor(input, op)
    axes = dims_arg(dim, input._data.ndim, op)
    if input._data.ndim == 0:
        axes = None
    _check_nonempty(input, axes, op)
    return SelectEven.apply(input, axes, keepdim, kind)


def amax(input, dim=(), keepdim: bool = False):
    """Maximum over ``dim`` (int or tuple; all dims when empty); ties share the gradient."""
    return _amax_amin(input, dim, keepdim, "max", "amax")


def amin(input, dim=(), keepdim: bool = False):
    """Minimum over ``dim`` (int or tuple; all dims when empty); ties share the gradient."""
    return _amax_amin(input, dim, keepdim, "min", "amin")


class TakeAlong(Function):
    """y = x gathered at ``index`` along ``axis``;  dx = g put back at ``index`` (zeros elsewhere)

    ``index`` holds distinct positions within each slice (argmax, a sort permutation, topk)."""

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.meta = (index, axis, x._data.shape)
        return x._data[_along(xp_of(x), index._data, axis)]

    @staticmethod
    def backward(ctx, g):
        index, axis, in_shape = ctx.meta
        return PutAlong.apply(g, index, axis, in_shape), None, None


class PutAlong(Function):
    """y = zeros(shape) with g written at ``index`` along ``axis``;  dg = dy gathered at index"""

    @staticmethod
    def forward(ctx, g, index, axis, shape):
        ctx.meta = (index, axis)
        xp = xp_of(g)
        out = xp.zeros(shape, dtype=g._data.dtype)
        out[_along(xp, index._data, axis)] = g._data
        return out

    @staticmethod
    def backward(ctx, gy):
        index, axis = ctx.meta
        return TakeAlong.apply(gy, index, axis), None, None, None


def _along(xp, index, axis):
    """The advanced-index tuple that reads ``index`` along ``axis`` and every other dim in
    place (NumPy's take_along_axis, spelled with indexing both backends support)."""
    nd = index.ndim
    out = []
    for d in range(nd):
        if d == axis:
            out.append(index)
        else:
            shape = [1] * nd
            shape[d] = index.shape[d]
            out.append(xp.arange(index.shape[d]).reshape(shape))
    return tuple(out)


def take_along(input, index_arr, axis, keepdim=True):
    """Values of ``input`` at ``index_arr`` (an int64 array, same ndim) along ``axis``, and the
    indices as a tensor; squeezes ``axis`` from both unless ``keepdim``."""
    index = _const(index_arr)
    values = TakeAlong.apply(input, index, axis)
    if not keepdim:
        values, index = squeeze(values, axis), _const(index_arr.squeeze(axis))
    return values, index


def _max_min_dim(input, dim, keepdim, largest, op):
    xd = input._data
    nd = xd.ndim
    axis = wrap_dim(dim, nd, op)
    cls = return_type(op)
    if nd == 0:
        values = reshape(input, ())
        return cls(values, _const(xp_of(input).zeros((), dtype=_dtypes.int64.np)))
    _check_nonempty(input, (axis,), op)
    xp = xp_of(input)
    pick = xp.argmax if largest else xp.argmin
    idx = xp.expand_dims(pick(xd, axis=axis), axis).astype(_dtypes.int64.np, copy=False)
    return cls(*take_along(input, idx, axis, keepdim))


def _max_min(input, dim, keepdim, other, largest):
    op = "max" if largest else "min"
    check_tensor(input, op)
    if isinstance(dim, Tensor) or other is not None:
        return (maximum if largest else minimum)(input, dim if other is None else other)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        return SelectEven.apply(input, None, False, op)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__} "
                        f"(use amax/amin to reduce over several dims)")
    return _max_min_dim(input, dim, keepdim, largest, op)


def max(input, dim=None, keepdim: bool = False, *, other=None):
    """max(x): largest element (ties share the gradient); max(x, dim): (values, indices) with
    the gradient sent to the returned index; max(x, other): elementwise maximum."""
    return _max_min(input, dim, keepdim, other, True)


def min(input, dim=None, keepdim: bool = False, *, other=None):
    """min(x): smallest element (ties share the gradient); min(x, dim): (values, indices) with
    the gradient sent to the returned index; min(x, other): elementwise minimum."""
    return _max_min(input, dim, keepdim, other, False)


def _arg(input, dim, keepdim, largest, op):
    check_tensor(input, op)
    xd = input._data
    xp = xp_of(input)
    pick = xp.argmax if largest else xp.argmin
    if dim is None:
        if xd.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0 (input shape {list(xd.shape)}).")
        out = pick(xd.reshape(-1)).reshape((1,) * xd.ndim if keepdim else ())
    else:
        axis = wrap_dim(dim, xd.ndim, op)
        if xd.ndim == 0:
            return _const(xp.zeros((), dtype=_dtypes.int64.np))
        _check_nonempty(input, (axis,), op)
        out = pick(xd, axis=axis, keepdims=keepdim)
    return _const(xp.asarray(out, dtype=_dtypes.int64.np))


def argmax(input, dim=None, keepdim: bool = False):
    """Index of the largest element (of the flattened input when ``dim`` is None)."""
    return _arg(input, dim, keepdim, True, "argmax")


def argmin(input, dim=None, keepdim: bool = False):
    """Index of the smallest element (of the flattened input when ``dim`` is None)."""
    return _arg(input, dim, keepdim, False, "argmin")


# ---- var / std -------------------------------------------------------------------------------
class Var(Function):
    """y = sum_{axes} (x - mean)^2 / (n - correction);  dx = 2 g (x - mean) / (n - correction)"""

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        xd = x._data
        n = _count(xd.shape, axes)
        dof = builtins.max(n - correction, 0)
        ctx.meta = (xd.shape, axes, keepdim, dof)
        ctx.save_for_backward(x)
        with _quiet(x):
            dev = xd - xd.mean(axis=axes, keepdims=True)
            return (dev * dev).sum(axis=axes, keepdims=keepdim) / dof

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        in_shape, axes, keepdim, dof = ctx.meta
        scale = 2.0 / dof if dof else float("nan")
        centered = x - mean(x, axes, keepdim=True)
        return _expand_back(g, in_shape, axes, keepdim) * centered * scale, None, None, None


def _var_args(input, dim, unbiased, keepdim, correction, op):
    check_tensor(input, op)
    if isinstance(dim, bool):  # legacy var(input, unbiased)
        dim, unbiased = None, dim
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): std and var only support floating point and complex "
                           f"dtypes (got {input.dtype})")
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}(): cannot specify both 'unbiased' and 'correction'")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    axes = dims_arg(dim, input._data.ndim, op)
    if input._data.ndim == 0:
        axes = None
    n = _count(input._data.shape, axes)
    if n - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      f"than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return Var.apply(input, axes, correction, keepdim)


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance over ``dim`` with ``correction`` (default 1, Bessel) or legacy ``unbiased``."""
    return _var_args(input, dim, unbiased, keepdim, correction, "var")


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation: sqrt(var);  dx = g (x - mean) / ((n - correction) std)."""
    return sqrt(_var_args(input, dim, unbiased, keepdim, correction, "std"))


# ---- logsumexp -------------------------------------------------------------------------------
class LogSumExp(Function):
    """y = log sum_{axes} exp(x) (shifted by the max for stability);  dx = g * exp(x - y)
    (0 in slices that are all -inf, where PyTorch gives NaN)"""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xd = x._data
        xp = xp_of(x)
        with _quiet(x):
            if _count(xd.shape, axes) == 0:
                shape = _keepdim_shape(xd.shape, axes)
                y = xp.full(shape, -math.inf, dtype=xd.dtype)
            else:
                m = xd.max(axis=axes, keepdims=True)
                m = xp.where(xp.isfinite(m), m, 0)
                y = xp.log(xp.exp(xd - m).sum(axis=axes, keepdims=True)) + m
        if not keepdim:
            y = y.reshape(tuple(s for i, s in enumerate(xd.shape)
                                if not (axes is None or i in axes)))
        out = Tensor._make(y)
        ctx.meta = (xd.shape, axes, keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        in_shape, axes, keepdim = ctx.meta
        yk = _expand_back(y, in_shape, axes, keepdim)
        dead = _const(yk._data == -math.inf)
        with _quiet(x):
            w = _exp(x - where(dead, 0.0, yk))
        return _expand_back(g, in_shape, axes, keepdim) * w, None, None


def logsumexp(input, dim, keepdim: bool = False):
    """log(sum(exp(x))) over ``dim``, exact for large |x| and -inf slices."""
    check_tensor(input, "logsumexp")
    if input._data.dtype.kind != "f":
        input = input.to(_dtypes.get_default_dtype())
    axes = dims_arg(dim, input._data.ndim, "logsumexp")
    if input._data.ndim == 0:
        axes = None
    return LogSumExp.apply(input, axes, keepdim)


# ---- norm ------------------------------------------------------------------------------------
class PNorm(Function):
    """y = (sum_{axes} |x|^p)^(1/p);  dx = g * sign(x) |x|^(p-1) / y^(p-1)  (0 where y == 0,
    PyTorch's subgradient at the zero vector)"""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        xd = x._data
        xp = xp_of(x)
        with _quiet(x):
            if p == 2:
                y = xp.sqrt((xd * xd).sum(axis=axes, keepdims=keepdim))
            else:
                y = (xp.abs(xd) ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        out = Tensor._make(xp.asarray(y, dtype=xd.dtype))
        ctx.meta = (xd.shape, p, axes, keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        in_shape, p, axes, keepdim = ctx.meta
        yk = _expand_back(y, in_shape, axes, keepdim)
        zero = _const(yk._data == 0)
        y_safe = where(zero, 1.0, yk)
        gk = _expand_back(g, in_shape, axes, keepdim)
        with _quiet(x):
            if p == 2:
                dx = gk * x / y_safe
            else:
                dx = gk * sign(x) * _pow(_abs(x), p - 1) / _pow(y_safe, p - 1)
        return where(zero, 0.0, dx), None, None, None


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """Vector p-norm over ``dim`` (all elements when None): p = 2 ('fro'), 1, inf, -inf, 0 or
    any p > 0."""
    check_tensor(input, "norm")
    if dtype is not None:
        input = input.to(_dtypes.as_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"norm(): Expected a floating point tensor as input. Got "
                           f"{input.dtype}")
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm(): unsupported norm type '{p}' (supported: 'fro' and "
                           "numbers p > 0, inf, -inf, 0)")
    axes = dims_arg(dim, input._data.ndim, "norm")
    if input._data.ndim == 0:
        axes = None
    if p == math.inf:
        return _amax_amin(_abs(input), axes or (), keepdim, "max", "norm")
    if p == -math.inf:
        return _amax_amin(_abs(input), axes or (), keepdim, "min", "norm")
    if p == 0:
        nonzero = _const((input._data != 0).astype(input._data.dtype))
        return sum(nonzero, axes, keepdim)
    if p == 1:
        return sum(_abs(input), axes, keepdim)
    if p < 0:
        raise RuntimeError(f"norm(): p must be positive, inf, -inf or 0 (got {p})")
    return PNorm.apply(input, float(p), axes, keepdim)


# ---- all / any / count_nonzero (not differentiable) ------------------------------------------
def _logical_reduce(input, dim, keepdim, op):
    check_tensor(input, op)
    xd = input._data
    axes = dims_arg(dim, xd.ndim, op)
    if xd.ndim == 0:
        axes = None
    out = getattr(xd, op)(axis=axes, keepdims=keepdim)
    out = xp_of(input).asarray(out)
    # PyTorch keeps uint8 for uint8 inputs and gives bool otherwise
    return _const(out.astype(xd.dtype) if xd.dtype == _dtypes.uint8.np else out)


def all(input, dim=None, keepdim: bool = False):
    """Whether every element (over ``dim``) is nonzero, as a bool tensor."""
    return _logical_reduce(input, dim, keepdim, "all")


def any(input, dim=None, keepdim: bool = False):
    """Whether some element (over ``dim``) is nonzero, as a bool tensor."""
    return _logical_reduce(input, dim, keepdim, "any")


def count_nonzero(input, dim=None):
    """Number of nonzero elements over ``dim`` (int or tuple), as int64."""
    check_tensor(input, "count_nonzero")
    xd = input._data
    axes = dims_arg(dim, xd.ndim, "count_nonzero")
    if xd.ndim == 0:
        axes = None
    out = (xd != 0).sum(axis=axes, dtype=_dtypes.int64.np)
    return _const(xp_of(input).asarray(out))


TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "sum mean prod cumsum cumprod amax amin max min argmax argmin var std logsumexp norm "
        "all any count_nonzero"
    ).split()
}
