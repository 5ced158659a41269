"""The per-element functions of gradgpu: one table, three consumers.

Each :class:`Elementwise` entry names a C++ function of ``kernels/elementwise.cuh`` (through
the headers it includes) and gives its NumPy reference, the specification:

- the NumPy backend runs ``be.ew(name, *arrays, *scalars)`` as
  ``ELEMENTWISE[name].reference(numpy, *arrays, *scalars)`` under ``be.quiet()``;
- the CUDA backend builds one memoized ``cupy.ElementwiseKernel`` per entry (and per compute
  type, below);
- ``tests/kernels/test_host_math.py`` compiles every entry for the host with nvcc and compares
  it with the reference on random and extreme inputs.

How an entry maps to an ElementwiseKernel (``e = ELEMENTWISE[name]``)::

    params     = e.inputs + e.scalars
    in_params  = ", ".join(f"T {p}" for p in params)        # "T g, T x, T slope"
    out_params = ", ".join(f"T {p}" for p in e.outputs)     # "T out" or "T da, T db"
    operation  = f"{e.outputs[0]} = gg::{e.name}<C>({', '.join(params)})"    # one output
               | f"gg::{e.name}<C>({', '.join(params + e.outputs)})"        # several
    name       = f"gradgpu_{e.name}"                         # gradgpu_tanh_bwd
    preamble   = kernel_files.preamble("elementwise.cuh")

``C`` is the compute type: ``float`` when T is float16 (storage only; CuPy converts the
``__half`` operands to float at the call, and the float result back on assignment), T itself
otherwise. A one-output call writes ``out = gg::f<C>(...)``; a several-output call passes the
outputs as ``C&`` references, so for float16 the operation declares float temporaries and
assigns them: ``C o0, o1; gg::f<C>(..., o0, o1); da = o0; db = o1;`` (for f32/f64 the outputs
can be passed directly). All inputs, scalars and outputs share one type T (the op wiring only
calls ``ew`` when every array has g's dtype); scalars are passed as ``T`` values (the CUDA
``ew`` should convert Python numbers with the arrays' dtype, e.g. ``numpy.dtype(T).type(s)``, so
that CuPy does not bind them as float64). Entries with ``integer_ok`` are also valid for integer
dtypes (``int32``/``int64``: C = T); all others are float16/float32/float64 only. An input in
``inputs`` may also be a Python number in NumPy calls (a tensor-by-number division); the CUDA
``ew`` passes it as a 0-d array of the arrays' dtype.

C++ signature convention: one output ->
``template <typename T> GG_HD T gg::name(T in0, ..., T scalar0, ...)``; several outputs ->
``template <typename T> GG_HD void gg::name(T in0, ..., T scalar0, ..., T& out0, T& out1)``.
Results have the inputs' dtype; every reference keeps float32 as float32 (Python-number scalars
are weakly typed under NumPy 2, so ``x * 0.5`` stays float32).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

__all__ = ["Elementwise", "ELEMENTWISE"]


@dataclass(frozen=True)
class Elementwise:
    """One per-element function: C++ ``gg::<name>`` and its NumPy reference."""

    name: str
    """C++ function ``gg::<name>``; CuPy kernel name ``gradgpu_<name>``."""
    inputs: tuple[str, ...]
    """Array parameters, in order (``("g", "y")``)."""
    reference: Callable
    """``reference(xp, *arrays, *scalars) -> array`` (a tuple for several outputs)."""
    scalars: tuple[str, ...] = ()
    """Scalar parameters after the arrays, passed as T (``("slope",)``)."""
    outputs: tuple[str, ...] = ("out",)
    """Several for a fused backward (``("da", "db")``)."""
    integer_ok: bool = False
    """Also valid (and compiled in the host test) for integer dtypes."""
    domain: tuple[tuple[float, float], ...] = ()
    """Host test: uniform sampling range per input (the last one repeats; default (-5, 5)).
    Extreme values (0, -0, inf, nan, denormals, huge) are tested for every entry regardless."""
    examples: tuple[tuple[float, ...], ...] = ((),)
    """Host test: the scalar values to try (one tuple of ``len(scalars)`` numbers each)."""
    cancels: bool = False
    """The formula cancels (1 + erf(x) for x << 0, 1 - tanh^2 near 1): the host test compares
    its finite results with an absolute tolerance of a few eps instead of a relative one."""


ELEMENTWISE: dict[str, Elementwise] = {}

_POSITIVE = ((1e-3, 50.0),)
_UNIT = ((-0.999, 0.999),)


def _add(name, inputs, reference, **kw) -> None:
    ELEMENTWISE[name] = Elementwise(name, tuple(inputs), reference, **kw)


def _op(op: str, fwd, bwd=None, saved: str = "x", scalars=(), integer_ok=False, domain=(),
        examples=((),), cancels=False) -> None:
    """``<op>_fwd(x, *scalars)`` and, unless the gradient is zero, ``<op>_bwd(g, saved,
    *scalars)`` with ``saved`` the input x or the output y."""
    _add(f"{op}_fwd", ("x",), fwd, scalars=tuple(scalars), integer_ok=integer_ok, domain=domain,
         examples=examples, cancels=cancels)
    if bwd is not None:
        bwd_domain = ((-5.0, 5.0),) + (domain if saved == "x" else ()) if domain else ()
        _add(f"{op}_bwd", ("g", saved), bwd, scalars=tuple(scalars), domain=bwd_domain,
             examples=examples, cancels=cancels)


def _cancels(*names: str) -> None:
    for name in names:
        ELEMENTWISE[name] = replace(ELEMENTWISE[name], cancels=True)


def _copy_int(round_fn):
    """Rounding that is the identity (a copy, the dtype kept) on integer and bool arrays, as in
    PyTorch (NumPy would return float64)."""
    return lambda xp, x: x.copy() if x.dtype.kind in "biu" else round_fn(xp, x)


def _sign(xp, x):
    if x.dtype.kind == "f":  # PyTorch's (0 < x) - (x < 0): NaN gives 0 (NumPy's sign keeps NaN)
        return (x > 0).astype(x.dtype) - (x < 0)
    return xp.sign(x)


def _sigmoid(xp, x):
    # Split by sign so exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) otherwise, the
    # numerator written e^min(x, 0) (exactly 1 for x >= 0): a second exp is 3x faster on the
    # host than where() with a data-dependent mask.
    return xp.exp(xp.minimum(x, 0)) / (1 + xp.exp(-xp.abs(x)))


def _softplus(xp, x, beta, threshold):
    bx = x * beta
    return xp.where(bx > threshold, x, (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta)


def _erf(xp, x):
    from . import backend_of  # the backend's erf: NumPy has none (SciPy's when installed)

    x = xp.asarray(x)  # 0-d operations give NumPy scalars, which no backend owns
    return backend_of(x).erf(x)


_SQRT_HALF = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_TANH_K = 0.7978845608028654  # sqrt(2 / pi)


def _half_as_float(ref):
    """A reference that computes float16 in float32 and rounds the result back, as the CUDA
    kernels do (C = float for T = float16) and PyTorch does: in half precision 1 + erf(x)
    loses every digit near x = -3 and x^3 overflows from x = 40 (gelu_tanh's backward gave
    NaN), and gelu_bwd's 1e-30 test underflows to 0 (NaN at x = 0)."""
    def run(xp, *args):
        if getattr(args[0], "dtype", None) != xp.float16:  # all arrays share one dtype
            return ref(xp, *args)
        # scalars (alpha, beta, ...) rounded to float16 first, as the CUDA kernels get them
        out = ref(xp, *(a.astype(xp.float32) if getattr(a, "dtype", None) == xp.float16
                        else float(xp.float16(a)) for a in args))
        if isinstance(out, tuple):
            return tuple(o.astype(xp.float16) for o in out)
        return out.astype(xp.float16)

    return run


