"""Activations: softmax / log_softmax (fused row kernels), logsigmoid, softplus, gelu, silu,
leaky_relu, elu, hardtanh, relu6, mish.

Forward runs as one array expression (or a named backend kernel); backward is written in
differentiable gradgpu ops, so ``create_graph=True`` works. Softmax's first-order backward is
itself a fused ``Function`` with its own backward (PyTorch's ``_softmax_backward_data``).
Activations built only from other ops (selu, hardswish, prelu, ...) are in
``activation_composed``.
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
