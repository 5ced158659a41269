"""Named kernels written against ``self.xp`` (NumPy or CuPy): the reference implementation of
the fused ops (softmax rows, im2col, pooling windows, ...). NumpyBackend uses them as they are;
the CUDA backend inherits them and overrides the ones it has its own CUDA kernels for.
"""

from __future__ import annotations


class ArrayKernels:
    """Mixin: kernels expressed with the array namespace ``self.xp``."""

    xp = None  # set by the backend class