# ---- unary math (gradgpu/ops/elementwise/unary.py) ----------------------------------------
_op("neg", lambda xp, x: -x, integer_ok=True)
_add("neg_bwd", ("g",), lambda xp, g: -g)
_op("abs", lambda xp, x: xp.abs(x), lambda xp, g, x: g * _sign(xp, x), integer_ok=True)
_op("sign", _sign, integer_ok=True)
_op("floor", _copy_int(lambda xp, x: xp.floor(x)), integer_ok=True)
_op("ceil", _copy_int(lambda xp, x: xp.ceil(x)), integer_ok=True)
_op("round", _copy_int(lambda xp, x: xp.rint(x)), integer_ok=True)
_op("trunc", _copy_int(lambda xp, x: xp.trunc(x)), integer_ok=True)
_op("frac", lambda xp, x: xp.zeros_like(x) if x.dtype.kind in "biu" else x - xp.trunc(x),
    integer_ok=True, domain=((-20.0, 20.0),))
# g * [y != 0] (y = relu(x) is positive, +0 or NaN): g where y is NaN, as PyTorch's
# threshold_backward (a product, not its select: a where() on a data-dependent mask costs the
# host 10x)
_op("relu", lambda xp, x: xp.maximum(x, 0), lambda xp, g, y: g * (y != 0), "y",
    integer_ok=True)
