"""Reference kernels (written against ``self.xp``) of the sliding-window ops: im2col/col2im
around conv2d's GEMM, and max/average pooling forward and backward. ``pads`` is always
(top, bottom, left, right); windows are laid out (N, C, kh, kw, oh, ow)."""

from __future__ import annotations


class WindowReference:
    """Mixin of ArrayKernels: the NumPy specification of the window kernels (kernels/conv.cu,
    kernels/pool.cu, index math in kernels/window.cuh)."""

    # ---- convolution ----
    def im2col(self, x, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple,
               pad_value=0.0):
        """Windows of x (N, C, H, W) as (N, C, kh, kw, oh, ow); ``pads`` is (top, bottom, left,
        right) filled with ``pad_value``. One strided slice copy per kernel offset."""
        xp = self.xp
        n, c = x.shape[:2]
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        padded, oh, ow = _padded(xp, x, kernel, stride, dilation, pads, pad_value)
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
        a running ``maximum``, then one equality pass per offset records the first offset that
        holds the maximum. NumPy's ``argmax`` over a short axis is several times slower than
        these few full-width passes, and so are its masked writes (``copyto`` with ``where=``,
        ``where``): the offset code is kept with integer arithmetic instead."""
        xp = self.xp
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (dh, dw), (pt, pb, pl, pr) = kernel, stride, dilation, pads
        padded, oh, ow = _padded(xp, x, kernel, stride, dilation, pads, -xp.inf)
        views = [padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                        j * dw:j * dw + sw * (ow - 1) + 1:sw]
                 for i in range(kh) for j in range(kw)]
        if sw > 1:  # each view is read twice, and a pass over one strided along its rows costs
            views = [xp.ascontiguousarray(v) for v in views]  # several times a copy
        best = views[0].copy()
        for v in views[1:]:
            xp.maximum(best, v, out=best)  # NaN propagates
        # Which kernel offset each window's maximum came from, as a small code (one byte per
        # window), turned into flat input indices h * W + w once at the end: the smallest
        # offset k whose value is the maximum, min over k of (k where hit, else K).
        k_count = len(views)
        code_type = xp.int16 if k_count > 127 else xp.int8
        code = xp.full(best.shape, k_count, dtype=code_type)
        candidate = xp.empty(best.shape, dtype=code_type)
        # the NaN pass only where some window holds NaN: a cheap test on host arrays; on a
        # device it would cost a sync, so device arrays always take the pass
        has_nan = best.dtype.kind == "f" and (self.name != "cpu" or bool(xp.isnan(best).any()))
        top = (xp.arange(oh, dtype=xp.int64) * sh - pt).reshape(oh, 1)
        left = (xp.arange(ow, dtype=xp.int64) * sw - pl).reshape(1, ow)
        offsets = [(i, j) for i in range(kh) for j in range(kw)]
        padding = pt or pb or pl or pr
        for k, v in enumerate(views):
            hit = v == best
            if has_nan:
                hit |= v != v  # NaN is the maximum
            if padding:  # a -inf input ties with the -inf padding: only real pixels count
                i, j = offsets[k]
                rows, cols = top + i * dh, left + j * dw
                hit &= (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
            xp.multiply(hit, k - k_count, out=candidate, dtype=code_type)
            candidate += k_count  # k where hit, K elsewhere
            xp.minimum(code, candidate, out=code)
        shift = xp.asarray([i * dh * w + j * dw for i, j in offsets], dtype=xp.int64)
        index = shift.take(code)
        index += top * w + left
        return best, index

    def max_pool2d_bwd(self, g, index, size: tuple, kernel: tuple, stride: tuple,
                       dilation: tuple, pads: tuple):
        """dx (N, C, H, W) of max pooling: each window's g added at its argmax (``index``, the
        flat in-plane index from max_pool2d_fwd); repeats (overlapping windows) summed."""
        xp = self.xp
        n, c = g.shape[:2]
        h, w = size
        flat = index + (xp.arange(n * c, dtype=xp.int64) * (h * w)).reshape(n, c, 1, 1)
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        if sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1:
            # disjoint windows: every pixel is the argmax of at most one, so a plain write
            out = xp.zeros(n * c * h * w, dtype=g.dtype)
            out[flat.reshape(-1)] = g.reshape(-1)
        else:
            out = self.scatter_add_flat(g, flat, n * c * h * w)
        return out.reshape(n, c, h, w)

    def avg_pool2d_fwd(self, x, kernel: tuple, stride: tuple, pads: tuple,
                       count_include_pad: bool, divisor_override):
        """Window sums of x (N, C, H, W) over zero padding ``pads`` (top, bottom, left, right),
        divided by PyTorch's divisor (divisor_override, or the window size clipped to the padded
        input, or to the input when not count_include_pad)."""
        xp = self.xp
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pads
        oh, ow = (h + pt + pb - kh) // sh + 1, (w + pl + pr - kw) // sw + 1
        if pt or pb or pl or pr:
            padded = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
            padded[:, :, pt:pt + h, pl:pl + w] = x
        else:
            padded = x
        total = None
        for i in range(kh):
            for j in range(kw):
                v = padded[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
                if total is None:
                    total = v.copy()
                else:
                    total += v
        total /= _avg_divisor(xp, (h, w), (oh, ow), kernel, stride, pads, count_include_pad,
                              divisor_override, x.dtype)
        return total

    def avg_pool2d_bwd(self, g, size: tuple, kernel: tuple, stride: tuple, pads: tuple,
                       count_include_pad: bool, divisor_override):
        """dx (N, C, H, W) of avg_pool2d_fwd (its adjoint): g / divisor spread over each window."""
        xp = self.xp
        n, c, oh, ow = g.shape
        h, w = size
        (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pads
        gd = g / _avg_divisor(xp, (h, w), (oh, ow), kernel, stride, pads, count_include_pad,
                              divisor_override, g.dtype)
        out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=g.dtype)
        for i in range(kh):
            for j in range(kw):
                # one kernel offset touches each padded pixel at most once: += is safe
                out[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += gd
        if pt or pb or pl or pr:
            out = xp.ascontiguousarray(out[:, :, pt:pt + h, pl:pl + w])
        return out


def _avg_divisor(xp, size, out_size, kernel, stride, pads, count_include_pad, override, dtype):
    """(oh, ow) divisors of average pooling, PyTorch's rule (the top/left padding bounds the
    counted window; ceil mode's extra bottom/right padding never counts)."""
    if override is not None:
        return xp.asarray(override, dtype=dtype)
    counts = []
    for n_in, n_out, k, s, p in zip(size, out_size, kernel, stride, pads[::2]):
        start = xp.arange(n_out) * s - p
        end = xp.minimum(start + k, n_in + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n_in)
        counts.append(end - start)
    return (counts[0][:, None] * counts[1][None, :]).astype(dtype)


def _padded(xp, x, kernel, stride, dilation, pads, fill):
    """(x (N, C, H, W) padded by ``pads`` = (top, bottom, left, right) with ``fill`` (x itself
    without padding), oh, ow): the windows' input and how many fit along each axis."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw), (pt, pb, pl, pr) = kernel, stride, dilation, pads
    hp, wp = h + pt + pb, w + pl + pr
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    if not (pt or pb or pl or pr):
        return x, oh, ow
    padded = xp.full((n, c, hp, wp), fill, dtype=x.dtype)
    padded[:, :, pt:pt + h, pl:pl + w] = x
    return padded, oh, ow
