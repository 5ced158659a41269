"""Ops that pick between values elementwise: clamp (clip, clamp_min, clamp_max),
maximum/minimum, and where.

Forward passes are CuPy's ufuncs on the GPU (``maximum``, ``minimum``, ``where``: one select per
element, the kernel we would write); maximum/minimum's backward is our fused ``*_bwd`` kernel."""

from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from .._common import (
    Tensor,
    _broadcast_message,
    _Number,
    backend_of,
    binary_arrays,
    check_devices,
    check_tensor,
    to_common_device,
    xp_of,
    zeros_like,
)
from ._binary import _apply_binary
from .unary import fused_ok


# ---- clamp / maximum / minimum / where ------------------------------------------------------
class Clamp(Function):
    """y = min(max(x, lo), hi);  dx = g where lo <= x <= hi, dlo/dhi = g where they bind"""

    @staticmethod
    def forward(ctx, x, lo, hi):
        y, lo_d, hi_d = to_common_device(*(t._data if isinstance(t, Tensor) else t
                                           for t in (x, lo, hi)))
        xp = backend_of(y).xp
        if lo is not None:
            y = xp.maximum(y, lo_d)
        if hi is not None:
            y = xp.minimum(y, hi_d)
        ctx.save_for_backward(x, lo if isinstance(lo, Tensor) else None,
                              hi if isinstance(hi, Tensor) else None)
        ctx.bounds = (lo, hi)
        return y.astype(x._data.dtype, copy=False) if y.dtype != x._data.dtype else y

    @staticmethod
    def backward(ctx, g):
        x, lo_t, hi_t = ctx.saved_tensors
        lo, hi = ctx.bounds
        lo = lo_t if lo_t is not None else lo
        hi = hi_t if hi_t is not None else hi
        need = ctx.needs_input_grad
        keep = None  # where x itself is the result
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = (x <= hi) if keep is None else keep & (x <= hi)
        gx = (g * keep if keep is not None else g) if need[0] else None
        glo = ghi = None
        if need[1]:
            lo_binds = x < lo
            glo = g * (lo_binds & (lo <= hi) if hi is not None else lo_binds)
        if need[2]:
            hi_binds = x > hi
            ghi = g * (hi_binds | (hi < lo) if lo is not None else hi_binds)
        return gx, glo, ghi


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; either bound may be a number or a tensor."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    check_tensor(input, "clamp")
    for name, bound in (("min", min), ("max", max)):
        if bound is None or isinstance(bound, _Number):
            continue
        if not isinstance(bound, Tensor):
            raise TypeError(f"clamp(): argument '{name}' must be a number or a Tensor, not "
                            f"{type(bound).__name__}")
        try:
            np.broadcast_shapes(tuple(input.shape), tuple(bound.shape))
        except ValueError:
            raise RuntimeError(_broadcast_message("clamp", tuple(input.shape),
                                                  tuple(bound.shape))) from None
    check_devices("clamp", input, min, max)  # 0-d CPU bounds join a CUDA input
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def _extremum(name: str, doc: str, largest: bool):
    """The Function class of elementwise maximum (``largest``) or minimum."""

    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, name)
        ctx.save_for_backward(a, b)
        xp = xp_of(a)
        return (xp.maximum if largest else xp.minimum)(ad, bd)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if fused_ok(g, a, b):  # both gradients in one per-element kernel
            da, db = backend_of(g._data).ew(f"{name}_bwd", g._data, a._data, b._data)
            return Tensor._make(da), Tensor._make(db)
        # g to each side unless it loses (both where one is NaN), ties split it
        a_loses, b_loses = (a < b, b < a) if largest else (a > b, b > a)
        tie = a == b
        half = g * 0.5
        need = ctx.needs_input_grad
        ga = where(tie, half, g * ~a_loses) if need[0] else None
        gb = where(tie, half, g * ~b_loses) if need[1] else None
        return ga, gb

    return type(name.capitalize(), (Function,), {
        "__doc__": doc, "forward": staticmethod(forward), "backward": staticmethod(backward),
        "__module__": __name__,
    })


Maximum = _extremum("maximum", "y = max(a, b);  da = g unless a < b, db = g unless b < a, ties "
                    "split g / 2 each", True)
Minimum = _extremum("minimum", "y = min(a, b);  da = g unless a > b, db = g unless b > a, ties "
                    "split g / 2 each", False)


def maximum(input, other):
    """Elementwise maximum of two tensors (NaN propagates)."""
    _require_tensors("maximum", input, other)
    return _apply_binary(Maximum, input, other, "maximum")


def minimum(input, other):
    """Elementwise minimum of two tensors (NaN propagates)."""
    _require_tensors("minimum", input, other)
    return _apply_binary(Minimum, input, other, "minimum")


def _require_tensors(op, *xs):
    for x in xs:
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'other' must be Tensor, not {type(x).__name__}")


class Where(Function):
    """y = cond ? a : b;  da = g where cond, db = g where not cond"""

    @staticmethod
    def forward(ctx, cond, a, b):
        ad, bd = binary_arrays(a, b, "where")
        c, ad, bd = to_common_device(cond._data, ad, bd)
        # saved (not just kept) for the version check: a mask edited in place after the
        # select would route the gradient to the wrong operand
        ctx.save_for_backward(cond)
        return backend_of(c).xp.where(c, ad, bd)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        need = ctx.needs_input_grad
        zero = zeros_like(g)
        ga = where(cond, g, zero) if need[1] else None
        gb = where(cond, zero, g) if need[2] else None
        return None, ga, gb


def where(condition, input=None, other=None):
    """Elementwise select: ``input`` where condition is True, else ``other``.

    With one argument, the indices of the True elements (like ``nonzero(as_tuple=True)``).
    """
    if input is None and other is None:
        from ..indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor) or condition._data.dtype.kind != "b":
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got "
            f"{condition.dtype if isinstance(condition, Tensor) else type(condition).__name__}"
        )
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        # two numbers: the first as a 0-d tensor (int64, the default float or bool, as PyTorch
        # types a number), which joins the condition's device; the second promotes with it
        from ... import _factories

        if not isinstance(input, _Number):
            raise TypeError(f"where(): expected a Tensor or a number for 'input', got "
                            f"{type(input).__name__}")
        input = _factories.tensor(input)
    check_devices("where", condition, input, other)  # 0-d CPU operands join
    try:
        return Where.apply(condition, input, other)
    except ValueError as exc:
        if "broadcast" in str(exc):
            shapes = [list(x.shape) for x in (condition, input, other) if isinstance(x, Tensor)]
            raise RuntimeError(f"where: shapes {shapes} cannot be broadcast together") from None
        raise


TENSOR_METHODS = {
    name: globals()[name]
    for name in "clamp clip clamp_min clamp_max maximum minimum".split()
}
TENSOR_METHODS.update(where=lambda self, condition, other: where(condition, self, other))
FUNCTIONS = {"where": where}