_op("exp", lambda xp, x: xp.exp(x), lambda xp, g, y: g * y, "y", domain=((-80.0, 80.0),))
_op("expm1", lambda xp, x: xp.expm1(x), lambda xp, g, y: g * (y + 1), "y",
    domain=((-80.0, 80.0),))
_op("log", lambda xp, x: xp.log(x), lambda xp, g, x: g / x, domain=_POSITIVE)
_op("log2", lambda xp, x: xp.log2(x), lambda xp, g, x: g / (x * 0.6931471805599453),
    domain=_POSITIVE)
_op("log10", lambda xp, x: xp.log10(x), lambda xp, g, x: g / (x * 2.302585092994046),
    domain=_POSITIVE)
_op("log1p", lambda xp, x: xp.log1p(x), lambda xp, g, x: g / (x + 1), domain=((-0.99, 50.0),))
_op("sqrt", lambda xp, x: xp.sqrt(x), lambda xp, g, y: g / (y * 2), "y", domain=_POSITIVE)
_op("rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda xp, g, y: g * (y * y * y) * -0.5, "y",
    domain=_POSITIVE)
_op("reciprocal", lambda xp, x: 1 / x, lambda xp, g, y: -g * (y * y), "y")
_op("sin", lambda xp, x: xp.sin(x), lambda xp, g, x: g * xp.cos(x), domain=((-10.0, 10.0),))
_op("cos", lambda xp, x: xp.cos(x), lambda xp, g, x: -g * xp.sin(x), domain=((-10.0, 10.0),))
# tan is sampled inside (-pi/2, pi/2) minus a margin: next to a pole the result's conditioning
# (1 + tan^2) turns the libraries' last-ulp differences in range reduction into large ones.
_op("tan", lambda xp, x: xp.tan(x), lambda xp, g, y: g * (1 + y * y), "y",
    domain=((-1.5, 1.5),))
_op("asin", lambda xp, x: xp.arcsin(x), lambda xp, g, x: g * (1 / xp.sqrt(1 - x * x)),
    domain=_UNIT)
_op("acos", lambda xp, x: xp.arccos(x), lambda xp, g, x: -g * (1 / xp.sqrt(1 - x * x)),
    domain=_UNIT)
_op("atan", lambda xp, x: xp.arctan(x), lambda xp, g, x: g / (1 + x * x))
_op("sinh", lambda xp, x: xp.sinh(x), lambda xp, g, x: g * xp.cosh(x), domain=((-80.0, 80.0),))
_op("cosh", lambda xp, x: xp.cosh(x), lambda xp, g, x: g * xp.sinh(x), domain=((-80.0, 80.0),))
_op("tanh", lambda xp, x: xp.tanh(x), lambda xp, g, y: g * (1 - y * y), "y")
_op("sigmoid", _sigmoid, lambda xp, g, y: g * (y * (1 - y)), "y", domain=((-40.0, 40.0),))

# ---- pointwise activations (gradgpu/ops/activation.py) ------------------------------------
_op("logsigmoid", _half_as_float(lambda xp, x: xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))),
    _half_as_float(lambda xp, g, x: g * _sigmoid(xp, -x)), domain=((-40.0, 40.0),))
