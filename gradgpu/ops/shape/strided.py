"""Explicit strides: as_strided (a view of the memory a tensor lives in, with any sizes and
strides) and empty_strided; and the identity ops PyTorch keeps for complex/negative-bit
tensors: resolve_conj, resolve_neg.

"Storage" here is the array at the root of a tensor's chain of views (the buffer it was
allocated in, or the NumPy/CuPy array it was made from); storage offsets and strides count
elements of the tensor's dtype in it, as PyTorch's do."""

from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from .._common import Tensor, backend_of, check_tensor, xp_of
from .views import _as_view, _shape_arg


def _root(arr):
    """The array at the root of ``arr``'s chain of ``.base`` references (NumPy's as_strided
    puts a non-array helper in between; a non-array buffer such as bytes ends the search)."""
    root, a = arr, arr
    while getattr(a, "base", None) is not None:
        a = a.base
        if hasattr(a, "ndim") and hasattr(a, "strides"):
            root = a
    return root


def _flat_storage(arr, base_arr=None):
    """(1-D view of the whole root buffer in arr's dtype, arr's offset in it in elements).
    ``base_arr``: the array of the tensor's view base, where the search starts (a strided view
    made by CuPy has no ``.base`` leading back to its buffer)."""
    from ...tensor import _data_ptr

    root = _root(arr if base_arr is None else base_arr)
    if root.flags.c_contiguous:
        flat = root.reshape(-1)
    elif root.flags.f_contiguous:
        flat = root.T.reshape(-1)
    else:
        raise RuntimeError(f"as_strided(): the memory of a tensor of shape {list(arr.shape)} "
                           "is not one contiguous buffer")
    if flat.dtype != arr.dtype:
        flat = flat.view(arr.dtype)
    return flat, (_data_ptr(arr) - _data_ptr(root)) // arr.itemsize


def _last_position(size, stride, offset: int) -> int:
    """The largest storage position the geometry reads (-1 when it reads none)."""
    if 0 in size:
        return -1
    return offset + sum((s - 1) * st for s, st in zip(size, stride) if st > 0)


def _positions(xp, size, stride, offset: int):
    """The storage position of every element of the geometry (an int64 array of ``size``)."""
    pos = xp.full((), offset, dtype=np.int64)
    nd = len(size)
    for k, (s, st) in enumerate(zip(size, stride)):
        step = xp.arange(s, dtype=np.int64) * st
        pos = pos + step.reshape((1,) * k + (s,) + (1,) * (nd - k - 1))
    return xp.broadcast_to(pos, tuple(size))


def _may_overlap(size, stride) -> bool:
    """Whether two elements of the geometry may share a position (PyTorch's cheap test)."""
    extent = 0
    for st, s in sorted((abs(st), s) for s, st in zip(size, stride) if s > 1):
        if st <= extent:
            return True
        extent += (s - 1) * st
    return False


def scatter_to_storage(g, geometry, other_geometry):
    """``g`` (laid out by ``geometry``: shape, strides, offset in elements) scatter-added into
    a zero storage long enough for both geometries, with index_add so create_graph works."""
    from ..indexing.gather_scatter import IndexAdd
    from .views import reshape

    xp = xp_of(g)
    n = 1 + max(_last_position(*geometry), _last_position(*other_geometry))
    positions = Tensor._make(_positions(xp, *geometry).reshape(-1))
    zeros = Tensor._make(xp.zeros((n,), dtype=g._data.dtype))
    return IndexAdd.apply(zeros, 0, positions, reshape(g, -1), 1)


class AsStrided(Function):
    """y[i] = storage[offset + sum_k i_k * stride_k] (a view);
    dx = (g scatter-added into zeros at y's storage positions, divided by how often x itself
    reads each position when x overlaps) read back at x's positions (PyTorch's
    as_strided_backward), made of index_add / index_select so create_graph works"""

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        arr = x._data
        flat, in_offset = _flat_storage(arr, None if x._base is None else x._base._data)
        in_stride = tuple(s // arr.itemsize for s in arr.strides)
        ctx.geometry = (arr.shape, in_stride, in_offset, size, stride, offset)
        view = xp_of(x).lib.stride_tricks.as_strided(
            flat[offset:], size, tuple(s * arr.itemsize for s in stride))
        return _as_view(Tensor._make(view), x, always=True)

    @staticmethod
    def backward(ctx, g):
        from ..indexing.gather_scatter import IndexSelect
        from .views import reshape

        in_shape, in_stride, in_offset, size, stride, offset = ctx.geometry
        xp = xp_of(g)
        storage = scatter_to_storage(g, (size, stride, offset), (in_shape, in_stride, in_offset))
        n = storage._data.shape[0]
        in_pos = _positions(xp, in_shape, in_stride, in_offset).reshape(-1)
        if _may_overlap(in_shape, in_stride):
            count = xp.maximum(xp.bincount(in_pos, minlength=n), 1)
            storage = storage / Tensor._make(count.astype(g._data.dtype))
        grad = IndexSelect.apply(storage, 0, Tensor._make(in_pos))
        return reshape(grad, in_shape), None, None, None


def _size_stride(size, stride, op: str) -> tuple:
    size = _shape_arg((size,) if isinstance(size, int) else (tuple(size),), op, "size")
    stride = _shape_arg((stride,) if isinstance(stride, int) else (tuple(stride),), op,
                        "stride")
    return size, stride


def as_strided(input, size, stride, storage_offset=None) -> Tensor:
    """The view of input's memory with the given sizes, strides and storage offset (all in
    elements; the offset defaults to input's). See AsStrided for the gradient."""
    check_tensor(input, "as_strided")
    size, stride = _size_stride(size, stride, "as_strided")
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape (as_strided got sizes "
                           f"{list(size)} and strides {list(stride)})")
    if any(s < 0 for s in size):
        raise RuntimeError(f"as_strided: Trying to create tensor with negative dimension: "
                           f"{list(size)}")
    if any(st < 0 for st in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    flat, own_offset = _flat_storage(input._data,
                                     None if input._base is None else input._base._data)
    offset = own_offset if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    need = _last_position(size, stride, offset) + 1
    if need > flat.size:
        item = input._data.itemsize
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{need * item} are out of bounds for storage of size "
                           f"{flat.size * item}")
    return AsStrided.apply(input, size, stride, offset)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialized tensor with the given sizes and strides (in elements), over a buffer
    just large enough for them."""
    from ... import _factories

    size, stride = _size_stride(size, stride, "empty_strided")
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    if any(s < 0 for s in size):
        bad = next(s for s in size if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"{list(size)}")
    if any(st < 0 for st in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    buf = _factories.empty(_last_position(size, stride, 0) + 1, dtype=dtype, device=device)._data
    item = buf.itemsize
    arr = backend_of(buf).xp.lib.stride_tricks.as_strided(
        buf, size, tuple(st * item for st in stride))
    out = Tensor._make(arr)
    if requires_grad:
        out.requires_grad_(True)
    return out


def resolve_conj(input) -> Tensor:
    """The input itself: gradgpu tensors have no lazy conjugate bit to materialize."""
    check_tensor(input, "resolve_conj")
    return input


def resolve_neg(input) -> Tensor:
    """The input itself: gradgpu tensors have no lazy negative bit to materialize."""
    check_tensor(input, "resolve_neg")
    return input


TENSOR_METHODS = {
    name: globals()[name]
    for name in "as_strided resolve_conj resolve_neg".split()
}
FUNCTIONS = {"empty_strided": empty_strided}
