"""Layer ops: linear, embedding, layer_norm, normalize, pad; and the flat
gather / scatter-add pair that embedding, cross_entropy and max-pooling differentiate through.

``GatherFlat`` and ``ScatterAddFlat`` are each other's backward, so every op built on them is
differentiable to any order.
"""

from __future__ import annotations

import math
import operator

from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_state
from ..autograd.grad_mode import no_grad
from . import elementwise as ew
from ._common import (
    Tensor,
    backend_of,
    binary_arrays,
    check_tensor,
    fused_ok,
    index_bounds,
    same_device,
    xp_of,
)
from .linalg import folded_matmul, folded_rows, matmul
from .reduction import norm as _norm
from .reduction import sum as _sum


# ---- flat gather / scatter-add --------------------------------------------------------------
class GatherFlat(Function):
    """y = x.ravel()[index] (index: int array, any shape);  dx = scatter_add(g, index)"""

    @staticmethod
    def forward(ctx, x, index):
        ctx.index = index
        ctx.in_shape = x._data.shape
        return backend_of(x._data).take_flat(x._data, index)

    @staticmethod
    def backward(ctx, g):
        return ScatterAddFlat.apply(g, ctx.index, ctx.in_shape), None


class ScatterAddFlat(Function):
    """y = zeros(shape) with y.ravel()[index] += g (repeats summed);  dg = y_grad.ravel()[index]
    (a gather)"""

    @staticmethod
    def forward(ctx, g, index, shape):
        ctx.index = index
        size = math.prod(shape)
        return backend_of(g._data).scatter_add_flat(g._data, index, size).reshape(shape)

    @staticmethod
    def backward(ctx, gg):
        return GatherFlat.apply(gg, ctx.index), None, None


# ---- linear ---------------------------------------------------------------------------------
def linear(input, weight, bias=None):
    """y = input @ weight^T + bias over any leading batch dims."""
    check_tensor(input, "linear")
    check_tensor(weight, "linear", "weight")
    same_device("linear", input, weight, bias)
    if weight._data.ndim not in (1, 2):
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D, got shape {list(weight.shape)}")
    if input._data.dtype != weight._data.dtype:  # as PyTorch: no promotion in matrix products
        raise RuntimeError(f"linear(): expected input and weight to have the same dtype, but got "
                           f"{input.dtype} {list(input.shape)} and {weight.dtype} "
                           f"{list(weight.shape)}")
    in_features = weight._data.shape[-1]
    if input._data.ndim == 0 or input._data.shape[-1] != in_features:
        raise RuntimeError(
            f"linear(): input and weight shapes cannot be multiplied: input "
            f"{list(input.shape)} has {input._data.shape[-1] if input._data.ndim else 0} "
            f"features, weight {list(weight.shape)} expects {in_features}"
        )
    if bias is not None:
        check_tensor(bias, "linear", "bias")
        if bias._data.dtype != input._data.dtype:  # as PyTorch: no promotion by the bias either
            raise RuntimeError(f"linear(): expected bias of the input's dtype {input.dtype}, "
                               f"but got {bias.dtype}")
    if weight._data.ndim == 1:
        out = matmul(input, weight)
        return out + bias if bias is not None else out
    if bias is not None:
        if bias._data.shape not in ((weight._data.shape[0],), (1,), ()):
            raise RuntimeError(f"linear(): bias of shape {list(bias.shape)} does not match "
                               f"weight {list(weight.shape)}")
    return Linear.apply(input, weight, bias)


