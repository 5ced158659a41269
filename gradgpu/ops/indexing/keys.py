"""Parsing an index key: ``_parse`` checks a key against the tensor's shape and splits it into an
``_Index``, a basic part (ints, slices, None: a view) and an advanced part (integer arrays; bool
masks become their nonzero() arrays)."""

from __future__ import annotations

import warnings

import numpy as np

from ...backend import NUMPY
from .._common import Tensor, backend_of, index_bounds, xp_of

_INDEX_DTYPE_ERROR = "tensors used as indices must be long, int, byte or bool tensors"
_INDEX_INTS = (np.dtype(np.int64), np.dtype(np.int32))  # byte (uint8) became a mask above


# ---- parsing a key ----------------------------------------------------------------------------
class _Index:
    """A parsed key: ``basic`` (a view key) then ``adv`` (an advanced key, or None)."""

    __slots__ = ("basic", "adv", "copy", "sources")

    def __init__(self, basic: tuple, adv: tuple | None, copy: bool, sources: tuple = ()) -> None:
        self.basic = basic
        self.adv = adv
        self.copy = copy  # a 0-d int tensor index: PyTorch gives a copy, not a view
        # (version counter, version) of each index tensor whose array ``adv`` shares: a backward
        # that reuses the key must see the indices forward used
        self.sources = sources

    def check_unchanged(self) -> None:
        """Raise PyTorch's error if an index tensor was modified in place since parsing."""
        for counter, version in self.sources:
            if counter[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: an index tensor, which is at version {counter[0]}; "
                    f"expected version {version} instead.")

    def take(self, arr):
        view = arr[self.basic]
        return view if self.adv is None else view[self.adv]

    def put(self, arr, values) -> None:
        view = arr[self.basic]
        if self.adv is None:
            view[...] = values
        else:
            view[self.adv] = values

    def accumulate(self, arr, values) -> None:
        """arr[key] += values, summing over repeated indices."""
        view = arr[self.basic]
        if self.adv is None:
            view += values
        else:
            backend_of(arr).index_put_add(view, self.adv, values)


def _host_or_device(arr, like):
    """``arr`` (a host or device index array) on the backend of the array ``like``."""
    if type(arr) is type(like):
        return arr
    be = backend_of(like)
    host = arr if isinstance(arr, np.ndarray) else NUMPY.from_foreign(arr)
    return host if be is NUMPY else be.asarray(host)


def _index_array(k, x):
    """An index entry that is a tensor, ndarray or sequence, as an array on x's backend
    (int64 or bool); a 0-d int becomes a Python int."""
    if isinstance(k, Tensor):
        arr = k._data
        if type(arr) is not np.ndarray and k.device != x.device:
            # PyTorch's rule: CPU indices work on any tensor, device indices only on their own
            raise RuntimeError("indices should be either on cpu or on the same device as the "
                               f"indexed tensor ({x.device})")
    elif isinstance(k, np.ndarray):
        arr = k
    else:
        if any(isinstance(v, (Tensor, slice)) or v is None or v is Ellipsis for v in k):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices inside an index list; use a "
                             f"tuple for multi-dimensional indexing (got {k!r})")
        arr = np.asarray(k)
        if arr.size == 0:
            arr = arr.astype(np.int64)
    kind = arr.dtype.kind
    if kind == "u" and arr.dtype.itemsize == 1:
        warnings.warn("indexing with dtype uint8 is deprecated, please use a dtype bool "
                      "instead.", UserWarning, stacklevel=4)
        arr = arr.astype(bool)
        kind = "b"
    if kind not in "iub" or (kind in "iu" and arr.dtype not in _INDEX_INTS):
        raise IndexError(f"{_INDEX_DTYPE_ERROR} (got dtype {arr.dtype})")
    if kind != "b" and arr.ndim == 0 and isinstance(k, Tensor):
        return int(arr)
    return _host_or_device(arr, x._data)


