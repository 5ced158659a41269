"""Reference reductions (written against ``self.xp``): what the reduction ops compute, as named
kernels a backend may replace with its own (the CUDA backend's ReductionKernels, which accumulate
float16 in float32). ``axes`` is a tuple of dims or None for all."""

from __future__ import annotations


class ReductionReference:
    """Mixin of ArrayKernels: the NumPy specification of the reduction kernels."""

    def reduce_sum(self, x, axes, keepdims: bool, dtype=None):
        """sum over ``axes`` (in ``dtype`` when given). Floats: inf + -inf is NaN and a float16
        sum may overflow to inf without NumPy's warnings (IEEE results, as on a GPU); integer
        sums skip the error-state switch, which costs a microsecond."""
        if x.dtype.kind != "f" and (dtype is None or self.xp.dtype(dtype).kind != "f"):
            return x.sum(axis=axes, keepdims=keepdims, dtype=dtype)
        with self.quiet():
            return x.sum(axis=axes, keepdims=keepdims, dtype=dtype)

    def reduce_mean(self, x, axes, keepdims: bool):
        """mean over ``axes`` (NaN for an empty slice)."""
        with self.quiet():
            if x.size == 0:  # 0 / 0: NaN, without NumPy's "Mean of empty slice" warning
                return x.sum(axis=axes, keepdims=keepdims) / 0
            return x.mean(axis=axes, keepdims=keepdims)

    def reduce_prod(self, x, axes, keepdims: bool, dtype=None):
        """product over ``axes`` (in ``dtype`` when given)."""
        with self.quiet():
            return x.prod(axis=axes, keepdims=keepdims, dtype=dtype)

    def reduce_max(self, x, axes, keepdims: bool):
        """max over ``axes``; NaN wins (NumPy's and PyTorch's amax)."""
        return x.max(axis=axes, keepdims=keepdims)

    def reduce_min(self, x, axes, keepdims: bool):
        """min over ``axes``; NaN wins."""
        return x.min(axis=axes, keepdims=keepdims)

    def arg_reduce(self, x, axis: int, largest: bool):
        """(values, int64 indices) of the max (``largest``) or min along ``axis``, keepdims;
        the first occurrence wins ties and a NaN beats every number (NumPy's argmax)."""
        xp = self.xp
        pick = xp.argmax if largest else xp.argmin
        idx = xp.expand_dims(pick(x, axis=axis), axis).astype(xp.int64, copy=False)
        return xp.take_along_axis(x, idx, axis), idx

    def reduce_var(self, x, axes, keepdims: bool, dof: int):
        """sum((x - mean)^2) / dof over ``axes`` (two passes: exact for large means)."""
        with self.quiet():
            dev = x - x.mean(axis=axes, keepdims=True)
            return (dev * dev).sum(axis=axes, keepdims=keepdims) / dof

    def reduce_logsumexp(self, x, axes):
        """log(sum(exp(x))) over ``axes`` (keepdims), shifted by the finite slice max so large
        |x| neither overflows nor underflows; an all -inf slice gives -inf."""
        xp = self.xp
        with self.quiet():
            m = x.max(axis=axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            return xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m

    def reduce_norm(self, x, p: float, axes, keepdims: bool):
        """(sum |x|^p)^(1/p) over ``axes`` for finite p > 0 (float16 computed in float32, as the
        CUDA kernel does: its squares overflow and underflow in float16)."""
        xp = self.xp
        if x.dtype == xp.float16:
            return self.reduce_norm(x.astype(xp.float32), p, axes, keepdims).astype(xp.float16)
        with self.quiet():
            if p == 2:
                y = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdims))
            elif p == 1:
                y = xp.abs(x).sum(axis=axes, keepdims=keepdims)
            else:
                y = (xp.abs(x) ** p).sum(axis=axes, keepdims=keepdims) ** (1.0 / p)
        return xp.asarray(y, dtype=x.dtype)
