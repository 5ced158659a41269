"""Tensor conversions and the Python protocol: item/tolist/numpy, ``__array__``, DLPack,
device and dtype shortcuts (``cpu()``, ``float()`` ...), ``__bool__``/``__index__``/``__len__``,
``repr``, pickling and deepcopy. A mixin of ``Tensor``, kept apart to keep tensor.py readable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import _dtypes
from ._device import device as _device
from .backend import NUMPY

if TYPE_CHECKING:
    from .tensor import Tensor

_ndarray = np.ndarray
_LEGACY_TYPE_NAMES = {
    "float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor",
    "uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor", "int32": "IntTensor",
    "int64": "LongTensor", "bool": "BoolTensor",
}


class TensorConversions:
    """Methods of ``Tensor`` that convert it or implement Python's protocols."""

    # ---- conversions --------------------------------------------------------------------
    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item() if type(self._data) is _ndarray else (
            self._data.reshape(()).get().item()
        )

    def tolist(self):
        """The values as (nested) Python lists."""
        return self._host_array().tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The NumPy array (shared memory on the CPU); ``force=True`` detaches, copies to host."""
        if force:
            return self._host_array()
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if type(self._data) is not _ndarray:
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to "
                "copy the tensor to host memory first."
            )
        return self._data

    def _host_array(self) -> np.ndarray:
        return self._data if type(self._data) is _ndarray else NUMPY.from_foreign(self._data)

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            if copy is False:
                raise ValueError(f"Unable to avoid copy while converting a {self.dtype} tensor "
                                 f"to a NumPy array of dtype {np.dtype(dtype)}")
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    # ---- zero-copy exchange -------------------------------------------------------------
    def __dlpack__(self, *args, **kwargs):
        """Export the array through DLPack (NumPy's or CuPy's exporter: stream, max_version,
        dl_device and copy are theirs); ``gradgpu.from_dlpack`` and ``torch.from_dlpack`` read
        it without copying."""
        if self._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        """(DLPack device type, index): (1, 0) on the CPU, (2, N) on cuda:N."""
        return self._data.__dlpack_device__()

    @property
    def __cuda_array_interface__(self) -> dict:
        """Numba/CuPy's CUDA Array Interface of a CUDA tensor (zero-copy). A CPU tensor has none:
        AttributeError, so ``hasattr(t, '__cuda_array_interface__')`` tells them apart."""
        if type(self._data) is _ndarray:
            raise AttributeError(
                f"Can't get __cuda_array_interface__ on non-CUDA tensor type: {self.type()} If "
                "CUDA data is required use tensor.cuda() to copy tensor to device memory."
            )
        if self._requires_grad:
            raise RuntimeError(
                "Can't get __cuda_array_interface__ on Variable that requires grad. If gradients "
                "aren't required, use var.detach() to get Variable that doesn't require grad."
            )
        return self._data.__cuda_array_interface__

    # ---- devices -------------------------------------------------------------------------
    def get_device(self) -> int:
        """The CUDA device index of a CUDA tensor, -1 for a CPU tensor."""
        dev = self.device
        return -1 if dev.type == "cpu" else dev.index

    def cpu(self) -> Tensor:
        """This tensor in host memory (itself if already there)."""
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
        """This tensor on a CUDA device (the current one by default; itself if already there).

        Without a usable GPU the RuntimeError says which of CuPy missing, no CUDA device or a
        too-old driver is the cause, and what to install. ``non_blocking`` and ``memory_format``
        are accepted for PyTorch compatibility (the host-to-device copy is synchronous)."""
        dev = _device("cuda") if device is None else _device(device)
        if dev.type != "cuda":
            raise RuntimeError(f"Tensor.cuda(): Invalid device, must be cuda device (got {dev})")
        from .backend.cuda import require_cuda

        require_cuda("Tensor.cuda()")
        return self.to(dev)

    def float(self) -> Tensor:
        return self.to(_dtypes.float32)

    def double(self) -> Tensor:
        return self.to(_dtypes.float64)

    def half(self) -> Tensor:
        return self.to(_dtypes.float16)

    def long(self) -> Tensor:
        return self.to(_dtypes.int64)

    def int(self) -> Tensor:
        return self.to(_dtypes.int32)

    def short(self) -> Tensor:
        return self.to(_dtypes.int16)

    def bool(self) -> Tensor:
        return self.to(_dtypes.bool_)

    def byte(self) -> Tensor:
        return self.to(_dtypes.uint8)

    def type(self, dtype=None):
        """The legacy type name (``'gradgpu.FloatTensor'``) with no argument, else a cast (to a
        dtype or a legacy name: ``'torch.DoubleTensor'``, ``'gradgpu.cuda.LongTensor'``)."""
        if dtype is None:
            where = "cuda." if self.device.type == "cuda" else ""
            return f"gradgpu.{where}{_LEGACY_TYPE_NAMES[self.dtype.name]}"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            module, _, name = dtype.rpartition(".")
            if module not in ("torch", "gradgpu", "torch.cuda", "gradgpu.cuda"):
                raise ValueError(f"invalid type: '{dtype}'")
            by_name = {v: k for k, v in _LEGACY_TYPE_NAMES.items()}
            if name not in by_name:
                raise ValueError(f"invalid type: '{dtype}'")
            return self.to("cuda" if module.endswith("cuda") else "cpu",
                           _dtypes.as_dtype(by_name[name]))
        return self.to(_dtypes.as_dtype(dtype))

    # ---- Python protocol ----------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return bool(self.item())

    def _scalar(self):
        """item() for the number protocols, whose error is a ValueError in PyTorch."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(
                "only integer tensors of a single element can be converted to an index"
            )
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    __hash__ = object.__hash__

    def __contains__(self, element) -> bool:
        """``element in t``: whether any entry equals element (a number or a tensor, broadcast)."""
        from .tensor import Tensor

        if not isinstance(element, (Tensor, int, float, np.number, np.bool_)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element)}.")
        return bool((element == self).any().item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)  # a format spec on a tensor is a TypeError

    # ---- new_*: factories taking this tensor's dtype and device by default --------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A new tensor holding a copy of ``data``, with this tensor's dtype and device."""
        from . import _factories

        return _factories.tensor(data, dtype=self.dtype if dtype is None else dtype,
                                 device=self.device if device is None else device,
                                 requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """zeros(size) with this tensor's dtype and device."""
        return self.new_full(_size_args(size), 0, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """ones(size) with this tensor's dtype and device."""
        return self.new_full(_size_args(size), 1, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
        """full(size, fill_value) with this tensor's dtype (not the fill value's) and device."""
        from . import _factories

        return _factories.full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                               device=self.device if device is None else device,
                               requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """empty(size) with this tensor's dtype and device."""
        from . import _factories

        return _factories.empty(_size_args(size), dtype=self.dtype if dtype is None else dtype,
                                device=self.device if device is None else device,
                                requires_grad=requires_grad)

    def new(self, *args, device=None) -> Tensor:
        """Legacy ``x.new(data)`` / ``x.new(*sizes)``: this tensor's dtype, uninitialized for
        sizes; ``x.new()`` is empty."""
        from . import _factories
        from ._size import Size

        dev = self.device if device is None else device
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            return _factories.tensor(args[0], dtype=self.dtype, device=dev)
        return _factories.empty(_size_args(args) if args else (0,), dtype=self.dtype,
                                device=dev)

    def __repr__(self) -> str:
        from ._tensor_repr import tensor_repr

        return tensor_repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._host_array(), str(self.device), self._requires_grad))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment."
            )
        out = type(self)._make(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            out._grad = type(self._grad)._make(self._grad._data.copy())
        memo[id(self)] = out
        return out


def _size_args(size: tuple) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f(size=...)`` all name the shape (2, 3)."""
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def _rebuild(array, device_str, requires_grad):
    from . import _factories

    return _factories.tensor(array, device=device_str, requires_grad=requires_grad)
