"""Tensor creation: ``tensor``, ``zeros``, ``full``, ``eye``, ``*_like`` ... (ranges in
``_range_factories``, random tensors in ``_random_factories``).

Every factory takes ``dtype=``, ``device=`` and ``requires_grad=`` as PyTorch's do.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence as _Sequence

import numpy as np

from . import _dtypes
from ._device import current_default_device
from ._device import device as _device
from .backend import backend_of, get_backend, is_array
from .tensor import Tensor

_CPU = _device("cpu")


def _resolve_device(device):
    """The device a factory creates on: the default device (``set_default_device``, the CPU
    unless chosen) when None; 'cuda' means the current CUDA device, so tensors (and the default
    generator drawn from) always name an index, as PyTorch's do."""
    if device is None:
        device = current_default_device()
        if device is None:
            return _CPU
    dev = _device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = get_backend(dev).device
    return dev


def _sizes(size) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"size must be a tuple of ints, but got element of type "
                            f"{type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _finish(array, requires_grad: bool) -> Tensor:
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _host_array_from_data(data, dtype):
    """Python scalars / nested sequences / arrays -> (host or device array, inferred dtype).

    Arrays and tensors keep their dtype and are cast as they are. Python and NumPy numbers get
    PyTorch's ``infer_scalar_type``: the promotion of every element's own dtype (``[np.float64(1),
    2]`` is float64, ``[1, 2.5]`` the default dtype), and are refused when they overflow an
    integer dtype, where a cast would silently wrap.
    """
    if isinstance(data, Tensor):
        return data._data, data.dtype
    if is_array(data):
        return data, _dtypes.from_numpy_dtype(data.dtype)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, _Sequence):
        data, inferred = _unwrap_nested(data)
    else:
        inferred = _element_dtype(data)
    if inferred is None:  # empty sequences
        inferred = _dtypes.get_default_dtype()
    try:
        arr = np.array(data)
    except ValueError as exc:
        raise ValueError(
            f"tensor(): expected a rectangular nested sequence of numbers ({exc})"
        ) from None
    target = inferred if dtype is None else _dtypes.as_dtype(dtype)
    if (inferred.category == _dtypes._INT and arr.size
            and (arr.dtype.kind in "fO" or arr.dtype == np.uint64)):
        # Python ints past int64 (NumPy made float64, uint64 or object): only a floating
        # target holds them
        if not target.is_floating_point:
            raise ValueError("Overflow when unpacking long long")
        arr = arr.astype(np.float64)
    elif arr.dtype.kind == "O" and inferred.is_floating_point:
        arr = arr.astype(np.float64)  # floats mixed with ints past int64
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"tensor(): could not infer dtype of {type(data).__name__}")
    if (target.category == _dtypes._INT and arr.size
            and not np.can_cast(arr.dtype, target.np)):  # only a narrowing cast can overflow
        lo, hi = arr.min().item(), arr.max().item()
        if arr.dtype.kind == "f" and np.isnan(arr).any():
            lo = float("nan")
        _dtypes.check_scalar_fits(lo, target)
        _dtypes.check_scalar_fits(hi, target)
    return arr, inferred


_PY_SCALAR_TYPES = frozenset({bool, int, float})


def _element_dtype(x):
    """The dtype PyTorch infers for one number, array or tensor of ``tensor(data)``."""
    if isinstance(x, np.generic) or is_array(x):  # first: np.float64 is a Python float
        return _dtypes.from_numpy_dtype(x.dtype)
    if isinstance(x, bool):
        return _dtypes.bool_
    if isinstance(x, int):
        return _dtypes.int64
    if isinstance(x, float):
        return _dtypes.get_default_dtype()
    if isinstance(x, Tensor):
        return x.dtype
    raise TypeError(f"tensor(): could not infer dtype of {type(x).__name__}")


def _unwrap_nested(seq):
    """(seq with tensors replaced by host arrays so NumPy can stack them, the promotion of the
    dtypes of its elements or None when it has none)."""
    types = set(map(type, seq))
    if types <= _PY_SCALAR_TYPES:  # the common case, without a Python loop over the elements
        inferred = None
        for t in (bool, int, float):
            if t in types:
                inferred = _element_dtype(t())
        return seq, inferred
    out = []
    inferred = None
    for x in seq:
        if isinstance(x, _Sequence) and not isinstance(x, (str, bytes)):
            x, d = _unwrap_nested(x)
        else:
            d = _element_dtype(x)
            if isinstance(x, Tensor):
                x = x._host_array()
        out.append(x)
        if d is not None:
            inferred = d if inferred is None else _dtypes.promote_types(inferred, d)
    return out, inferred


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (scalars, nested lists, arrays, tensors).

    Python floats become the default dtype (float32), ints int64, bools bool; arrays keep theirs.
    """
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.clone().detach() or sourceTensor.clone().detach().requires_grad_(True),"
            " rather than gradgpu.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    arr, inferred = _host_array_from_data(data, dtype)
    dt = inferred if dtype is None else _dtypes.as_dtype(dtype)
    if device is None:
        device = current_default_device()  # None: the data's own device
    if device is None:
        be = backend_of(arr)
    else:
        be = get_backend(_device(device))
    if backend_of(arr) is not be:
        arr = be.from_foreign(arr)
    out = be.xp.array(arr, dtype=dt.np, copy=True)
    return _finish(out, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing memory with ``data`` when dtype and device allow (no copy).

    Shares NumPy and CuPy arrays, objects exposing ``__cuda_array_interface__`` (Numba, PyTorch
    CUDA tensors) and DLPack producers (PyTorch tensors, JAX arrays); copies anything else (lists,
    scalars), and copies when ``dtype`` or ``device`` differ from the data's.
    """
    if device is None:
        device = current_default_device()  # None: the data's own device
    if isinstance(data, Tensor):
        out = data
        if dtype is not None or device is not None:
            out = data.to(device=device, dtype=dtype)
        return out
    shared = _shared_array(data)
    if shared is not None:
        arr, inferred = shared, _dtypes.from_numpy_dtype(shared.dtype)
    else:
        arr, inferred = _host_array_from_data(data, dtype)
    dt = inferred if dtype is None else _dtypes.as_dtype(dtype)
    be = backend_of(arr) if device is None else get_backend(_resolve_device(device))
    if backend_of(arr) is not be:
        arr = be.from_foreign(arr)
    return Tensor._make(be.xp.asarray(arr, dtype=dt.np))


