"""Small Tensor methods and properties PyTorch has: fill_diagonal_, put/put_, the is_* queries,
the complex no-ops of real tensors (conj, real, mH ...), split_with_sizes, sum_to_size,
nonzero_static, cholesky_solve/cholesky_inverse, apply_/map_.

gradgpu has no complex dtypes, so conj/conj_physical/real return the tensor itself (as
PyTorch does for real tensors) and imag raises PyTorch's error.
"""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from ..autograd.grad_mode import _state
from . import elementwise as ew
from . import shape
from ._common import Tensor, xp_of
from .fill_values import checked_value
from .inplace import _check_writable, _original, commit
from .linalg_triangular import solve_triangular
from .shape.strided import empty_strided


def _name(x: Tensor) -> str:
    return x.dtype.name


# ---- writes ---------------------------------------------------------------------------------
def fill_diagonal_(self, fill_value, wrap: bool = False):
    """self[i, i, ..., i] = fill_value for every i (a 2-D tall matrix with ``wrap`` restarts
    the diagonal every ncols + 1 rows); returns self."""
    _check_writable(self, "fill_diagonal_")
    shp = self._data.shape
    if len(shp) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shp) > 2 and len(set(shp)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    xp = xp_of(self)
    n = min(shp)
    # flat positions of the diagonal in a C-contiguous layout: each step adds 1 to every index
    step = sum(int(np.prod(shp[k + 1:])) for k in range(len(shp)))
    stop = self._data.size if (wrap and len(shp) == 2 and shp[0] > shp[1]) else n * step
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()  # (PyTorch takes a Scalar: a host value either way)
    value = checked_value(fill_value, self._data.dtype, "fill_diagonal_")
    if _state.enabled and self._requires_grad:
        mask = xp.zeros(self._data.size, dtype=bool)
        mask[0:stop:step] = True
        mask = Tensor._make(mask.reshape(shp))
        result = ew.where(mask, Tensor._make(xp.asarray(value, dtype=self._data.dtype)),
                          _original(self))
        return commit(self, result, "fill_diagonal_")
    # the diagonal's positions only (O(n) work and memory, not a mask of every element)
    self._data[xp.unravel_index(xp.arange(0, stop, step), shp)] = value
    self._version_counter[0] += 1
    return self


def _put_checks(self, index, source, op: str) -> None:
    if not isinstance(index, Tensor) or index._data.dtype != np.int64:
        got = _name(index) if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got {got}")
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source._data.dtype != self._data.dtype:
        raise RuntimeError(f"{op}(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_name(self)} and source.dtype = {_name(source)}")
    if index._data.size != source._data.size:
        raise IndexError(f"{op}(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source._data.size}, "
                           f"index.numel() = {index._data.size}")


def put(input, index, source, accumulate: bool = False):
    """A copy of input seen as 1-D with flat[index] = source (+= with ``accumulate``);
    negative indices count from the end."""
    _put_checks(input, index, source, "put")
    flat = shape.reshape(input, (-1,))
    out = flat.index_put((shape.reshape(index, (-1,)),), shape.reshape(source, (-1,)),
                         accumulate=accumulate)
    return shape.reshape(out, input.shape)


def put_(self, index, source, accumulate: bool = False):
    """In-place ``put``; returns self."""
    _check_writable(self, "put_")
    _put_checks(self, index, source, "put_")
    return commit(self, put(_original(self, source), index, source, accumulate), "put_")


# ---- queries --------------------------------------------------------------------------------
def is_cpu(self) -> bool:
    """Whether the tensor lives on the CPU (a property)."""
    return self.device.type == "cpu"


def is_complex(input) -> bool:
    """Whether the dtype is complex (never, in gradgpu)."""
    return input._data.dtype.kind == "c"


def is_signed(input) -> bool:
    """Whether the dtype holds negative numbers (floats and signed integers)."""
    return input._data.dtype.kind in "fic"


def is_nonzero(input) -> bool:
    """The single value of a one-element tensor, as a bool (reads it back to the host)."""
    if input._data.size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input._data.size > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def is_same_size(input, other) -> bool:
    """Whether both tensors have the same shape."""
    return tuple(input._data.shape) == tuple(other._data.shape)


def is_inference(input) -> bool:
    """Whether the tensor is an inference tensor (never: gradgpu does not mark them)."""
    return False


def is_pinned(self, device=None) -> bool:
    """Whether host memory is page-locked (never: gradgpu does not pin memory)."""
    return False


def pin_memory(self, device=None):
    """Self (gradgpu does not page-lock host memory); with no GPU, PyTorch's error."""
    from .. import cuda

    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return self


def char(self):
    """self.to(int8)."""
    return self.to(_dtypes.int8)


# ---- complex no-ops of real tensors ---------------------------------------------------------
def conj(input):
    """The complex conjugate: the tensor itself for real dtypes (gradgpu's only ones)."""
    return input


def conj_physical_(self):
    """In-place complex conjugate: nothing to do for real dtypes; returns self."""
    return self


def is_conj(input) -> bool:
    """Whether the conjugate bit is set (never: gradgpu has no lazy conjugation)."""
    return False


def is_neg(input) -> bool:
    """Whether the negative bit is set (never: gradgpu has no lazy negation)."""
    return False


def real(input):
    """The real part: the tensor itself for real dtypes."""
    return input


def imag(input):
    """The imaginary part: PyTorch refuses it for real dtypes, as here."""
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def adjoint(input):
    """The conjugate transpose of the last two dims (the transpose for real dtypes)."""
    if input._data.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input._data.ndim}-D tensor.")
    return shape.transpose(input, -2, -1)


