"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward`` (the
functional body of ``nn.MultiheadAttention``), both composed from matmul, softmax, dropout,
add and where, so every order of gradient comes from those ops; a causal mask is one
``CausalSoftmax`` node (mask and softmax, softmax's backward).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd.function import Function
from ._common import Tensor, backend_of, check_tensor, same_device, xp_of
from .activation import SoftmaxGrad, softmax
from .dropout import dropout
from .elementwise import where
from .layers import linear
from .linalg import matmul

_NEG_INF = float("-inf")


def _check_mask_dtype(mask, op: str, query) -> None:
    kind = mask._data.dtype.kind
    if kind not in "bf":
        raise RuntimeError(f"{op}(): Expected attn_mask dtype to be bool or float or to match "
                           f"query dtype, but got attn_mask.dtype: {mask.dtype} and "
                           f"query.dtype: {query.dtype} instead.")


def _mask_fits(mask_shape, scores_shape) -> bool:
    try:
        return np.broadcast_shapes(tuple(mask_shape), tuple(scores_shape)) == tuple(scores_shape)
    except ValueError:
        return False


def _gqa_expand(t, heads: int, name: str):
    """Key/value heads repeated to ``heads`` query heads (grouped-query attention)."""
    if t._data.ndim < 3:
        raise RuntimeError("scaled_dot_product_attention(): enable_gqa needs a heads dim -3 "
                           f"in query, key and value, got {name} of shape {list(t.shape)}")
    kv = t._data.shape[-3]
    if heads % kv:
        raise RuntimeError(f"scaled_dot_product_attention(): number of heads in {name} "
                           f"({kv}) must divide the number of heads in query ({heads})")
    return t if kv == heads else t.repeat_interleave(heads // kv, dim=-3)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, enable_gqa: bool = False):
    """softmax(q k^T * scale + mask) v over the last two dims (batch dims in front).

    ``scale`` defaults to 1/sqrt(E). A bool mask keeps the True positions (the others get
    -inf); a float mask is added to the scores; ``is_causal`` keeps key j <= query i
    (upper-left aligned). Rows whose scores are all -inf give zero output and zero gradient,
    as PyTorch's safe softmax does. Gradients flow through matmul/softmax/add/where.
    """
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        check_tensor(t, op, name)
    same_device(op, query, key, value, attn_mask)
    q, k, v = query, key, value
    if min(q._data.ndim, k._data.ndim, v._data.ndim) < 2:
        raise RuntimeError(f"{op}(): Expected query, key, and value to all be at least 2 "
                           f"dimensional, but got query.dim: {q._data.ndim} key.dim: "
                           f"{k._data.ndim} and value.dim: {v._data.ndim} instead.")
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(f"{op}(): Expected query, key, and value to have the same dtype, but "
                           f"got query.dtype: {q.dtype} key.dtype: {k.dtype} and value.dtype: "
                           f"{v.dtype} instead.")
    if q._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected floating point query, key and value, got "
                           f"{q.dtype}")
    if k._data.shape[-1] != q._data.shape[-1] or v._data.shape[-2] != k._data.shape[-2]:
        raise RuntimeError(f"{op}(): query {list(q.shape)}, key {list(k.shape)} and value "
                           f"{list(v.shape)} do not fit: expected query (..., L, E), key "
                           f"(..., S, E) and value (..., S, Ev)")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}(): Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa:
        heads = q._data.shape[-3] if q._data.ndim >= 3 else 1
        k = _gqa_expand(k, heads, "key")
        v = _gqa_expand(v, heads, "value")
    scale = 1.0 / math.sqrt(q._data.shape[-1]) if scale is None else float(scale)
    scores = matmul(q * scale, k.mT)
    if is_causal:
        weights = CausalSoftmax.apply(scores)
    elif attn_mask is None:
        weights = softmax(scores, -1)
    else:
        _check_mask_dtype(attn_mask, op, q)
        if not _mask_fits(attn_mask.shape, scores.shape):
            raise RuntimeError(f"{op}(): attn_mask of shape {list(attn_mask.shape)} cannot be "
                               f"broadcast to the attention scores' shape {list(scores.shape)}")
        if attn_mask._data.dtype.kind == "b":
            scores = where(attn_mask, scores, _NEG_INF)
        else:
            scores = scores + attn_mask.to(q.dtype)
        # safe softmax: a row with no admissible key would be 0/0; give it zeros instead. The
        # test runs on the data (no host sync); both wheres cut the gradient of such rows.
        blank = Tensor._make((scores._data == _NEG_INF).all(axis=-1, keepdims=True))
        weights = where(blank, 0.0, softmax(where(blank, 0.0, scores), -1))
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return matmul(weights, v)


