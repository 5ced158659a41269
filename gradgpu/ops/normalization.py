"""group_norm, instance_norm, rms_norm and local_response_norm, composed from differentiable ops.

group_norm and instance_norm normalize through ``LayerNormCore`` (layer_norm's node) over
trailing axes: group_norm over (C/G, *spatial) of an (N, G, C/G * spatial) view, instance_norm
over the spatial dims, so both reach the backend's fast trailing-axes kernels and get first
and higher-order gradients from one place. rms_norm and local_response_norm are written with
elementwise ops, reductions, pad and slicing, so they run on every backend and support
create_graph too.
"""

from __future__ import annotations

import math
import numbers
import operator

from .. import _dtypes
from ._common import check_tensor, same_device, xp_of
from .batch_norm import batch_norm, fold_running_stats
from .elementwise import rsqrt
from .layers import LayerNormCore, pad
from .reduction import mean as _mean


def _check_float(input, op: str) -> None:
    # NotImplementedError is a RuntimeError, as PyTorch's "not implemented for 'Long'"
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for {input.dtype}: expected a '
                                  f"floating point input")


def _check_number(value, op: str, name: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{op}(): argument '{name}' must be float, not {type(value).__name__}")
    return float(value)


def _channel_affine(out, weight, bias, nd: int):
    """out * weight + bias with (C,) vectors broadcast along dim 1 of an (N, C, ...) output."""
    if weight is None and bias is None:
        return out
    shape = (1, -1) + (1,) * (nd - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# ---- group_norm -----------------------------------------------------------------------------
def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """y = (x - mean_g) / sqrt(var_g + eps) * weight_c + bias_c: statistics (biased variance)
    over each group of C / num_groups channels and all spatial positions of one sample.

    Gradient: layer_norm's over the (C/G * spatial) group axis, then the per-channel affine.
    """
    check_tensor(input, "group_norm")
    same_device("group_norm", input, weight, bias)
    shape = tuple(input._data.shape)
    nd = len(shape)
    if nd < 2:
        raise RuntimeError(f"group_norm(): Expected at least 2 dimensions for input tensor but "
                           f"received {nd}")
    try:
        num_groups = operator.index(num_groups)
    except TypeError:
        raise TypeError(f"group_norm(): argument 'num_groups' must be int, not "
                        f"{type(num_groups).__name__}") from None
    if num_groups <= 0:
        raise RuntimeError(f"group_norm(): Expected num groups to be greater than 0, got "
                           f"{num_groups}")
    n, c = shape[0], shape[1]
    spatial = math.prod(shape[2:])
    if (n * c // num_groups) * spatial == 1:  # PyTorch's _verify_batch_size, in its order
        size = [n * c // num_groups, num_groups] + list(shape[2:])
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {size}")
    if c % num_groups:
        raise RuntimeError(f"group_norm(): Expected number of channels in input to be divisible "
                           f"by num_groups, but got input of shape {list(shape)} and "
                           f"num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is None:
            continue
        if p._data.ndim != 1 or p._data.shape[0] != c:
            raise RuntimeError(f"group_norm(): Expected {name} to be a vector of size equal to "
                               f"the number of channels in input, but got {name} of shape "
                               f"{list(p.shape)} and input of shape {list(shape)}")
        if p._data.dtype != input._data.dtype:
            raise RuntimeError(f"group_norm(): expected {name} of the input's dtype "
                               f"{input.dtype}, but got {p.dtype}")
    _check_float(input, "group_norm")
    eps = _check_number(eps, "group_norm", "eps")
    if input._data.size == 0:
        out = input.clone()  # nothing to normalize
    else:
        grouped = input.reshape(n, num_groups, -1)
        out, _ = LayerNormCore.apply(grouped, (2,), eps)
        out = out.reshape(shape)
    return _channel_affine(out, weight, bias, nd)


# ---- instance_norm --------------------------------------------------------------------------
def _fold_instance_stats(input, axes, running_mean, running_var, momentum: float) -> None:
    """Fold the per-instance statistics, averaged over the batch, into the running ones:
    mean_c = mean_n(mean(x[n, c])), var_c = mean_n(unbiased var(x[n, c])) (PyTorch's)."""
    xd = input._data
    xp = xp_of(input)
    count = math.prod(xd.shape[a] for a in axes)
    mean = xp.mean(xp.mean(xd, axis=axes), axis=0)
    var = xp.mean(xp.var(xd, axis=axes), axis=0) * (count / (count - 1))
    fold_running_stats(running_mean, running_var, mean, var, momentum)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """y = (x - mean) / sqrt(var + eps) * weight_c + bias_c, statistics (biased variance) over
    the spatial dims of each (sample, channel) of an (N, C, ...) input.

    ``use_input_stats=False`` normalizes with ``running_mean``/``running_var`` instead (batch
    norm's evaluation map). With input statistics and running buffers given, these are updated
    in place: running = (1 - momentum) * running + momentum * stat, stat averaged over the
    batch (unbiased variance). Gradient: layer_norm's over the spatial dims.
    """
    check_tensor(input, "instance_norm")
    same_device("instance_norm", input, running_mean, running_var, weight, bias)
    shape = tuple(input._data.shape)
    nd = len(shape)
    if use_input_stats and math.prod(shape[2:]) == 1:  # PyTorch's _verify_spatial_size
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    if momentum is None:
        raise TypeError("instance_norm(): argument 'momentum' must be float, not NoneType")
    momentum = _check_number(momentum, "instance_norm", "momentum")
    eps = _check_number(eps, "instance_norm", "eps")
    if nd < 2:
        raise ValueError(f"instance_norm(): expected an input of at least 2 dims (N, C, ...), "
                         f"got shape {list(shape)}")
    _check_float(input, "instance_norm")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("instance_norm(): Expected running_mean and running_var to be "
                           "defined when use_input_stats is false")
    if (running_mean is None) != (running_var is None):
        raise ValueError("instance_norm(): running_mean and running_var must either both be "
                         "None or neither be None")
    c = shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"instance_norm(): {name} should contain {c} elements not "
                               f"{t.numel()}")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, nd))
    if input._data.size == 0:
        # nothing to normalize and no statistics to fold in (PyTorch writes NaN for N = 0)
        out = input.clone()
    else:
        out, _ = LayerNormCore.apply(input, axes, eps)
        if running_mean is not None:
            _fold_instance_stats(input, axes, running_mean, running_var, momentum)
    return _channel_affine(out, weight, bias, nd)


# ---- rms_norm -------------------------------------------------------------------------------
def rms_norm(input, normalized_shape, weight=None, eps: float | None = None):
    """y = x / sqrt(mean(x^2) + eps) * weight, the mean over the trailing ``normalized_shape``
    dims; eps=None: the machine epsilon of the computation dtype.

    As PyTorch, float16 is computed in float32 (so its default eps is float32's) and the
    result has the input's dtype. Gradient: dx = r * (gw - x * mean(gw * x) * r^2),
    r = (mean(x^2) + eps)^-1/2, gw = g * weight (from the composed ops).
    """
    check_tensor(input, "rms_norm")
    same_device("rms_norm", input, weight)
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) \
        else tuple(normalized_shape)
    shape = tuple(int(s) for s in shape)
    in_shape = tuple(input._data.shape)
    nd, k = len(in_shape), len(shape)
    if k == 0:
        raise RuntimeError("rms_norm(): Expected normalized_shape to be at least 1-dimensional, "
                           "i.e., containing at least one element, but got normalized_shape = []")
    if nd < k or in_shape[nd - k:] != shape:
        raise RuntimeError(f"rms_norm(): Given normalized_shape={list(shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, shape))}], but got input of "
                           f"size {list(in_shape)}")
    if weight is not None and tuple(weight._data.shape) != shape:
        raise RuntimeError(f"rms_norm(): Expected weight to be of same shape as "
                           f"normalized_shape, but got weight of shape {list(weight.shape)} and "
                           f"normalized_shape = {list(shape)}")
    _check_float(input, "rms_norm")
    in_dtype = input.dtype
    compute = _dtypes.float32 if in_dtype == _dtypes.float16 else in_dtype
    eps = _dtypes.finfo(compute).eps if eps is None else _check_number(eps, "rms_norm", "eps")
    if input._data.size == 0:
        out = input.clone()  # no rows (or empty rows) to normalize
    else:
        x = input if compute == in_dtype else input.to(compute)
        dims = tuple(range(nd - k, nd))
        out = x * rsqrt(_mean(x * x, dims, keepdim=True) + eps)
    if weight is not None:
        out = out * weight  # before rounding float16 back: PyTorch rounds once, after this
    if out.dtype != in_dtype:  # PyTorch returns the input's dtype whatever the weight's
        out = out.to(in_dtype)
    return out


# ---- local_response_norm --------------------------------------------------------------------
def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    """y_c = x_c / (k + alpha / size * sum_{c' in window(c)} x_c'^2) ^ beta over channels
    (dim 1), the window c - size//2 .. c + (size-1)//2 zero-padded at the edges (PyTorch's).

    Gradient: from the composed square, pad, slice-sum, pow and divide ops.
    """
    check_tensor(input, "local_response_norm")
    nd = input._data.ndim
    if nd < 3:
        raise ValueError(f"local_response_norm(): Expected 3D or higher dimensionality input "
                         f"(got {nd} dimensions)")
    try:
        size = operator.index(size)
    except TypeError:
        raise TypeError(f"local_response_norm(): argument 'size' must be int, not "
                        f"{type(size).__name__}") from None
    if size < 1:
        raise ValueError(f"local_response_norm(): size must be positive, got {size}")
    _check_float(input, "local_response_norm")
    if input._data.size == 0:
        return input  # as PyTorch: the input itself
    shape = tuple(input._data.shape)
    n, c = shape[0], shape[1]
    sq = (input * input).reshape(n, c, -1)
    before = size // 2
    padded = pad(sq, (0, 0, before, (size - 1) // 2))
    # window sum = sum over offsets j of padded[:, j:j + c]; offsets whose slice lies wholly
    # in the zero padding add nothing and are skipped (size may exceed the channel count)
    window = None
    for j in range(max(0, before - c + 1), min(size, before + c)):
        part = padded[:, j:j + c]
        window = part if window is None else window + part
    div = (window * (float(alpha) / size) + float(k)).pow(float(beta))
    return input / div.reshape(shape)
