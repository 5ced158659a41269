"""The NumPy backend: the specification every other backend is tested against."""

from __future__ import annotations

import functools

import numpy as np

from .. import _device
from . import host_kernels
from .array_kernels import ArrayKernels
from .float_warnings import silence_float_warnings
from .host_erf import erf_float32
from .host_memory import keep_freed_memory
from .reference_optim import adam_arguments, sgd_arguments, subset_slots

silence_float_warnings()  # inf * 0 is NaN without a warning, as in PyTorch


class NumpyBackend(ArrayKernels):
    """Arrays in host memory. ``xp`` is the NumPy namespace; named kernels below are the
    reference implementations of what a GPU backend may fuse."""

    xp = np
    name = "cpu"

    def __init__(self) -> None:
        self.device = _device.device("cpu")

    # ---- arrays -------------------------------------------------------------------------
    def asarray(self, data, dtype=None):
        """Copy-free when possible; ``data`` may be a NumPy array, a scalar or nested lists."""
        return np.asarray(data, dtype=dtype)

    def from_foreign(self, array):
        """Bring an array from another backend into host memory."""
        if hasattr(array, "get"):  # cupy.ndarray.get() copies device -> host
            return array.get()
        return np.asarray(array)

    def synchronize(self) -> None:
        """Host arrays are always ready."""

    @staticmethod
    def quiet():
        """Silence NumPy's floating-point warnings (log(0), 0/0): IEEE results, as on a GPU."""
        return np.errstate(all="ignore")

    # ---- random numbers (a backend-specific RNG object, held by gradgpu.Generator) -------
    def new_rng(self, seed: int):
        return np.random.Generator(np.random.PCG64(seed))

    def rng_state(self, rng):
        return rng.bit_generator.state

    def set_rng_state(self, rng, state) -> None:
        rng.bit_generator.state = state

    def uniform(self, rng, shape, dtype):
        return rng.random(shape, dtype=np.float64).astype(dtype, copy=False)

    def normal(self, rng, shape, dtype):
        return rng.standard_normal(shape, dtype=np.float64).astype(dtype, copy=False)

    def randint(self, rng, low, high, shape, dtype):
        return rng.integers(low, high, size=shape, dtype=np.int64).astype(dtype, copy=False)

    def permutation(self, rng, n):
        return rng.permutation(n)

    # ---- kernels with a faster host implementation --------------------------------------
    def slice_sum(self, x, axes):
        """As ArrayKernels', but short trailing rows of a C-contiguous float32/64 array are
        summed by ``einsum`` (a vector loop across the rows): NumPy's ``sum`` pays a fixed cost
        per row, 4x the whole time for the 64-wide rows of attention scores and layer norms. (A
        BLAS product with a vector of ones is as fast alone, but slower inside a step: OpenBLAS
        hands half the rows to its second thread, which must first pull them from this core's
        cache.) Rows up to ``EINSUM_ROW_SUM_MAX`` long only: einsum adds each row up in running
        sums, NumPy pairwise, which stays more accurate for long rows."""
        n = _trailing_size(x, axes)
        if 0 < n <= EINSUM_ROW_SUM_MAX and x.flags.c_contiguous and x.dtype in _VECTOR_FLOATS:
            k = _count(axes)
            keep = x.shape[:x.ndim - k] + (1,) * k
            return np.einsum("ij->i", x.reshape(-1, n)).reshape(keep)
        return x.sum(axis=axes, keepdims=True)

    def slice_max(self, x, axes):
        """As ArrayKernels', with -inf as the initial value: NumPy then reduces each row with
        its vector loop instead of setting the first element aside (1.6x faster for short
        rows). The result is the same: NaN still wins, and no slice is empty here."""
        return x.max(axis=axes, keepdims=True, initial=-np.inf)

    # ---- compiled host kernels (host_kernels: float32 C-contiguous arrays, when built) ----
    def ew(self, name: str, *args):
        """As ArrayKernels', with exact GELU in one compiled loop (bit for bit the same forward;
        ~6x faster than its ~26 NumPy passes)."""
        fast = _HOST_EW.get(name)
        if fast is not None and (out := fast(*args)) is not None:
            return out
        return super().ew(name, *args)

    def softmax(self, x, axis: int):
        out = host_kernels.softmax(x, axis)
        return super().softmax(x, axis) if out is None else out

    def causal_softmax(self, x):
        out = host_kernels.causal_softmax(x)
        return super().causal_softmax(x) if out is None else out

    def log_softmax(self, x, axis: int):
        out = host_kernels.softmax(x, axis, log=True)
        return super().log_softmax(x, axis) if out is None else out

    def softmax_bwd(self, g, y, axis: int):
        out = host_kernels.softmax_bwd(g, y, axis)
        return super().softmax_bwd(g, y, axis) if out is None else out

    def log_softmax_bwd(self, g, y, axis: int):
        out = host_kernels.softmax_bwd(g, y, axis, log=True)
        return super().log_softmax_bwd(g, y, axis) if out is None else out

    def layer_norm_fwd(self, x, axes: tuple, eps: float):
        out = host_kernels.layer_norm_fwd(x, _trailing_size(x, axes), eps)
        if out is None:
            return super().layer_norm_fwd(x, axes, eps)
        xhat, rstd = out
        return xhat, rstd.reshape(x.shape[:x.ndim - len(axes)] + (1,) * len(axes))

    def layer_norm_bwd(self, g, xhat, rstd, axes: tuple):
        out = host_kernels.layer_norm_bwd(g, xhat, rstd, _trailing_size(xhat, axes))
        return super().layer_norm_bwd(g, xhat, rstd, axes) if out is None else out

    def cross_entropy_fwd(self, x, target, weight, ignore_index: int, label_smoothing: float,
                          axis: int):
        out = host_kernels.cross_entropy_fwd(x, target, weight, ignore_index, label_smoothing,
                                             axis)
        if out is None:
            return super().cross_entropy_fwd(x, target, weight, ignore_index, label_smoothing,
                                             axis)
        return out

    def cross_entropy_bwd(self, g, x, lse, target, weight, ignore_index: int,
                          label_smoothing: float, axis: int):
        out = host_kernels.cross_entropy_bwd(g, x, lse, target, weight, ignore_index,
                                             label_smoothing, axis)
        if out is None:
            return super().cross_entropy_bwd(g, x, lse, target, weight, ignore_index,
                                             label_smoothing, axis)
        return out

    def adam_step(self, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs,
                  **options) -> None:
        slots = [params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs]
        rest = host_kernels.adam_step(*slots, adam_arguments(**options))
        if rest:
            super().adam_step(*subset_slots(slots, rest), **options)

    def sgd_step(self, params, grads, momentum_buffers, **options) -> None:
        slots = [params, grads, momentum_buffers]
        rest = host_kernels.sgd_step(*slots, sgd_arguments(**options))
        if rest:
            super().sgd_step(*subset_slots(slots, rest), **options)

    def erf(self, x):
        """float32/float16: ``host_erf`` (within 1 ulp, 2-3x faster than SciPy's; float32 in
        one compiled loop when the host kernels are built, the same bits). float64:
        SciPy's C ``erf`` when SciPy is installed (about 10x faster than the reference, which
        dominates exact GELU on the CPU); otherwise the reference in ArrayKernels."""
        if x.dtype == np.float32 or x.dtype == np.float16:
            out = host_kernels.erf(x)
            return erf_float32(x) if out is None else out
        special = _scipy_special()
        if special is None:
            return super().erf(x)
        return np.asarray(special.erf(x))


