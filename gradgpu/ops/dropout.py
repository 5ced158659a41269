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


# ---- channel (feature) dropout and alpha dropout ----------------------------------------------
def _keep_noise(input, shape, p: float):
    """A constant tensor of ``shape`` holding 1 / (1 - p) where kept and 0 where dropped: the
    Philox dropout mask of ``dropout`` applied to ones (same generator, same seeds)."""
    from .._factories import ones

    return dropout(ones(shape, dtype=input.dtype, device=input.device), p, True)


def _check_p(p) -> float:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def _finish_inplace(input, out, inplace: bool, name: str):
    if not inplace:
        return out
    from .inplace import _check_writable, commit

    _check_writable(input, name)
    return commit(input, out, name)


def _feature_dropout(input, p: float, training: bool, inplace: bool, name: str):
    """y = x * m / (1 - p) with one mask value per (sample, channel): dims 0 and 1 of x, the
    rest broadcast (PyTorch's feature_dropout)."""
    if not training or p == 0.0 or input._data.size == 0:
        return input
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expected a floating point input, got {input.dtype}")
    if input._data.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = input._data.shape[:2] + (1,) * (input._data.ndim - 2)
    return _finish_inplace(input, input * _keep_noise(input, shape, p), inplace, name + "_")


def _batched_feature_dropout(input, p, training, inplace, name, batched: bool):
    """feature dropout, on ``input`` with a batch dim of 1 added first when not ``batched``."""
    from .shape import squeeze, unsqueeze

    if batched or not training or p == 0.0 or input._data.size == 0:
        return _feature_dropout(input, p, training, inplace, name)
    out = squeeze(_feature_dropout(unsqueeze(input, 0), p, training, False, name), 0)
    return _finish_inplace(input, out, inplace, name + "_")


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels (dim 1 of (N, C, L), dim 0 of (C, L)) with probability p, scaling
    the rest by 1 / (1 - p) (training only)."""
    check_tensor(input, "dropout1d")
    p = _check_p(p)
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _batched_feature_dropout(input, p, training, inplace, "dropout1d", nd == 3)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels (dim 1 of (N, C, H, W)) with probability p, scaling the rest by
    1 / (1 - p); other ranks warn as PyTorch's (a 3-D input is read as (N, C, L))."""
    import warnings

    check_tensor(input, "dropout2d")
    p = _check_p(p)
    nd = input._data.ndim
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _feature_dropout(input, p, training, inplace, "dropout2d")


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels (dim 1 of (N, C, D, H, W), dim 0 of (C, D, H, W)) with probability
    p, scaling the rest by 1 / (1 - p); other ranks warn as PyTorch's."""
    import warnings

    check_tensor(input, "dropout3d")
    p = _check_p(p)
    nd = input._data.ndim
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    return _batched_feature_dropout(input, p, training, inplace, "dropout3d", nd == 5)


_SELU_ALPHA = 1.7580993408473766  # -SELU's negative saturation value, as PyTorch's


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """SELU-preserving dropout (training only): dropped elements become -alpha', then
    y = a * x' + b with a = 1 / sqrt((alpha'^2 p + 1)(1 - p)) and b = alpha' a p, keeping
    zero mean and unit variance; p == 1 gives zeros, as PyTorch's."""
    return _alpha_dropout(input, p, training, inplace, "alpha_dropout", per_channel=False)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False,
                          inplace: bool = False):
    """alpha_dropout with one keep/drop draw per (sample, channel) (dims 0 and 1, the rest
    broadcast), training only."""
    return _alpha_dropout(input, p, training, inplace, "feature_alpha_dropout", per_channel=True)


def _alpha_dropout(input, p, training: bool, inplace: bool, op: str, per_channel: bool):
    check_tensor(input, op)
    p = _check_p(p)
    if not training or p == 0.0 or input._data.size == 0:
        return input
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")
    nd = input._data.ndim
    if per_channel and nd < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1.0:
        out = input * 0.0
    else:
        shape = input._data.shape[:2] + (1,) * (nd - 2) if per_channel else input._data.shape
        keep = (_keep_noise(input, shape, p) != 0).to(input.dtype)
        a = 1.0 / ((_SELU_ALPHA ** 2 * p + 1) * (1 - p)) ** 0.5
        b = (keep - 1.0) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
        out = input * (keep * a) + b
    return _finish_inplace(input, out, inplace, op + "_")