def mH(self):
    """The conjugate transpose of the last two dims (a property)."""
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return shape.transpose(self, -2, -1)


def H(self):
    """The conjugate transpose of a matrix (a property)."""
    if self._data.ndim != 2:
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self._data.ndim}-D tensor.")
    return shape.transpose(self, 0, 1)


# ---- shapes ---------------------------------------------------------------------------------
def split_with_sizes(input, split_sizes, dim: int = 0) -> tuple:
    """Views of consecutive pieces of the listed sizes along ``dim`` (they must add up)."""
    return shape.split(input, list(split_sizes), dim)


def sum_to_size(self, *size):
    """Self summed down to ``size``, a shape that broadcasts to self's shape."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    shp = tuple(self._data.shape)
    lead = len(shp) - len(size)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(size, shp[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shp)}}}.")
    out = self
    if lead:
        out = out.sum(dim=tuple(range(lead)))
    dims = tuple(i for i, (s, d) in enumerate(zip(size, shp[lead:])) if s == 1 and d != 1)
    if dims:
        out = out.sum(dim=dims, keepdim=True)
    return out


def new_empty_strided(self, size, stride, *, dtype=None, device=None,
                      requires_grad: bool = False):
    """An uninitialized tensor with the given size and strides, self's dtype and device by
    default."""
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


def nonzero_static(input, *, size: int, fill_value: int = -1):
    """nonzero(input) cut or padded with ``fill_value`` rows to exactly ``size`` rows."""
    size = int(size)
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size}")
    idx = input.nonzero()
    n = idx._data.shape[0]
    if n >= size:
        return idx[:size]
    xp = xp_of(input)
    pad = xp.full((size - n, idx._data.shape[1]), fill_value, dtype=np.int64)
    return Tensor._make(xp.concatenate([idx._data, pad]))


# ---- Cholesky -------------------------------------------------------------------------------
def cholesky_solve(B, L, upper: bool = False):
    """X with A X = B for A = L L^T (or U^T U with ``upper``): two triangular solves."""
    for x, what in ((B, "b"), (L, "u")):
        if x._data.ndim < 2:
            raise RuntimeError(f"{what} should have at least 2 dimensions, but has "
                               f"{x._data.ndim} dimensions instead")
    if upper:  # A = U^T U: U^T Y = B, then U X = Y
        y = solve_triangular(shape.transpose(L, -2, -1), B, upper=False)
        return solve_triangular(L, y, upper=True)
    y = solve_triangular(L, B, upper=False)
    return solve_triangular(shape.transpose(L, -2, -1), y, upper=True)


def cholesky_inverse(L, upper: bool = False):
    """A^-1 for A = L L^T (or U^T U with ``upper``), from its Cholesky factor."""
    if L._data.ndim < 2:
        raise RuntimeError(f"cholesky_inverse: input must have at least 2 dimensions, got "
                           f"{L._data.ndim} dimensions")
    n = L._data.shape[-1]
    eye = Tensor._make(xp_of(L).eye(n, dtype=L._data.dtype))
    return cholesky_solve(eye, L, upper=upper)


# ---- Python callables (CPU only, as PyTorch) ------------------------------------------------
def _check_callable_target(self, op: str) -> None:
    if self.device.type != "cpu":
        raise TypeError(f"{op} is only implemented on CPU tensors")
    if self._requires_grad:
        raise RuntimeError(f"Can't call {op}() on Variable that requires grad. Use "
                           f"var.detach().{op}() instead.")


def apply_(self, callable):
    """self[i] = callable(self[i]) for every element, in Python (slow; CPU only)."""
    _check_callable_target(self, "apply_")
    values = [callable(v) for v in self._data.ravel().tolist()]
    self._data[...] = np.asarray(values).astype(self._data.dtype).reshape(self._data.shape)
    self._version_counter[0] += 1
    return self


def map_(self, tensor, callable):
    """self[i] = callable(self[i], tensor[i]) with ``tensor`` broadcast to self (CPU only)."""
    _check_callable_target(self, "map_")
    other = np.broadcast_to(tensor.numpy(), self._data.shape)
    values = [callable(a, b) for a, b in zip(self._data.ravel().tolist(),
                                             other.ravel().tolist())]
    self._data[...] = np.asarray(values).astype(self._data.dtype).reshape(self._data.shape)
    self._version_counter[0] += 1
    return self


TENSOR_METHODS = {
    "fill_diagonal_": fill_diagonal_, "put": put, "put_": put_, "is_complex": is_complex,
    "is_signed": is_signed, "is_nonzero": is_nonzero, "is_same_size": is_same_size,
    "is_inference": is_inference, "is_pinned": is_pinned, "pin_memory": pin_memory,
    "char": char, "conj": conj, "conj_physical": conj, "conj_physical_": conj_physical_,
    "is_conj": is_conj, "is_neg": is_neg, "adjoint": adjoint, "split_with_sizes": split_with_sizes,
    "sum_to_size": sum_to_size, "new_empty_strided": new_empty_strided,
    "nonzero_static": nonzero_static, "cholesky_solve": cholesky_solve,
    "cholesky_inverse": cholesky_inverse, "apply_": apply_, "map_": map_,
    # properties: installed on Tensor as they are (real/imag are functions too, below)
    "is_cpu": property(is_cpu), "mH": property(mH), "H": property(H),
    "real": property(real), "imag": property(imag),
}

# Tensor-only names: not exported at the top level (torch.is_cpu does not exist)
METHODS_ONLY = ("is_cpu", "mH", "H", "is_pinned", "pin_memory", "char", "sum_to_size",
                "new_empty_strided", "real", "imag")

FUNCTIONS = {"real": real, "imag": imag, "conj_physical_": conj_physical_}