def _shared_array(data):
    """A NumPy/CuPy array viewing ``data``'s memory, or None when data offers no zero-copy view.

    NumPy/CuPy arrays are used as they are; then ``__cuda_array_interface__`` (read by CuPy) and
    DLPack; NumPy scalars and sequences are left to the copying path."""
    if is_array(data):
        return data
    if isinstance(data, (np.generic, list, tuple, str, bytes)) or data is None:
        return None
    if hasattr(data, "__cuda_array_interface__"):
        from .backend.cuda import device_api

        return device_api.from_cuda_array_interface(data)
    if hasattr(data, "__dlpack__") and hasattr(data, "__dlpack_device__"):
        return _dlpack_array(data)
    return None


# DLPack device types (dlpack.h, DLDeviceType): where the producer's memory lives.
_DL_CPU, _DL_CUDA, _DL_CUDA_MANAGED = 1, 2, 13


def _dlpack_array(ext):
    """A NumPy (host memory) or CuPy (CUDA memory) array sharing a DLPack producer's memory."""
    kind = int(ext.__dlpack_device__()[0])
    if kind == _DL_CPU:
        return np.from_dlpack(ext)
    if kind in (_DL_CUDA, _DL_CUDA_MANAGED):
        from .backend.cuda import device_api

        return device_api.from_dlpack(ext)
    raise RuntimeError(
        f"from_dlpack(): unsupported DLPack device type {kind}: gradgpu reads CPU ({_DL_CPU}), "
        f"CUDA ({_DL_CUDA}) and CUDA managed ({_DL_CUDA_MANAGED}) memory"
    )


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing the memory of ``ext_tensor``, any object implementing the DLPack protocol
    (``__dlpack__`` and ``__dlpack_device__``): NumPy and CuPy arrays, PyTorch tensors, JAX
    arrays, gradgpu tensors. Writes through either side are seen by the other; the result does
    not require grad. CPU memory becomes a CPU tensor, CUDA memory a tensor on the same GPU."""
    if not (hasattr(ext_tensor, "__dlpack__") and hasattr(ext_tensor, "__dlpack_device__")):
        raise TypeError(
            f"from_dlpack(): expected an object implementing __dlpack__ and __dlpack_device__ "
            f"(NumPy/CuPy array, PyTorch tensor...), got {type(ext_tensor).__name__}"
        )
    arr = _dlpack_array(ext_tensor)
    _dtypes.from_numpy_dtype(arr.dtype)  # raises TypeError naming the supported dtypes
    return Tensor._make(arr)


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with a NumPy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtypes.from_numpy_dtype(array.dtype)  # raises for unsupported dtypes
    return Tensor._make(array)


def _factory_dtype(dtype, default=None):
    if dtype is None:
        return default or _dtypes.get_default_dtype()
    return _dtypes.as_dtype(dtype)


def _filled(size, value, dtype, device, requires_grad, kind):
    dt = _factory_dtype(dtype)
    be = get_backend(_resolve_device(device))
    shape = _sizes(size)
    if kind == "empty":
        arr = be.xp.empty(shape, dtype=dt.np)
    else:
        arr = be.xp.full(shape, value, dtype=dt.np)
    return _finish(arr, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros."""
    return _filled(size, 0, dtype, device, requires_grad, "full")


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones."""
    return _filled(size, 1, dtype, device, requires_grad, "full")


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialized tensor."""
    return _filled(size, 0, dtype, device, requires_grad, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it, as PyTorch)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (int, float, np.number, np.bool_)):
        raise TypeError(f"full(): argument 'fill_value' must be Number, not "
                        f"{type(fill_value).__name__}")
    dt = _dtypes.result_type(fill_value) if dtype is None else _dtypes.as_dtype(dtype)
    _dtypes.check_scalar_fits(fill_value, dt)
    # cast the number first: NumPy refuses a negative Python int for an unsigned array, PyTorch
    # wraps it (full(..., -1, dtype=uint8) is 255)
    fill_value = np.asarray(fill_value).astype(dt.np)[()]
    return _filled((size,) if isinstance(size, int) else (tuple(size),), fill_value, dt,
                   device, requires_grad, "full")


def _like(t, dtype, device):
    return (t.dtype if dtype is None else _dtypes.as_dtype(dtype),
            t.device if device is None else _device(device))


def zeros_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return zeros(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return ones(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return empty(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The identity matrix (n x m)."""
    m = n if m is None else m
    for name, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    be = get_backend(_resolve_device(device))
    arr = be.xp.eye(n, m, dtype=_factory_dtype(dtype).np)
    return _finish(arr, requires_grad)
