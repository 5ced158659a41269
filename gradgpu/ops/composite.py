"""Ops defined as compositions of other differentiable ops: their gradients (of any order)
follow from the parts. lerp, addcmul, addcdiv, addmm, baddbmm, trace, meshgrid; and hypot,
whose forward is one array call (squaring first would overflow) and whose backward is
composed."""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from ..autograd.function import Function
from ._common import Tensor, backend_of, binary_arrays, check_tensor
from .elementwise import where
from .elementwise._binary import _apply_binary
from .linalg import matmul
from .reduction import sum as _sum
from .shape import diagonal, expand, reshape


def lerp(input, end, weight):
    """input + weight * (end - input) where |weight| < 0.5, else end - (end - input) *
    (1 - weight): PyTorch's two-sided form, exact at weight 1 (and finite where one end is
    infinite); weight a number or a tensor (broadcast)."""
    check_tensor(input, "lerp", "input")
    check_tensor(end, "lerp", "end")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"lerp_kernel" not implemented for \'{input.dtype.name}\'')
    for name, t in (("end", end), ("weight", weight)):
        # (a 0-d weight is a number to PyTorch, whatever its dtype)
        if isinstance(t, Tensor) and t._data.dtype != input._data.dtype and (
                name == "end" or t._data.ndim):
            raise RuntimeError(f"lerp: expected dtype {input.dtype.name} for `{name}` but got "
                               f"dtype {t.dtype.name}")
    diff = end - input
    if not isinstance(weight, Tensor):
        return input + weight * diff if abs(weight) < 0.5 else end - diff * (1 - weight)
    return where(abs(weight) < 0.5, input + weight * diff, end - diff * (1 - weight))


def lerp_arrays(xp, input, end, weight):
    """lerp on arrays of one float dtype (weight a number or such an array), no graph: the
    fast path of lerp_ (optimizers' moving averages)."""
    diff = end - input
    if isinstance(weight, (int, float)):
        return input + weight * diff if abs(weight) < 0.5 else end - diff * (1 - weight)
    return xp.where(abs(weight) < 0.5, input + weight * diff, end - diff * (1 - weight))


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    check_tensor(tensor1, "addcmul", "tensor1")
    check_tensor(tensor2, "addcmul", "tensor2")
    return input + (tensor1 * tensor2) * value if value != 1 else input + tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2."""
    check_tensor(tensor1, "addcdiv", "tensor1")
    check_tensor(tensor2, "addcdiv", "tensor2")
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        # PyTorch refuses rather than silently change integer addcdiv's meaning
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
            "for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    return input + (tensor1 / tensor2) * value if value != 1 else input + tensor1 / tensor2


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), for 2-D mat1 and mat2."""
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        check_tensor(m, "addmm", name)
        if m.ndim != 2:
            raise RuntimeError(f"addmm: {name} must be a matrix, got {m.ndim}-D "
                               f"{list(m.shape)}")
    return _scaled_sum(input, matmul(mat1, mat2), beta, alpha, "addmm", mat1, mat2)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), for 3-D batches."""
    for name, m in (("batch1", batch1), ("batch2", batch2)):
        check_tensor(m, "baddbmm", name)
        if m.ndim != 3:
            raise RuntimeError(f"baddbmm: {name} must be a 3D tensor, got {m.ndim}-D "
                               f"{list(m.shape)}")
    return _scaled_sum(input, matmul(batch1, batch2), beta, alpha, "baddbmm", batch1, batch2)


def _broadcasts_into(src: tuple, dst: tuple) -> bool:
    try:
        return np.broadcast_shapes(src, dst) == dst
    except ValueError:
        return False


def _scaled_sum(input, product, beta, alpha, op, m1, m2):
    check_tensor(input, op, "input")
    for m in (m1, m2):
        if m._data.dtype != input._data.dtype:  # PyTorch does not promote here
            raise RuntimeError(f"{op}: self and mat2 must have the same dtype, but got "
                               f"{input.dtype.name} and {m.dtype.name}")
    shape = product._data.shape
    if input._data.shape != shape and not _broadcasts_into(input._data.shape, shape):
        raise RuntimeError(f"{op}: the input of shape {list(input.shape)} cannot be expanded "
                           f"to the product's shape {list(shape)}")
    if input._data.dtype.kind in "biu":  # integer tensors take the scalars as integers
        beta, alpha = int(beta), int(alpha)
    product = product * alpha if alpha != 1 else product
    if beta == 0:  # PyTorch ignores input (even nan/inf in it) when beta is 0
        return product
    return product + (input * beta if beta != 1 else input)


class Hypot(Function):
    """y = sqrt(a^2 + b^2), without overflow or underflow;  da = g * a / y,  db = g * b / y
    (NaN where y == 0, as PyTorch's)"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "hypot")
        if ad.dtype.kind != "f":  # PyTorch has no integer hypot (and would not promote)
            raise NotImplementedError(
                f'"hypot" not implemented for \'{_dtypes.from_numpy_dtype(ad.dtype).name}\'')
        be = backend_of(ad)
        with be.quiet():
            y = Tensor._make(be.xp.hypot(ad, bd))
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * (a / y) if need[0] else None), (g * (b / y) if need[1] else None)


def hypot(input, other):
    """sqrt(input^2 + other^2), computed without overflow (tensors only)."""
    check_tensor(input, "hypot", "input")
    check_tensor(other, "hypot", "other")
    return _apply_binary(Hypot, input, other, "hypot")


def trace(input):
    """Sum of the main diagonal of a 2-D tensor."""
    check_tensor(input, "trace")
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return _sum(diagonal(input))


def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids from 1-D tensors ('ij' matrix or 'xy' Cartesian indexing)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if not isinstance(t, Tensor) or t.ndim > 1:
            raise RuntimeError("meshgrid: expects all tensors to be 0-D or 1-D")
        if t.dtype != tensors[0].dtype or t.device != tensors[0].device:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype and device "
                               f"(got {tensors[0].dtype} on {tensors[0].device} and {t.dtype} "
                               f"on {t.device})")
    flat = [reshape(t, -1) for t in tensors]
    if indexing == "xy" and len(flat) >= 2:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = -1
        grids.append(expand(reshape(t, view), shape))
    if indexing == "xy" and len(grids) >= 2:  # swap back: outputs follow the input order
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


TENSOR_METHODS = {
    "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv, "addmm": addmm,
    "baddbmm": baddbmm, "hypot": hypot, "trace": trace,
}
FUNCTIONS = {"meshgrid": meshgrid}
