"""Tensor creation: ``tensor``, ``zeros``, ``arange``, ``randn``, ``*_like`` ...

Every factory takes ``dtype=``, ``device=`` and ``requires_grad=`` as PyTorch's do.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from . import _dtypes
from ._device import device as _device
from ._random import generator_for
from .backend import backend_of, get_backend, is_array
from .tensor import Tensor

_CPU = _device("cpu")


def _resolve_device(device):
    """The device a factory creates on: CPU by default; 'cuda' means the current CUDA device,
    so tensors (and the default generator drawn from) always name an index, as PyTorch's do."""
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
    """Python scalars / nested sequences / arrays -> (host or device array, inferred dtype)."""
    if isinstance(data, Tensor):
        return data._data, data.dtype
    if is_array(data):
        return data, _dtypes.from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
        arr = np.asarray(data)
        return arr, _dtypes.from_numpy_dtype(arr.dtype)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, (list, tuple)):
        data = _unwrap_nested(data)
    try:
        arr = np.array(data)
    except ValueError as exc:
        raise ValueError(
            f"tensor(): expected a rectangular nested sequence of numbers ({exc})"
        ) from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"tensor(): could not infer dtype of {type(data).__name__}")
    if arr.dtype.kind == "f":
        inferred = _dtypes.get_default_dtype()
    elif arr.dtype.kind in "iu":
        inferred = _dtypes.int64
    else:
        inferred = _dtypes.bool_
    return arr, inferred


def _unwrap_nested(seq):
    """Replace tensors inside nested lists by host arrays so NumPy can stack them."""
    out = []
    for x in seq:
        if isinstance(x, Tensor):
            out.append(x._host_array())
        elif isinstance(x, (list, tuple)):
            out.append(_unwrap_nested(x))
        else:
            out.append(x)
    return out


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
    if dtype is None:
        dtype = _dtypes.result_type(fill_value)
    return _filled((size,) if isinstance(size, int) else (tuple(size),), fill_value, dtype,
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
    be = get_backend(_resolve_device(device))
    arr = be.xp.eye(n, n if m is None else m, dtype=_factory_dtype(dtype).np)
    return _finish(arr, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 unless any argument is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(
            f"arange(): upper bound and lower bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    if dtype is None:
        dtype = _dtypes.result_type(start, end, step)
    dt = _dtypes.as_dtype(dtype)
    be = get_backend(_resolve_device(device))
    n = max(0, math.ceil((end - start) / step))
    arr = (be.xp.arange(n, dtype=np.float64) * step + start).astype(dt.np)
    if dt.category != 2:
        arr = be.xp.arange(n, dtype=np.int64) * int(step) + int(start)
        arr = arr.astype(dt.np)
    return _finish(arr, requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive."""
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    be = get_backend(_resolve_device(device))
    arr = be.xp.linspace(start, end, steps, dtype=np.float64).astype(_factory_dtype(dtype).np)
    return _finish(arr, requires_grad)


# ---- random ---------------------------------------------------------------------------------
def _random(size, dtype, device, requires_grad, generator, draw):
    dt = _factory_dtype(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"random floating values are not implemented for '{dt.name}'")
    dev = _resolve_device(device)
    gen = generator_for(dev, generator)
    arr = draw(gen._backend, gen._rng, _sizes(size), dt.np)
    return _finish(arr, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    return _random(size, dtype, device, requires_grad, generator,
                   lambda be, rng, shape, dt: be.uniform(rng, shape, dt))


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    return _random(size, dtype, device, requires_grad, generator,
                   lambda be, rng, shape, dt: be.normal(rng, shape, dt))


def rand_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return rand(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return randn(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` starts at 0."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    dt = _factory_dtype(dtype, _dtypes.int64)
    dev = _resolve_device(device)
    gen = generator_for(dev, generator)
    arr = gen._backend.randint(gen._rng, int(low), int(high), _sizes((size,)), dt.np)
    return _finish(arr, requires_grad)


def randperm(n: int, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1."""
    dev = _resolve_device(device)
    gen = generator_for(dev, generator)
    dt = _factory_dtype(dtype, _dtypes.int64)
    return Tensor._make(gen._backend.permutation(gen._rng, n).astype(dt.np))


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or numbers with ``size``."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())),
                                    tuple(getattr(std, "shape", ())))
        noise = randn(shape, generator=generator, dtype=ref.dtype, device=ref.device)
        with _no_grad():
            out = noise * std + mean
        return out.requires_grad_(requires_grad) if requires_grad else out
    if size is None:
        raise TypeError("normal(): with float mean and std, 'size' is required")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    out = randn(size, generator=generator, dtype=dtype, device=device)
    out._data *= std
    out._data += mean
    return out.requires_grad_(requires_grad) if requires_grad else out


def _no_grad():
    from .autograd.grad_mode import no_grad

    return no_grad()
