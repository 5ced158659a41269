"""View and shape ops: reshape/view, expand, permute/transpose, (un)squeeze, flatten, the
``sum_to_shape`` reduction every broadcasting backward relies on; slicing views (narrow, select,
split, chunk, unbind, diagonal), repeat/tile/repeat_interleave, cat/stack, flip/roll, tril/triu.

Views share the input's array (and version counter), like PyTorch's views. Every slicing view
goes through one op, ``Slice``, whose backward ``SliceScatter`` is itself differentiable.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ._common import Tensor, dims_arg, same_device, wrap_dim, xp_of


def _as_view(out, x):
    """Make ``out`` a view of ``x`` (same version counter, remembered base) if it shares
    memory with it; a reshape that had to copy is a new tensor."""
    if out._data.flags.owndata and out._data is not x._data:
        return out
    out._version_counter = x._version_counter
    out._base = x if x._base is None else x._base
    return out


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


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
        return reshape(g, ctx.in_shape), None


def reshape(input, *shape):
    """The same elements in a new shape (-1 infers one dimension)."""
    shape = _infer_shape(_shape_arg(shape), input._data.size, "reshape", input._data.shape)
    return Reshape.apply(input, shape)


def _same(x):
    """A new tensor object viewing the same array (ops must not return their input)."""
    return _as_view(Tensor._make(x._data), x)


def view(input, *shape):
    """Like reshape, but raises instead of copying for incompatible strides."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        from .. import _dtypes

        dt = _dtypes.as_dtype(shape[0])
        if dt.np != input._data.dtype:
            raise RuntimeError("view(dtype) reinterpretation is not supported; use .to(dtype)")
        return _same(input)
    shape = _infer_shape(_shape_arg(shape), input._data.size, "view", input._data.shape)
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
    return reshape(input, shp[:s] + (-1 if 0 not in shp[s:e + 1] else 0,) + shp[e + 1:])


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
    from ._common import xp_of

    return xp_of(x).broadcast_to(x._data, shape)


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying (-1 keeps a dimension)."""
    sizes = _shape_arg(sizes)
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
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
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
    dims = _shape_arg(dims)
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
        drop = {wrap_dim(d, nd, "squeeze") for d in dims} if nd else set()
        new = tuple(s for i, s in enumerate(shp) if not (i in drop and s == 1))
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
    from .reduction import sum as _sum

    out = _sum(g, tuple(axes), keepdim=True) if axes else g
    return reshape(out, shape) if out._data.shape != shape else out


class Contiguous(Function):
    """y = x laid out C-contiguous;  dx = g"""

    @staticmethod
    def forward(ctx, x):
        from ._common import xp_of

        return xp_of(x).ascontiguousarray(x._data)

    @staticmethod
    def backward(ctx, g):
        return g


def contiguous(input, memory_format=None):
    """Itself if C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return Contiguous.apply(input)


# ---- slicing views: narrow, select, split, chunk, unbind --------------------------------------
def _view_key(key: tuple) -> tuple:
    """``key`` with a trailing Ellipsis, so indexing gives a 0-d array view, never a scalar."""
    return key if key and key[-1] is Ellipsis else key + (Ellipsis,)


class Slice(Function):
    """y = x[key] for a basic key of ints, slices and None (a view);  dx = zeros with g at key"""

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape = x._data.shape
        ctx.key = key
        return _as_view(Tensor._make(x._data[key]), x)

    @staticmethod
    def backward(ctx, g):
        return SliceScatter.apply(g, ctx.in_shape, ctx.key), None


class SliceScatter(Function):
    """y = zeros(shape) with y[key] = g (the gradient of a slice);  dg = dy[key]"""

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        out = xp_of(g).zeros(shape, dtype=g._data.dtype)
        out[key] = g._data
        return out

    @staticmethod
    def backward(ctx, gg):
        return Slice.apply(gg, ctx.key), None, None