class Linear(Function):
    """y = x W^T + b;  dx = g W,  dW = g^T x (batch dims flattened),  db = sum of g over batch.

    One node instead of transpose + matmul + add, and dW comes out of the matmul contiguous
    and owned, so it becomes ``weight.grad`` without a copy."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ad, wd = binary_arrays(x, weight, "linear")
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = folded_matmul(xp_of(x), ad, wd.T)
        if bias is not None:
            out += bias._data  # out is fresh: add the bias in place
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        gd, xd, wd = g._data, x._data, weight._data
        if type(gd) is type(xd) is type(wd) and fused_ok(g, x, weight):
            return _linear_grads_on_arrays(gd, xd, wd, need, ctx.has_bias)
        gx = matmul(g, weight) if need[0] else None
        gw = gb = None
        if need[1]:
            g2 = g.reshape(folded_rows(g.shape), g.shape[-1]) if g.ndim != 2 else g
            x2 = x.reshape(folded_rows(x.shape), x.shape[-1]) if x.ndim != 2 else x
            gw = matmul(g2.mT, x2)
        if ctx.has_bias and need[2]:
            gb = g.sum(tuple(range(g.ndim - 1))) if g.ndim > 1 else g
        return gx, gw, gb


def _linear_grads_on_arrays(g, x, w, need, has_bias):
    """Linear's three gradients straight from the arrays, with no graph to build: the same
    products and sum as the differentiable formulas, without a node for each."""
    xp = backend_of(g).xp
    gx = Tensor._make(folded_matmul(xp, g, w)) if need[0] else None
    gw = gb = None
    if need[1]:
        gw = Tensor._make(xp.matmul(g.reshape(folded_rows(g.shape), g.shape[-1]).T,
                                    x.reshape(folded_rows(x.shape), x.shape[-1])))
    if has_bias and need[2]:
        gb = Tensor._make(backend_of(g).reduce_sum(g, tuple(range(g.ndim - 1)), False)
                          if g.ndim > 1 else g)
    return gx, gw, gb


# ---- embedding ------------------------------------------------------------------------------
class Embedding(Function):
    """y = weight[index];  dweight = index_add(zeros, index, g * scale) (zero on padding rows)"""

    @staticmethod
    def forward(ctx, weight, idx, scale):
        ctx.idx = idx  # int64, the input's shape: what backward keeps (not one index per output)
        ctx.scale = scale  # None, or a constant array: padding mask / 1 / frequency
        ctx.w_shape = weight._data.shape
        # whole rows: on the GPU CuPy's take, the row gather we would write
        return xp_of(weight).take(weight._data, idx, axis=0)

    @staticmethod
    def backward(ctx, g):
        if ctx.scale is not None:
            g = g * Tensor._make(ctx.scale)
        xp = xp_of(g)
        dim = ctx.w_shape[1]
        flat = ctx.idx[..., None] * dim + xp.arange(dim)  # for our scatter-add kernel, then freed
        return ScatterAddFlat.apply(g, flat, ctx.w_shape), None, None


def embedding_table(weight, padding_idx, op: str) -> tuple:
    """(num_embeddings, dim, padding_idx made non-negative or None) of a 2-D ``weight``."""
    if weight._data.ndim != 2:
        raise RuntimeError(f"{op}(): 'weight' must be 2-D, got shape {list(weight.shape)}")
    num, dim = weight._data.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"{op}(): padding_idx {padding_idx} must be within "
                             f"num_embeddings {num}")
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
    return num, dim, padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False):
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input`` (any shape)."""
    check_tensor(input, "embedding")
    check_tensor(weight, "embedding", "weight")
    same_device("embedding", input, weight)
    if sparse:
        raise NotImplementedError("embedding(): sparse gradients are not supported")
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding(): expected indices of an integer dtype (Long, Int), "
                           f"but got {input.dtype}")
    num, dim, padding_idx = embedding_table(weight, padding_idx, "embedding")
    xp = xp_of(input)
    if idx.size:
        lo, hi = index_bounds(idx)
        if lo < 0 or hi >= num:
            raise IndexError(f"embedding(): index {lo if lo < 0 else hi} is out of range for "
                             f"num_embeddings {num} (weight {list(weight.shape)})")
    idx = idx.astype(xp.int64, copy=False)
    if max_norm is not None:
        _embedding_renorm(weight, idx, float(max_norm), float(norm_type))
    scale = None
    if padding_idx is not None or scale_grad_by_freq:
        dt = weight._data.dtype
        scale = xp.ones(idx.shape + (1,), dtype=dt)
        if scale_grad_by_freq:
            counts = xp.bincount(idx.reshape(-1), minlength=num)
            scale = scale / counts[idx][..., None].astype(dt)
        if padding_idx is not None:
            scale = scale * (idx != padding_idx)[..., None]
    return Embedding.apply(weight, idx, scale)


