"""In-place ops (``add_``, ``mul_``, ``zero_``, ``copy_`` ...) with PyTorch's autograd rules.

An in-place op computes its result with the ordinary (differentiable) op, writes it into the
tensor's own array, bumps the version counter (so backward refuses tensors saved before the
write), and, when a graph is recorded, makes the op's node the tensor's new ``grad_fn``.
"""

from __future__ import annotations

from .. import _dtypes
from ..autograd.grad_mode import _state
from . import elementwise as ew
from ._common import Tensor, same_device, xp_of


def _check_writable(self: Tensor, op: str) -> None:
    if _state.enabled and self._requires_grad and self._grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf Variable that requires grad is being used in an in-place operation."
        )
    if _state.enabled and self._base is not None and self._base._requires_grad:
        raise RuntimeError(
            f"{op}: in-place modification of a view of a tensor that requires grad is not "
            "supported; clone() the view first or modify the base tensor."
        )


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
    self._data[...] = result._data
    self._version_counter[0] += 1
    if result._grad_fn is not None:
        self._grad_fn = result._grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = True
    return self


def _binary_inplace(name, fn, needs_old):
    def op(self, other, **kwargs):
        _check_writable(self, name)
        same_device(name, self, other)
        base = _original(self, other) if needs_old else self
        return commit(self, fn(base, other, **kwargs), name)

    op.__name__ = name
    op.__doc__ = f"In-place ``{name[:-1]}``; returns self."
    return op


add_ = _binary_inplace("add_", ew.add, False)
sub_ = _binary_inplace("sub_", ew.sub, False)
mul_ = _binary_inplace("mul_", ew.mul, True)
div_ = _binary_inplace("div_", ew.div, True)
pow_ = _binary_inplace("pow_", ew.pow, True)


def clamp_(self, min=None, max=None):
    """In-place clamp; returns self."""
    _check_writable(self, "clamp_")
    return commit(self, ew.clamp(_original(self), min, max), "clamp_")


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
        value = value.item()
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
    "clip_": clamp_, "zero_": zero_, "fill_": fill_, "copy_": copy_,
    "__iadd__": add_, "__isub__": sub_, "__imul__": mul_, "__itruediv__": div_,
    "__ipow__": pow_,
}