def _slice(input, dim: int, item):
    """``input`` indexed by ``item`` (an int or a slice) along the normalized ``dim``."""
    return Slice.apply(input, (slice(None),) * dim + (item, Ellipsis))


def narrow(input, dim: int, start, length: int):
    """The view of ``length`` elements of ``dim`` from ``start`` (negative start wraps)."""
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd, "narrow")
    size = input._data.shape[d]
    start, length = int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start out of range (expected to be in range of "
                         f"[{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative, got {length}")
    if start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}) of dimension {d} (input shape {list(input.shape)}).")
    return _slice(input, d, slice(start, start + length))


def select(input, dim: int, index: int):
    """The view at ``index`` of ``dim``, with that dimension removed."""
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd, "select")
    size = input._data.shape[d]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return _slice(input, d, index + size if index < 0 else index)


def _pieces(input, d: int, sizes) -> tuple:
    out = []
    start = 0
    for s in sizes:
        out.append(_slice(input, d, slice(start, start + s)))
        start += s
    return tuple(out)


def split(tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Views of consecutive pieces along ``dim``: of size ``split_size`` (the last may be
    smaller), or of the listed sizes (which must add up to the dimension's size)."""
    nd = tensor._data.ndim
    if nd == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, nd, "split")
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
        return _pieces(tensor, d, sizes)
    step = int(split_size_or_sections)
    if step < 0 or (step == 0 and size != 0):
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                           f"dimension size of {size} (split_size={step})")
    if size == 0:
        return _pieces(tensor, d, [0])
    return _pieces(tensor, d, [min(step, size - i) for i in range(0, size, step)])


