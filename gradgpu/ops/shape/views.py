"""Views and shape changes: reshape/view, flatten/unflatten, expand/broadcast, permute/transpose,
(un)squeeze and contiguous, plus ``sum_to_shape``, the reduction every broadcasting backward
relies on. ``_as_view`` makes an op's result share its input's version counter."""

from __future__ import annotations

import operator

import numpy as np

from ... import _dtypes
from ...autograd.function import Function
from .._common import Tensor, backend_of, fused_ok, wrap_dim


def _as_view(out, x, always: bool = False, creator: str | None = None):
    """Make ``out`` a view of ``x`` (same version counter, remembered base) if it shares
    memory with it; a reshape that had to copy is a new tensor. (NumPy returns such a copy as a
    view of a fresh buffer, so ``owndata`` cannot tell: compare the buffers' owners.)
    ``always``: ``out`` is known to alias ``x`` (a strided view: CuPy's ``as_strided`` builds
    the array from a memory pointer with no ``.base``, so the owners cannot tell).
    ``creator``: the view is the output of a node with a backward of its own (a hook function,
    a checkpoint), which an in-place write through it would bypass: such writes raise, naming
    it (PyTorch's rule for views made inside custom Functions)."""
    if not always and out._data is not x._data \
            and _buffer_owner(out._data) is not _buffer_owner(x._data):
        return out
    out._version_counter = x._version_counter
    out._base = x if x._base is None else x._base
    out._view_of = out._base._history_gen  # which of the base's histories this one continues
    if creator is not None:
        out._view_creator = creator
    return out


def _buffer_owner(a):
    """The object at the root of a's chain of views (NumPy and CuPy both keep ``.base``; a
    strided view made by ``as_strided`` has a helper object in between, which keeps one too)."""
    while getattr(a, "base", None) is not None:
        a = a.base
    return a


def _shape_arg(shape, op: str, name: str = "size") -> tuple:
    """Sizes given as ints or as one tuple/list of ints (NumPy ints and 0-d integer tensors
    count as ints; a float is refused, as PyTorch does, not truncated). ``name``: the argument
    the error names."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    sizes = []
    for pos, s in enumerate(shape):
        try:
            sizes.append(operator.index(s))
        except TypeError:
            raise TypeError(f"{op}(): argument '{name}' must be a tuple of ints, but found "
                            f"element of type {type(s).__name__} at pos {pos}") from None
    return tuple(sizes)


def _infer_shape(shape: tuple, numel: int, op: str, in_shape) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size "
                               f"{numel} (input shape {list(in_shape)})")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
                           f"(input shape {list(in_shape)})")
    return shape


class Reshape(Function):
    """y = x viewed (or copied) as shape;  dx = g reshaped back"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        return _as_view(Tensor._make(x._data.reshape(shape)), x)

    @staticmethod
    def backward(ctx, g):
        if fused_ok(g):  # no graph to build: the array reshaped, no node
            return Tensor._make(g._data.reshape(ctx.in_shape)), None
        return reshape(g, ctx.in_shape), None


def reshape(input, *shape):
    """The same elements in a new shape (-1 infers one dimension)."""
    shape = _infer_shape(_shape_arg(shape, "reshape"), input._data.size, "reshape",
                         input._data.shape)
    return Reshape.apply(input, shape)


def _same(x):
    """A new tensor object viewing the same array (ops must not return their input)."""
    return _as_view(Tensor._make(x._data), x)


def view(input, *shape):
    """Like reshape, but raises instead of copying for incompatible strides."""
    if len(shape) == 1 and isinstance(shape[0], (_dtypes.dtype, np.dtype, type)):
        dt = _dtypes.as_dtype(shape[0])
        if dt.np != input._data.dtype:
            raise RuntimeError("view(dtype) reinterpretation is not supported; use .to(dtype)")
        return _same(input)
    shape = _infer_shape(_shape_arg(shape, "view"), input._data.size, "view",
                         input._data.shape)
    try:
        arr = input._data.view()
        arr.shape = shape  # raises instead of copying when strides do not allow a view
    except (AttributeError, ValueError):
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one "
            f"dimension spans across two contiguous subspaces): input shape "
            f"{list(input.shape)}, requested {list(shape)}. Use .reshape(...) instead."
        ) from None
    return Reshape.apply(input, shape)


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims start_dim..end_dim into one."""
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s = wrap_dim(start_dim, nd, "flatten")
    e = wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = input._data.shape
    merged = 1
    for size in shp[s:e + 1]:  # the product itself, not -1: ambiguous when another dim is 0
        merged *= size
    return reshape(input, shp[:s] + (merged,) + shp[e + 1:])


def unflatten(input, dim: int, sizes):
    d = wrap_dim(dim, input._data.ndim, "unflatten")
    shp = input._data.shape
    return reshape(input, shp[:d] + tuple(sizes) + shp[d + 1:])


class Expand(Function):
    """y = x broadcast to shape (a view);  dx = g summed over the broadcast dims"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        return _as_view(Tensor._make(_broadcast_to(x, shape)), x)

    @staticmethod
    def backward(ctx, g):
        return sum_to_shape(g, ctx.in_shape), None


