"""pdist and gumbel_softmax, as PyTorch's, composed from differentiable
gradgpu ops (so every backend and create_graph work)."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from .. import _factories
from .._random_factories import rand_like
from ..autograd.grad_mode import no_grad
from ._common import Tensor, check_tensor, xp_of
from .activation import softmax
from .indexing import index_select


def pdist(input, p: float = 2):
    """y_k = ||x_i - x_j||_p over the pairs i < j of the rows of ``input`` (N, M), in row-major
    order of the upper triangle (N (N - 1) / 2 values); the gradient at a zero distance is 0."""
    from ..linalg import vector_norm

    check_tensor(input, "pdist")
    if input._data.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input._data.ndim}D")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    from .reduction.pairwise import Recompute, _max_distance
    from .shape import cat

    xp = xp_of(input)
    n, m = input._data.shape
    if n < 2 or m == 0:  # no pairs, or every distance 0 (no columns)
        return _factories.zeros((n * (n - 1) // 2,), dtype=input.dtype, device=input.device)

    # the pairs (i, j > i) of rows [s, s + rows) at a time, so that the differences held at
    # once stay near _PDIST_BLOCK elements (not N^2 M / 2); each block's pairs are contiguous
    # in the row-major upper-triangle order
    def block(x, s, e):  # the distances of the pairs (i, j > i) with s <= i < e
        r = xp.arange(s, e, dtype=np.int64)
        i, j = xp.nonzero(xp.arange(n, dtype=np.int64) > r[:, None])
        diff = index_select(x, 0, Tensor._make(r[i])) - index_select(
            x, 0, Tensor._make(j.astype(np.int64)))
        # p = inf: each tied coordinate gets the whole gradient, as PyTorch's pdist (and cdist)
        if p == math.inf:
            return _max_distance(diff)
        return vector_norm(diff, ord=p, dim=1)

    rows = max(1, _PDIST_BLOCK // max(n * m, 1))
    if rows >= n - 1:
        return block(input, 0, n - 1)
    # Recompute: backward too holds one block's differences at a time
    return cat([Recompute.apply(functools.partial(block, s=s, e=min(s + rows, n - 1)), input)
                for s in range(0, n - 1, rows)])


_PDIST_BLOCK = 1 << 22  # elements of row differences per block


def gumbel_softmax(logits, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1):
    """y = softmax((logits + g) / tau) along ``dim`` with g ~ Gumbel(0, 1) from the default
    generator of the logits' device; ``hard`` returns the one-hot of argmax y in the forward
    and the gradient of the soft y (straight-through: y_hard - stop_grad(y) + y)."""
    check_tensor(logits, "gumbel_softmax", "logits")
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if logits._data.dtype.kind != "f":
        raise RuntimeError(f"gumbel_softmax(): expected floating point logits, got "
                           f"{logits.dtype}")
    xp = xp_of(logits)
    with no_grad():
        u = rand_like(logits)._data
    # g = -log(E) with E = -log(1 - u) ~ Exp(1); E kept above 0 (u = 0 would give g = +inf)
    tiny = np.finfo(u.dtype).tiny
    gumbels = -xp.log(xp.maximum(-xp.log1p(-u), tiny))
    y_soft = softmax((logits + Tensor._make(gumbels.astype(u.dtype))) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = _factories.zeros_like(logits).scatter(dim, index, 1.0)
    with no_grad():
        y_const = Tensor._make(y_soft._data)
    return y_hard - y_const + y_soft


TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
