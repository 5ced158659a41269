"""Activations: softmax / log_softmax (fused row kernels), logsigmoid, softplus, gelu, silu,
leaky_relu, elu, hardtanh, relu6, mish.

Forward runs as one array expression (or a named backend kernel); backward is written in
differentiable gradgpu ops, so ``create_graph=True`` works. Softmax's first-order backward is
itself a fused ``Function`` with its own backward (PyTorch's ``_softmax_backward_data``).
"""

from __future__ import annotations

import math

from .. import _dtypes
from ..autograd.function import Function
from . import elementwise as ew
from ._common import Tensor, backend_of, check_tensor, float_dtype_of, wrap_dim, zeros_like
from .elementwise.unary import fused_ok
from .reduction import sum as _sum


def _float_input(input, op: str, dtype=None):
    """``input`` cast to ``dtype`` (if given); integer inputs are an error, as in PyTorch."""
    check_tensor(input, op)
    if dtype is not None:
        input = input.to(_dtypes.as_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype} "
                           f"(pass dtype= to compute in a floating point type)")
    return input


def _keep(t, dim):
    return _sum(t, dim, keepdim=True)


# ---- softmax / log_softmax ------------------------------------------------------------------
class Softmax(Function):
    """y = exp(x - max) / sum(exp(x - max)) along dim;  dx = y * (g - sum(g * y))"""

    @staticmethod
    def forward(ctx, x, dim):
        y = Tensor._make(backend_of(x._data).softmax(x._data, dim))
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return SoftmaxGrad.apply(g, y, ctx.dim), None


class SoftmaxGrad(Function):
    """z = y * (g - sum(g * y)) (softmax's backward);  dg = y * (gg - sum(gg * y)) (the map is
    symmetric),  dy = gg * (g - sum(g * y)) - g * sum(gg * y)"""

    @staticmethod
    def forward(ctx, g, y, dim):
        ctx.dim = dim
        ctx.save_for_backward(g, y)
        gd, yd = g._data, y._data
        if gd.ndim == 0:
            return backend_of(gd).xp.zeros_like(gd)
        return backend_of(yd).softmax_bwd(gd, yd, dim)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        dim = ctx.dim
        need = ctx.needs_input_grad
        if y.ndim == 0:
            return (zeros_like(gg) if need[0] else None, zeros_like(gg) if need[1] else None,
                    None)
        dg = SoftmaxGrad.apply(gg, y, dim) if need[0] else None
        dy = None
        if need[1]:
            dy = gg * (g - _keep(g * y, dim)) - g * _keep(gg * y, dim)
        return dg, dy, None


class LogSoftmax(Function):
    """y = x - max - log(sum(exp(x - max))) along dim;  dx = g - exp(y) * sum(g)"""

    @staticmethod
    def forward(ctx, x, dim):
        y = Tensor._make(backend_of(x._data).log_softmax(x._data, dim))
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return LogSoftmaxGrad.apply(g, y, ctx.dim), None


class LogSoftmaxGrad(Function):
    """z = g - exp(y) * sum(g) (log_softmax's backward);  dg = gg - sum(gg * exp(y)),
    dy = -gg * exp(y) * sum(g)"""

    @staticmethod
    def forward(ctx, g, y, dim):
        ctx.dim = dim
        ctx.save_for_backward(g, y)
        gd, yd = g._data, y._data
        if gd.ndim == 0:
            return backend_of(gd).xp.zeros_like(gd)
        return backend_of(yd).log_softmax_bwd(gd, yd, dim)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        dim = ctx.dim
        need = ctx.needs_input_grad
        if y.ndim == 0:
            return (zeros_like(gg) if need[0] else None, zeros_like(gg) if need[1] else None,
                    None)
        p = ew.exp(y)
        dg = gg - _keep(gg * p, dim) if need[0] else None
        dy = -(gg * p) * _keep(g, dim) if need[1] else None
        return dg, dy, None


def softmax(input, dim: int, dtype=None):
    """softmax along ``dim`` (required): exp(x_i) / sum_j exp(x_j), computed stably."""
    x = _float_input(input, "softmax", dtype)
    return Softmax.apply(x, wrap_dim(dim, x._data.ndim, "softmax"))


