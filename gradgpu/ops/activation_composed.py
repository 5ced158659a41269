"""Activations composed of existing differentiable ops: selu, celu, softsign, tanhshrink,
hardsigmoid, hardswish, threshold, glu, prelu, hardshrink, softshrink, rrelu, and the in-place
functional forms (relu_, elu_, ...); every backend and every order of gradient come with
their parts."""

from __future__ import annotations

import math

import numpy as np

from . import elementwise as ew
from ._common import check_tensor, wrap_dim
from .activation import _check_float, elu, hardtanh, leaky_relu, relu

# ---- activations composed of existing ops ---------------------------------------------------
# Each is built from differentiable gradgpu ops (where, expm1, hardtanh, norm, ...), so every
# backend and every order of gradient comes with them. A branch that ``where`` leaves unselected
# still receives a zero gradient, which its local derivative multiplies: a branch whose
# derivative can be inf or NaN (expm1 of a large x, a product with x = inf) therefore reads a
# safe value, ``where(mask, x, 0)``, outside its mask, so NaN/inf inputs do not poison the
# gradients of the branch actually taken.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

# PyTorch's C++ names for a dtype in its Scalar-conversion errors
_CPP_TYPE_NAMES = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
                   "float64": "double", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                   "int64": "int64_t", "uint8": "uint8_t", "bool": "bool"}
# PyTorch's ScalarType names, as its dtype errors print them
_SCALAR_TYPE_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
                      "float64": "Double", "int8": "Char", "int16": "Short", "int32": "Int",
                      "int64": "Long", "uint8": "Byte", "bool": "Bool"}


def _inplace(fn, input, op: str, *args):
    """``fn(input, *args)`` (a composition of differentiable ops) written into ``input``: a leaf
    that requires grad is refused before computing; the graph is built on a copy of the old
    values, whose history the result takes over."""
    from .inplace import _check_writable, _original, commit

    _check_writable(input, op)
    return commit(input, fn(_original(input), *args), op)


def _selu(x):
    neg = x <= 0  # NaN takes the linear branch, as PyTorch's (x <= 0 ? ... : ...) does
    return ew.where(neg, ew.expm1(ew.where(neg, x, 0.0)) * (_SELU_ALPHA * _SELU_SCALE),
                    x * _SELU_SCALE)


def selu(input, inplace: bool = False):
    """scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha = 1.6732632..., scale = 1.0507009...;
    the gradient at 0 is scale * alpha (the left branch's), as PyTorch's."""
    x = _check_float(input, "selu")
    return _inplace(_selu, x, "selu_") if inplace else _selu(x)


def _celu(x, alpha):
    # x < 0 (not <=): at 0 both branches have slope 1, and the linear one has PyTorch's zero
    # second derivative there
    neg = x < 0
    return ew.where(neg, ew.expm1(ew.where(neg, x, 0.0) * (1.0 / alpha)) * alpha, x)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    x = _check_float(input, "celu")
    alpha = float(alpha)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _inplace(_celu, x, "celu_", alpha) if inplace else _celu(x, alpha)


def softsign(input):
    """x / (1 + |x|) (integer inputs give the default float dtype, as in PyTorch)."""
    x = check_tensor(input, "softsign")
    return x / (ew.abs(x) + 1)


def tanhshrink(input):
    """x - tanh(x)."""
    x = check_tensor(input, "tanhshrink")
    return x - ew.tanh(x)


def _hardsigmoid(x):
    # values: relu6(x + 3) / 6, PyTorch's formula; gradient 1/6 strictly inside (-3, 3), 0 at
    # the kinks, beyond them and for NaN, as PyTorch's hardsigmoid_backward
    inside = (x > -3) & (x < 3)
    return ew.where(inside, (x + 3) / 6, hardtanh(x.detach() + 3, 0.0, 6.0) / 6)


def hardsigmoid(input, inplace: bool = False):
    """relu6(x + 3) / 6: 0 for x <= -3, 1 for x >= 3, (x + 3) / 6 between."""
    x = _check_float(input, "hardsigmoid")
    return _inplace(_hardsigmoid, x, "hardsigmoid_") if inplace else _hardsigmoid(x)