_op("softplus", _half_as_float(_softplus),
    _half_as_float(lambda xp, g, x, beta, threshold: xp.where(x * beta > threshold, g,
                                                              g * _sigmoid(xp, x * beta))),
    scalars=("beta", "threshold"), domain=((-40.0, 40.0),),
    examples=((1.0, 20.0), (2.0, 3.0), (0.5, 10.0)))
_op("erf", _erf, lambda xp, g, x: g * xp.exp(-(x * x)) * 1.1283791670955126)
_op("gelu", _half_as_float(lambda xp, x: _gelu(xp, x)))
# gelu_bwd(g, x, y) takes Phi(x) = y / x from the output instead of a second erf (the costly
# part on a CPU): 2 ulp wherever y is normal; for |x| < 1e-30 Phi(x) rounds to 0.5 exactly.
_add("gelu_bwd", ("g", "x", "y"), _half_as_float(lambda xp, g, x, y: _gelu_bwd(xp, g, x, y)))
_op("gelu_tanh",
    _half_as_float(lambda xp, x: 0.5 * x * (1 + xp.tanh(_TANH_K * (x + 0.044715 * x * x * x)))),
    _half_as_float(lambda xp, g, x: _gelu_tanh_bwd(xp, g, x)))
_op("silu", _half_as_float(lambda xp, x: x * _sigmoid(xp, x)),
    _half_as_float(lambda xp, g, x: _silu_bwd(xp, g, x)), domain=((-40.0, 40.0),))
_op("mish", _half_as_float(lambda xp, x: x * xp.tanh(_softplus(xp, x, 1.0, 20.0))),
    _half_as_float(lambda xp, g, x: _mish_bwd(xp, g, x)), domain=((-40.0, 40.0),))
_op("leaky_relu", lambda xp, x, slope: xp.where(x > 0, x, x * slope),
    lambda xp, g, x, slope: xp.where(x > 0, g, g * slope), scalars=("slope",),
    examples=((0.01,), (0.2,), (-1.5,)))
# the backward from the input x (as PyTorch's out-of-place elu): alpha e^x, not y + alpha,
# which cancels for x << 0 and takes the wrong branch for alpha < 0; NaN passes g (x <= 0 is
# false), as PyTorch's
_op("elu", _half_as_float(lambda xp, x, alpha: xp.where(x > 0, x, alpha * xp.expm1(x))),
    _half_as_float(lambda xp, g, x, alpha: xp.where(x <= 0, g * alpha * xp.exp(x), g)),
    scalars=("alpha",), examples=((1.0,), (1.5,), (-0.5,)))
# clip: a tie keeps x, so hardtanh(-0, 0, 6) is -0 and NaN propagates, as PyTorch's clamp
# (and 7x faster on the host than minimum(maximum())); the gradient is 0 only at or beyond a
# bound, so NaN passes g, as PyTorch's hardtanh_backward
_op("hardtanh", lambda xp, x, lo, hi: xp.clip(x, lo, hi),
    lambda xp, g, x, lo, hi: xp.where((x <= lo) | (x >= hi), 0, g), scalars=("lo", "hi"),
    examples=((-1.0, 1.0), (0.0, 6.0), (-0.5, 2.5)))
# 1 + erf / 1 + tanh near -1, 1 - tanh^2 near 0, x (1 - s) + 1 near its root x = -1.28:
_cancels("gelu_fwd", "gelu_bwd", "gelu_tanh_fwd", "gelu_tanh_bwd", "silu_bwd", "mish_bwd")


def _gelu(xp, x):
    # x * (0.5 * (1 + erf(x / sqrt 2))) with the same roundings, in place on erf's fresh result
    # (each temporary of a large activation costs the host as much as the arithmetic)
    phi = _erf(xp, x * _SQRT_HALF)
    phi += 1
    phi *= 0.5
    phi *= x
    return phi


