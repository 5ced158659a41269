"""batch_norm: normalize over every dim but the channel dim 1, with PyTorch's running
statistics.

Training mode normalizes with the batch statistics through ``LayerNormCore`` (the same
normalize-over-axes node layer_norm uses, reduced over (0, 2, 3, ...) instead of the trailing
dims), so first and higher-order gradients come from one place. Evaluation mode is the affine
map ``(x - running_mean) / sqrt(running_var + eps)`` written with differentiable ops.
"""

from __future__ import annotations

from ..autograd.grad_mode import no_grad
from ._common import Tensor, check_tensor, same_device, xp_of
from .elementwise import rsqrt
from .layers import LayerNormCore


def _channel_shape(ndim: int, channels: int) -> tuple:
    """(1, C, 1, ...): per-channel vectors broadcast against an (N, C, ...) input."""
    return (1, channels) + (1,) * (ndim - 2)


def _check_channel_vector(t, name: str, channels: int) -> None:
    if t is not None and t.numel() != channels:
        raise RuntimeError(f"batch_norm(): {name} should contain {channels} elements not "
                           f"{t.numel()}")


def fold_running_stats(running_mean, running_var, mean, var, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * stat, in place and outside autograd,
    for the batch statistic arrays ``mean`` and ``var`` (either running buffer may be None)."""
    with no_grad():
        for running, stat in ((running_mean, mean), (running_var, var)):
            if running is not None:
                stat = Tensor._make(stat.astype(running._data.dtype))
                running.mul_(1.0 - momentum).add_(stat * momentum)


def _update_running_stats(input, axes, running_mean, running_var, momentum: float) -> None:
    """Fold the batch mean and the UNBIASED batch variance (as PyTorch) into the running
    statistics."""
    xd = input._data
    n = xd.size // xd.shape[1]
    xp = xp_of(input)
    mean = xp.mean(xd, axis=axes) if running_mean is not None else None
    var = xp.var(xd, axis=axes) * (n / (n - 1)) if running_var is not None else None
    fold_running_stats(running_mean, running_var, mean, var, momentum)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1) of an (N, C, ...)
    input: batch statistics (biased variance) in training mode, the running ones otherwise.

    Training mode also updates ``running_mean``/``running_var`` in place (when given):
    ``running = (1 - momentum) * running + momentum * batch_stat`` with the unbiased batch
    variance. Gradient (training): dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat)),
    gx = g * weight; eval mode is an affine map of x.
    """
    check_tensor(input, "batch_norm")
    same_device("batch_norm", input, running_mean, running_var, weight, bias)
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' must be float, not NoneType "
                        "(a cumulative average is computed by the BatchNorm modules)")
    nd = input._data.ndim
    if nd < 2:
        raise ValueError(f"batch_norm(): expected an input of at least 2 dims (N, C, ...), got "
                         f"shape {list(input.shape)}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"batch_norm(): expected a floating point input, got {input.dtype}")
    channels = input._data.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_channel_vector(t, name, channels)
    cshape = _channel_shape(nd, channels)
    axes = (0,) + tuple(range(2, nd))
    if training:
        if (running_mean is None) != (running_var is None):  # PyTorch's check
            raise ValueError("batch_norm(): running_mean and running_var must either both be "
                             "None or neither be None")
        per_channel = input._data.size // channels if channels else 0
        if per_channel <= 1 and input._data.size:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        if input._data.size == 0:
            out = input.clone()  # nothing to normalize; no statistics to fold in (as PyTorch)
        else:
            out, _ = LayerNormCore.apply(input, axes, float(eps))
            _update_running_stats(input, axes, running_mean, running_var, float(momentum))
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm(): running_mean and running_var must be defined in "
                               "evaluation mode (training=False)")
        mean = running_mean.reshape(cshape)
        out = (input - mean) * rsqrt(running_var.reshape(cshape) + eps)
    if weight is not None:
        out = out * weight.reshape(cshape)
    if bias is not None:
        out = out + bias.reshape(cshape)
    return out


TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}  # torch.batch_norm has another argument order: nn.functional only
