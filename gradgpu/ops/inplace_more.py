"""More in-place ops (``acos_``, ``hypot_``, ``eq_``, ``cumsum_`` ...) and the bit shifts.

Each in-place op here is generated from its out-of-place op with the machinery of
:mod:`.inplace`: compute with the differentiable op (on a copy of the old values when a graph is
recorded and backward may need them), then ``commit`` writes the result into self's array, bumps
the version counter and takes over the node, with PyTorch's rules (a leaf that requires grad is
refused, the result dtype must cast to self's dtype, the result shape must be self's shape).
"""

from __future__ import annotations

from .. import _dtypes
from ..autograd.grad_mode import _state
from ._common import Tensor, backend_of, binary_arrays, broadcast_error
from .inplace import TENSOR_METHODS as _BASIC
from .inplace import _check_writable, _original, _replace, commit


def _requiring_grad(args) -> Tensor | None:
    return next((a for a in args if isinstance(a, Tensor) and a._requires_grad), None)


def _inplace(name: str, method: str):
    """``self.<name>(*args)``: ``Tensor.<method>(self, *args)`` written into self.

    The out-of-place op is looked up on Tensor when called, so an op replaced later (a
    reviewer's fix in its own module) is the one used."""

    def op(self, *args, **kwargs):
        _check_writable(self, name)
        other = _requiring_grad((*args, *kwargs.values()))
        base = _original(self, other)  # (self itself when nothing is recorded)
        return commit(self, getattr(Tensor, method)(base, *args, **kwargs), name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{method}``; returns self."
    return op


def _predicate_inplace(name: str, method: str):
    """eq_, logical_and_, ...: the bool result written as 0/1 in self's dtype. With a graph,
    self's new history gives a zero gradient to the old values (PyTorch's EqBackward)."""

    def op(self, *args):
        _check_writable(self, name)
        result = getattr(Tensor, method)(self, *args)
        if _state.enabled and self._requires_grad:
            result = _replace(_original(self), result.to(self.dtype))
        return commit(self, result, name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{method}`` (1 where true, else 0, in self's dtype); returns self."
    return op


def _accumulate_inplace(name: str, method: str):
    """cumsum_, cumprod_: the running op along ``dim`` in self's dtype (not int64 as the
    out-of-place op gives for small integer types)."""

    def op(self, dim: int, dtype=None):
        _check_writable(self, name)
        fn = getattr(Tensor, method)
        return commit(self, fn(_original(self), dim, dtype=dtype or self.dtype), name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{method}`` along ``dim``; returns self."
    return op


_FLOAT_POWER_ = _inplace("float_power_", "float_power")


def float_power_(self, exponent):
    """In-place ``float_power`` (computed in float64); self must be float64; returns self."""
    if self._data.dtype.kind != "f" or self._data.dtype.itemsize != 8:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.name} but the "
                           "operation's result requires dtype float64")
    return _FLOAT_POWER_(self, exponent)


# ---- bit shifts ------------------------------------------------------------------------------
def _shift(name: str, left: bool):
    def op(input, other):
        rt = _dtypes.result_type(input, other)  # PyTorch dispatches on the promoted dtype
        if rt.np.kind not in "iu":
            which = "lshift" if left else "rshift"
            raise NotImplementedError(f"\"{which}_cpu\" not implemented for '{rt.name}'")
        a, b = binary_arrays(input, other, name)
        xp = backend_of(a if isinstance(input, Tensor) else b).xp
        try:
            a, b = xp.broadcast_arrays(xp.asarray(a, dtype=rt.np), xp.asarray(b, dtype=rt.np))
        except ValueError:
            raise broadcast_error(name, input, other) from None
        bits = a.dtype.itemsize * 8
        # C leaves shifts by >= the bit width (or negative) undefined: PyTorch gives 0 for a
        # left shift and the sign fill for a right shift
        out_of_range = (b < 0) | (b >= bits)
        amount = xp.clip(b, 0, bits - 1).astype(a.dtype)
        if left:
            shifted = xp.where(out_of_range, 0, xp.left_shift(a, amount))
        else:
            fill = xp.where(a < 0, -1, 0) if a.dtype.kind == "i" else 0
            shifted = xp.where(out_of_range, fill, xp.right_shift(a, amount))
        return Tensor._make(shifted.astype(a.dtype, copy=False))

    op.__name__ = name
    op.__doc__ = (f"Elementwise ``input {'<<' if left else '>>'} other`` of integer tensors "
                  "(a shift by the bit width or more, or by a negative amount, gives 0"
                  f"{'' if left else ' or -1 for negative input'}).")
    return op


bitwise_left_shift = _shift("bitwise_left_shift", True)
bitwise_right_shift = _shift("bitwise_right_shift", False)


def _reflected_shift(fn):
    def op(self, other):
        return fn(other, self)

    op.__name__ = f"r{fn.__name__}"
    return op


def _shift_inplace(name: str, fn):
    def op(self, other):
        _check_writable(self, name)
        return commit(self, fn(self, other), name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{fn.__name__}``; returns self."
    return op


_UNARY = (
    "acos", "asin", "atan", "acosh", "asinh", "atanh", "cosh", "sinh", "log2", "log10", "erf",
    "erfc", "erfinv", "exp2", "i0", "lgamma", "digamma", "polygamma", "mvlgamma", "logit",
    "nan_to_num", "sgn", "fix", "sinc", "deg2rad", "rad2deg", "renorm", "tril", "triu",
)
_BINARY = ("xlogy", "copysign", "hypot", "atan2", "ldexp", "gcd", "lcm", "heaviside",
           "nextafter")
_PREDICATES = ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
               "logical_not")
_ALIASES = {
    "arccos_": "acos_", "arcsin_": "asin_", "arctan_": "atan_", "arccosh_": "acosh_",
    "arcsinh_": "asinh_", "arctanh_": "atanh_", "arctan2_": "atan2_", "greater_": "gt_",
    "greater_equal_": "ge_", "less_": "lt_", "less_equal_": "le_", "not_equal_": "ne_",
    "multiply_": "mul_", "divide_": "div_", "subtract_": "sub_", "true_divide_": "div_",
    "negative_": "neg_", "absolute_": "abs_", "swapaxes_": "transpose_",
    "swapdims_": "transpose_",
}

_METHODS = {f"{n}_": _inplace(f"{n}_", n) for n in (*_UNARY, *_BINARY)}
_METHODS.update({f"{n}_": _predicate_inplace(f"{n}_", n) for n in _PREDICATES})
# bitwise results keep self's integer type (no 0/1 cast), so they go through the plain path
_METHODS.update({f"bitwise_{n}_": _inplace(f"bitwise_{n}_", f"bitwise_{n}")
                 for n in ("and", "or", "xor", "not")})
_METHODS.update({n: _accumulate_inplace(n, n[:-1]) for n in ("cumsum_", "cumprod_")})
_METHODS["float_power_"] = float_power_
_METHODS.update({
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
    "bitwise_left_shift_": _shift_inplace("bitwise_left_shift_", bitwise_left_shift),
    "bitwise_right_shift_": _shift_inplace("bitwise_right_shift_", bitwise_right_shift),
})
_METHODS.update({
    "__lshift__": bitwise_left_shift, "__rshift__": bitwise_right_shift,
    "__rlshift__": _reflected_shift(bitwise_left_shift),
    "__rrshift__": _reflected_shift(bitwise_right_shift),
    "__ilshift__": _METHODS["bitwise_left_shift_"],
    "__irshift__": _METHODS["bitwise_right_shift_"],
})
_METHODS.update({alias: {**_BASIC, **_METHODS}[target] for alias, target in _ALIASES.items()})

TENSOR_METHODS = _METHODS