def log_softmax(input, dim: int, dtype=None):
    """log(softmax(x)) along ``dim`` (required), computed without forming softmax."""
    x = _float_input(input, "log_softmax", dtype)
    return LogSoftmax.apply(x, wrap_dim(dim, x._data.ndim, "log_softmax"))


# ---- pointwise activations ------------------------------------------------------------------
def _pointwise(name: str, doc: str, op: str, bwd, saves: str):
    """A one-input activation from the per-element table (backend/elementwise_spec.py):
    forward ``ew("<op>_fwd", x, *params)``; backward ``ew("<op>_bwd", g, saved, *params)`` when
    no graph is built, else ``bwd(g, saved, *params)`` in differentiable gradgpu ops (double
    backward). ``saves`` is 'input' or 'output'."""
    fwd_name, bwd_name = f"{op}_fwd", f"{op}_bwd"

    def forward(ctx, x, *params):
        xd = x._data
        if xd.dtype.kind != "f":
            xd = xd.astype(float_dtype_of(x))
        y = Tensor._make(backend_of(xd).ew(fwd_name, xd, *params))
        ctx.params = params
        ctx.save_for_backward(x if saves == "input" else y)
        return y

    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        if fused_ok(g, s):
            dx = Tensor._make(backend_of(g._data).ew(bwd_name, g._data, s._data, *ctx.params))
        else:
            dx = bwd(g, s, *ctx.params)
        return (dx,) + (None,) * len(ctx.params)

    return type(name, (Function,), {
        "__doc__": doc,
        "forward": staticmethod(forward),
        "backward": staticmethod(backward),
        "__module__": __name__,
    })


LogSigmoid = _pointwise("LogSigmoid", "y = log(1 / (1 + e^-x));  dx = g * sigmoid(-x)",
                        "logsigmoid", lambda g, x: g * ew.sigmoid(-x), "input")


def _softplus_bwd(g, x, beta, threshold):
    bx = x * beta
    return ew.where(bx > threshold, g, g * ew.sigmoid(bx))


Softplus = _pointwise(
    "Softplus", "y = log(1 + e^(beta x)) / beta (x where beta x > threshold);  "
    "dx = g * sigmoid(beta x) (g above the threshold)", "softplus", _softplus_bwd, "input")

_SQRT_HALF = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_TANH_K = math.sqrt(2.0 / math.pi)


def _gelu_bwd(g, x):
    cdf = (Erf.apply(x * _SQRT_HALF) + 1) * 0.5
    return g * (cdf + x * (ew.exp(x * x * -0.5) * _INV_SQRT_2PI))


def _gelu_tanh_bwd(g, x):
    x2 = x * x
    t = ew.tanh((x + x2 * x * 0.044715) * _TANH_K)
    return g * ((t + 1) * 0.5 + x * (1 - t * t) * (x2 * (3 * 0.044715) + 1) * (0.5 * _TANH_K))


Erf = _pointwise("Erf", "y = erf(x);  dx = g * 2 / sqrt(pi) * e^(-x^2)", "erf",
                 lambda g, x: g * ew.exp(-(x * x)) * 1.1283791670955126, "input")


class GeluErf(Function):
    """y = x * Phi(x);  dx = g * (Phi(x) + x * phi(x))   (Phi, phi: the Gaussian CDF and PDF)

    The fused backward ``gelu_bwd(g, x, y)`` takes Phi(x) = y / x from the output rather than
    a second erf, the costly part on a CPU. y is the user's tensor: if it was modified in place
    since, backward recomputes from x instead (PyTorch's gelu saves only x, so this stays legal).
    """

    @staticmethod
    def forward(ctx, x):
        xd = x._data
        y = Tensor._make(backend_of(xd).ew("gelu_fwd", xd))
        ctx.save_for_backward(x)
        ctx.y_data, ctx.y_counter = y._data, y._version_counter  # not y: no reference cycle
        ctx.y_version = ctx.y_counter[0]
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.y_counter[0] == ctx.y_version and fused_ok(g, x):
            return Tensor._make(backend_of(g._data).ew("gelu_bwd", g._data, x._data, ctx.y_data))
        return _gelu_bwd(g, x)

GeluTanh = _pointwise(
    "GeluTanh", "y = x/2 (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2/pi);  dx = g * y'",
    "gelu_tanh", _gelu_tanh_bwd, "input")


