"""linalg norms and products composed of differentiable ops: vector_norm, matrix_norm, norm,
matrix_power, multi_dot, vecdot, cross. Their gradients (of any order) follow from the parts."""

from __future__ import annotations

import math

from .. import _dtypes
from ._common import Tensor, check_tensor, same_device, wrap_dim, xp_of
from .composite import _SCALAR_NAMES, _cross, _scalar_name
from .elementwise import abs as _abs
from .elementwise import pow as _pow
from .elementwise import where
from .linalg import matmul
from .linalg_inverse import check_square, inv
from .linalg_spectral import svdvals
from .reduction import amax, amin
from .reduction import sum as _sum
from .reduction.statistics import norm as _pnorm
from .shape import movedim, unsqueeze


def _as_float(x: Tensor, dtype, op: str) -> Tensor:
    """PyTorch's dtype= rule of the norms: a float dtype the input converts to without
    narrowing; then the input must be float."""
    if dtype is not None:
        dt = _dtypes.as_dtype(dtype)
        name = _SCALAR_NAMES.get(dt.name, dt.name)
        if not dt.is_floating_point:
            raise RuntimeError(f"{op}: dtype should be floating point or complex, but got "
                               f"{name}")
        if x._data.dtype.kind == "f" and x._data.dtype.itemsize > dt.itemsize:
            raise RuntimeError(f"{op}: the dtype of the input ({_scalar_name(x)}) should be "
                               f"convertible without narrowing to the specified dtype ({name})")
        x = x.to(dt)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_name(x)}")
    return x


def _ord_str(ord) -> str:
    return str(int(ord)) if isinstance(ord, float) and ord.is_integer() else str(ord)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over ``dim`` (all elements when None); ord inf/-inf: max/min |x|,
    ord 0: the count of nonzeros."""
    op = "linalg.vector_norm"
    check_tensor(x, op, "x")
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    x = _as_float(x, dtype, op)
    nd, shape = x._data.ndim, x._data.shape
    dims = None if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    if ord < 0 or ord == math.inf:  # no identity: an empty reduction is an error
        if dims is None or not dims or nd == 0:
            if x._data.size == 0:
                raise RuntimeError(f"{op} cannot compute the {_ord_str(ord)} norm on an empty "
                                   "tensor because the operation does not have an identity")
        else:
            for d in dims:
                if shape[wrap_dim(d, nd, op)] == 0:
                    raise RuntimeError(
                        f"{op} cannot compute the {_ord_str(ord)} norm on the dimension "
                        f"{wrap_dim(d, nd, op)}because this dimension is empty and the "
                        "operation does not have an identity")
    if dims is None and keepdim and nd:
        dims = tuple(range(nd))
    if ord < 0 and ord != -math.inf:
        return _negative_norm(x, float(ord), dims, keepdim)
    return _pnorm(x, ord, dims, keepdim)


def _negative_norm(x: Tensor, ord: float, dims, keepdim: bool) -> Tensor:
    """(sum |x|^ord)^(1/ord) for ord < 0: 0 where some |x| is 0 (|x|^ord = inf), with a zero
    gradient there, as PyTorch's (not 0 * inf = nan)."""
    a = _abs(x)
    zero = _sum(_pow(a.detach(), ord), dims, True) == math.inf
    a = where(zero, 1.0, a)
    out = _pow(_sum(_pow(a, ord), dims, keepdim), 1.0 / ord)
    return where(zero.reshape(tuple(out.shape)), 0.0, out)


