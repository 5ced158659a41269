"""In-place ops (``add_``, ``mul_``, ``zero_``, ``copy_`` ...) with PyTorch's autograd rules.

An in-place op computes its result with the ordinary (differentiable) op, writes it into the
tensor's own array, bumps the version counter (so backward refuses tensors saved before the
write), and, when a graph is recorded, makes the op's node the tensor's new ``grad_fn``; for a
view, its base takes a CopySlices history instead (``copy_slices.py``).
"""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from ..autograd.function import retarget_retain_grad
from ..autograd.grad_mode import _state
from . import composite, shape
from . import elementwise as ew
from ._common import Tensor, backend_of, check_output_device, to_common_device, xp_of
from .copy_slices import check_view_writable, rebase_view
from .fill_values import checked_value, wrapped_int


def _check_writable(self: Tensor, op: str) -> None:
    arr = self._data
    if arr.ndim and 0 in arr.strides and any(
            st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape)):
        # an expanded tensor: several elements are one memory location (PyTorch's message)
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    if _state.enabled and self._requires_grad and self._grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf Variable that requires grad is being used in an in-place operation."
        )
    base = self._base
    if _state.enabled and self._view_creator is not None and self._requires_grad:
        raise RuntimeError(
            f"{op}: in-place modification of a view made by {self._view_creator} is not "
            "supported: the write would bypass that node's backward. clone() the view first "
            "(PyTorch raises for views made inside custom Functions too).")
    if _state.enabled and base is not None and base._requires_grad:
        if base._grad_fn is None:
            raise RuntimeError(f"{op}: a view of a leaf Variable that requires grad is being "
                               "used in an in-place operation.")
        if not self._requires_grad:
            raise RuntimeError(
                f"{op}: a view created in no_grad mode is being modified in place with grad "
                "mode enabled: the base's gradient history cannot be updated through it; "
                "take the view again with grad mode enabled, or clone() it")


def _original(self: Tensor, other=None) -> Tensor:
    """A stand-in for ``self`` before the write: same history, its own copy of the values.

    Used when the op's backward needs the old values (mul_, div_, clamp_), since the write
    below overwrites the array that ``self`` shares; needed whenever a graph is recorded, also
    when only ``other`` requires grad (its gradient is ``g * old_self`` for mul_)."""
    recording = self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)
    if not (_state.enabled and recording):
        return self
    old = Tensor._make(self._data.copy(), self._requires_grad)
    old._grad_fn = self._grad_fn
    old._output_nr = self._output_nr
    return old


def commit(self: Tensor, result: Tensor, op: str) -> Tensor:
    """Write ``result`` into ``self`` and take over its history."""
    rt = _dtypes.from_numpy_dtype(result._data.dtype)
    st = _dtypes.from_numpy_dtype(self._data.dtype)
    if not _dtypes.can_cast(rt, st):
        raise RuntimeError(f"{op}: result type {rt.name} can't be cast to the desired output "
                           f"type {st.name}")
    if result._data.shape != self._data.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(self.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}"
        )
    through_view = (self._base is not None and result._grad_fn is not None
                     and not result._volatile)
    if through_view:
        check_view_writable(self, op)  # before the write: nothing changes when it raises
    self._data[...] = result._data
    self._version_counter[0] += 1
    if through_view:
        rebase_view(self, result, op)  # the base's history takes the write (CopySlices)
        return self
    if result._volatile:  # the classic API: a volatile operand makes the result volatile
        self._volatile = True
        self._grad_fn = None
        self._requires_grad = False
    elif result._grad_fn is not None:
        replaced = (self._grad_fn, self._output_nr)
        self._grad_fn = result._grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = True
        retarget_retain_grad(self, *replaced)
    else:
        return self
    self._history_gen += 1  # views taken before lead to the old history (autograd.function)
    return self


def _recording(self: Tensor, other=None) -> bool:
    """Whether this in-place op must be recorded in a graph."""
    return _state.enabled and (
        self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)
    )


