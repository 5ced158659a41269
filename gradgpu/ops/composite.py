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
    return _combine(input, product, beta, alpha)


def _combine(input, product, beta, alpha):
    """beta * input + alpha * product; PyTorch ignores input (even nan/inf in it) when beta
    is 0."""
    product = product * alpha if alpha != 1 else product
    if beta == 0:
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


# ---- addmv, addr, addbmm, cross -------------------------------------------------------------
_SCALAR_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
                 "float64": "Double", "int8": "Char", "uint8": "Byte", "int16": "Short",
                 "int32": "Int", "int64": "Long", "bool": "Bool"}


def _scalar_name(t) -> str:
    """PyTorch's ScalarType name of a tensor's dtype ('Float', 'Double', ...)."""
    name = t.dtype.name
    return _SCALAR_NAMES.get(name, name)

def _check_expandable(input, shape) -> None:
    """PyTorch's error when input does not broadcast to the product's shape."""
    if input._data.shape != tuple(shape) and not _broadcasts_into(input._data.shape,
                                                                  tuple(shape)):
        expand(input, tuple(shape))  # raises PyTorch's "The expanded size ..." message


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec), for a 2-D mat and a 1-D vec (input broadcast)."""
    for name, t in (("input", input), ("mat", mat), ("vec", vec)):
        check_tensor(t, "addmv", name)
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    n, m = mat._data.shape
    if vec._data.shape[0] != m or (input.ndim == 1 and input._data.shape[0] not in (1, n)):
        inp = "x".join(str(s) for s in input._data.shape)
        raise RuntimeError(f"size mismatch, got input ({inp}), mat ({n}x{m}), vec "
                           f"({vec._data.shape[0]})")
    if not input._data.dtype == mat._data.dtype == vec._data.dtype:
        names = ", ".join(_scalar_name(t) for t in (input, mat, vec))
        head, last = names.rsplit(", ", 1)
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {head}, "
                           f"and {last}")
    if input._data.dtype.kind in "biu":
        beta, alpha = int(beta), int(alpha)
    return _combine(input, matmul(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2) (input broadcast to the outer product)."""
    check_tensor(input, "addr", "input")
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        check_tensor(v, "addr", name)
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    shape = (vec1._data.shape[0], vec2._data.shape[0])
    _check_expandable(input, shape)
    if input._data.dtype.kind in "biu":
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be "
                                   "a floating point number.")
    product = reshape(vec1, (-1, 1)) * reshape(vec2, (1, -1))
    if input._data.dtype.kind == "b":  # bool: beta and alpha are logical
        product = product if alpha else product & False
        return product | input if beta else product
    return _combine(input, product, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b (batch1[b] @ batch2[b]), for 3-D batches."""
    check_tensor(input, "addbmm", "input")
    for name, m in (("batch1", batch1), ("batch2", batch2)):
        check_tensor(m, "addbmm", name)
        if m.ndim != 3:
            raise RuntimeError(f"addbmm: {name} must be a 3D tensor, got {m.ndim}-D "
                               f"{list(m.shape)}")
    if batch1._data.shape[0] != batch2._data.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1._data.shape[0]} and {batch2._data.shape[0]}")
    if batch1._data.shape[2] != batch2._data.shape[1]:
        b1, b2 = batch1._data.shape, batch2._data.shape
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({b1[1]}x{b1[2]} and "
                           f"{b2[1]}x{b2[2]})")
    for m in (batch1, batch2):
        if m._data.dtype != input._data.dtype:
            raise RuntimeError(f"addbmm: expected self and batch1/batch2 to have the same "
                               f"dtype, but got {input.dtype.name} and {m.dtype.name}")
    shape = (batch1._data.shape[1], batch2._data.shape[2])
    _check_expandable(input, shape)
    if input._data.dtype.kind in "biu":
        beta, alpha = int(beta), int(alpha)
    return _combine(input, _sum(matmul(batch1, batch2), 0), beta, alpha)


def cross(input, other, dim=None):
    """The 3-vector cross product along ``dim`` (None: the first dim of size 3, with PyTorch's
    deprecation warning); the other dims broadcast."""
    check_tensor(input, "cross", "input")
    check_tensor(other, "cross", "other")
    if dim is None:
        import warnings

        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        sizes = input._data.shape
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return _cross(input, other, dim, "linalg.cross")


def _cross(input, other, dim, op):
    from ._common import wrap_dim
    from .shape import broadcast_tensors, select, stack

    if input.ndim != other.ndim:
        raise RuntimeError(f"{op}: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, input.ndim, op)
    a, b = input._data.shape[d], other._data.shape[d]
    if a != 3 or b != 3:
        raise RuntimeError(f"{op}: inputs dimension {d} must have length 3. Got {a} and {b}")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found "
                           f"{_scalar_name(other)}")
    if input._data.shape != other._data.shape:
        input, other = broadcast_tensors(input, other)
    x = [select(input, d, i) for i in range(3)]
    y = [select(other, d, i) for i in range(3)]
    return stack([x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2],
                  x[0] * y[1] - x[1] * y[0]], d)


TENSOR_METHODS.update({"addmv": addmv, "addr": addr, "addbmm": addbmm, "cross": cross})



def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]; composed as
    ((x1 @ W') * x2).sum(-1) with W' the (i, o * j) fold of weight."""
    from .shape import permute

    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        check_tensor(t, "bilinear", name)
    if bias is not None:
        check_tensor(bias, "bilinear", "bias")
    s1, s2, sw = input1._data.shape, input2._data.shape, weight._data.shape
    if len(s1) != len(s2):
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {len(s1)} and "
                           f"{len(s2)}")
    for a, b in zip(s1[:-1], s2[:-1]):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {a} and "
                               f"{b}")
    if len(sw) != 3:
        if len(sw) == 2 and s1[-1] != sw[1]:
            raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                               f"{s1[-1]} but expected {sw[1]}")
        raise RuntimeError(f"bilinear(): expected a 3-D weight (out, in1, in2), got shape "
                           f"{list(sw)}")
    if s1[-1] != sw[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {s1[-1]} "
                           f"but expected {sw[1]}")
    if s2[-1] != sw[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {s2[-1]} "
                           f"but expected {sw[2]}")
    if bias is not None and (bias._data.shape[:1] or (None,))[0] != sw[0]:
        got = bias._data.shape[0] if bias._data.ndim else 1
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {got} but "
                           f"expected {sw[0]}")
    tensors = [("input1", input1), ("input2", input2), ("weight", weight)]
    if bias is not None:
        tensors.append(("bias", bias))
    if len({t._data.dtype for _, t in tensors}) > 1:
        names = {"float32": "float", "float64": "double", "float16": "half"}
        got = ", ".join(f"{n}: {names.get(t.dtype.name, t.dtype.name)}" for n, t in tensors)
        raise RuntimeError(f"All tensors must have the same dtype, got {got}")
    out_f, in1, in2 = sw
    batch = s1[:-1]
    x1 = reshape(input1, (-1, in1))
    x2 = reshape(input2, (-1, 1, in2))
    w = reshape(permute(weight, (1, 0, 2)), (in1, out_f * in2))
    y = _sum(reshape(matmul(x1, w), (-1, out_f, in2)) * x2, -1)
    if bias is not None:
        y = y + bias
    return reshape(y, batch + (out_f,))


FUNCTIONS["bilinear"] = bilinear
