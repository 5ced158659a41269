"""Helpers shared by the op modules: operand checks, dtype promotion, dim normalization."""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from ..autograd.grad_mode import _state
from ..backend import backend_of
from ..tensor import Tensor, _wrap_dim

_ndarray = np.ndarray
_Number = (int, float, bool, np.number, np.bool_)

__all__ = [
    "Tensor",
    "backend_of",
    "xp_of",
    "check_tensor",
    "same_device",
    "device_mismatch",
    "binary_arrays",
    "wrap_dim",
    "dims_arg",
    "float_dtype_of",
    "zeros_like",
    "describe",
]


def xp_of(t: Tensor):
    """The array namespace (numpy or cupy) of a tensor's backend."""
    return np if type(t._data) is _ndarray else backend_of(t._data).xp


def describe(x) -> str:
    """Short description of an operand for error messages: shape, dtype and device."""
    if isinstance(x, Tensor):
        return f"Tensor(shape={list(x.shape)}, dtype={x.dtype}, device={x.device})"
    return f"{type(x).__name__}"


def check_tensor(x, op: str, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def device_mismatch(op: str, first, second) -> RuntimeError:
    """PyTorch's error for operands on two devices, naming both and the op."""
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, "
        f"{first} and {second}! (when checking arguments for {op})"
    )


def _other_device(a, b) -> bool:
    """Whether two backend arrays live on different devices (cheap for the NumPy-NumPy case)."""
    if type(a) is not type(b):
        return True
    # CuPy: the memory's device ordinal (a plain int; ``a.device`` builds a Device object)
    return type(a) is not _ndarray and a.data.device_id != b.data.device_id


def same_device(op: str, *tensors) -> None:
    """PyTorch's device check: every tensor operand on one device (non-tensors are skipped).

    Call it before touching any operand's array: a CuPy kernel given host memory, or an array
    of another GPU, fails far from the cause or reads the wrong memory."""
    first = None
    for t in tensors:
        if not isinstance(t, Tensor):
            continue
        if first is None:
            first = t
        elif _other_device(first._data, t._data):
            raise device_mismatch(op, first.device, t.device)


def fused_ok(g, *saved) -> bool:
    """Whether a backward may work on the raw arrays (a fused per-element kernel, or the array
    op itself with no node): no graph is being built (the engine runs backward with grad mode =
    create_graph; with it on, a graph is needed only when g or a saved tensor requires grad)
    and every saved tensor has g's dtype (a kernel takes one type T). ``saved`` may hold
    numbers (a tensor-by-number op)."""
    enabled = _state.enabled
    dtype = g._data.dtype
    for s in saved:
        if type(s) is Tensor or isinstance(s, Tensor):
            if s._data.dtype != dtype or enabled and s._requires_grad:
                return False
    return not (enabled and g._requires_grad)


def _is_cpu_scalar(data) -> bool:
    """A 0-d array in host memory: PyTorch lets such a tensor join ops on another device."""
    return type(data) is _ndarray and data.ndim == 0


def check_devices(op: str, *tensors) -> None:
    """PyTorch's device rule for the operands of an elementwise op: one device for all tensors,
    except that a 0-d CPU tensor may join tensors on another device, as a number would.
    Non-tensors are skipped. Pair it with ``to_common_device`` on the arrays."""
    home = None
    for t in tensors:
        if isinstance(t, Tensor) and not _is_cpu_scalar(t._data):
            if home is None:
                home = t
            elif _other_device(home._data, t._data):
                raise device_mismatch(op, home.device, t.device)


def check_output_device(op: str, out, *tensors) -> None:
    """An in-place op writes into ``out``, which cannot move: every other tensor must be on
    out's device, or be a 0-d CPU tensor."""
    for t in tensors:
        if (isinstance(t, Tensor) and _other_device(out._data, t._data)
                and not _is_cpu_scalar(t._data)):
            raise device_mismatch(op, out.device, t.device)


def to_common_device(*arrays) -> tuple:
    """``arrays`` with 0-d host arrays copied to the device of the others (after
    ``check_devices``); numbers and None pass through."""
    home = None
    for a in arrays:
        if hasattr(a, "ndim") and not _is_cpu_scalar(a):
            home = a
            break
    if home is None or type(home) is _ndarray or not any(type(a) is _ndarray for a in arrays):
        return arrays
    be = backend_of(home)
    return tuple(be.asarray(a) if type(a) is _ndarray else a for a in arrays)


def index_bounds(arr) -> tuple[int, int]:
    """(min, max) of a non-empty integer array as Python ints, for bounds checks: one
    device-to-host copy for a GPU array (one sync, not one per bound)."""
    if type(arr) is _ndarray:
        return int(arr.min()), int(arr.max())
    lo, hi = backend_of(arr).xp.stack((arr.min(), arr.max())).tolist()
    return int(lo), int(hi)


