"""Matrix products: matmul (1-D, 2-D, batched, broadcast), mm, bmm, outer, dot, einsum."""

from __future__ import annotations

from ..autograd.function import Function
from ._common import Tensor, binary_arrays, same_device, xp_of
from .shape import sum_to_shape, unsqueeze, squeeze


class MatMul(Function):
    """y = a @ b (both at least 2-D, batch dims broadcast);  da = g @ b^T,  db = a^T @ g"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "matmul")
        ctx.save_for_backward(a, b)
        return xp_of(a).matmul(ad, bd)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = sum_to_shape(g @ b.mT, a._data.shape) if need[0] else None
        gb = sum_to_shape(a.mT @ g, b._data.shape) if need[1] else None
        return ga, gb


def _check_matmul(a, b, op):
    for name, x in (("input", a), ("other", b)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    same_device(op, a, b)
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(f"{op}: both arguments to matmul need to be at least 1D, but they "
                           f"are {a._data.ndim}D and {b._data.ndim}D")


def matmul(input, other):
    """Matrix product with NumPy/PyTorch rules: 1-D operands are promoted and squeezed back."""
    _check_matmul(input, other, "matmul")
    a, b = input, other
    a1, b1 = a._data.ndim == 1, b._data.ndim == 1
    if a1:
        a = unsqueeze(a, 0)
    if b1:
        b = unsqueeze(b, -1)
    ka, kb = a._data.shape[-1], b._data.shape[-2]
    if ka != kb:
        raise RuntimeError(
            f"matmul: mat1 and mat2 shapes cannot be multiplied "
            f"({_mat_desc(input)} and {_mat_desc(other)})"
        )
    try:
        out = MatMul.apply(a, b)
    except ValueError:
        raise RuntimeError(
            f"matmul: batch dimensions of {list(input.shape)} and {list(other.shape)} cannot be "
            "broadcast"
        ) from None
    if a1:
        out = squeeze(out, -2)
    if b1:
        out = squeeze(out, -1)
    return out


def _mat_desc(t):
    s = t._data.shape
    return "x".join(str(d) for d in s) if len(s) != 2 else f"{s[0]}x{s[1]}"


def mm(input, mat2):
    """Product of two 2-D matrices."""
    _check_matmul(input, mat2, "mm")
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {input._data.ndim}D and "
                           f"{mat2._data.ndim}D")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of 3-D tensors with equal batch sizes."""
    _check_matmul(input, mat2, "bmm")
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"bmm: batch1 must be a 3D tensor, batch2 must be a 3D tensor "
                           f"(got {input._data.ndim}D and {mat2._data.ndim}D)")
    if input._data.shape[0] != mat2._data.shape[0]:
        raise RuntimeError(f"bmm: batch1 and batch2 must have same number of batches, got "
                           f"{input._data.shape[0]} and {mat2._data.shape[0]}")
    return matmul(input, mat2)


def mv(input, vec):
    return matmul(input, vec)


def dot(input, other):
    """Inner product of two 1-D tensors."""
    _check_matmul(input, other, "dot")
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}]"
                           f" and src [{other._data.shape[0]}] to have the same number of "
                           "elements, but got different")
    return matmul(input, other)


def outer(input, vec2):
    """Outer product of two 1-D tensors."""
    if input._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError("outer: expected 1D tensors")
    return unsqueeze(input, 1) * unsqueeze(vec2, 0)


ger = outer


TENSOR_METHODS = {"matmul": matmul, "mm": mm, "bmm": bmm, "mv": mv, "dot": dot,
                  "outer": outer, "ger": outer}