_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _matrix_dims(dim, nd: int, op: str) -> tuple:
    if isinstance(dim, int) or len(dim) != 2:
        got = dim if isinstance(dim, int) else " ".join(str(d) for d in dim)
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {got}")
    d0, d1 = wrap_dim(dim[0], nd, op), wrap_dim(dim[1], nd, op)
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *,
                dtype=None) -> Tensor:
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc' (sum of singular values), 2 / -2
    (largest / smallest singular value), 1 / -1 (max / min column |sum|), inf / -inf (rows)."""
    op = "linalg.matrix_norm"
    check_tensor(A, op, "A")
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    A = _as_float(A, dtype, op)
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(f"{op}: Order {_ord_str(ord)} not supported.")
    d0, d1 = _matrix_dims(dim, A._data.ndim, op)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        out = _sum(s, -1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = unsqueeze(out, d)
        return out
    # 1: max over columns (d1) of the sum over rows (d0); inf: the same with rows and columns
    inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = _sum(_abs(A), inner, True)
    out = amax(sums, outer, True) if ord > 0 else amin(sums, outer, True)
    return out if keepdim else out.squeeze((d0, d1))


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """vector_norm when dim is one dim (or None with ord None, over all elements), matrix_norm
    when dim has two dims (or None with a 2-D input and an ord)."""
    op = "linalg.norm"
    check_tensor(A, op, "A")
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if isinstance(ord, str):
            return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"{op}: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    nd = A._data.ndim
    if nd not in (1, 2):
        raise RuntimeError(f"{op}: If dim is not specified but ord is, the input must be 1D or "
                           f"2D. Got {nd}D.")
    if nd == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


# ---- products --------------------------------------------------------------------------------
def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n by repeated squaring (n < 0: (A^-1)^|n|, n == 0: the identity)."""
    op = "linalg.matrix_power"
    check_tensor(A, op, "A")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    m, k = A._data.shape[-2:]
    if m != k:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {m} by "
                           f"{k} matrices")
    if n == 0:  # the identity, still connected to A (zero gradient, even where A is inf/nan)
        xp = xp_of(A)
        everywhere = Tensor._make(xp.ones(A._data.shape, dtype=bool))
        return where(everywhere, Tensor._make(xp.eye(k, dtype=A._data.dtype)), A)
    if n < 0:
        A = inv(check_square(A, op))
        n = -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices in the cheapest order (the first / last may be 1-D,
    treated as a row / column vector and squeezed back)."""
    op = "multi_dot()"
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"{op}: expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        check_tensor(t, "multi_dot", f"tensors[{i}]")
    same_device("multi_dot", *tensors)
    first, last = tensors[0]._data.ndim, tensors[-1]._data.ndim
    if first not in (1, 2):
        raise RuntimeError(f"{op}: the first tensor must be 1D or 2D but got {first}D")
    if last not in (1, 2):
        raise RuntimeError(f"{op}: the last tensor must be 1D or 2D but got {last}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t._data.ndim != 2:
            raise RuntimeError(f"{op}: tensor {i} must be 2D but got {t._data.ndim}D")
    dt = tensors[0]._data.dtype
    for i, t in enumerate(tensors[1:], 1):
        if t._data.dtype != dt:
            raise RuntimeError(f"{op}: all tensors must have be the same dtype but tensor 0 is "
                               f"{tensors[0].dtype.name} and tensor {i} {t.dtype.name}")
    mats = list(tensors)
    if first == 1:
        mats[0] = unsqueeze(mats[0], 0)
    if last == 1:
        mats[-1] = unsqueeze(mats[-1], -1)
    for i in range(n - 1):
        a, b = mats[i]._data.shape, mats[i + 1]._data.shape
        if a[1] != b[0]:
            raise RuntimeError(f"{op}: tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               "cannot be multiplied")
    dims = [m._data.shape[0] for m in mats] + [mats[-1]._data.shape[1]]
    out = _chain(mats, _chain_order(dims), 0, n - 1)
    if first == 1:
        out = out.squeeze(0)
    if last == 1:
        out = out.squeeze(-1)
    return out


def _chain_order(dims: list) -> list:
    """split[i][j]: where the cheapest product of matrices i..j splits (matrix-chain DP)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(mats, split, i, j):
    if i == j:
        return mats[i]
    k = split[i][j]
    return matmul(_chain(mats, split, i, k), _chain(mats, split, k + 1, j))


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(x * y) over ``dim`` (real tensors: no conjugation); other dims broadcast."""
    op = "linalg.vecdot"
    check_tensor(x, op, "x")
    check_tensor(y, op, "y")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"{op}: Expected x and y to have the same dtype, but found x of type "
                           f"{_scalar_name(x)} and y of type {_scalar_name(y)} instead")
    return _sum(x * y, dim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The 3-vector cross product along ``dim`` (size 3 in both); other dims broadcast."""
    check_tensor(input, "linalg.cross", "input")
    check_tensor(other, "linalg.cross", "other")
    return _cross(input, other, dim, "linalg.cross")