@functools.lru_cache(maxsize=1)
def _scipy_special():
    """scipy.special, or None: SciPy is optional (the demo and test extras bring it)."""
    try:
        import scipy.special
    except ImportError:
        return None
    return scipy.special


_HOST_EW = {"gelu_fwd": host_kernels.gelu_fwd, "gelu_bwd": host_kernels.gelu_bwd}

EINSUM_ROW_SUM_MAX = 512
_VECTOR_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))



def _count(axes) -> int:
    return 1 if isinstance(axes, int) else len(axes)


def _trailing_size(x, axes) -> int:
    """The number of elements per slice when ``axes`` are x's last dims, else 0 (also for an
    axis out of range: the NumPy code raises for it, rather than reading it modulo ndim)."""
    nd = x.ndim
    axes = (axes,) if isinstance(axes, int) else axes
    k = len(axes)
    want = tuple(range(nd - k, nd))
    # negative axes + nd, not % nd: one out of range then matches no trailing dim
    if k == 0 or tuple(sorted(a + nd if a < 0 else a for a in axes)) != want:
        return 0
    n = 1
    for d in want:
        n *= x.shape[d]
    return n


NUMPY = NumpyBackend()
HOST_MALLOC_TUNED = keep_freed_memory()  # see host_memory: freed arrays stay mapped
