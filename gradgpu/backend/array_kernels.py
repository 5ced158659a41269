"""Named kernels written against ``self.xp`` (NumPy or CuPy): the reference implementation of
the fused ops (softmax rows, im2col, pooling windows, ...). NumpyBackend uses them as they are;
the CUDA backend inherits them and overrides the ones it has its own CUDA kernels for.
"""

from __future__ import annotations

from .reference_optim import OptimReference
from .reference_random import RandomReference
from .reference_reduction import ReductionReference


class ArrayKernels(ReductionReference, RandomReference, OptimReference):
    """Mixin: kernels expressed with the array namespace ``self.xp``."""

    xp = None  # set by the backend class

    # ---- softmax ----
    def softmax(self, x, axis: int):
        """exp(x - max) / sum(exp(x - max)) along ``axis`` (-inf entries give 0)."""
        if x.ndim == 0:
            return self.softmax(x.reshape(1), 0).reshape(())
        if x.size == 0:
            return self.xp.empty(x.shape, dtype=x.dtype)
        with self.quiet():
            e = self.xp.exp(x - x.max(axis=axis, keepdims=True))
            e /= e.sum(axis=axis, keepdims=True)
        return e

    def log_softmax(self, x, axis: int):
        """x - max - log(sum(exp(x - max))) along ``axis`` (finite for logits of any size)."""
        if x.ndim == 0:
            return self.log_softmax(x.reshape(1), 0).reshape(())
        if x.size == 0:
            return self.xp.empty(x.shape, dtype=x.dtype)
        xp = self.xp
        with self.quiet():
            s = x - x.max(axis=axis, keepdims=True)
            return s - xp.log(xp.exp(s).sum(axis=axis, keepdims=True))

    def softmax_bwd(self, g, y, axis: int):
        """dx = y * (g - sum(g * y)) along ``axis`` (y = softmax(x))."""
        return y * (g - (g * y).sum(axis=axis, keepdims=True))

    def log_softmax_bwd(self, g, y, axis: int):
        """dx = g - exp(y) * sum(g) along ``axis`` (y = log_softmax(x))."""
        return g - self.xp.exp(y) * g.sum(axis=axis, keepdims=True)

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
        """(x - mean) * rstd and rstd = 1 / sqrt(var + eps) over ``axes`` (biased variance)."""
        xp = self.xp
        d = x - x.mean(axis=axes, keepdims=True)
        rstd = 1.0 / xp.sqrt((d * d).mean(axis=axes, keepdims=True) + eps)
        return d * rstd, rstd.astype(x.dtype, copy=False)

    # ---- gather / scatter-add on flat indices (nn ops) ----
    def take_flat(self, x, index):
        """x.ravel()[index] (C order, any layout of x)."""
        return x.reshape(-1)[index]

    def scatter_add_flat(self, src, index, size: int):
        """out (length ``size``, zeros) with out[index] += src, repeated indices summed."""
        out = self.xp.zeros(size, dtype=src.dtype)
        self.xp.add.at(out, index.reshape(-1), src.reshape(-1))
        return out

    # ---- convolution ----
    def im2col(self, x, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple,
               pad_value=0.0):
        """Windows of x (N, C, H, W) as (N, C, kh, kw, oh, ow); ``pads`` is (top, bottom, left,
        right) filled with ``pad_value``. One strided slice copy per kernel offset."""
        xp = self.xp
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (dh, dw), (pt, pb, pl, pr) = kernel, stride, dilation, pads
        hp, wp = h + pt + pb, w + pl + pr
        oh = (hp - dh * (kh - 1) - 1) // sh + 1
        ow = (wp - dw * (kw - 1) - 1) // sw + 1
        if pt or pb or pl or pr:
            padded = xp.full((n, c, hp, wp), pad_value, dtype=x.dtype)
            padded[:, :, pt:pt + h, pl:pl + w] = x
        else:
            padded = x
        cols = xp.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                h0, w0 = i * dh, j * dw
                cols[:, :, i, j] = padded[:, :, h0:h0 + sh * (oh - 1) + 1:sh,
                                          w0:w0 + sw * (ow - 1) + 1:sw]
        return cols

    def col2im(self, cols, size: tuple, stride: tuple, dilation: tuple, pads: tuple):
        """Adjoint of im2col: sums (N, C, kh, kw, oh, ow) windows back into (N, C, H, W)."""
        xp = self.xp
        n, c, kh, kw, oh, ow = cols.shape
        (h, w), (sh, sw), (dh, dw), (pt, pb, pl, pr) = size, stride, dilation, pads
        out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                h0, w0 = i * dh, j * dw
                # one kernel offset touches each padded pixel at most once: += is safe
                out[:, :, h0:h0 + sh * (oh - 1) + 1:sh, w0:w0 + sw * (ow - 1) + 1:sw] += (
                    cols[:, :, i, j])
        if pt or pb or pl or pr:
            out = xp.ascontiguousarray(out[:, :, pt:pt + h, pl:pl + w])
        return out

    # ---- pooling ----
    def max_pool2d_fwd(self, x, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple):
        """Window maxima of x (N, C, H, W) and their flat indices h * W + w in the input plane
        (the first maximum wins ties; NaN propagates), padding never selected.

        Works on the kernel-offset views of the (padded) input, never materializing windows:
        a running ``maximum``, then one equality pass per offset (last to first, so the first
        maximum wins) picks the index. NumPy's ``argmax`` over a short axis is several times
        slower than these few full-width passes."""
        xp = self.xp
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (dh, dw), (pt, pb, pl, pr) = kernel, stride, dilation, pads
        hp, wp = h + pt + pb, w + pl + pr
        oh = (hp - dh * (kh - 1) - 1) // sh + 1
        ow = (wp - dw * (kw - 1) - 1) // sw + 1
        if pt or pb or pl or pr:
            padded = xp.full((n, c, hp, wp), -xp.inf, dtype=x.dtype)
            padded[:, :, pt:pt + h, pl:pl + w] = x
        else:
            padded = x
        views = [padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                        j * dw:j * dw + sw * (ow - 1) + 1:sw]
                 for i in range(kh) for j in range(kw)]
        best = views[0].copy()
        for v in views[1:]:
            xp.maximum(best, v, out=best)  # NaN propagates
        # flat input index (h * W + w) of each window's element at kernel offset (i, j)
        top = (xp.arange(oh, dtype=xp.int64) * sh - pt).reshape(oh, 1)
        left = (xp.arange(ow, dtype=xp.int64) * sw - pl).reshape(1, ow)
        offsets = [(i, j) for i in range(kh) for j in range(kw)]
        i, j = offsets[-1]
        index = xp.broadcast_to((top + i * dh) * w + left + j * dw, best.shape).copy()
        for n_off in range(len(views) - 2, -1, -1):
            i, j = offsets[n_off]
            v = views[n_off]
            hit = (v == best) | (v != v)  # v != v: NaN is the maximum
            xp.copyto(index, (top + i * dh) * w + left + j * dw, where=hit)
        return best, index

    # ---- indexing ----
    def index_put_add(self, out, key, values):
        """out[key] += values in place, repeated indices summed (unlike ``out[key] += v``,
        where the last write wins). ``key`` mixes slices and integer arrays."""
        self.xp.add.at(out, key, values)

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
        self.xp.add.at(out, self.along_dim_key(index, dim), src)


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
