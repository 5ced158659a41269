"""Dropout with a counter-based mask: y = x * m / (1 - p), where m_k = [w_k < T(p)] and w_k is
the Philox4x32-10 word of element k (C order) at the Generator's (key, offset).

The mask is a function of (seed, offset, element index) only, so ``gradgpu.manual_seed(s)``
gives the same mask on the CPU (the NumPy reference, ``backend/reference_random.py``) and on a
GPU (``kernels/dropout.cuh``), whatever the launch configuration. The rule and the exact
threshold T(p) are documented in ``backend/reference_random.py``.

The forward saves the bool mask (one byte per element) rather than regenerating it from
(key, offset) in the backward: the backward is then a plain multiply, the same on every backend,
holds no reference to the generator, and its own backward (for double backward) is itself.
"""

from __future__ import annotations

from .. import _random
from ..autograd.function import Function
from ._common import backend_of, check_tensor


class NativeDropout(Function):
    """y = x * m / (1 - p) with m the Philox mask of the blocks from ``offset`` on under ``key``;
    dx = g * m / (1 - p)"""

    @staticmethod
    def forward(ctx, x, p, key, offset):
        y, mask = backend_of(x._data).dropout_fwd(x._data, p, key, offset)
        ctx.mask = mask
        ctx.p = p
        return y

    @staticmethod
    def backward(ctx, g):
        return NativeDropoutBackward.apply(g, ctx.mask, ctx.p), None, None, None


class NativeDropoutBackward(Function):
    """dx = g * m / (1 - p) for a fixed bool mask m; linear in g, so d(dx)/dg is the same
    map: dg = gg * m / (1 - p)"""

    @staticmethod
    def forward(ctx, g, mask, p):
        ctx.mask = mask
        ctx.p = p
        return backend_of(g._data).dropout_bwd(g._data, mask, p)

    @staticmethod
    def backward(ctx, gg):
        return NativeDropoutBackward.apply(gg, ctx.mask, ctx.p), None, None


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training only);
    the mask comes from the default generator of the input's device."""
    check_tensor(input, "dropout")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input  # PyTorch returns the input itself here
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"dropout(): expected a floating point input, got {input.dtype}")
    p = float(p)
    if p == 1.0:
        key, offset = 0, 0  # every element is dropped: no random words are drawn
    else:
        gen = _random.generator_for(input.device, None)
        key, offset = gen.philox_reserve(-(-input._data.size // 4))
    out = NativeDropout.apply(input, p, key, offset)
    if inplace:
        from .inplace import _check_writable, commit

        _check_writable(input, "dropout_")
        return commit(input, out, "dropout_")
    return out


TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