def _gelu_bwd(xp, g, x, y):
    # g * (Phi(x) + x phi(x)), written in place into one output: on the host each temporary of a
    # large activation costs as much as the arithmetic
    out = xp.empty(xp.broadcast_shapes(g.shape, x.shape, y.shape), xp.result_type(g, x, y))
    xp.divide(y, x, out=out)
    tiny = xp.abs(x) < 1e-30
    if tiny.any():  # rare, and a masked write costs NumPy many plain passes (host only: no sync)
        xp.copyto(out, 0.5, where=tiny)
    t = xp.multiply(x, x, out=xp.empty_like(x))
    t *= -0.5
    xp.exp(t, out=t)
    t *= _INV_SQRT_2PI
    t *= x
    out += t
    out *= g
    return out


def _gelu_tanh_bwd(xp, g, x):
    x2 = x * x
    t = xp.tanh((x + x2 * x * 0.044715) * _TANH_K)
    return g * ((t + 1) * 0.5 + x * (1 - t * t) * (x2 * (3 * 0.044715) + 1) * (0.5 * _TANH_K))


def _silu_bwd(xp, g, x):
    s = _sigmoid(xp, x)
    return g * (s * (x * (1 - s) + 1))


def _mish_bwd(xp, g, x):
    t = xp.tanh(_softplus(xp, x, 1.0, 20.0))
    return g * (t + x * _sigmoid(xp, x) * (1 - t * t))


# ---- two-input backward passes (arithmetic.py, selection.py) ------------------------------
def _div_bwd(xp, g, a, b):
    da = g / b
    return da, -g * ((a / b) / b)


def _pow_bwd(xp, g, a, b, y):
    log_a = xp.where((a == 0) & (b >= 0), 0, xp.log(a))
    da = g * b * a ** (b - 1)
    b_zero = b == 0
    if b_zero.any():  # da is 0 there, also at a == 0 (0 * inf); rare (host only: no sync)
        da = xp.where(b_zero, 0, da)
    return da, g * y * log_a


def _pow_scalar_bwd(xp, g, a, e):
    if e == 0:
        return xp.zeros_like(g * a)
    return g * (e * a ** (e - 1))


def _atan2_bwd(xp, g, a, b):
    r2 = a * a + b * b
    scale = g / r2
    origin = r2 == 0
    if origin.any():  # 0 where r2 is 0 (or underflows), as PyTorch; rare (host only: no sync)
        scale = xp.where(origin, 0, scale)
    return scale * b, -scale * a


def _minmax_bwd(a_loses_fn):
    # g to each side unless it loses, so both get g where one is NaN (PyTorch's masked fill);
    # ties split g in halves
    def bwd(xp, g, a, b):
        tie = a == b
        half = g * 0.5
        return (xp.where(tie, half, g * ~a_loses_fn(a, b)),
                xp.where(tie, half, g * ~a_loses_fn(b, a)))

    return bwd


_add("div_bwd", ("g", "a", "b"), _div_bwd, outputs=("da", "db"))
_add("pow_bwd", ("g", "a", "b", "y"), _pow_bwd, outputs=("da", "db"),
     domain=((-5.0, 5.0), (1e-3, 10.0), (-4.0, 4.0), (-5.0, 5.0)))
_add("pow_scalar_bwd", ("g", "a"), _pow_scalar_bwd, scalars=("e",),
     domain=((-5.0, 5.0), (1e-3, 10.0)), examples=((3.0,), (0.5,), (0.0,), (-2.0,)))
_add("atan2_bwd", ("g", "a", "b"), _atan2_bwd, outputs=("da", "db"))
_add("floor_divide_fwd", ("a", "b"), lambda xp, a, b: xp.floor_divide(a, b))
_add("remainder_bwd", ("g", "a", "b"), lambda xp, g, a, b: -g * xp.floor_divide(a, b))
_add("fmod_bwd", ("g", "a", "b"), lambda xp, g, a, b: -g * xp.trunc(a / b))
_add("maximum_bwd", ("g", "a", "b"), _minmax_bwd(lambda a, b: a < b), outputs=("da", "db"))
_add("minimum_bwd", ("g", "a", "b"), _minmax_bwd(lambda a, b: a > b), outputs=("da", "db"))
