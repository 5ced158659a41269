"""In-place random fills with PyTorch's semantics (``exponential_``, ``cauchy_``,
``log_normal_``, ``geometric_``, ``random_``) and ``poisson``, drawn from a
``gradgpu.Generator``.

Each one transforms the backend's float64 uniforms or normals (the streams ``rand``/``randn``
draw from: NumPy's PCG64 on the CPU, Philox on the GPU), then writes them into the tensor as an
in-place op (a version bump; not differentiable). ``poisson`` draws through the backend's
``poisson`` (gradgpu/backend/reference_random.py). u below is uniform on [0, 1), so 1 - u is in
(0, 1] and its logarithm is finite.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd.function import Function
from ._common import Tensor, check_tensor
from .inplace import _check_writable
from .sampling import _draw, _fill_with

_F64 = np.float64

# PyTorch's names of the dtypes in its "dtype must be a floating point" messages
_TORCH_SCALAR_NAME = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                      "uint8": "Byte", "bool": "Bool"}


def _start(self, op: str) -> None:
    check_tensor(self, op)
    _check_writable(self, op)


def _require_float(self, op: str, distribution: str) -> None:
    if self._data.dtype.kind != "f":
        name = _TORCH_SCALAR_NAME.get(self._data.dtype.name, self._data.dtype.name)
        raise RuntimeError(f"{distribution} distribution is a continuous probability "
                           f"distribution. dtype must be a floating point but you specified "
                           f"{name}")


def _fill(self, be, arr, op: str) -> Tensor:
    """_fill_with, quietly: a float64 sample beyond a narrow dtype's range is stored as inf (as
    PyTorch's samples are), not a NumPy overflow warning."""
    with be.quiet():
        return _fill_with(self, arr, op)


def _uniform_open_closed(self, generator):
    """(backend, 1 - u) with u uniform on [0, 1): float64 numbers in (0, 1]."""
    be, rng = _draw(self, generator)
    return be, 1.0 - be.uniform(rng, self._data.shape, _F64)


def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Exponential(lambd) samples: x = -log(1 - u) / lambd."""
    _start(self, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    _require_float(self, "exponential_", "Exponential")
    be, v = _uniform_open_closed(self, generator)
    return _fill(self, be, -be.xp.log(v) / float(lambd), "exponential_")


def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy(median, sigma) samples: x = median + sigma tan(pi (u - 1/2))."""
    _start(self, "cauchy_")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    _require_float(self, "cauchy_", "Cauchy")
    be, rng = _draw(self, generator)
    u = be.uniform(rng, self._data.shape, _F64)
    return _fill(self, be, float(median) + float(sigma) * be.xp.tan(math.pi * (u - 0.5)),
                 "cauchy_")


