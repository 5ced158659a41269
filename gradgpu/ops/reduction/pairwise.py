"""Distances and second moments: cdist, dist, renorm, cov and corrcoef, composed of
differentiable ops (so they run on every backend and support create_graph)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _dtypes
from ...autograd.function import Function
from ...autograd.grad_mode import _state, enable_grad
from .._common import Tensor, check_tensor, same_device, wrap_dim, xp_of
from ..elementwise import clamp_min, sqrt, where
from ..shape import expand, reshape, unsqueeze
from .statistics import norm
from .sums import _const, _quiet, sum

_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def _matmul(a, b):
    from ..linalg import matmul  # lazy: linalg's import chain passes through this package

    return matmul(a, b)


def _euclid_mm(x1, x2):
    """sqrt(max(|a|^2 + |b|^2 - 2 a.b, 0)) for every pair of rows: PyTorch's matrix-product
    form (O(P R) memory, with its rounding); the gradient is 0 where that is 0, as PyTorch's."""
    from ..shape import cat

    n1 = sum(x1 * x1, -1, keepdim=True)
    n2 = sum(x2 * x2, -1, keepdim=True)
    a = cat([x1 * -2.0, n1, _ones_like(n1)], -1)
    b = cat([x2, _ones_like(n2), n2], -1)
    sq = clamp_min(_matmul(a, b.transpose(-1, -2)), 0.0)
    zero = _const(sq._data == 0)
    return where(zero, 0.0, sqrt(where(zero, 1.0, sq)))


def _ones_like(t):
    return _const(xp_of(t).ones(t._data.shape, dtype=t._data.dtype))