def _write_with_ufunc(self: Tensor, other, ufunc: str, op: str) -> Tensor:
    """No graph to record: compute straight into self's array (the optimizer hot path)."""
    kind = self._data.dtype.kind
    if ufunc == "power" and kind in "biu":  # PyTorch's integer powers (negative exponents)
        return commit(self, ew.pow(self, other), op)
    same_kind = (type(other) is float and kind == "f") or (
        isinstance(other, Tensor) and other._data.dtype == self._data.dtype and (
            kind == "f" or ufunc != "true_divide"))
    if not same_kind:  # the promotion check is needed only when the dtypes differ
        rt = _dtypes.result_type(self, other)
        if ufunc == "true_divide" and not rt.is_floating_point:
            rt = _dtypes.get_default_dtype()  # int / int is float: int_tensor /= 2 raises
        st = _dtypes.from_numpy_dtype(self._data.dtype)
        if not _dtypes.can_cast(rt, st):
            raise RuntimeError(f"{op}: result type {rt.name} can't be cast to the desired "
                               f"output type {st.name}")
        if type(other) is int and kind in "iu":  # NumPy refuses out-of-range Python ints
            other = wrapped_int(other, self._data.dtype)
    operand = other._data if isinstance(other, Tensor) else other
    operand = to_common_device(self._data, operand)[1]
    be = backend_of(self._data)
    try:
        with be.quiet():
            getattr(be.xp, ufunc)(self._data, operand, out=self._data, casting="unsafe")
    except ValueError:
        raise _shape_error(op, self, other) from None
    self._version_counter[0] += 1
    return self


def _broadcasts_into(src: tuple, dst: tuple) -> bool:
    try:
        return np.broadcast_shapes(src, dst) == dst
    except ValueError:
        return False


def _shape_error(op: str, self: Tensor, other) -> RuntimeError:
    other_shape = tuple(getattr(other, "shape", ()))
    try:
        target = list(np.broadcast_shapes(self._data.shape, other_shape))
    except ValueError:
        return RuntimeError(f"{op}: the shape of other {list(other_shape)} cannot be broadcast "
                            f"to self {list(self.shape)}")
    return RuntimeError(f"{op}: output with shape {list(self.shape)} doesn't match the "
                        f"broadcast shape {target}")