def _hardswish(x):
    # values: x * relu6(x + 3) / 6, PyTorch's formula, except +0.0 (PyTorch: x * 0, so -0.0,
    # and NaN at -inf) for x <= -3; gradient as PyTorch's: 0 for x <= -3, x / 3 + 1/2 strictly
    # between, 1 for x >= 3 and for NaN
    inside = (x > -3) & (x < 3)
    xi = ew.where(inside, x, 0.0)
    return ew.where(inside, xi * (xi + 3) / 6, ew.where(x <= -3, 0.0, x))


def hardswish(input, inplace: bool = False):
    """x * relu6(x + 3) / 6: 0 for x <= -3, x for x >= 3, x (x + 3) / 6 between."""
    x = _check_float(input, "hardswish")
    return _inplace(_hardswish, x, "hardswish_") if inplace else _hardswish(x)


def _scalar_for(value, np_dtype, checked: bool):
    """``value`` as a Python number exactly representable in ``np_dtype``, as PyTorch converts a
    Scalar argument to the input's type: floats round, integers truncate (unsigned ones wrap).
    ``checked``: a value out of the type's range is an error (PyTorch's checked conversion), else
    it converts as C++ would (floats overflow to inf)."""
    if np_dtype.kind == "f":
        value = float(value)
        if checked and math.isfinite(value) and abs(value) > float(np.finfo(np_dtype).max):
            raise RuntimeError(f"value cannot be converted to type "
                               f"{_CPP_TYPE_NAMES.get(np_dtype.name, np_dtype.name)} without "
                               "overflow")
        with np.errstate(over="ignore"):
            return float(np.asarray(value).astype(np_dtype))
    info = np.iinfo(np_dtype)
    if isinstance(value, float) and not math.isfinite(value):
        if checked:
            raise RuntimeError(f"value cannot be converted to type "
                               f"{_CPP_TYPE_NAMES.get(np_dtype.name, np_dtype.name)} without "
                               "overflow")
        return value  # compares with integers as the number it is
    v = math.trunc(value)
    low = -info.max if info.min == 0 else info.min  # unsigned: negatives wrap, as PyTorch's
    if checked and not low <= v <= info.max:
        raise RuntimeError(f"value cannot be converted to type "
                           f"{_CPP_TYPE_NAMES.get(np_dtype.name, np_dtype.name)} without overflow")
    return v % (info.max + 1) if info.min == 0 else v


def _threshold(x, threshold, value):
    # x <= threshold picks value (NaN keeps x, as PyTorch's); gradient 0 at the threshold
    return ew.where(x <= threshold, value, x)


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """value where x <= threshold, else x; both numbers are first converted to the input's dtype
    (integer tensors keep their dtype), ``value`` with PyTorch's overflow check."""
    x = check_tensor(input, "threshold")
    dt = x._data.dtype
    if dt.kind == "b":
        raise RuntimeError("threshold(): \"threshold_cpu\" not implemented for 'Bool'")
    thr = _scalar_for(threshold, dt, checked=False)
    val = _scalar_for(value, dt, checked=True)
    return _inplace(_threshold, x, "threshold_", thr, val) if inplace else _threshold(x, thr, val)


def glu(input, dim: int = -1):
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    x = _check_float(input, "glu")
    nd = x._data.ndim
    if nd == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, nd, "glu")
    n = x._data.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    from .shape import chunk

    a, b = chunk(x, 2, d)
    return a * ew.sigmoid(b)


def prelu(input, weight):
    """x if x > 0 else weight * x, with one weight (numel 1) or one per channel (dim 1 of the
    input); the weight's gradient is summed over everything but the channels."""
    x = _check_float(input, "prelu")
    w = check_tensor(weight, "prelu", "weight")
    if x.dtype != w.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got "
                           f"{_SCALAR_TYPE_NAMES.get(x._data.dtype.name, x.dtype)} and "
                           f"{_SCALAR_TYPE_NAMES.get(w._data.dtype.name, w.dtype)}")
    nd = x._data.ndim
    if w.numel() != 1:
        if nd == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = x._data.shape[1] if nd > 1 else 1
        if channels != w.numel():
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {w.numel()} and channel size = {channels}.")
    if w._data.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w._data.ndim}")
    if nd != w._data.ndim:  # [1, C, 1, ...] (a 0-d input: a 0-d weight)
        shape = [1] * nd
        if nd > 1:
            shape[1] = w.numel()
        w = w.reshape(shape)
    pos = x > 0
    # w * 0 where x > 0: that branch's weight gradient (g * x there) stays 0 for x = inf
    return ew.where(pos, x, w * ew.where(pos, 0.0, x))


