"""Named kernels written against ``self.xp`` (NumPy or CuPy): the reference implementation of
the fused ops (softmax rows, im2col, pooling windows, ...). NumpyBackend uses them as they are;
the CUDA backend inherits them and overrides the ones it has its own CUDA kernels for.
"""

from __future__ import annotations

import math

from .elementwise_spec import ELEMENTWISE as _ELEMENTWISE
from .reference_optim import OptimReference
from .reference_random import RandomReference
from .reference_reduction import ReductionReference
from .reference_windows import WindowReference


class ArrayKernels(WindowReference, ReductionReference, RandomReference, OptimReference):
    """Mixin: kernels expressed with the array namespace ``self.xp``."""

    xp = None  # set by the backend class

    # ---- per-element functions (backend/elementwise_spec.py) ----
    def ew(self, name: str, *args):
        """Per-element function ``name`` of the ELEMENTWISE table on arrays (and trailing
        scalars): ``ew("tanh_bwd", g, y)``; a tuple for several outputs. IEEE results for
        inf/nan inputs, no warnings (as on a GPU)."""
        with self.quiet():
            return _ELEMENTWISE[name].reference(self.xp, *args)

    def copy(self, x):
        """A new array with ``x``'s values (C order)."""
        return x.copy()

    # ---- sums and maxima of slices (keepdims), the building blocks of the row kernels below ----
    def slice_sum(self, x, axes):
        """sum over ``axes`` (an int or a tuple), keepdims. NumpyBackend replaces it with a BLAS
        product for short trailing rows."""
        return x.sum(axis=axes, keepdims=True)

    def slice_max(self, x, axes):
        """max over ``axes`` (an int or a tuple) of a float array, keepdims; NaN wins."""
        return x.max(axis=axes, keepdims=True)

    # ---- softmax ----
    def softmax(self, x, axis: int):
        """exp(x - max) / sum(exp(x - max)) along ``axis`` (-inf entries give 0)."""
        if x.ndim == 0:
            return self.softmax(x.reshape(1), 0).reshape(())
        if x.size == 0:
            return self.xp.empty(x.shape, dtype=x.dtype)
        xp = self.xp
        with self.quiet():
            e = xp.subtract(x, self.slice_max(x, axis))
            xp.exp(e, out=e)  # in place: on the host each temporary costs as much as a pass
            e /= self.slice_sum(e, axis)
        return e

    def causal_softmax(self, x):
        """softmax along the last axis of attention scores (..., L, S) in which query i sees
        only keys j <= i (upper-left aligned): the others are masked out before the softmax, so
        they give 0 whatever their value (NaN and inf included), as PyTorch's masked_fill; a
        query whose visible scores are all -inf gets zeros, as PyTorch's safe softmax."""
        xp = self.xp
        rows, cols = x.shape[-2:]
        keep = xp.tri(rows, cols, dtype=bool)
        masked = xp.where(keep, x, xp.asarray(-xp.inf, dtype=x.dtype))
        y = self.softmax(masked, x.ndim - 1)
        blank = self.slice_max(masked, x.ndim - 1) == -xp.inf
        return xp.where(blank, xp.asarray(0, dtype=y.dtype), y)

    def log_softmax(self, x, axis: int):
        """x - max - log(sum(exp(x - max))) along ``axis`` (finite for logits of any size)."""
        if x.ndim == 0:
            return self.log_softmax(x.reshape(1), 0).reshape(())
        if x.size == 0:
            return self.xp.empty(x.shape, dtype=x.dtype)
        xp = self.xp
        with self.quiet():
            s = x - self.slice_max(x, axis)
            return s - xp.log(self.slice_sum(xp.exp(s), axis))

    def softmax_bwd(self, g, y, axis: int):
        """dx = y * (g - sum(g * y)) along ``axis`` (y = softmax(x))."""
        t = g * y
        s = self.slice_sum(t, axis)
        self.xp.subtract(g, s, out=t)
        t *= y
        return t

    def log_softmax_bwd(self, g, y, axis: int):
        """dx = g - exp(y) * sum(g) along ``axis`` (y = log_softmax(x))."""
        return g - self.xp.exp(y) * self.slice_sum(g, axis)

    # ---- cross entropy over class-index targets ----
    def cross_entropy_fwd(self, x, target, weight, ignore_index: int, label_smoothing: float,
                          axis: int):
        """Per-target cross entropy with the classes along ``axis`` of x, and what backward needs:
        (loss, lse, wt), each of target's shape (x's without ``axis``):
        loss = wt (1 - ls) (lse - x_t) + ls / C * sum_c w_c (lse - x_c) (0 where t is ignored),
        lse = logsumexp of the logits, wt = weight[t] (1 without weights; 0 where ignored).
        A target outside [0, C) that is not ignore_index gives a NaN loss. float16 logits are
        computed in float32 and lse stays float32."""
        xp = self.xp
        n = x.shape[axis]
        xa = x.astype(xp.float32) if x.dtype == xp.float16 else x
        t, keep, bad = _class_targets(xp, target, n, ignore_index, axis)
        wt = _target_weight(xp, weight, t, keep, xa.dtype)
        with self.quiet():
            m = self.slice_max(xa, axis)
            e = xa - m
            xp.exp(e, out=e)
            lse = xp.log(self.slice_sum(e, axis))
            lse += m
            nll = lse - xp.take_along_axis(xa, t, axis)
            loss = xp.where(wt != 0, wt * nll, 0)  # weight 0 (ignored) wins over inf logits
            if label_smoothing:
                d = lse - xa
                if weight is not None:
                    d *= _along(weight.astype(xa.dtype, copy=False), x.ndim, axis)
                smooth = xp.where(keep, d.sum(axis=axis, keepdims=True), 0)
                loss = (1.0 - label_smoothing) * loss + (label_smoothing / n) * smooth
            if bool(bad.any()):
                loss = xp.where(bad, xp.nan, loss)
        return (loss.squeeze(axis).astype(x.dtype, copy=False), lse.squeeze(axis),
                wt.squeeze(axis).astype(x.dtype, copy=False))

    def cross_entropy_bwd(self, g, x, lse, target, weight, ignore_index: int,
                          label_smoothing: float, axis: int):
        """dx of cross_entropy_fwd's loss for the upstream gradient g (target's shape, or
        broadcastable to it): dx_c = g * (softmax(x)_c * sum_c' a_c' - a_c) with
        a_c = (1 - ls) w_t [c == t] + ls / C * w_c; zero rows for ignored targets, NaN rows for
        out-of-range ones. No one-hot is formed: a_t is subtracted at one element per row."""
        xp = self.xp
        n = x.shape[axis]
        xa = x.astype(xp.float32) if x.dtype == xp.float16 else x
        t, keep, bad = _class_targets(xp, target, n, ignore_index, axis)
        wt = _target_weight(xp, weight, t, keep, xa.dtype)
        g = xp.expand_dims(xp.broadcast_to(g, target.shape), axis).astype(xa.dtype, copy=False)
        ls = label_smoothing
        with self.quiet():
            a_t = g * (wt * (1.0 - ls))
            total = a_t
            if ls:
                w_sum = weight.astype(xa.dtype).sum() if weight is not None else n
                total = g * xp.where(keep, wt * (1.0 - ls) + (ls / n) * w_sum, 0)
            dx = xp.ascontiguousarray(xp.exp(xa - xp.expand_dims(lse, axis)))
            dx *= total
            # one element per target: (outer, C, inner) view, advanced index (o, t, i)
            outer = math.prod(x.shape[:axis])
            inner = math.prod(x.shape[axis + 1:])
            rows = xp.arange(outer).reshape(outer, 1)
            cols = xp.arange(inner).reshape(1, inner)
            dx.reshape(outer, n, inner)[rows, t.reshape(outer, inner), cols] -= (
                a_t.reshape(outer, inner))
            if ls:
                w_c = 1.0 if weight is None else _along(weight.astype(xa.dtype), x.ndim, axis)
                dx -= (g * (keep * (ls / n))) * w_c
            if bool(bad.any()):
                dx = xp.where(bad, xp.nan, dx)
        return dx.astype(x.dtype, copy=False)

    # ---- activations ----
    def erf(self, x):
        """The error function (NumPy has none), to float64 rounding: W. J. Cody's rational
        Chebyshev approximations (Math. Comp. 23, 1969) on |x| < 0.5, [0.5, 4] and > 4, each
        evaluated only on its own elements; computed in float64."""
        xp = self.xp
        x = xp.asarray(x)
        xd = x.astype(xp.float64).reshape(-1)  # 1-D: masked writes work for 0-d input too
        a = xp.abs(xd)
        out = a.copy()  # NaN stays NaN; every other entry is written below
        with self.quiet():
            small = a < 0.5
            y = a[small]
            z = y * y
            num = ((((_ERF_A[4] * z + _ERF_A[0]) * z + _ERF_A[1]) * z + _ERF_A[2]) * z
                   + _ERF_A[3])
            den = (((z + _ERF_B[0]) * z + _ERF_B[1]) * z + _ERF_B[2]) * z + _ERF_B[3]
            out[small] = y * num / den
            mid = ~small & (a <= 4.0)
            out[mid] = 1.0 - _erfc_tail(xp, a[mid], _ERF_C, _ERF_D, False)
            big = a > 4.0
            out[big] = 1.0 - _erfc_tail(xp, a[big], _ERF_P, _ERF_Q, True)
            out = xp.copysign(out, xd)
        return out.reshape(x.shape).astype(x.dtype, copy=False)

    # ---- normalization ----
    def layer_norm_fwd(self, x, axes: tuple, eps: float):
        """(x - mean) * rstd and rstd = 1 / sqrt(var + eps) over ``axes`` (biased variance;
        float16 statistics are computed in float32, as the CUDA kernels do)."""
        xp = self.xp
        if x.dtype == xp.float16:
            xhat, rstd = self.layer_norm_fwd(x.astype(xp.float32), axes, eps)
            return xhat.astype(x.dtype), rstd.astype(x.dtype)
        n = math.prod(x.shape[a] for a in axes)
        d = x - self.slice_sum(x, axes) / n
        rstd = 1.0 / xp.sqrt(self.slice_sum(d * d, axes) / n + eps)
        d *= rstd  # xhat, in place (the same rounding as d * rstd, one array fewer)
        return d, rstd.astype(x.dtype, copy=False)

    def layer_norm_bwd(self, g, xhat, rstd, axes: tuple):
        """dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) over ``axes`` (layer_norm_fwd's
        xhat and rstd; g: the gradient of xhat; float16 is computed in float32)."""
        xp = self.xp
        if xhat.dtype == xp.float16:
            f32 = xp.float32
            dx = self.layer_norm_bwd(g.astype(f32), xhat.astype(f32), rstd.astype(f32), axes)
            return dx.astype(xhat.dtype)
        n = math.prod(xhat.shape[a] for a in axes)
        mean_g = self.slice_sum(g, axes) / n
        dx = g * xhat
        mean_gx = self.slice_sum(dx, axes) / n
        self.xp.multiply(xhat, mean_gx, out=dx)
        dx -= g
        dx += mean_g
        dx *= -rstd
        return dx

    # ---- gather / scatter-add on flat indices (nn ops) ----
    def take_flat(self, x, index):
        """x.ravel()[index] (C order, any layout of x)."""
        return x.reshape(-1)[index]

    def scatter_add_flat(self, src, index, size: int):
        """out (length ``size``, zeros) with out[index] += src, repeated indices summed."""
        out = self.xp.zeros(size, dtype=src.dtype)
        self.add_at(out, index.reshape(-1), src.reshape(-1))
        return out

    # ---- indexing ----
    def argsort_stable(self, x, axis: int):
        """The stable sort permutation of ``x`` along ``axis`` (equal elements keep their
        order; NaN sorts last)."""
        return self.xp.argsort(x, axis=axis, kind="stable")

    # the dtypes the backend's scatter-add takes as they are (None: all, NumPy's add.at);
    # others are added in a wider type here (CuPy's atomicAdd has no int64/int8/bool form)
    add_at_dtypes = None

    def add_at(self, out, key, values) -> None:
        """out[key] += values in place with repeated positions summed (NumPy's ``add.at``);
        bool accumulates as "any", integers wrap around as a sum in their own type does."""
        if self.add_at_dtypes is None or out.dtype in self.add_at_dtypes:
            self._add_at(out, key, values)
            return
        xp = self.xp
        if out.dtype.kind == "b":
            wide = out.astype(xp.int32)
            self._add_at(wide, key, xp.asarray(values).astype(xp.int32))
            out[...] = wide != 0
            return
        # two's-complement sums are the same bits in uint64, wrap-around included
        wide = out.astype(xp.int64).view(xp.uint64)
        self._add_at(wide, key, xp.asarray(values).astype(xp.int64).view(xp.uint64))
        out[...] = wide.view(xp.int64).astype(out.dtype)

    def _add_at(self, out, key, values) -> None:
        self.xp.add.at(out, key, values)

    def index_put_add(self, out, key, values):
        """out[key] += values in place, repeated indices summed (unlike ``out[key] += v``,
        where the last write wins). ``key`` mixes slices and integer arrays."""
        self.add_at(out, key, values)

    def along_dim_key(self, index, dim: int) -> tuple:
        """The advanced key that addresses out[i0, .., index[i0, .., ik], .., ik] for every
        position of ``index`` (gather/scatter along ``dim``): aranges elsewhere."""
        xp = self.xp
        nd = index.ndim
        key = []
        for d, s in enumerate(index.shape):
            if d == dim:
                key.append(index)
            else:
                key.append(xp.arange(s).reshape((s,) + (1,) * (nd - d - 1)))
        return tuple(key)

    def scatter_add(self, out, dim: int, index, src):
        """out[.., index[i], ..] += src[i] along ``dim`` in place (torch.scatter_add_),
        repeated indices summed; ``src`` has index's shape."""
        self.add_at(out, self.along_dim_key(index, dim), src)