class CausalSoftmax(Function):
    """y = softmax(where(key j <= query i, x, -inf)) along the last dim of scores (..., L, S);
    dx = y * (g - sum(g * y)), softmax's backward (0 at the masked entries, where y is 0).

    One node for mask and softmax: the backend may skip the masked half (the host kernels do),
    and masked entries give 0 whatever they hold, as PyTorch's masked_fill (an additive -inf
    bias turned a masked NaN or +inf into a NaN row); a query whose visible scores are all -inf
    gets zeros (PyTorch's safe softmax), whose gradient is 0 too."""

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(backend_of(x._data).causal_softmax(x._data))
        ctx.dim = x._data.ndim - 1
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return SoftmaxGrad.apply(g, y, ctx.dim)


# ---- multi-head attention -------------------------------------------------------------------
def _canonical_mask(mask, name: str, dtype):
    """A bool mask (True = masked out) as an additive float mask; float masks pass through."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind not in "bf":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if kind == "f":
        return mask
    xp = xp_of(mask)
    return Tensor._make(xp.where(mask._data, _NEG_INF, 0.0).astype(dtype.np))


def _pad_last(mask):
    """Append one admissible (0) column to an additive mask."""
    from .layers import pad

    return pad(mask, (0, 1))


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    qd, kd, vd = query.dim(), key.dim(), value.dim()
    if qd == 3:
        if kd != 3 or vd != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {kd}-D and {vd}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if qd == 2:
        if kd != 2 or vd != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {kd}-D and {vd}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to "
                                 f"be `None` or 1-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor "
                                     "instead")
            want = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != want:
                raise AssertionError(f"Expected `attn_mask` shape to be {want} but got "
                                     f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{qd}-D query tensor")


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate):
    """q, k, v = the three input projections (packed weight rows [q; k; v], or separate)."""
    if separate is None:
        if query is key and key is value:  # self-attention: one matmul for all three
            return linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
        ws = in_proj_weight.chunk(3)
    else:
        ws = separate
    bs = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), ws, bs))


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight,
                                 out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False):
    """Multi-head attention on sequence-first inputs (L, N, E) / (S, N, Ek) (or unbatched
    (L, E)): per head softmax(q k^T / sqrt(d) + mask) v, heads concatenated, then the output
    projection. Returns (output, attention weights (N, L, S) averaged over heads, or per head
    (N, H, L, S), or None when ``need_weights`` is False). Masks: True = masked out."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        check_tensor(t, "multi_head_attention_forward", name)
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward(): static_k / static_v are not "
                                  "supported")
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if (key_padding_mask is not None and attn_mask is not None
            and key_padding_mask.dtype != attn_mask.dtype):
        warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use "
                      "same type for both instead.", UserWarning, stacklevel=2)
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone drives the causal mask inside sdpa
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer purely causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not "
                                 f"match value's {tuple(value.shape[:2])}")
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
        if any(w is None for w in separate):
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                                 "k_proj_weight or v_proj_weight is None")
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                                 f"{tuple(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        separate = None
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            want = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != want:
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {want}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        from .shape import cat

        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must be given together")

    # heads become part of the batch: (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)

    if add_zero_attn:
        from .shape import cat

        xp = xp_of(k)
        zeros = Tensor._make(xp.zeros((bsz * num_heads, 1, head_dim), dtype=k._data.dtype))
        k = cat([k, zeros], dim=1)
        v = cat([v, zeros.to(v.dtype)], dim=1)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"Expected key_padding_mask of shape {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        key_padding_mask = (key_padding_mask.reshape(bsz, 1, 1, src_len)
                            .expand(-1, num_heads, -1, -1)
                            .reshape(bsz * num_heads, 1, src_len))
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("is_causal needs attn_mask when need_weights is True")
        scores = matmul(q * math.sqrt(1.0 / head_dim), k.mT)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, training=True)
        out = matmul(weights, v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not is_batched:
        out = out.squeeze(1)
    return out, None


TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}  # PyTorch has these under nn.functional only
