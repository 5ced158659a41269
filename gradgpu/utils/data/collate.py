"""``default_collate`` / ``default_convert``: turning a list of samples into a batch, as PyTorch.

- Tensors are stacked along a new dim 0 (``gradgpu.stack``); NumPy arrays become tensors and are
  stacked; NumPy scalars become a 1-D tensor of their dtype; Python floats a float64 tensor,
  ints an int64 tensor, bools a bool tensor; str and bytes stay a list.
- Dicts are collated key by key (same mapping type); namedtuples field by field (same type);
  tuples position by position into a list, other sequences into their own type. Each field is
  collated from a tuple of the samples' values, so a field of strings becomes a tuple.
"""

from __future__ import annotations

import collections.abc
import copy
import re

import numpy as np

from ... import _dtypes
from ..._factories import as_tensor, tensor
from ...ops.shape import stack
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

# NumPy dtype strings of bytes, unicode, void and object arrays, which cannot become tensors.
_NP_STR_OBJ = re.compile(r"[SaUO]")
_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _same_mapping(elem, values: dict):
    """A mapping of ``elem``'s type holding ``values`` (a plain dict when that type can't)."""
    if isinstance(elem, collections.abc.MutableMapping):
        try:
            out = type(elem)()
            if hasattr(elem, "default_factory"):  # defaultdict
                out.default_factory = elem.default_factory
            out.update(values)
            return out
        except TypeError:
            return values
    return values


def _same_sequence(elem, values: list):
    """A sequence of ``elem``'s type holding ``values`` (a list when that type can't)."""
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            out = copy.copy(elem)  # keeps a list subclass's extra attributes
            for i, v in enumerate(values):
                out[i] = v
            return out
        return type(elem)(values)
    except TypeError:
        return values


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring for the rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if _NP_STR_OBJ.search(elem.dtype.str) is not None:
            raise TypeError(_ERR.format(elem.dtype))
        return stack([as_tensor(b) for b in batch], 0)
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        if _NP_STR_OBJ.search(elem.dtype.str) is not None:
            raise TypeError(_ERR.format(elem.dtype))
        return as_tensor(np.array(batch))  # keeps the NumPy dtype, as torch.as_tensor does
    if isinstance(elem, float):
        return tensor(batch, dtype=_dtypes.float64)
    if isinstance(elem, int):  # bool included: a bool batch becomes a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _same_mapping(elem, {key: default_collate([d[key] for d in batch])
                                    for key in elem})
    # The fields go down as zip's tuples, as in PyTorch: a field of strings stays a tuple.
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(s) for s in zip(*batch)]
        return fields if isinstance(elem, tuple) else _same_sequence(elem, fields)
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """Without batching (``batch_size=None``): NumPy arrays and scalars become tensors,
    recursively through dicts, namedtuples and sequences; everything else is left alone."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) or (isinstance(data, np.generic)
                                        and not isinstance(data, (np.str_, np.bytes_))):
        if _NP_STR_OBJ.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