def _silu_bwd(g, x):
    s = ew.sigmoid(x)
    return g * (s * (x * (1 - s) + 1))


Silu = _pointwise("Silu", "y = x * sigmoid(x);  dx = g * s * (1 + x (1 - s))", "silu",
                  _silu_bwd, "input")


def _mish_bwd(g, x):
    t = ew.tanh(softplus(x))
    return g * (t + x * ew.sigmoid(x) * (1 - t * t))


Mish = _pointwise("Mish", "y = x * tanh(softplus(x));  dx = g * (t + x sigmoid(x) (1 - t^2)), "
                  "t = tanh(softplus(x))", "mish", _mish_bwd, "input")

LeakyRelu = _pointwise(
    "LeakyRelu", "y = x if x > 0 else slope * x;  dx = g if x > 0 else slope * g", "leaky_relu",
    lambda g, x, slope: ew.where(x > 0, g, g * slope), "input")


def _elu_bwd(g, x, alpha):
    # e^min(x, 0): the unused branch stays finite for large x, so double backward has no 0 * inf
    return ew.where(x <= 0, g * alpha * ew.exp(ew.clamp(x, max=0.0)), g)


Elu = _pointwise(
    "Elu", "y = x if x > 0 else alpha (e^x - 1);  dx = g * alpha e^x if x <= 0 else g (NaN: g)",
    "elu", _elu_bwd, "input")


def _hardtanh_bwd(g, x, lo, hi):
    return ew.where((x <= lo) | (x >= hi), zeros_like(g), g)


Hardtanh = _pointwise(
    "Hardtanh", "y = clamp(x, lo, hi);  dx = 0 where x <= lo or x >= hi, else g (NaN: g)",
    "hardtanh", _hardtanh_bwd, "input")

# The in-place variants save the output, as PyTorch's leaky_relu_/hardtanh_ do: for slope >= 0
# (and any bounds) y tells the branch as x does, with the same kernels, and no copy of x is kept
LeakyReluInplace = _pointwise(
    "LeakyReluInplace", "y = x if x > 0 else slope * x (slope >= 0);  dx = g if y > 0 else "
    "slope * g", "leaky_relu", lambda g, y, slope: ew.where(y > 0, g, g * slope), "output")
HardtanhInplace = _pointwise(
    "HardtanhInplace", "y = clamp(x, lo, hi);  dx = 0 where y <= lo or y >= hi, else g",
    "hardtanh", _hardtanh_bwd, "output")


def _check_float(input, op: str):
    check_tensor(input, op)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")
    return input


def _apply(fn, input, op: str, inplace: bool, *params, inplace_fn=None):
    """``fn`` on ``input``; with ``inplace``, written into ``input`` (``op`` names it). A leaf
    that requires grad is refused before computing. ``fn`` saves x for its backward, which the
    write overwrites: the in-place form then runs ``inplace_fn`` (which saves the output) when
    given, else ``fn`` on a copy of x's old values (what PyTorch saves for silu_, mish_)."""
    if not inplace:
        return fn.apply(input, *params)
    from .inplace import _check_writable, _original, commit

    _check_writable(input, op)
    out = inplace_fn.apply(input, *params) if inplace_fn else fn.apply(_original(input), *params)
    return commit(input, out, op)


def logsigmoid(input):
    """log(sigmoid(x)), stable for large |x|."""
    return LogSigmoid.apply(_check_float(input, "logsigmoid"))


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """log(1 + exp(beta x)) / beta; linear where beta x > threshold."""
    return Softplus.apply(_check_float(input, "softplus"), float(beta), float(threshold))


def erf(input):
    """The Gauss error function."""
    return Erf.apply(check_tensor(input, "erf"))


def gelu(input, approximate: str = "none"):
    """x * Phi(x) with the Gaussian CDF Phi (``approximate='tanh'``: the tanh formula)."""
    x = _check_float(input, "gelu")
    if approximate == "none":
        return GeluErf.apply(x)
    if approximate == "tanh":
        return GeluTanh.apply(x)
    raise RuntimeError(f"gelu(): approximate argument must be either none or tanh, "
                       f"got '{approximate}'")