def _broadcast_message(op: str, sa, sb) -> str:
    na, nb = len(sa), len(sb)
    for i in range(1, max(na, nb) + 1):
        da = sa[-i] if i <= na else 1
        db = sb[-i] if i <= nb else 1
        if da != db and da != 1 and db != 1:
            dim = max(na, nb) - i
            return (
                f"{op}: The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                f"non-singleton dimension {dim} (shapes {list(sa)} and {list(sb)})"
            )
    return f"{op}: shapes {list(sa)} and {list(sb)} cannot be broadcast"


def broadcast_error(op: str, a, b) -> RuntimeError:
    sa = tuple(a.shape) if isinstance(a, Tensor) else ()
    sb = tuple(b.shape) if isinstance(b, Tensor) else ()
    return RuntimeError(_broadcast_message(op, sa, sb))


def binary_arrays(a, b, op: str):
    """Arrays (or Python scalars) for a binary op, cast to PyTorch's promoted result dtype."""
    a_is_t = isinstance(a, Tensor)
    b_is_t = isinstance(b, Tensor)
    if a_is_t and b_is_t:
        ad, bd = a._data, b._data
        if type(ad) is not _ndarray or type(bd) is not _ndarray:
            if type(ad) is type(bd):  # both on devices (the hot GPU case): one device check
                same_device(op, a, b)
            else:  # host and device: a 0-d CPU tensor joins, anything else is refused
                check_devices(op, a, b)
                ad, bd = to_common_device(ad, bd)
        if ad.dtype is bd.dtype or ad.dtype == bd.dtype:
            return ad, bd
        rt = _dtypes.result_type(a, b).np
        return (ad if ad.dtype == rt else ad.astype(rt)), (bd if bd.dtype == rt else bd.astype(rt))
    if a_is_t:
        if type(b) is float and a._data.dtype.kind == "f":  # the common case, x * 0.5
            return a._data, b
        t, s, t_first = a, b, True
    elif b_is_t:
        t, s, t_first = b, a, False
    else:
        raise TypeError(f"{op}(): expected at least one Tensor operand, got {type(a).__name__} "
                        f"and {type(b).__name__}")
    if not isinstance(s, _Number):
        raise TypeError(
            f"{op}(): unsupported operand types: {describe(a)} and {describe(b)}"
        )
    td = t._data
    kind = td.dtype.kind
    if isinstance(s, (bool, np.bool_)):
        s = bool(s)
        need = None
    elif isinstance(s, (int, np.integer)):
        s = int(s)
        need = _dtypes.int64.np if kind == "b" else None
        if kind in "iu":
            s = _wrap_int(s, td.dtype)
    else:
        s = float(s)
        need = None if kind == "f" else _dtypes.get_default_dtype().np
    if need is not None:
        td = td.astype(need)
    return (td, s) if t_first else (s, td)


_INT_BOUNDS: dict = {}


def _wrap_int(value: int, dtype) -> int:
    """A Python int as the tensor's integer type sees it: wrapped modulo 2^bits when out of
    range (``uint8_tensor + 300`` adds 44, as PyTorch does, where NumPy would raise)."""
    bounds = _INT_BOUNDS.get(dtype)
    if bounds is None:
        info = np.iinfo(dtype)
        bounds = _INT_BOUNDS[dtype] = (int(info.min), int(info.max))
    lo, hi = bounds
    if lo <= value <= hi:
        return value
    span = hi - lo + 1
    return (value - lo) % span + lo


def wrap_dim(dim, ndim: int, op: str = "op") -> int:
    return _wrap_dim(int(dim), ndim, op)


def dims_arg(dim, ndim: int, op: str):
    """Normalize ``dim`` (None, int, or sequence) to None or a sorted tuple of unique axes."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(wrap_dim(d, ndim, op) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"{op}(): dim {list(dim)} appears multiple times in the list of "
                               "dims")
        return axes
    return (wrap_dim(dim, ndim, op),)


def zeros_like(t: Tensor) -> Tensor:
    """A constant zero tensor shaped like t: the gradient of a piecewise-constant function.

    (``g * 0`` would turn inf/nan gradients into nan.)"""
    return Tensor._make(xp_of(t).zeros_like(t._data))


def float_dtype_of(t: Tensor):
    """The dtype a float-valued op gives for ``t`` (int/bool promote to the default dtype)."""
    if t._data.dtype.kind == "f":
        return t._data.dtype
    return _dtypes.get_default_dtype().np
