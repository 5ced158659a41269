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
        """The legacy type name (``'gradgpu.FloatTensor'``) with no argument, else a cast."""
        if dtype is None:
            where = "cuda." if self.device.type == "cuda" else ""
            return f"gradgpu.{where}{_LEGACY_TYPE_NAMES[self.dtype.name]}"
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

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(
                "only integer tensors of a single element can be converted to an index"
            )
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    __hash__ = object.__hash__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

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


def _rebuild(array, device_str, requires_grad):
    from . import _factories

    return _factories.tensor(array, device=device_str, requires_grad=requires_grad)
