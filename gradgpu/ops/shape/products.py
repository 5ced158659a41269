"""Products built from reshapes and matmul: kron, tensordot, inner, vdot and chain_matmul.

All are compositions of differentiable ops (reshape/permute, ``*``, matmul), so they run on
every backend and support create_graph. (The matmul family lives in ops/linalg.py, which
imports this package: it is imported inside the functions here.)"""

from __future__ import annotations

import math
import operator
import warnings

from .._common import Tensor, check_tensor, same_device
from .views import permute, reshape


def _scalar_name(t) -> str:
    from ..composite import _scalar_name as name

    return name(t)


def kron(input, other) -> Tensor:
    """Kronecker product: y[i*m + k] = a[i] * b[k] along every dim (the shorter operand padded
    with leading 1s), dtypes promoted;  da, db through the broadcast product."""
    check_tensor(input, "kron", "input")
    check_tensor(other, "kron", "other")
    same_device("kron", input, other)
    nd = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (nd - input._data.ndim) + input._data.shape
    sb = (1,) * (nd - other._data.ndim) + other._data.shape
    # a as (a0, 1, a1, 1, ...) times b as (1, b0, 1, b1, ...): (a0, b0, a1, b1, ...)
    a = reshape(input, tuple(v for s in sa for v in (s, 1)))
    b = reshape(other, tuple(v for s in sb for v in (1, s)))
    return reshape(a * b, tuple(x * y for x, y in zip(sa, sb)))


def _dims_list(dims, name: str) -> list:
    if isinstance(dims, Tensor):
        return [int(v) for v in dims.reshape(-1).tolist()]
    if not isinstance(dims, (list, tuple)):
        raise TypeError(f"tensordot(): argument '{name}' must be tuple of ints, not "
                        f"{type(dims).__name__}")
    try:
        return [operator.index(d) for d in dims]
    except TypeError:
        raise TypeError(f"tensordot(): argument '{name}' must be tuple of ints") from None


def _tensordot_dims(dims, na: int, nb: int) -> tuple:
    """(dims of a, dims of b) to contract, as given (not yet wrapped)."""
    if isinstance(dims, Tensor) and dims._data.size == 1:
        dims = int(dims.item())  # (read on the host, as PyTorch does)
    if isinstance(dims, Tensor) or isinstance(dims, (list, tuple)):
        if len(dims) != 2:
            raise RuntimeError(f"tensordot expects dims to be a pair of dimension lists, got "
                               f"{len(dims)} entries")
        return _dims_list(dims[0], "dims_self"), _dims_list(dims[1], "dims_other")
    try:
        n = operator.index(dims)
    except TypeError:
        raise TypeError(f"tensordot(): argument 'dims' must be an int, a pair of lists of ints "
                        f"or a tensor, not {type(dims).__name__}") from None
    if n < 0:
        raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
    if n > na or n > nb:
        raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={n}")
    return list(range(-n, 0)), list(range(n))


def _wrap_unique(dims: list, nd: int) -> list:
    from .._common import wrap_dim

    out = [wrap_dim(d, nd, "tensordot") for d in dims]
    for i, d in enumerate(out):
        if d in out[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def tensordot(a, b, dims=2, out=None) -> Tensor:
    """y = sum over the paired dims of a and b of a * b (free dims of a, then of b): ``dims``
    an int n (the last n of a with the first n of b) or a pair of dim lists. A contracted dim
    of size 1 on one side is summed on the other (PyTorch's rule)."""
    from ..linalg import matmul
    from ..reduction import sum as _sum

    if out is not None:
        raise TypeError("tensordot(): out= is not supported by gradgpu")
    check_tensor(a, "tensordot", "a")
    check_tensor(b, "tensordot", "b")
    same_device("tensordot", a, b)
    na, nb = a._data.ndim, b._data.ndim
    given_a, given_b = _tensordot_dims(dims, na, nb)
    if len(given_a) != len(given_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"both inputs should have same dtype (got {a.dtype} and {b.dtype})")
    da, db = _wrap_unique(given_a, na), _wrap_unique(given_b, nb)
    for ga, gb, i, j in zip(given_a, given_b, da, db):
        sa, sb = a._data.shape[i], b._data.shape[j]
        if sa == sb:
            continue
        if sb == 1:  # a contraction against size 1: sum a's dim first
            a = _sum(a, i, keepdim=True, dtype=a.dtype)
        elif sa == 1:
            b = _sum(b, j, keepdim=True, dtype=b.dtype)
        else:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} "
                               f"in dim {ga} and second has size {sb} in dim {gb}")
    free_a = [d for d in range(na) if d not in da]
    free_b = [d for d in range(nb) if d not in db]
    shape_a = [a._data.shape[d] for d in free_a]
    shape_b = [b._data.shape[d] for d in free_b]
    k = math.prod(a._data.shape[d] for d in da)
    left = reshape(permute(a, free_a + da), (math.prod(shape_a), k))
    right = reshape(permute(b, db + free_b), (k, math.prod(shape_b)))
    return reshape(matmul(left, right), tuple(shape_a + shape_b))


def inner(input, other) -> Tensor:
    """y[i.., j..] = sum_k a[i.., k] * b[j.., k] (a 0-d operand multiplies elementwise)."""
    check_tensor(input, "inner", "input")
    check_tensor(other, "inner", "other")
    same_device("inner", input, other)
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def vdot(input, other) -> Tensor:
    """y = sum_i conj(a_i) * b_i of two 1-D tensors (real tensors: the dot product)."""
    from ..linalg import matmul

    check_tensor(input, "vdot", "input")
    check_tensor(other, "vdot", "other")
    same_device("vdot", input, other)
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"vdot : expected both vectors to have same dtype, but found "
                           f"{_scalar_name(input)} and {_scalar_name(other)}")
    n, m = input._data.shape[0], other._data.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    return matmul(input, other)


def chain_matmul(*matrices, out=None) -> Tensor:
    """The product of 2-D matrices M_1 @ M_2 @ ... in the cheapest order (deprecated in
    PyTorch for torch.linalg.multi_dot, and warns so)."""
    from ...linalg import multi_dot
    from ..conversion import clone

    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if out is not None:
        raise TypeError("chain_matmul(): out= is not supported by gradgpu")
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        check_tensor(m, "chain_matmul", f"matrices[{i}]")
        if m._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return clone(matrices[0])
    return multi_dot(list(matrices))


TENSOR_METHODS = {"kron": kron, "inner": inner, "vdot": vdot}
FUNCTIONS = {"tensordot": tensordot, "chain_matmul": chain_matmul}