def _check_int(i: int, d: int, size: int) -> None:
    if not -size <= i < size:
        raise IndexError(f"index {i} is out of bounds for dimension {d} with size {size}")


def _check_array(arr, d: int, size: int) -> None:
    if arr.size == 0:
        return
    lo, hi = index_bounds(arr)
    if hi >= size:
        _check_int(hi, d, size)
    if lo < -size:
        _check_int(lo, d, size)


def _parse(x: Tensor, key) -> _Index:
    """Validate ``key`` against x's shape and split it into basic and advanced parts."""
    if not isinstance(key, tuple):
        key = (key,)
    entries = []  # (kind, value, dims consumed)
    sources = []
    copy = False
    for k in key:
        if k is None:
            entries.append(("new", None, 0))
        elif k is Ellipsis:
            entries.append(("ellipsis", None, 0))
        elif isinstance(k, (bool, np.bool_)):
            entries.append(("bool", bool(k), 0))
        elif isinstance(k, (int, np.integer)):
            entries.append(("int", int(k), 1))
        elif isinstance(k, slice):
            k = slice(*(None if v is None else _as_int(v) for v in (k.start, k.stop, k.step)))
            if k.step is not None and k.step <= 0:
                raise ValueError(f"step must be greater than zero (got slice step {k.step}; "
                                 "use flip() to reverse)")
            entries.append(("slice", k, 1))
        elif isinstance(k, (Tensor, np.ndarray, list, tuple)):
            arr = _index_array(k, x)
            if isinstance(arr, int):
                entries.append(("int", arr, 1))
                copy = True
            elif arr.dtype.kind == "b":
                if arr.ndim == 0:
                    entries.append(("bool", bool(arr), 0))
                else:
                    entries.append(("mask", arr, arr.ndim))
            else:
                entries.append(("array", arr, 1))
                if isinstance(k, Tensor):
                    sources.append((k._version_counter, k._version_counter[0]))
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(k).__name__})")
    nd = x._data.ndim
    n_ellipsis = sum(e[0] == "ellipsis" for e in entries)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(e[2] for e in entries)
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd} (got {used} indices "
                         f"for shape {list(x.shape)})")
    shape = x._data.shape
    basic, adv = [], []
    has_adv = False
    d = 0
    for kind, v, _ in entries:
        if kind == "ellipsis":
            fill = nd - used
            basic.extend([slice(None)] * fill)
            adv.extend([slice(None)] * fill)
            d += fill
        elif kind == "new":
            basic.append(None)
            adv.append(slice(None))
        elif kind == "bool":  # x[True] adds a dim of 1, x[False] a dim of 0
            basic.append(None)
            if v:
                adv.append(slice(None))
            else:
                adv.append(xp_of(x).zeros((0,), dtype=np.int64))
                has_adv = True
        elif kind == "int":
            _check_int(v, d, shape[d])
            basic.append(v)
            d += 1
        elif kind == "slice":
            basic.append(v)
            adv.append(slice(None))
            d += 1
        elif kind == "array":
            _check_array(v, d, shape[d])
            basic.append(slice(None))
            adv.append(v)
            has_adv = True
            d += 1
        else:  # mask: covers v.ndim dims, which must match exactly
            k = v.ndim
            for j in range(k):
                if v.shape[j] != shape[d + j]:
                    raise IndexError(
                        f"The shape of the mask {list(v.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {list(shape)} at index {d + j}"
                    )
            basic.extend([slice(None)] * k)
            adv.extend(v.nonzero())
            has_adv = True
            d += k
    basic.append(Ellipsis)  # trailing dims, and a 0-d view rather than a scalar
    return _Index(tuple(basic), tuple(adv) if has_adv else None, copy, tuple(sources))


def _as_int(v) -> int:
    if isinstance(v, Tensor):
        return v.__index__()
    return int(v) if isinstance(v, (int, np.integer)) else v.__index__()
