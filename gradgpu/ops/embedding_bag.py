"""embedding_bag: sums, means or maxima of bags of embedding rows, without forming the
(bags, length, dim) tensor, as PyTorch's.

Composed from differentiable ops: the rows are looked up with ``embedding``, optionally scaled
by ``per_sample_weights``, then reduced per bag with ``index_add`` (sum / mean) or
``scatter_reduce(amax)`` (max). Entries equal to ``padding_idx`` and entries past the last bag
go to one extra "dump" bag that is cut off at the end, so they count nowhere.
"""

from __future__ import annotations

from .. import _factories
from ._common import Tensor, check_tensor, same_device, xp_of
from .indexing import index_add, scatter_reduce
from .layers import embedding, embedding_table

_MODES = ("sum", "mean", "max")


def _bag_ids(input, offsets, include_last_offset: bool, xp):
    """(flat indices, bag id per entry, number of bags) for 1-D input + offsets or 2-D input."""
    idx = input._data
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets)}")
        bags, length = idx.shape
        return idx.reshape(-1), xp.arange(bags * length, dtype=xp.int64) // max(length, 1), bags
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{idx.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    check_tensor(offsets, "embedding_bag", "offsets")
    off = offsets._data
    if off.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    if off.dtype.kind not in "iu":
        raise RuntimeError(f"embedding_bag(): expected offsets of an integer dtype (Long, Int), "
                           f"but got {offsets.dtype}")
    bags = off.shape[0] - 1 if include_last_offset else off.shape[0]
    if off.shape[0]:
        # PyTorch's checks; one device-to-host copy of two numbers
        first, last = (int(v) for v in xp.stack((off[0], off[-1])).tolist())
        if first != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                               f"mini-batch has to start from position 0. However, got {first}")
        if last > idx.shape[0]:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length "
                               f"{idx.shape[0]} but got offsets[-1] of {last}")
    pos = xp.arange(idx.shape[0], dtype=off.dtype)
    bag = xp.searchsorted(off, pos, side="right").astype(xp.int64) - 1
    return idx, xp.minimum(bag, max(bags, 0)), max(bags, 0)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx=None):
    """y[b] = reduce over the entries i of bag b of (w_i *) weight[input[i]], reduce in
    'sum', 'mean', 'max'; bag b is input[offsets[b]:offsets[b + 1]] (1-D input) or row b of a
    2-D input; empty bags give zeros; ``padding_idx`` entries are skipped (not counted by
    'mean'). dweight / dper_sample_weights follow from the composition."""
    check_tensor(input, "embedding_bag")
    check_tensor(weight, "embedding_bag", "weight")
    same_device("embedding_bag", input, weight)
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if sparse:
        raise NotImplementedError("embedding_bag(): sparse gradients are not supported")
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.dtype} instead "
                           f"(while checking arguments for embedding_bag)")
    if per_sample_weights is not None:
        check_tensor(per_sample_weights, "embedding_bag", "per_sample_weights")
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                f"on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape})"
                             f" is not None, then it must have the same shape as the input "
                             f"({input.shape})")
    num, dim, padding_idx = embedding_table(weight, padding_idx, "embedding_bag")
    xp = xp_of(input)
    flat, bag, bags = _bag_ids(input, offsets, include_last_offset, xp)
    flat = flat.astype(xp.int64)
    if padding_idx is not None:
        bag = xp.where(flat == padding_idx, bags, bag)  # into the dump bag
    rows = embedding(Tensor._make(flat), weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1).to(rows.dtype)
    out = _factories.zeros((bags + 1, dim), dtype=weight.dtype, device=weight.device)
    if mode == "max":
        index = Tensor._make(xp.broadcast_to(bag[:, None], (bag.shape[0], dim)).copy())
        out = scatter_reduce(out, 0, index, rows, "amax", include_self=False)
    else:
        out = index_add(out, 0, Tensor._make(bag), rows)
    out = out[:bags]
    if mode == "mean":
        counts = xp.bincount(bag, minlength=bags + 1)[:bags]
        div = xp.maximum(counts, 1).astype(weight._data.dtype)[:, None]
        out = out / Tensor._make(div)
    return out


TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