def cdist(x1, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"):
    """y[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p over broadcast batch dims;
    dx: the p-norm's gradient, 0 at zero distance. For p = 2 with more than 25 rows (or
    ``compute_mode='use_mm_for_euclid_dist'``) the matrix-product form, as PyTorch."""
    check_tensor(x1, "cdist", "x1")
    check_tensor(x2, "cdist", "x2")
    same_device("cdist", x1, x2)
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{t.dtype}")
    if x1._data.dtype != x2._data.dtype:
        raise RuntimeError(f"cdist(): expected both inputs to have the same dtype, got "
                           f"{x1.dtype} and {x2.dtype}")
    m1, m2 = x1._data.shape[-1], x2._data.shape[-1]
    if m1 != m2:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {m1} X2: {m2}")
    p = float(p)
    if p < 0 or math.isnan(p):
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    xp = xp_of(x1)
    batch = tuple(np.broadcast_shapes(x1._data.shape[:-2], x2._data.shape[:-2]))  # host shapes
    r1, r2 = x1._data.shape[-2], x2._data.shape[-2]
    x1 = expand(x1, batch + (r1, m1))
    x2 = expand(x2, batch + (r2, m2))
    if m1 == 0 or r1 == 0 or r2 == 0:
        return _const(xp.zeros(batch + (r1, r2), dtype=x1._data.dtype))
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist"
                         or compute_mode == _CDIST_MODES[0] and (r1 > 25 or r2 > 25))
    if use_mm:
        return _euclid_mm(x1, x2)
    # the (..., rows, R, M) differences of ``rows`` rows of x1 at a time, so that the block
    # held at once stays near _CDIST_BLOCK elements (not the whole (..., P, R, M) tensor)
    def block(a, b):
        diff = unsqueeze(a, -2) - unsqueeze(b, -3)
        return _max_distance(diff) if p == math.inf else norm(diff, p, -1)

    rows = max(1, _CDIST_BLOCK // max(math.prod(batch) * r2 * m1, 1))
    if rows >= r1:
        return block(x1, x2)
    from ..shape import cat

    return cat([Recompute.apply(block, x1[..., s:s + rows, :], x2)
                for s in range(0, r1, rows)], -2)


_CDIST_BLOCK = 1 << 22  # elements of the difference tensor per block


class Recompute(Function):
    """y = fn(*xs) without keeping fn's graph (nor the intermediates it saves): backward
    recomputes fn on the saved inputs and backpropagates g through it, so a blocked op holds
    one block's intermediates at a time; under create_graph the recomputation is recorded on
    the inputs themselves, so higher-order gradients flow as through fn. ``fn`` must use no
    tensor that requires grad other than ``xs`` (``gradgpu.utils.checkpoint`` allows that)."""

    @staticmethod
    def forward(ctx, fn, *xs):
        ctx.fn = fn
        ctx.save_for_backward(*xs)
        return fn(*xs)._data

    @staticmethod
    def backward(ctx, g):
        from ...autograd import grad

        xs = ctx.saved_tensors
        want = [x._requires_grad for x in xs]
        create = _state.enabled  # backward(create_graph=True)
        if not create:  # recompute on detached leaves: nothing recorded on the inputs
            xs = [_const(x._data).requires_grad_() if w else _const(x._data)
                  for x, w in zip(xs, want)]
        else:  # on fresh views of the inputs: grad() stops there, so the inputs' own hooks
            # and retain_grad run once, in the outer backward, not with a partial gradient here
            xs = [x.view_as(x) if w else x for x, w in zip(xs, want)]
        with enable_grad():
            y = ctx.fn(*xs)
            got = iter(grad(y, [x for x, w in zip(xs, want) if w], g, create_graph=create,
                            allow_unused=True))
        return (None,) + tuple(next(got) if w else None for w in want)


def _max_distance(diff):
    """y = max_k |d_k|;  dd = g sign(d) at EVERY k where |d_k| == y (PyTorch's cdist gives
    each tie the whole gradient, where amax and norm share it): the value plus a term that is
    0 in value and carries that gradient."""
    xp = xp_of(diff)
    ad = diff.abs()
    yd = ad._data.max(axis=-1, keepdims=True)
    hit = _const((ad._data == yd) & xp.isfinite(ad._data))  # inf - inf would be NaN
    zero_valued = where(hit, ad - _const(ad._data), 0.0)
    return _const(xp.squeeze(yd, -1)) + sum(zero_valued, -1)


def dist(input, other, p: float = 2) -> Tensor:
    """y = ||input - other||_p over all elements of the broadcast difference;
    dx = the p-norm's gradient (0 where the difference is 0)."""
    check_tensor(input, "dist")
    check_tensor(other, "dist", "other")
    diff = input - other  # promoted: one floating operand is enough, as PyTorch
    if diff._data.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {diff.dtype} instead (dist of {input.dtype} and "
                           f"{other.dtype}).")
    return norm(diff, float(p))


def renorm(input, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` scaled to norm
    ``maxnorm``: y = x * maxnorm / (||x_i||_p + 1e-7) there, x elsewhere; dx through the
    norm, as PyTorch's renorm_backward."""
    check_tensor(input, "renorm")
    xd = input._data
    p, maxnorm = float(p), float(maxnorm)
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if xd.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {xd.ndim} "
                           "dimensions")
    axis = wrap_dim(dim, xd.ndim, "renorm")
    if xd.dtype.kind != "f":
        raise RuntimeError(f"renorm(): Expected a floating point tensor as input. Got "
                           f"{input.dtype}")
    others = tuple(d for d in range(xd.ndim) if d != axis)
    n = norm(input, p, others, keepdim=True)
    big = _const(n._data > maxnorm)
    scale = where(big, maxnorm / (where(big, n, 1.0) + 1e-7), 1.0)
    return input * scale


# ---- cov / corrcoef --------------------------------------------------------------------------
def _weights(w, name, kind, n_obs, input):
    check_tensor(w, "cov", name)
    same_device("cov", input, w)
    wd = w._data
    if wd.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {wd.ndim} dimensions")
    if wd.size != n_obs:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {wd.size} != {n_obs}")
    if kind == "int" and wd.dtype.kind not in "iu":
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights "
                           f"with {w.dtype} dtype")
    if kind == "float" and wd.dtype.kind != "f":
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                           f"aweights with {w.dtype} dtype")
    # one host sync for the sign check, as PyTorch's
    if wd.size and bool((wd < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return reshape(w, (-1,))


def cov(input, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in ``input``'s rows (observations in columns):
    with weights w = fweights * aweights, mean m = sum(w x) / sum(w),
    C = (x - m) (w (x - m))^T / (sum(w) - correction * sum(w aweights) / sum(w)); squeezed.
    Differentiable in input and aweights."""
    check_tensor(input, "cov")
    xd = input._data
    if xd.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {xd.ndim} dimensions")
    x = reshape(input, (1, -1)) if xd.ndim < 2 else input
    if xd.dtype.kind != "f":
        x = x.to(_dtypes.get_default_dtype())
    n_obs = x._data.shape[1]
    w = None
    if fweights is not None:
        w = _weights(fweights, "fweights", "int", n_obs, input).to(x.dtype)
    if aweights is not None:
        aw = _weights(aweights, "aweights", "float", n_obs, input)
        w = aw if w is None else w * aw
    xp = xp_of(x)
    with _quiet(x):
        if w is None:
            avg = sum(x, 1) / n_obs
            dof = n_obs - correction
            degenerate = dof <= 0
            norm_factor = _const(xp.asarray(max(dof, 0), dtype=x._data.dtype))
        else:
            w_sum = sum(w)
            # one host sync, as PyTorch's (a zero sum would make every entry NaN)
            if bool(w_sum._data == 0):
                raise RuntimeError("cov(): weights sum to zero, can't be normalized")
            avg = sum(x * w, 1) / w_sum
            if correction == 0:
                norm_factor = w_sum
            elif aweights is None:
                norm_factor = w_sum - correction
            else:
                norm_factor = w_sum - correction * sum(w * aw) / w_sum
            # one host sync to warn, as PyTorch's
            degenerate = bool(norm_factor._data <= 0)
            if degenerate:
                norm_factor = _const(xp.zeros_like(norm_factor._data))
        if degenerate:  # the entries become inf / NaN, as PyTorch's
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the number of observations.", UserWarning, stacklevel=2)
        centered = x - unsqueeze(avg, 1)
        weighted = centered if w is None else centered * w
        c = _matmul(centered, weighted.transpose(0, 1)) / norm_factor
    return reshape(c, ()) if c._data.shape == (1, 1) else c


def corrcoef(input) -> Tensor:
    """Pearson correlation coefficients of ``input``'s rows: C_ij / sqrt(C_ii C_jj) for
    C = cov(input), clipped to [-1, 1]."""
    check_tensor(input, "corrcoef")
    c = cov(input)
    with _quiet(c):
        if c._data.ndim == 0:
            return c / c
        from ..shape import diagonal

        sd = sqrt(diagonal(c))
        c = c / unsqueeze(sd, 1) / unsqueeze(sd, 0)
        from ..elementwise import clamp

        return clamp(c, -1.0, 1.0)


TENSOR_METHODS = {"dist": dist, "renorm": renorm, "cov": cov, "corrcoef": corrcoef}
FUNCTIONS = {"cdist": cdist}
