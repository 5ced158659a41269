"""``gradgpu.Tensor``: an array (NumPy or CuPy) plus autograd metadata.

Math lives in ``gradgpu.ops``; the operator and method bindings are listed in
``_tensor_methods.py``; conversions and the Python protocol are in ``_tensor_conversions.py``.
This file holds construction, shape/dtype/device attributes and autograd attributes.
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import _dtypes
from . import autograd as _autograd
from ._device import device as _device_cls
from ._hook_handles import _HookDict, _RemovableHandle
from ._size import Size, _tuple_new
from ._tensor_conversions import TensorConversions
from .backend import backend_of

_ndarray = np.ndarray
_np_generic = np.generic
_new = object.__new__
_CPU = _device_cls("cpu")


class Tensor(TensorConversions):
    """A multi-dimensional array on a device, with autograd.

    Build tensors with ``gradgpu.tensor`` and the factory functions; ``Tensor(data)`` and
    ``Tensor(*sizes)`` are the legacy constructors (float32, like ``torch.Tensor``).
    """

    # Defaults shared by all instances; an instance sets only what differs (fast creation).
    _requires_grad = False
    _grad_fn = None
    _output_nr = 0
    _grad = None
    _base = None
    _history_gen = 0  # bumped when an in-place op gives this tensor a new history
    _view_of = 0  # a view: its base's _history_gen when the view was taken (ops/shape/views)
    _view_creator = None  # a view made by a node with its own backward: no in-place writes
    _retains_grad = False
    _hooks = None
    _post_accumulate_hooks = None  # leaf only: hook(tensor) after its .grad is accumulated
    _grad_accumulator = None
    _volatile = False

    __array_priority__ = 1000  # make numpy defer to our reflected operators

    def __init__(self, *args, device=None) -> None:
        from . import _factories

        if len(args) == 1 and not isinstance(args[0], (int, Size)):
            t = _factories.tensor(args[0], dtype=_dtypes.get_default_dtype(), device=device)
        else:  # Tensor(2, 3), Tensor(Size([2, 3])); Tensor() is empty, like torch.Tensor()
            sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args or (0,)
            t = _factories.empty(*sizes, dtype=_dtypes.get_default_dtype(), device=device)
        self._data = t._data

    @classmethod
    def _make(cls, data, requires_grad: bool = False) -> Tensor:
        """Wrap an array without copying (internal; numpy scalars become 0-d arrays)."""
        if type(data) is not _ndarray and isinstance(data, _np_generic):
            data = np.asarray(data)
        t = _new(cls)
        t._data = data
        if requires_grad:
            t._requires_grad = True
        return t

    # The version counter (a one-element list, shared by views) is created on first use: most
    # tensors are never saved for backward, viewed or written in place, and one allocation
    # fewer per tensor is one object fewer for the cycle collector to walk.
    _vc = None

    @property
    def _version_counter(self) -> list:
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    @_version_counter.setter
    def _version_counter(self, counter: list) -> None:
        self._vc = counter

    # ---- basic attributes ---------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return _tuple_new(Size, self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of one dimension."""
        if dim is None:
            return _tuple_new(Size, self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> _dtypes.dtype:
        return _dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _device_cls:
        if type(self._data) is _ndarray:
            return _CPU
        return backend_of(self._data).device

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        """Number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        """Strides in elements, like PyTorch (not bytes, like NumPy)."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        """Elements between the start of the memory this tensor views and its first element."""
        # from the view base's array: a strided view made by CuPy has no .base of its own
        base = self._data if self._base is None else self._base._data
        while getattr(base, "base", None) is not None:
            base = base.base
        offset = self.data_ptr() - _data_ptr(base)
        return offset // self._data.itemsize if offset >= 0 else 0

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def data_ptr(self) -> int:
        return _data_ptr(self._data)

    @property
    def _version(self) -> int:
        return self._version_counter[0]

    # ---- autograd attributes ------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's array, outside autograd (unsafe: no version checks)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether autograd records operations on this (leaf) tensor; returns self."""
        requires_grad = bool(requires_grad)
        if self._grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (got {self.dtype})"
            )
        self._requires_grad = requires_grad
        return self

    @property
    def volatile(self) -> bool:
        """Classic API: a volatile tensor records no graph, and neither does anything from it."""
        return self._volatile

    @volatile.setter
    def volatile(self, value: bool) -> None:
        if self._grad_fn is not None:
            raise RuntimeError("volatile can only be set on leaf variables")
        self._volatile = bool(value)

    @property
    def grad_fn(self):
        base = self._base
        if base is not None and self._view_of != base._history_gen:
            _autograd.function.refresh_stale_view(self, "grad_fn")  # (PyTorch regenerates too)
        return self._grad_fn

    @property
    def creator(self):
        """Classic API: the node that created this tensor (same as ``grad_fn``)."""
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def grad(self):
        if self._grad is None and self._grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value.device != self.device:
                raise RuntimeError(
                    f"assigned grad has data located on {value.device}, different from the "
                    f"tensor on {self.device}"
                )
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"assigned grad has data of type {value.dtype}, different from the tensor's "
                    f"type {self.dtype}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: grad {list(value.shape)}, "
                    f"tensor {list(self.shape)}"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor during backward."""
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return  # leaves keep their grad anyway
        if self._retains_grad:
            return
        node = self._grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            if self._hooks is None:
                self._hooks = _HookDict()
            hooks = self._hooks
        else:
            node = self._grad_fn
            if node._pre_hooks is None:
                node._pre_hooks = {}
            hooks = node._pre_hooks.get(self._output_nr)
            if hooks is None:
                hooks = node._pre_hooks[self._output_nr] = _HookDict()
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` each time backward has accumulated this leaf's gradient into
        ``.grad`` (the hook may read and change the tensor and its ``.grad``: an optimizer step
        during backward). Runs in no_grad mode unless create_graph. Returns a handle with
        ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = _HookDict()
        handle = _RemovableHandle(self._post_accumulate_hooks)
        self._post_accumulate_hooks[handle.id] = hook
        return handle

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None,
                 **classic) -> None:
        """Accumulate the gradient of this tensor w.r.t. graph leaves into their ``.grad``."""
        if classic:
            retain_graph = _classic_retain(classic, retain_graph, "Tensor.backward")
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A new tensor sharing this one's array, cut off from the graph."""
        out = Tensor._make(self._data)
        out._version_counter = self._version_counter
        return out

    def detach_(self) -> Tensor:
        """Cut this tensor off from the graph, in place."""
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self


def _data_ptr(arr) -> int:
    iface = getattr(arr, "__array_interface__", None) or arr.__cuda_array_interface__
    return iface["data"][0]


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    """Normalize a possibly negative dim, with PyTorch's IndexError when out of range."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim + n if dim < 0 else dim


def _classic_retain(classic: dict, retain_graph, where: str):
    """Map the seed API's ``retain_variables`` onto ``retain_graph`` (with a warning)."""
    unknown = set(classic) - {"retain_variables"}
    if unknown:
        raise TypeError(f"{where}() got an unexpected keyword argument '{unknown.pop()}'")
    warnings.warn(
        f"{where}: 'retain_variables' is deprecated; use 'retain_graph'",
        DeprecationWarning,
        stacklevel=3,
    )
    return classic["retain_variables"] if retain_graph is None else retain_graph