def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with log-normal samples: x = exp(mean + std z), z standard normal."""
    _start(self, "log_normal_")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    if self._data.dtype.kind != "f":  # (PyTorch's error type and wording for this one)
        raise NotImplementedError(f'"log_normal_" not implemented for {self.dtype}')
    be, rng = _draw(self, generator)
    z = be.normal(rng, self._data.shape, _F64)
    with be.quiet():  # exp overflows to inf, as PyTorch's samples do
        arr = be.xp.exp(float(mean) + float(std) * z)
    return _fill(self, be, arr, "log_normal_")


def geometric_(self, p: float, *, generator=None) -> Tensor:
    """Fill with Geometric(p) samples on {1, 2, ...} (trials until the first success):
    x = ceil(log(1 - u) / log(1 - p)), at least 1; integer dtypes are allowed."""
    _start(self, "geometric_")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    be, v = _uniform_open_closed(self, generator)
    k = be.xp.maximum(be.xp.ceil(be.xp.log(v) / math.log1p(-float(p))), 1.0)
    if self._data.dtype.kind in "iub":  # clamp to the dtype's range instead of wrapping
        k = be.xp.minimum(k, float(_int_max(self._data.dtype)))
    return _fill(self, be, k, "geometric_")


def _int_max(dtype) -> int:
    return 1 if dtype.kind == "b" else int(np.iinfo(dtype).max)


def _default_to(dtype) -> int:
    """random_()'s exclusive upper bound: 2^digits + 1 for floats (every integer in
    [0, 2^digits] is exact), max + 1 for integer types."""
    if dtype.kind == "f":
        return (1 << (np.finfo(dtype).nmant + 1)) + 1
    return _int_max(dtype) + 1


def random_(self, *args, generator=None, **bounds) -> Tensor:
    """Fill with integers uniform on [from, to): ``random_(from, to)``, ``random_(to)``
    (from 0), or ``random_()`` (0 to the largest integer the dtype holds exactly: 2^24 for
    float32, 2^53 for float64, 2^11 for float16, the maximum for integer types); ``to=None``
    means that same largest value."""
    unknown = set(bounds) - {"from", "to"}
    if unknown or len(args) > 2:
        what = (f"an unexpected keyword argument '{unknown.pop()}'" if unknown
                else f"at most 2 positional arguments ({len(args)} given)")
        raise TypeError(f"random_() got {what}")
    if len(args) == 2 or "from" in bounds or (args and "to" in bounds):
        low = args[0] if args else bounds["from"]
        high = args[1] if len(args) == 2 else bounds.get("to")
    else:  # random_(to), random_(to=...), random_()
        low, high = 0, (args[0] if args else bounds.get("to"))
    _start(self, "random_")
    dtype = self._data.dtype
    low = _int_bound(low)
    high = _default_to(dtype) if high is None else _int_bound(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    _check_range(dtype, low, high)
    be, rng = _draw(self, generator)
    arr = be.randint(rng, low, high, self._data.shape, np.int64)
    return _fill_with(self, arr, "random_")


def _int_bound(value) -> int:
    """An int bound of random_ (a Python or NumPy integer, or an integer 0-d tensor); a
    float or bool is refused, as PyTorch's argument parser does (2.5 is not truncated)."""
    if isinstance(value, Tensor) and value._data.ndim == 0 and value._data.dtype.kind in "iu":
        return int(value.item())
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"random_() received an invalid combination of arguments - got "
                        f"({type(value).__name__}), but expected integer bounds (from, to)")
    return int(value)


def _check_range(dtype, low: int, high: int) -> None:
    torch_name = {"uint8": "unsigned char", "int8": "signed char", "int16": "short",
                  "int32": "int", "int64": "long", "bool": "bool", "float16": "c10::Half",
                  "float32": "float", "float64": "double"}.get(dtype.name, dtype.name)
    if dtype.kind == "f":
        lo, hi = -float(np.finfo(dtype).max), float(np.finfo(dtype).max)
        exact = 1 << (np.finfo(dtype).nmant + 1)
        if low < lo:
            raise RuntimeError(f"from is out of bounds for {torch_name}")
        if high - 1 > hi:
            raise RuntimeError(f"to - 1 is out of bounds for {torch_name}")
        if not -exact <= low <= exact or not -exact <= high - 1 <= exact:
            bound = "from" if not -exact <= low <= exact else "to - 1"
            warnings.warn(f"{bound} is out of bounds [-(2^{exact.bit_length() - 1}), "
                          f"2^{exact.bit_length() - 1}]. Due to precision limitations "
                          f"{torch_name} can support discrete uniform distribution only within "
                          "this range.", UserWarning, stacklevel=3)
        return
    lo = 0 if dtype.kind in "ub" else int(np.iinfo(dtype).min)
    if low < lo:
        raise RuntimeError(f"from is out of bounds for {torch_name}")
    if high - 1 > _int_max(dtype):
        raise RuntimeError(f"to - 1 is out of bounds for {torch_name}")


class _PoissonSample(Function):
    """y = a Poisson(rates) sample;  drates = 0 (PyTorch's PoissonBackward)."""

    @staticmethod
    def forward(ctx, rates, sample):
        return Tensor._make(sample)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson samples with the rates in ``input`` (float, >= 0), of its dtype and shape; its
    gradient with respect to the rates is zero, as PyTorch's."""
    check_tensor(input, "poisson")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"poisson" not implemented for {input.dtype} (expected '
                                  "floating point rates)")
    rates = input._data
    be, rng = _draw(input, generator)
    if bool((~(rates >= 0)).any()):  # host sync: the rates must be checked (NaN included)
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    with be.quiet():  # a count beyond float16's range is stored as inf, as in PyTorch
        sample = be.poisson(rng, rates).astype(rates.dtype)
    return _PoissonSample.apply(input, sample)


TENSOR_METHODS = {
    "exponential_": exponential_, "cauchy_": cauchy_, "log_normal_": log_normal_,
    "geometric_": geometric_, "random_": random_,
}

FUNCTIONS = {"poisson": poisson}
