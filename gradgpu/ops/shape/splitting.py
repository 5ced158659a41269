"""NumPy-style splits: tensor_split (into n nearly equal sections, or at indices), and
hsplit/vsplit/dsplit. All pieces are views of the input (``Split`` when the pieces are
consecutive, one ``Slice`` each when unsorted indices make them overlap)."""

from __future__ import annotations

import operator

import numpy as np

from .._common import Tensor, wrap_dim
from .slicing import Split, _slice


def _sections(size: int, n: int) -> list:
    """The sizes of n sections of ``size``: the first size % n get one more."""
    if n <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {n}")
    q, r = divmod(size, n)
    return [q + 1] * r + [q] * (n - r)


def _bounds(size: int, indices) -> list:
    """(start, stop) of each piece cut at ``indices`` (Python slice rules: negative counts
    from the end, clamped to [0, size])."""
    cuts = [0]
    for i in indices:
        i = i + size if i < 0 else i
        cuts.append(min(max(i, 0), size))
    cuts.append(size)
    return [(a, max(a, b)) for a, b in zip(cuts[:-1], cuts[1:])]


def _split_arg(arg, op: str):
    """int sections or a list of indices, from an int, a sequence or an int64 tensor
    (0-d: sections, 1-d: indices; read on the host, as PyTorch does)."""
    if isinstance(arg, Tensor):
        if arg._data.dtype != np.int64:
            raise RuntimeError(f"{op} expected tensor_indices_or_sections to have dtype of "
                               f"long, but got {arg.dtype}")
        if arg._data.ndim > 1:
            raise RuntimeError(f"{op} expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {arg._data.ndim} dims")
        return int(arg.item()) if arg._data.ndim == 0 else [int(i) for i in arg.tolist()]
    if isinstance(arg, (list, tuple)):
        try:
            return [operator.index(i) for i in arg]
        except TypeError:
            pass
    else:
        try:
            return operator.index(arg)
        except TypeError:
            pass
    raise TypeError(f"{op}(): argument 'indices_or_sections' must be an int, a tuple of ints "
                    f"or a long tensor, not {type(arg).__name__}")


def _pieces_at(input, d: int, bounds: list) -> tuple:
    if all(a == bounds[k - 1][1] for k, (a, _) in enumerate(bounds) if k):
        return Split.apply(input, d, tuple(b - a for a, b in bounds))
    return tuple(_slice(input, d, slice(a, b)) for a, b in bounds)


def tensor_split(input, indices_or_sections=None, dim: int = 0, *, sections=None,
                 indices=None, tensor_indices_or_sections=None) -> tuple:
    """Views of ``input`` along ``dim``: ``n`` sections of nearly equal size (the first
    size % n one longer), or the pieces between the given indices (NumPy's array_split)."""
    given = [a for a in (indices_or_sections, sections, indices, tensor_indices_or_sections)
             if a is not None]
    if len(given) != 1:
        raise TypeError("tensor_split() needs exactly one of indices_or_sections, sections, "
                        "indices and tensor_indices_or_sections")
    spec = _split_arg(given[0], "tensor_split")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = wrap_dim(dim, nd, "tensor_split")
    size = input._data.shape[d]
    if isinstance(spec, int):
        sizes = _sections(size, spec)
        return Split.apply(input, d, tuple(sizes))
    return _pieces_at(input, d, _bounds(size, spec))


def _numpy_split(input, given: tuple, d: int, min_dims: int, op: str) -> tuple:
    given = [a for a in given if a is not None]
    if len(given) != 1:
        raise TypeError(f"{op}() needs exactly one of sections and indices")
    spec = given[0]
    nd = input._data.ndim
    if nd < min_dims:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {nd} dimensions!")
    if isinstance(spec, Tensor) or isinstance(spec, (bool, float)):
        raise TypeError(f"{op}(): argument 'indices_or_sections' must be an int or a tuple of "
                        f"ints, not {type(spec).__name__}")
    spec = _split_arg(spec, op)
    if isinstance(spec, int):
        size = input._data.shape[d]
        if spec == 0 or size % spec:
            raise RuntimeError(f"torch.{op} attempted to split along dimension {d}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {spec}!")
    return tensor_split(input, spec, d)


def hsplit(input, indices_or_sections=None, *, sections=None, indices=None) -> tuple:
    """tensor_split along dim 1 (dim 0 for a 1-d tensor); sections must divide evenly."""
    d = 1 if input._data.ndim > 1 else 0
    return _numpy_split(input, (indices_or_sections, sections, indices), d, 1, "hsplit")


def vsplit(input, indices_or_sections=None, *, sections=None, indices=None) -> tuple:
    """tensor_split along dim 0 of a tensor of at least 2 dims; sections must divide evenly."""
    return _numpy_split(input, (indices_or_sections, sections, indices), 0, 2, "vsplit")


def dsplit(input, indices_or_sections=None, *, sections=None, indices=None) -> tuple:
    """tensor_split along dim 2 of a tensor of at least 3 dims; sections must divide evenly."""
    return _numpy_split(input, (indices_or_sections, sections, indices), 2, 3, "dsplit")


TENSOR_METHODS = {
    "tensor_split": tensor_split,
    "hsplit": hsplit,
    "vsplit": vsplit,
    "dsplit": dsplit,
}
