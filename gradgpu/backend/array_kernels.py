"""Named kernels written against ``self.xp`` (NumPy or CuPy): the reference implementation of
the fused ops (softmax rows, im2col, pooling windows, ...). NumpyBackend uses them as they are;
the CUDA backend inherits them and overrides the ones it has its own CUDA kernels for.
"""

from __future__ import annotations


class ArrayKernels:
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
        """The error function to ~1e-15 (NumPy has none): a positive-term series below
        |x| = 2.5, the continued fraction of erfc above; computed in float64."""
        xp = self.xp
        xd = x.astype(xp.float64)
        a = xp.abs(xd)
        small = a < 2.5
        with self.quiet():
            # erf(a) = 2/sqrt(pi) e^(-a^2) sum_n 2^n a^(2n+1) / (2n+1)!!  (no cancellation)
            s = xp.where(small, a, 0.0)
            s2 = s * s
            term = s
            total = s
            for n in range(1, 40):
                term = term * (2.0 / (2 * n + 1)) * s2
                total = total + term
            series = 1.1283791670955126 * xp.exp(-s2) * total
            # erfc(a) = e^(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
            b = xp.where(small, 2.5, a)
            f = xp.zeros_like(b)
            for k in range(30, 0, -1):
                f = (0.5 * k) / (b + f)
            erfc = xp.exp(-b * b) * 0.5641895835477563 / (b + f)
            out = xp.copysign(xp.where(small, series, 1.0 - erfc), xd)
        return out.astype(x.dtype, copy=False)

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
        out = self.xp.bincount(index.reshape(-1), weights=src.reshape(-1), minlength=size)
        return out.astype(src.dtype, copy=False)

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
        (the first maximum wins ties; NaN propagates), padding never selected."""
        xp = self.xp
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (dh, dw), (pt, _, pl, _) = kernel, stride, dilation, pads
        cols = self.im2col(x, kernel, stride, dilation, pads, pad_value=-xp.inf)
        oh, ow = cols.shape[-2:]
        cols = cols.reshape(n, c, kh * kw, oh, ow)
        k = cols.argmax(axis=2)
        values = xp.take_along_axis(cols, k[:, :, None], axis=2)[:, :, 0]
        rows = (xp.arange(oh) * sh - pt).reshape(oh, 1) + (k // kw) * dh
        cols_ = (xp.arange(ow) * sw - pl).reshape(1, ow) + (k % kw) * dw
        return values, rows * w + cols_

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
