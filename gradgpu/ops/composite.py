"""Ops defined as compositions of other differentiable ops: their gradients (of any order)
follow from the parts. lerp, addcmul, addcdiv, addmm, baddbmm, hypot, trace, meshgrid."""

from __future__ import annotations

from . import elementwise as ew
from ._common import Tensor, check_devices, check_tensor
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


def hypot(input, other):
    """sqrt(input^2 + other^2)."""
    check_devices("hypot", input, other)
    return ew.sqrt(input * input + other * other)


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
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if not isinstance(t, Tensor) or t.ndim > 1:
            raise RuntimeError("meshgrid: expects all tensors to be 0-D or 1-D")
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