def _along(v, ndim: int, axis: int):
    """A 1-D array shaped to broadcast along ``axis`` of an ``ndim``-d array."""
    return v.reshape((-1,) + (1,) * (ndim - 1 - axis))


def _class_targets(xp, target, n: int, ignore_index: int, axis: int):
    """(t, keep, bad), target's shape with a 1 at ``axis``: t = the class index where usable
    (else 0, a safe index), keep = usable, bad = neither ignored nor in [0, n)."""
    t = xp.expand_dims(target, axis).astype(xp.int64, copy=False)
    ignored = t == ignore_index
    bad = ~ignored & ((t < 0) | (t >= n))
    keep = ~(ignored | bad)
    return xp.where(keep, t, 0), keep, bad


def _target_weight(xp, weight, t, keep, dtype):
    """weight[t] (1 without weights) where keep, else 0."""
    w = weight.astype(dtype, copy=False)[t] if weight is not None else 1
    return xp.where(keep, w, 0).astype(dtype, copy=False)


# Cody's coefficients for erf on |x| < 0.5 (A/B), erfc on [0.5, 4] (C/D) and on x > 4 (P/Q).
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1


def _rational(z, num_c, den_c, n: int):
    """Cody's numerator and denominator, by Horner steps in place (no temporary per step):
    num = (...((c[n+1] z + c[0]) z + c[1]) z ... + c[n-1]) z + c[n], and
    den = (...((z + d[0]) z + d[1]) z ... + d[n-1]) z + d[n]."""
    num, den = z * num_c[n + 1], z.copy()
    for i in range(n):
        num += num_c[i]
        num *= z
        den += den_c[i]
        den *= z
    num += num_c[n]
    den += den_c[n]
    return num, den


def _erfc_tail(xp, y, num_c, den_c, asymptotic: bool):
    """erfc(y) for y >= 0.5: a rational function times exp(-y^2), the exponential split as
    exp(-ys^2) exp(-(y - ys)(y + ys)) with ys = y rounded to 1/16, so no precision is lost.
    This is the hot part of exact GELU on the CPU without SciPy."""
    if asymptotic:
        w = 1.0 / (y * y)
        num, den = _rational(w, num_c, den_c, 4)
        num *= w
        num /= den
        r = (_ONE_OVER_SQRT_PI - num) / y
    else:
        num, den = _rational(y, num_c, den_c, 7)
        r = num / den
    ys = xp.trunc(y * 16.0)
    ys /= 16.0
    r *= xp.exp(-ys * ys)
    r *= xp.exp(-(y - ys) * (y + ys))
    return xp.where(xp.isinf(y), 0.0, r)  # inf - inf above is NaN; erfc(inf) = 0
