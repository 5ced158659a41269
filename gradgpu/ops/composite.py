"""Ops defined as compositions of other differentiable ops: their gradients (of any order)
follow from the parts. lerp, addcmul, addcdiv, addmm, baddbmm, trace, meshgrid; and hypot,
whose forward is one array call (squaring first would overflow) and whose backward is
composed."""

from __future__ import annotations

from .. import _dtypes
from ..autograd.function import Function
from ._common import Tensor, backend_of, binary_arrays, check_tensor
from .elementwise._binary import _apply_binary
from .linalg import matmul
from .reduction import sum as _sum
from .shape import diagonal, expand, reshape


def lerp(input, end, weight):
    """input + weight * (end - input); weight a number or a tensor (broadcast)."""
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    return input + (tensor1 * tensor2) * value if value != 1 else input + tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2."""
    return input + (tensor1 / tensor2) * value if value != 1 else input + tensor1 / tensor2


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), for 2-D mat1 and mat2."""
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        check_tensor(m, "addmm", name)
        if m.ndim != 2:
            raise RuntimeError(f"addmm: {name} must be a matrix, got {m.ndim}-D "
                               f"{list(m.shape)}")
    return _scaled_sum(input, matmul(mat1, mat2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), for 3-D batches."""
    for name, m in (("batch1", batch1), ("batch2", batch2)):
        check_tensor(m, "baddbmm", name)
        if m.ndim != 3:
            raise RuntimeError(f"baddbmm: {name} must be a 3D tensor, got {m.ndim}-D "
                               f"{list(m.shape)}")
    return _scaled_sum(input, matmul(batch1, batch2), beta, alpha)


def _scaled_sum(input, product, beta, alpha):
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