def _binary_inplace(name, fn, ufunc, needs_old):
    def op(self, other, **kwargs):
        _check_writable(self, name)
        check_output_device(name, self, other)  # other may be a 0-d CPU tensor
        if not _recording(self, other):
            alpha = kwargs.pop("alpha", 1)
            if not kwargs:
                if alpha != 1:
                    other = other * alpha
                return _write_with_ufunc(self, other, ufunc, name)
            if alpha != 1:
                kwargs["alpha"] = alpha
        base = _original(self, other) if needs_old else self
        return commit(self, fn(base, other, **kwargs), name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{name[:-1]}``; returns self."
    return op


add_ = _binary_inplace("add_", ew.add, "add", False)
sub_ = _binary_inplace("sub_", ew.sub, "subtract", False)
mul_ = _binary_inplace("mul_", ew.mul, "multiply", True)
div_ = _binary_inplace("div_", ew.div, "true_divide", True)
pow_ = _binary_inplace("pow_", ew.pow, "power", True)


def _unary_inplace(name, fn):
    def op(self, *args, **kwargs):
        _check_writable(self, name)
        if _recording(self):
            return commit(self, fn(_original(self), *args, **kwargs), name)
        return commit(self, fn(self, *args, **kwargs), name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{name[:-1]}``; returns self."
    return op


_UNARY_INPLACE = {
    f"{fn.__name__}_": _unary_inplace(f"{fn.__name__}_", fn)
    for fn in (
        ew.abs, ew.neg, ew.exp, ew.log, ew.log1p, ew.expm1, ew.sqrt, ew.rsqrt, ew.reciprocal,
        ew.sin, ew.cos, ew.tan, ew.tanh, ew.sigmoid, ew.relu, ew.sign, ew.floor, ew.ceil,
        ew.round, ew.trunc, ew.frac, ew.square, ew.clamp_min, ew.clamp_max, ew.fmod,
        ew.remainder, ew.floor_divide,
    )
}


def _same_float_arrays(self: Tensor, operands) -> list | None:
    """The operands' arrays when all are numbers or tensors of self's float dtype and array
    type (the optimizer case), else None (the general path handles promotion and devices)."""
    dtype = self._data.dtype
    if dtype.kind != "f":
        return None
    arrays = []
    for x in operands:
        if isinstance(x, Tensor):
            d = x._data
            if d.dtype != dtype or type(d) is not type(self._data):
                return None
            arrays.append(d)
        elif isinstance(x, (int, float)):
            arrays.append(x)
        else:
            return None
    return arrays


def _accumulating_inplace(name, fn, increment=None, values=None):
    """lerp_, addcmul_, addcdiv_: ``self += increment(...)`` (or ``self = values(...)``).
    With no graph to record and matching float operands (optimizer state updates), the
    increment (or the new values) is computed once and written into self's array; otherwise
    the differentiable composite is committed."""

    def op(self, *args, **kwargs):
        _check_writable(self, name)
        recording = _state.enabled and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args))
        if not recording:
            arrays = _same_float_arrays(self, args)
            if arrays is not None and not any(isinstance(v, Tensor) for v in kwargs.values()):
                be = backend_of(self._data)
                if values is None:
                    with be.quiet():
                        step = increment(self._data, *arrays, **kwargs)
                    return _write_with_ufunc(self, Tensor._make(step), "add", name)
                with be.quiet():
                    new = values(be.xp, self._data, *arrays)
                if new.shape != self._data.shape and not _broadcasts_into(new.shape,
                                                                          self._data.shape):
                    raise _shape_error(name, self, Tensor._make(new))
                self._data[...] = new
                self._version_counter[0] += 1
                return self
            return commit(self, fn(self, *args, **kwargs), name)
        return commit(self, fn(_original(self, *args[:1]), *args, **kwargs), name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{name[:-1]}``; returns self."
    return op


def _scaled(step, scale):
    """step * scale, in place on the fresh ``step`` when scale is a number."""
    if isinstance(scale, (int, float)):
        if scale != 1:
            step *= scale
        return step
    return step * scale


_ACCUMULATING_INPLACE = {
    "lerp_": _accumulating_inplace("lerp_", composite.lerp, values=composite.lerp_arrays),
    "addcmul_": _accumulating_inplace(
        "addcmul_", composite.addcmul, lambda s, t1, t2, value=1: _scaled(t1 * t2, value)),
    "addcdiv_": _accumulating_inplace(
        "addcdiv_", composite.addcdiv, lambda s, t1, t2, value=1: _scaled(t1 / t2, value)),
}


def _reshaping_inplace(name, fn):
    """unsqueeze_, squeeze_, t_, transpose_: self becomes the reshaped view of itself."""

    def op(self, *args):
        if _state.enabled and self._requires_grad and self._grad_fn is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        base = self._base
        if _state.enabled and base is not None and base._requires_grad and base._grad_fn is None:
            raise RuntimeError(f"{name}: a view of a leaf Variable that requires grad is being "
                               "used in an in-place operation.")
        out = fn(self, *args)  # only metadata changes, so views of graph tensors are fine
        self._data = out._data
        self._version_counter[0] += 1  # an in-place op all the same (PyTorch bumps it too)
        if out._grad_fn is not None:
            self._grad_fn = out._grad_fn
            self._output_nr = out._output_nr
        return self

    op.__name__ = name
    op.__doc__ = f"In-place ``{name[:-1]}`` (changes only the shape); returns self."
    return op


_RESHAPING_INPLACE = {
    f"{fn.__name__}_": _reshaping_inplace(f"{fn.__name__}_", fn)
    for fn in (shape.unsqueeze, shape.squeeze, shape.t, shape.transpose)
}


def _check_clamp_bounds(self, op, *bounds):
    """clamp keeps self's dtype, but in place PyTorch refuses bounds whose promotion with self
    cannot be cast back to it (a float bound on an integer tensor), instead of rounding them."""
    if self._data.dtype.kind == "f":  # every bound promotes to a float that casts back
        return
    st = _dtypes.from_numpy_dtype(self._data.dtype)
    for bound in bounds:
        if bound is not None and not _dtypes.can_cast(_dtypes.result_type(self, bound), st):
            rt = _dtypes.result_type(self, bound)
            raise RuntimeError(f"{op}: result type {rt.name} can't be cast to the desired "
                               f"output type {st.name}")


def clamp_(self, min=None, max=None):
    """In-place clamp; returns self."""
    _check_writable(self, "clamp_")
    _check_clamp_bounds(self, "clamp_", min, max)
    return commit(self, ew.clamp(_original(self), min, max), "clamp_")


def clamp_min_(self, min):
    """In-place clamp_min; returns self."""
    _check_clamp_bounds(self, "clamp_min_", min)
    return _UNARY_INPLACE["clamp_min_"](self, min)


def clamp_max_(self, max):
    """In-place clamp_max; returns self."""
    _check_clamp_bounds(self, "clamp_max_", max)
    return _UNARY_INPLACE["clamp_max_"](self, max)


def _replace(self, value):
    """``value`` broadcast to self's shape, as a differentiable op whose gradient w.r.t. the
    old self is zero (a select, so NaN/inf in the old values cannot leak into it)."""
    everywhere = Tensor._make(xp_of(self).ones(self._data.shape, dtype=bool))
    return ew.where(everywhere, value, self)


def zero_(self):
    """Fill with zeros; returns self."""
    return fill_(self, 0)


def fill_(self, value):
    """Fill with ``value`` (a number or 0-d tensor); returns self."""
    _check_writable(self, "fill_")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        if _state.enabled and (value._requires_grad or self._requires_grad):
            return commit(self, _replace(self, value), "fill_")
        # the same array library: a broadcast copy on the device, no read back to the host
        value = value._data if type(value._data) is type(self._data) else value.item()
    elif not isinstance(value, (int, float, complex, np.number, np.bool_)):
        raise TypeError(f"fill_(): argument 'value' must be a number or a Tensor, not "
                        f"{type(value).__name__}")
    elif value != 0:  # (zero_ skips the check: 0 fits every dtype)
        value = checked_value(value, self._data.dtype, "fill_")
    if _state.enabled and self._requires_grad:
        return commit(self, _replace(self, value), "fill_")
    self._data[...] = value
    self._version_counter[0] += 1
    return self


def copy_(self, src, non_blocking: bool = False):
    """Copy ``src`` (broadcast, cast, possibly from another device) into self; returns self."""
    _check_writable(self, "copy_")
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    moved = src.to(device=self.device, dtype=self.dtype)
    try:
        moved = moved.expand(self.shape) if moved.shape != self.shape else moved
    except RuntimeError:
        raise RuntimeError(
            f"copy_: the size of src {list(src.shape)} must be broadcastable to self "
            f"{list(self.shape)}"
        ) from None
    if _state.enabled and (self._requires_grad or moved._requires_grad):
        return commit(self, _replace(self, moved), "copy_")
    self._data[...] = moved._data
    self._version_counter[0] += 1
    return self


TENSOR_METHODS = {
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "pow_": pow_, "clamp_": clamp_,
    "clip_": clamp_, "clamp_min_": clamp_min_, "clamp_max_": clamp_max_, "zero_": zero_,
    "fill_": fill_, "copy_": copy_,
    "__iadd__": add_, "__isub__": sub_, "__imul__": mul_, "__itruediv__": div_,
    "__ipow__": pow_, "__ifloordiv__": _UNARY_INPLACE["floor_divide_"],
    "__imod__": _UNARY_INPLACE["remainder_"],
    **{k: v for k, v in _UNARY_INPLACE.items() if k not in ("clamp_min_", "clamp_max_")},
    **_ACCUMULATING_INPLACE, **_RESHAPING_INPLACE,
}
