"""The NumPy backend: the specification every other backend is tested against."""

from __future__ import annotations

import functools

import numpy as np

from .. import _device
from .array_kernels import ArrayKernels
from .host_erf import erf_float32
from .host_memory import keep_freed_memory


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
    def erf(self, x):
        """float32/float16: ``host_erf`` (within 1 ulp, 2-3x faster than SciPy's). float64:
        SciPy's C ``erf`` when SciPy is installed (about 10x faster than the reference, which
        dominates exact GELU on the CPU); otherwise the reference in ArrayKernels."""
        if x.dtype == np.float32 or x.dtype == np.float16:
            return erf_float32(x)
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


NUMPY = NumpyBackend()
HOST_MALLOC_TUNED = keep_freed_memory()  # see host_memory: freed arrays stay mapped