def silu(input, inplace: bool = False):
    """x * sigmoid(x) (swish)."""
    return _apply(Silu, _check_float(input, "silu"), "silu_", inplace)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """x for x > 0, negative_slope * x otherwise."""
    slope = float(negative_slope)
    # a negative slope flips the sign of y: the in-place form keeps a copy of x instead
    return _apply(LeakyRelu, _check_float(input, "leaky_relu"), "leaky_relu_", inplace, slope,
                  inplace_fn=LeakyReluInplace if slope >= 0 else None)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _apply(Elu, _check_float(input, "elu"), "elu_", inplace, float(alpha))


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """clamp(x, min_val, max_val) with zero gradient at and beyond the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _apply(Hardtanh, _check_float(input, "hardtanh"), "hardtanh_", inplace,
                  float(min_val), float(max_val), inplace_fn=HardtanhInplace)


def relu6(input, inplace: bool = False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def mish(input, inplace: bool = False):
    """x * tanh(softplus(x))."""
    return _apply(Mish, _check_float(input, "mish"), "mish_", inplace)


def relu(input, inplace: bool = False):
    """max(x, 0) (``inplace`` writes into ``input``)."""
    check_tensor(input, "relu")
    if not inplace:
        return ew.relu(input)
    from .inplace import _check_writable, commit

    _check_writable(input, "relu_")  # before computing, as PyTorch (relu saves its output)
    return commit(input, ew.relu(input), "relu_")


TENSOR_METHODS = {"softmax": softmax, "log_softmax": log_softmax, "erf": erf}
FUNCTIONS: dict = {}


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
    import numpy as np

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


# ---- distances ------------------------------------------------------------------------------
def _clamp_min_no_grad(t, eps: float):
    """max(t, eps) in value, but with t's gradient passed straight through (1 everywhere), as
    PyTorch's cosine_similarity clamps its norms in place under no_grad."""
    small = t.detach() < eps
    ts = ew.where(small, t, 0.0)  # finite where it is used: no inf - inf for an overflowed norm
    return ew.where(small, ts - ts.detach() + eps, t)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim`` (PyTorch's current
    formula: each norm clamped by ``eps`` on its own, the clamp not differentiated), over the
    broadcast of x1 and x2; integer inputs are converted to the common (floating) dtype."""
    import numpy as np

    from .reduction import norm as _norm
    from .shape import expand

    check_tensor(x1, "cosine_similarity", "x1")
    check_tensor(x2, "cosine_similarity", "x2")
    common = _dtypes.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_SCALAR_TYPE_NAMES.get(common.np.name, common)}")
    if x1._data.dtype.kind != "f":
        x1 = x1.to(common)
    if x2._data.dtype.kind != "f":
        x2 = x2.to(common)
    s1, s2 = tuple(x1.shape), tuple(x2.shape)
    try:
        shape = np.broadcast_shapes(s1, s2)
    except ValueError:
        from ._common import _broadcast_message

        raise RuntimeError(_broadcast_message("cosine_similarity", s1, s2)) from None
    if s1 != shape:
        x1 = expand(x1, shape)
    if s2 != shape:
        x2 = expand(x2, shape)
    d = wrap_dim(dim, len(shape), "cosine_similarity")
    eps = float(eps)
    if eps < 0:
        raise RuntimeError(f"eps must be non-negative, got: {eps:g}")
    n1 = _clamp_min_no_grad(_norm(x1, 2, d, keepdim=True), eps)
    n2 = _clamp_min_no_grad(_norm(x2, 2, d, keepdim=True), eps)
    return _sum((x1 / n1) * (x2 / n2), d)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """||x1 - x2 + eps||_p along the last dimension of the broadcast (p: as ``norm``: any p > 0,
    inf, -inf, 0)."""
    import numpy as np

    from .reduction import norm as _norm

    check_tensor(x1, "pairwise_distance", "x1")
    check_tensor(x2, "pairwise_distance", "x2")
    s1, s2 = tuple(x1.shape), tuple(x2.shape)
    try:
        np.broadcast_shapes(s1, s2)
    except ValueError:
        from ._common import _broadcast_message

        raise RuntimeError(_broadcast_message("pairwise_distance", s1, s2)) from None
    last = max(x1._data.ndim, x2._data.ndim) - 1
    return _norm(x1 - x2 + float(eps), p, last, keepdim=keepdim)