def _broadcast_to(x, shape):
    from .._common import xp_of

    return xp_of(x).broadcast_to(x._data, shape)


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying (-1 keeps a dimension)."""
    sizes = _shape_arg(sizes, "expand")
    nd = input._data.ndim
    if len(sizes) < nd:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({nd})"
        )
    lead = len(sizes) - nd
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing "
                                   f"dimension {i}")
            shape.append(s)
            continue
        cur = input._data.shape[i - lead]
        if s == -1:
            s = cur
        elif cur != s and cur != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) "
                f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(input.shape)}"
            )
        shape.append(s)
    return Expand.apply(input, tuple(shape))


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, shape):
    return expand(input, tuple(shape))


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views)."""
    shapes = [tuple(t.shape) for t in tensors]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"broadcast_tensors(): shapes {', '.join(map(str, map(list, shapes)))} "
                           "cannot be broadcast together") from None
    return tuple(expand(t, shape) for t in tensors)


class Permute(Function):
    """y = x with axes permuted (a view);  dx = g with the inverse permutation"""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return _as_view(Tensor._make(x._data.transpose(axes)), x)

    @staticmethod
    def backward(ctx, g):
        inv = tuple(np.argsort(ctx.axes))
        return permute(g, inv), None


def permute(input, *dims):
    """Reorder dimensions."""
    dims = _shape_arg(dims, "permute", "dims")
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    axes = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(axes)) != nd:
        raise RuntimeError(f"permute(): duplicate dims are not allowed: {list(dims)}")
    return Permute.apply(input, axes)


def transpose(input, dim0: int, dim1: int):
    """Swap two dimensions."""
    nd = input._data.ndim
    if nd == 0:
        return _same(input) if not input._requires_grad else Permute.apply(input, ())
    a = wrap_dim(dim0, nd, "transpose")
    b = wrap_dim(dim1, nd, "transpose")
    axes = list(range(nd))
    axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(input, tuple(axes))


swapaxes = swapdims = transpose


def t(input):
    """Transpose of a tensor with at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return transpose(input, 0, -1) if input._data.ndim == 2 else _same(input)


def T(input):
    """All dimensions reversed."""
    nd = input._data.ndim
    return Permute.apply(input, tuple(range(nd - 1, -1, -1)))


def mT(input):
    """Transpose of the last two dimensions (batched matrices)."""
    if input._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {input._data.ndim}-D tensor.")
    return transpose(input, -2, -1)


def movedim(input, source, destination):
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [wrap_dim(d, nd, "movedim") for d in src]
    dst = [wrap_dim(d, nd, "movedim") for d in dst]
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


def unsqueeze(input, dim: int):
    """Insert a size-1 dimension at ``dim``."""
    nd = input._data.ndim
    d = wrap_dim(dim, nd + 1, "unsqueeze")
    shp = input._data.shape
    return Reshape.apply(input, shp[:d] + (1,) + shp[d:])


def squeeze(input, dim=None):
    """Remove size-1 dimensions (all, or those in ``dim``)."""
    shp = input._data.shape
    nd = len(shp)
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        # a 0-d tensor takes dim 0 / -1 as PyTorch does (and refuses others)
        wrapped = [wrap_dim(d, max(nd, 1), "squeeze") for d in dims]
        for i, d in enumerate(wrapped):
            if d in wrapped[:i]:
                raise RuntimeError(f"squeeze(): dim {d} appears multiple times in the list of "
                                   "dims")
        new = tuple(s for i, s in enumerate(shp) if not (i in wrapped and s == 1))
    return Reshape.apply(input, new)


def sum_to_shape(g, shape):
    """Sum ``g`` over the dims that broadcasting added or stretched, giving ``shape``.

    Raises ValueError when ``shape`` does not broadcast to ``g``'s shape.
    """
    gshape = g._data.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum shape {gshape} to {shape}")
    axes = list(range(lead))
    for i, s in enumerate(shape):
        gs = gshape[lead + i]
        if s == 1 and gs != 1:
            axes.append(lead + i)
        elif s != gs:
            raise ValueError(f"cannot sum shape {gshape} to {shape}")
    if not axes:
        return reshape(g, shape)
    gd = g._data
    if gd.dtype.kind in "fc" and fused_ok(g):  # no graph to build (the engine's usual case)
        return Tensor._make(backend_of(gd).reduce_sum(gd, tuple(axes), True).reshape(shape))
    from ..reduction import sum as _sum

    out = _sum(g, tuple(axes), keepdim=True)
    return reshape(out, shape) if out._data.shape != shape else out


class Contiguous(Function):
    """y = x laid out C-contiguous;  dx = g"""

    @staticmethod
    def forward(ctx, x):
        from .._common import xp_of

        return xp_of(x).ascontiguousarray(x._data)

    @staticmethod
    def backward(ctx, g):
        return g


def contiguous(input, memory_format=None):
    """Itself if C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return Contiguous.apply(input)


def ravel(input):
    """The elements as a 1-D tensor (a view when the layout allows, as reshape(-1))."""
    return reshape(input, -1)


def broadcast_shapes(*shapes):
    """The shape all of ``shapes`` (ints or sequences of ints) broadcast to, as a Size."""
    from ..._size import Size

    try:
        return Size(np.broadcast_shapes(*((s,) if isinstance(s, int) else tuple(s)
                                          for s in shapes)))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes(): shapes {list(shapes)} cannot be broadcast "
                           "together") from None


moveaxis = movedim  # NumPy's name, which PyTorch also has

TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "reshape view view_as reshape_as flatten unflatten ravel expand expand_as broadcast_to "
        "permute transpose swapaxes swapdims t movedim moveaxis unsqueeze squeeze contiguous"
    ).split()
}
FUNCTIONS = {"broadcast_tensors": broadcast_tensors, "broadcast_shapes": broadcast_shapes}