def _embedding_renorm(weight, idx, max_norm, norm_type):
    """PyTorch's embedding_renorm_: rows used by ``idx`` whose norm exceeds max_norm are
    scaled in place to max_norm (outside autograd, as PyTorch does)."""
    xp = xp_of(weight)
    rows = xp.unique(idx.reshape(-1))
    w = weight._data
    with no_grad():
        sel = w[rows]
        norms = (xp.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        big = norms > max_norm
        scale = xp.where(big, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
        w[rows] = sel * scale[:, None]
    weight._version_counter[0] += 1


# ---- layer_norm -----------------------------------------------------------------------------
class LayerNormCore(Function):
    """(xhat, rstd) with xhat = (x - mean) * rstd, rstd = (var + eps)^-1/2 over the last k dims;
    dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat)) - g_rstd * rstd^2 * xhat / n"""

    @staticmethod
    def forward(ctx, x, axes, eps):
        xhat, rstd = backend_of(x._data).layer_norm_fwd(x._data, axes, eps)
        xhat, rstd = Tensor._make(xhat), Tensor._make(rstd)
        ctx.axes = axes
        ctx.n = math.prod(x._data.shape[a] for a in axes)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(xhat, rstd)
        return xhat, rstd

    @staticmethod
    def backward(ctx, gx, gr):
        xhat, rstd = ctx.saved_tensors
        axes, n = ctx.axes, ctx.n
        dx = None
        if gx is not None and not _grad_state.enabled:
            # no graph is being built (create_graph=False): one fused kernel for the gx term
            be = backend_of(xhat._data)
            dx = Tensor._make(be.layer_norm_bwd(gx._data, xhat._data, rstd._data, axes))
        elif gx is not None:
            mean_g = _sum(gx, axes, keepdim=True) / n
            mean_gx = _sum(gx * xhat, axes, keepdim=True) / n
            dx = rstd * (gx - mean_g - xhat * mean_gx)
        if gr is not None:
            d = gr * (rstd * rstd) * xhat * (-1.0 / n)
            dx = d if dx is None else dx + d
        return dx, None, None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing ``normalized_shape``."""
    check_tensor(input, "layer_norm")
    same_device("layer_norm", input, weight, bias)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = tuple(int(s) for s in shape)
    k = len(shape)
    in_shape = tuple(input._data.shape)
    if k == 0 or input._data.ndim < k or in_shape[input._data.ndim - k:] != shape:
        raise RuntimeError(
            f"layer_norm(): Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(in_shape)}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p._data.shape) != shape:
            raise RuntimeError(f"layer_norm(): Expected {name} to be of same shape as "
                               f"normalized_shape {list(shape)}, but got {name} of shape "
                               f"{list(p.shape)}")
        if p is not None and p._data.dtype != input._data.dtype:
            raise RuntimeError(f"layer_norm(): expected {name} of the input's dtype "
                               f"{input.dtype}, but got {p.dtype}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"layer_norm(): expected a floating point input, got {input.dtype}")
    if not isinstance(eps, (int, float)) or isinstance(eps, bool):
        raise TypeError(f"layer_norm(): eps must be a number, not {type(eps).__name__}")
    nd = input._data.ndim
    out, _ = LayerNormCore.apply(input, tuple(range(nd - k, nd)), float(eps))
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# ---- normalize ------------------------------------------------------------------------------
def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """x / max(||x||_p along dim, eps)."""
    check_tensor(input, "normalize")
    if out is not None:
        raise NotImplementedError("normalize(): out= is not supported")
    from ._common import wrap_dim

    d = wrap_dim(dim, input._data.ndim, "normalize")
    # PyTorch's x / norm(x, p).clamp_min(eps) through our norm, which handles every p (inf's
    # max, 0's count, p < 1's infinite slope at 0) and gives the zero vector a zero subgradient
    # (the power-sum formula divided by 1 for p = inf and made NaN gradients at 0 for p < 1)
    norm = _norm(input, p, d, keepdim=True)
    return input / ew.clamp(norm, min=eps)


# ---- pad ------------------------------------------------------------------------------------
class PadConstant(Function):
    """y = x padded (or cropped, for negative widths) with ``value``;  dx = g cropped (or
    padded with 0) by the negated widths"""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        xp = xp_of(x)
        xd = x._data
        crop = tuple(slice(max(-a, 0), s - max(-b, 0)) for (a, b), s in zip(widths, xd.shape))
        xd = xd[crop]
        grow = [(max(a, 0), max(b, 0)) for a, b in widths]
        if any(a or b for a, b in grow):
            shape = tuple(s + a + b for s, (a, b) in zip(xd.shape, grow))
            out = xp.full(shape, value, dtype=xd.dtype)
            out[tuple(slice(a, a + s) for s, (a, _) in zip(xd.shape, grow))] = xd
            return out
        return xp.ascontiguousarray(xd)

    @staticmethod
    def backward(ctx, g):
        return PadConstant.apply(g, tuple((-a, -b) for a, b in ctx.widths), 0), None, None


def pad(input, pad, mode: str = "constant", value=None):
    """Pad the last len(pad) // 2 dims: ``pad`` = (last_left, last_right, prev_left, ...);
    negative widths crop. ``mode``: 'constant' (``value``, any dims), or 'reflect',
    'replicate', 'circular' (the last 1, 2 or 3 dims of a batched or unbatched input)."""
    check_tensor(input, "pad")
    try:  # ints only, as PyTorch: int() would truncate a float width silently
        pad = tuple(operator.index(p) for p in pad)
    except TypeError:
        raise TypeError(f"pad(): argument 'pad' must be a tuple of ints, but got "
                        f"{list(pad)}") from None
    nd = input._data.ndim
    if len(pad) % 2:
        raise RuntimeError(f"pad(): Padding length must be divisible by 2 (got pad {list(pad)})")
    if len(pad) // 2 > nd:
        raise RuntimeError(f"pad(): Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {nd}")
    if mode != "constant":
        from .padding import pad_nonconstant  # lazily: it builds on the indexing ops

        return pad_nonconstant(input, pad, mode, value)
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for (a, b), s in zip(widths, input._data.shape):
        # the crops (negative widths) apply to the input as it is, before any padding
        if s + min(a, 0) + min(b, 0) < 0:
            raise RuntimeError(f"pad(): cannot crop {-min(a, 0) - min(b, 0)} elements from a dim "
                               f"of size {s} (pad {list(pad)}, input {list(input.shape)}): "
                               "narrow(): length must be non-negative.")
    return PadConstant.apply(input, tuple(widths), 0 if value is None else value)


TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