# ---- shrinkage and randomized leaky ReLU ----------------------------------------------------
def _float_or_not_implemented(input, op: str, kernel: str):
    """The input of ``op`` as a floating tensor, else PyTorch's NotImplementedError naming
    ``kernel`` (``{device}`` in it becomes the input's device type)."""
    x = check_tensor(input, op)
    if x._data.dtype.kind != "f":
        name = _SCALAR_TYPE_NAMES.get(x._data.dtype.name, str(x.dtype))
        raise NotImplementedError(f"\"{kernel.format(device=x.device.type)}\" not implemented "
                                  f"for '{name}'")
    return x


def _shrink_band(x, lambd):
    return (x >= -lambd) & (x <= lambd)


def hardshrink(input, lambd: float = 0.5):
    """y = 0 where -lambd <= x <= lambd, else x (NaN passes); dx = dy outside that band, else 0
    (lambd is first rounded to the input's dtype, as PyTorch's)."""
    x = _float_or_not_implemented(input, "hardshrink", "hardshrink_{device}")
    lam = _scalar_for(lambd, x._data.dtype, checked=False)
    return ew.where(_shrink_band(x, lam), 0.0, x)


def softshrink(input, lambd: float = 0.5):
    """y = x - lambd for x > lambd, x + lambd for x < -lambd, 0 between (NaN stays NaN);
    dx = dy outside [-lambd, lambd] (NaN included), else 0. ``lambd`` must lie in
    [0, the dtype's largest finite value]."""
    x = _float_or_not_implemented(input, "softshrink", "softshrink_check")
    dt = x._data.dtype
    top = float(np.finfo(dt).max)
    lambd = float(lambd)
    if not 0 <= lambd <= top:  # NaN fails too
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{_SCALAR_TYPE_NAMES.get(dt.name, dt.name)}, but found {lambd:g}")
    lam = _scalar_for(lambd, dt, checked=False)
    # NaN is in neither branch of the comparisons: it takes x + lambd (NaN, slope 1) as PyTorch
    return ew.where(_shrink_band(x, lam), 0.0, ew.where(x > lam, x - lam, x + lam))


def _rrelu_train(x, lower, upper):
    from .._random_factories import rand

    # one slope per element from the input's device generator; x <= 0 takes it (PyTorch's
    # rule: the slope at 0 is the random one), x > 0 and NaN keep slope 1
    slope = rand(x.shape, dtype=x.dtype, device=x.device) * (upper - lower) + lower
    return x * ew.where(x <= 0, slope, 1.0)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False):
    """y = x for x > 0, a * x for x <= 0; dx = dy * (1 or a). Training: a drawn uniformly from
    [lower, upper) per element (randomized leaky ReLU); eval: leaky_relu with the fixed slope
    a = (lower + upper) / 2."""
    lower, upper = float(lower), float(upper)
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        x = _float_or_not_implemented(input, "rrelu", "leaky_relu_{device}")
        if inplace:
            from .inplace import _check_writable

            _check_writable(x, "rrelu_")
        return leaky_relu(x, (lower + upper) / 2, inplace)
    x = _float_or_not_implemented(input, "rrelu", "rrelu_with_noise_out_{device}")
    if inplace:
        return _inplace(_rrelu_train, x, "rrelu_", lower, upper)
    return _rrelu_train(x, lower, upper)


# ---- in-place functional forms (PyTorch's F.relu_, F.elu_, ...) ------------------------------
def relu_(input):
    """relu written into ``input``."""
    return relu(input, inplace=True)


def elu_(input, alpha: float = 1.0):
    """elu written into ``input``."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input, negative_slope: float = 0.01):
    """leaky_relu written into ``input``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0):
    """hardtanh written into ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


_threshold_op = threshold  # threshold_'s parameter takes the name


def threshold_(input, threshold: float, value: float):
    """threshold written into ``input``."""
    return _threshold_op(input, threshold, value, inplace=True)


def selu_(input):
    """selu written into ``input``."""
    return selu(input, inplace=True)


def celu_(input, alpha: float = 1.0):
    """celu written into ``input``."""
    return celu(input, alpha, inplace=True)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):
    """rrelu written into ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)
