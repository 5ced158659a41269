"""Distances between tensors: cosine_similarity and pairwise_distance, composed of
differentiable ops."""

from __future__ import annotations

from .. import _dtypes
from . import elementwise as ew
from ._common import check_tensor, wrap_dim
from .activation_composed import _SCALAR_TYPE_NAMES
from .reduction import sum as _sum


# ---- distances ------------------------------------------------------------------------------
def _clamp_min_no_grad(t, eps: float):
    """max(t, eps) in value, but with t's gradient passed straight through (1 everywhere), as
    PyTorch's cosine_similarity clamps its norms in place under no_grad."""
    small = t.detach() < eps
    ts = ew.where(small, t, 0.0)  # finite where it is used: no inf - inf for an overflowed norm
    return ew.where(small, ts - ts.detach() + eps, t)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim`` (PyTorch's current
    formula: each norm clamped by ``eps`` on its own, the clamp not differentiated), over the
    broadcast of x1 and x2; integer inputs are converted to the common (floating) dtype."""
    import numpy as np

    from .reduction import norm as _norm
    from .shape import expand

    check_tensor(x1, "cosine_similarity", "x1")
    check_tensor(x2, "cosine_similarity", "x2")
    common = _dtypes.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_SCALAR_TYPE_NAMES.get(common.np.name, common)}")
    if x1._data.dtype.kind != "f":
        x1 = x1.to(common)
    if x2._data.dtype.kind != "f":
        x2 = x2.to(common)
    s1, s2 = tuple(x1.shape), tuple(x2.shape)
    try:
        shape = np.broadcast_shapes(s1, s2)
    except ValueError:
        from ._common import _broadcast_message

        raise RuntimeError(_broadcast_message("cosine_similarity", s1, s2)) from None
    if s1 != shape:
        x1 = expand(x1, shape)
    if s2 != shape:
        x2 = expand(x2, shape)
    d = wrap_dim(dim, len(shape), "cosine_similarity")
    eps = float(eps)
    if eps < 0:
        raise RuntimeError(f"eps must be non-negative, got: {eps:g}")
    n1 = _clamp_min_no_grad(_norm(x1, 2, d, keepdim=True), eps)
    n2 = _clamp_min_no_grad(_norm(x2, 2, d, keepdim=True), eps)
    return _sum((x1 / n1) * (x2 / n2), d)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """||x1 - x2 + eps||_p along the last dimension of the broadcast (p: as ``norm``: any p > 0,
    inf, -inf, 0)."""
    import numpy as np

    from .reduction import norm as _norm

    check_tensor(x1, "pairwise_distance", "x1")
    check_tensor(x2, "pairwise_distance", "x2")
    s1, s2 = tuple(x1.shape), tuple(x2.shape)
    try:
        np.broadcast_shapes(s1, s2)
    except ValueError:
        from ._common import _broadcast_message

        raise RuntimeError(_broadcast_message("pairwise_distance", s1, s2)) from None
    last = max(x1._data.ndim, x2._data.ndim) - 1
    return _norm(x1 - x2 + float(eps), p, last, keepdim=keepdim)