def chunk(input, chunks: int, dim: int = 0) -> tuple:
    """Up to ``chunks`` views of (nearly) equal size along ``dim``."""
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, nd, "chunk")
    size = input._data.shape[d]
    if size == 0:
        return _pieces(input, d, [0] * chunks)
    return split(input, -(-size // chunks), d)


def unbind(input, dim: int = 0) -> tuple:
    """The views at every index of ``dim``, with that dimension removed."""
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("unbind(): dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, nd, "unbind")
    return tuple(_slice(input, d, i) for i in range(input._data.shape[d]))


# ---- repeat / tile / repeat_interleave --------------------------------------------------------
class Repeat(Function):
    """y = x tiled reps[i] times along dim i (torch.repeat);  dx = g summed over the tiles"""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape = x._data.shape
        ctx.reps = reps
        padded = (1,) * (len(reps) - x._data.ndim) + x._data.shape
        return xp_of(x).tile(x._data.reshape(padded), reps)

    @staticmethod
    def backward(ctx, g):
        from .reduction import sum as _sum

        reps = ctx.reps
        padded = (1,) * (len(reps) - len(ctx.in_shape)) + ctx.in_shape
        # Output dim i is laid out tile-major: (reps[i], padded[i]) splits it exactly.
        split_shape = tuple(v for pair in zip(reps, padded) for v in pair)
        summed = _sum(reshape(g, split_shape), tuple(range(0, 2 * len(reps), 2)))
        return reshape(summed, ctx.in_shape), None


def repeat(input, *sizes):
    """The tensor tiled ``sizes[i]`` times along each dim (leading sizes add new dims)."""
    reps = _shape_arg(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError(
            f"repeat(): number of dimensions of repeat dims ({len(reps)}) can not be smaller "
            f"than number of dimensions of tensor ({input._data.ndim})"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat(): repeats must be non-negative, got {list(reps)}")
    return Repeat.apply(input, reps)


def tile(input, dims):
    """Like repeat, but ``dims`` shorter than the tensor's rank is padded with leading 1s."""
    reps = _shape_arg((dims,) if isinstance(dims, int) else tuple(dims))
    reps = (1,) * (input._data.ndim - len(reps)) + reps
    return repeat(input, reps)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element repeated ``repeats`` times (an int, or one count per element of ``dim``)
    along ``dim`` (the flattened input when None). With only a tensor of counts, the indices
    0..n-1 repeated by those counts."""
    from .indexing import index_select

    if repeats is None:  # repeat_interleave(counts): arange(n) repeated by counts
        counts = _counts(input, None, "repeat_interleave")
        xp = xp_of(input)
        return Tensor._make(xp.repeat(xp.arange(counts.size, dtype=np.int64), counts))
    if dim is None:
        input = reshape(input, -1)
        dim = 0
    nd = input._data.ndim
    if nd == 0:
        input = reshape(input, 1)
        nd = 1
    d = wrap_dim(dim, nd, "repeat_interleave")
    n = input._data.shape[d]
    if isinstance(repeats, Tensor) and repeats._data.size != 1:
        counts = _counts(repeats, n, "repeat_interleave")
        xp = xp_of(input)
        index = Tensor._make(xp.repeat(xp.arange(n, dtype=np.int64), counts))
        return index_select(input, d, index)
    r = int(repeats.item() if isinstance(repeats, Tensor) else repeats)
    if r < 0:
        raise RuntimeError(f"repeat_interleave(): repeats can not be negative, got {r}")
    shp = input._data.shape
    spread = expand(unsqueeze(input, d + 1), shp[:d + 1] + (r,) + shp[d + 1:])
    return reshape(spread, shp[:d] + (n * r,) + shp[d + 1:])


def _counts(repeats, n, op):
    """Validated repeat counts (a 1-D int array, one per element when ``n`` is given)."""
    if repeats._data.ndim > 1 or repeats._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): repeats must be a 0-dim or 1-dim integer tensor, got "
                           f"shape {list(repeats.shape)} and dtype {repeats.dtype}")
    counts = repeats._data.reshape(-1)
    if n is not None and counts.size != n:
        raise RuntimeError(f"{op}(): repeats must have the same size as input along dim, but "
                           f"got repeats.size(0) = {counts.size} and input.size = {n}")
    if counts.size and int(counts.min()) < 0:
        raise RuntimeError(f"{op}(): repeats can not be negative")
    return counts


# ---- cat / stack --------------------------------------------------------------------------
def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if len(tensors) == 0:
        raise ValueError(f"{op}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 'tensors', but "
                            f"got {type(t).__name__}")
    same_device(op, *tensors)
    return list(tensors)


class Cat(Function):
    """y = [x_0, x_1, ...] joined along dim;  dx_i = the slice of g that x_i became"""

    @staticmethod
    def forward(ctx, dim, np_dtype, kept, *xs):
        ctx.dim = dim
        ctx.sizes = [x._data.shape[dim] if k else None for x, k in zip(xs, kept)]
        arrays = [x._data.astype(np_dtype, copy=False) for x, k in zip(xs, kept) if k]
        return xp_of(xs[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = [None, None, None]
        start = 0
        for size in ctx.sizes:
            if size is None:  # a skipped legacy empty tensor: its gradient is empty too
                grads.append(Tensor._make(xp_of(g).zeros((0,), dtype=g._data.dtype)))
                continue
            grads.append(_slice(g, ctx.dim, slice(start, start + size)))
            start += size
        return tuple(grads)


def cat(tensors, dim: int = 0):
    """The tensors joined along an existing ``dim`` (dtypes promoted; 1-D empty tensors are
    skipped, as in PyTorch)."""
    from .. import _dtypes

    ts = _tensor_list(tensors, "cat")
    for i, t in enumerate(ts):
        if t._data.ndim == 0:
            raise RuntimeError(f"cat(): zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    kept = [not (t._data.ndim == 1 and t._data.shape[0] == 0) for t in ts]
    if not any(kept):
        kept = [True] * len(ts)
    ref_i = kept.index(True)
    ref = ts[ref_i]
    nd = ref._data.ndim
    d = wrap_dim(dim, nd, "cat")
    for i, (t, k) in enumerate(zip(ts, kept)):
        if not k or i == ref_i:
            continue
        if t._data.ndim != nd:
            raise RuntimeError(
                f"cat(): tensors must have same number of dimensions: got {nd} and "
                f"{t._data.ndim} (shapes {list(ref.shape)} at position {ref_i} and "
                f"{list(t.shape)} at position {i})"
            )
        for j in range(nd):
            if j != d and t._data.shape[j] != ref._data.shape[j]:
                raise RuntimeError(
                    f"cat(): sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref._data.shape[j]} but got size {t._data.shape[j]} for tensor number {i} "
                    f"in the list (shapes {list(ref.shape)} and {list(t.shape)})"
                )
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = _dtypes.promote_types(dt, t.dtype)
    return Cat.apply(d, dt.np, tuple(kept), *ts)


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    """The equally-shaped tensors joined along a new ``dim``."""
    ts = _tensor_list(tensors, "stack")
    shape = ts[0]._data.shape
    for i, t in enumerate(ts[1:], 1):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1, "stack")
    return cat([unsqueeze(t, d) for t in ts], d)


def hstack(tensors):
    """Joined along dim 1 (dim 0 for 1-D tensors); 0-d tensors count as 1-D."""
    ts = [reshape(t, 1) if t._data.ndim == 0 else t for t in _tensor_list(tensors, "hstack")]
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """Joined along dim 0, after making every tensor at least 2-D (rows)."""
    ts = [reshape(t, 1, -1) if t._data.ndim < 2 else t for t in _tensor_list(tensors, "vstack")]
    return cat(ts, 0)


row_stack = vstack


# ---- flip / roll / tril / triu / diagonal ---------------------------------------------------
class Flip(Function):
    """y = x reversed along dims (a copy);  dx = flip(g, dims)"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return xp_of(x).flip(x._data, axis=dims).copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims), None


def flip(input, dims):
    """The elements in reverse order along each of ``dims``."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = dims_arg(dims, input._data.ndim, "flip") or ()
    return Flip.apply(input, axes)


def fliplr(input):
    """Columns (dim 1) in reverse order."""
    if input._data.ndim < 2:
        raise RuntimeError("fliplr(): input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    """Rows (dim 0) in reverse order."""
    if input._data.ndim < 1:
        raise RuntimeError("flipud(): input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Function):
    """y = x shifted cyclically by shifts along dims;  dx = g rolled back by -shifts"""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(x).roll(x._data, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(g, back, ctx.dims), None, None


def roll(input, shifts, dims=None):
    """Elements shifted cyclically along ``dims`` (the flattened tensor when None)."""
    if dims is None:
        if not isinstance(shifts, int) and len(shifts) != 1:
            raise RuntimeError(f"roll(): shifts {list(shifts)} needs dims when it has more than "
                               "one entry")
        s = shifts if isinstance(shifts, int) else int(shifts[0])
        return reshape(Roll.apply(reshape(input, -1), int(s), None), input._data.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims: {len(dims)}")
    nd = max(input._data.ndim, 1)
    axes = tuple(wrap_dim(d, nd, "roll") for d in dims)
    if input._data.ndim == 0:
        return _same(input) if not input._requires_grad else Roll.apply(input, 0, None)
    return Roll.apply(input, shifts, axes)


class Triangle(Function):
    """y = x with the entries above (tril) / below (triu) the ``diagonal`` zeroed, on the last
    two dims;  dx = the same triangle of g"""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        xp = xp_of(x)
        n, m = x._data.shape[-2:]
        # tri(k) is True on and below diagonal k: tril keeps it, triu keeps the rest of k-1's.
        keep = xp.tri(n, m, diagonal - 1, dtype=bool) if upper else xp.tri(n, m, diagonal,
                                                                           dtype=bool)
        if upper:
            keep = ~keep
        return xp.where(keep, x._data, xp.zeros((), dtype=x._data.dtype))

    @staticmethod
    def backward(ctx, g):
        return Triangle.apply(g, ctx.diagonal, ctx.upper), None, None


def _triangle(input, diagonal, upper):
    name = "triu" if upper else "tril"
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got shape "
                           f"{list(input.shape)}")
    return Triangle.apply(input, int(diagonal), upper)


def tril(input, diagonal: int = 0):
    """The lower triangle (on and below ``diagonal``) of the last two dims; the rest zero."""
    return _triangle(input, diagonal, False)


def triu(input, diagonal: int = 0):
    """The upper triangle (on and above ``diagonal``) of the last two dims; the rest zero."""
    return _triangle(input, diagonal, True)


def _diagonal_view(arr, offset, d1, d2):
    """A writable view of a diagonal (NumPy's ``diagonal`` is read-only): the other dims in
    order, then the diagonal, as PyTorch lays it out."""
    xp = _xp_of_array(arr)
    sl = [slice(None)] * arr.ndim
    sl[d1] = slice(max(0, -offset), None)
    sl[d2] = slice(max(0, offset), None)
    start = arr[tuple(sl)]
    n = max(0, min(start.shape[d1], start.shape[d2]))
    others = [i for i in range(arr.ndim) if i not in (d1, d2)]
    shape = tuple(start.shape[i] for i in others) + (n,)
    strides = tuple(start.strides[i] for i in others) + (start.strides[d1] + start.strides[d2],)
    return xp.lib.stride_tricks.as_strided(start, shape, strides)


def _xp_of_array(arr):
    from ..backend import backend_of

    return backend_of(arr).xp


class Diagonal(Function):
    """y = the diagonal (offset) of dims d1, d2, as the last dim (a view);
    dx = zeros with g on that diagonal"""

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.args = (x._data.shape, offset, d1, d2)
        return _as_view(Tensor._make(_diagonal_view(x._data, offset, d1, d2)), x)

    @staticmethod
    def backward(ctx, g):
        return DiagonalScatter.apply(g, *ctx.args), None, None, None


class DiagonalScatter(Function):
    """y = zeros(shape) with g on the diagonal (offset) of dims d1, d2;  dg = diagonal(dy)"""

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = xp_of(g).zeros(shape, dtype=g._data.dtype)
        _diagonal_view(out, offset, d1, d2)[...] = g._data
        return out

    @staticmethod
    def backward(ctx, gg):
        return (Diagonal.apply(gg, *ctx.args),) + (None,) * 4


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The view of the diagonal (above it for offset > 0) of dims dim1, dim2, as the last dim."""
    nd = input._data.ndim
    d1 = wrap_dim(dim1, nd, "diagonal")
    d2 = wrap_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), d1, d2)


class DiagEmbed(Function):
    """y = square matrix with the vector x on diagonal k;  dx = diagonal(g, k)"""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return xp_of(x).diag(x._data, k)

    @staticmethod
    def backward(ctx, g):
        return Diagonal.apply(g, ctx.k, 0, 1), None


def diag(input, diagonal: int = 0):
    """A 1-D tensor placed on a diagonal of a square matrix, or the diagonal of a 2-D tensor
    (a copy)."""
    nd = input._data.ndim
    if nd == 1:
        return DiagEmbed.apply(input, int(diagonal))
    if nd == 2:
        from .conversion import clone

        return clone(Diagonal.apply(input, int(diagonal), 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "reshape view view_as reshape_as flatten unflatten expand expand_as broadcast_to "
        "permute transpose swapaxes swapdims t movedim unsqueeze squeeze contiguous "
        "narrow select split chunk unbind repeat tile repeat_interleave flip fliplr flipud "
        "roll tril triu diagonal diag"
    ).split()
}

FUNCTIONS = {
    name: globals()[name]
    for name in "cat concat concatenate stack hstack vstack row_stack broadcast_tensors".split()
}
