"""Writing checkpoints: ``save`` and the encoder that turns an object into a manifest."""

from __future__ import annotations

import base64
import errno
import json
import math
import os
import secrets
import zipfile
from collections import OrderedDict

import numpy as np
import numpy.lib.format as npy_format

from .. import _dtypes
from .._device import device as _device
from .._size import Size
from ..tensor import Tensor
from .format import (
    ARRAY_KINDS,
    FIXED_TIME,
    FORMAT,
    MANIFEST,
    SUPPORTED,
    VERSION,
    parameter_class,
)

__all__ = ["save"]


class _Encoder:
    """Turns an object into a JSON node, collecting its arrays.

    Nodes: None, bool, int, str, finite float and list are JSON values; everything else is an
    object tagged by ``"$"``: dict/odict (``items``: [[key, value]...]; an odict's optional
    ``metadata`` is a state dict's ``_metadata``), tuple/size (``items``),
    float (non-finite ``value``), bytes (``base64``), tensor (``index`` into ``tensors``),
    ndarray/npscalar (``array``), dtype (``name``), device (``name``).
    """

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.array_meta: list[dict] = []
        self.tensors: list[dict] = []
        self._tensor_index: dict[int, int] = {}  # id(tensor) -> index in self.tensors
        self._memory_index: dict[tuple, int] = {}  # exact memory view -> index in self.arrays
        self._ndarray_index: dict[int, int] = {}  # id(ndarray) -> index in self.arrays
        self._active: set[int] = set()  # containers on the current path, to catch cycles

    def _add_array(self, host: np.ndarray) -> int:
        if host.dtype.kind not in ARRAY_KINDS or host.dtype.fields is not None:
            raise TypeError(f"unsupported array dtype {host.dtype}")
        self.arrays.append(host)
        self.array_meta.append({"dtype": host.dtype.str, "shape": list(host.shape)})
        return len(self.arrays) - 1

    def _tensor(self, t: Tensor, path: str) -> dict:
        index = self._tensor_index.get(id(t))
        if index is None:
            parameter = parameter_class()
            if type(t) is Tensor:
                kind = "tensor"
            elif isinstance(t, parameter):
                kind = "parameter"
            else:
                raise TypeError(
                    f"gradgpu.save: cannot save a tensor of subclass {type(t).__qualname__} at "
                    f"{path}; save a plain tensor (t.detach()) or a Parameter"
                )
            key = (t.data_ptr(), tuple(t.shape), t.stride(), t.dtype.name, str(t.device))
            array = self._memory_index.get(key)
            if array is None:
                array = self._memory_index[key] = self._add_array(t._host_array())
            index = self._tensor_index[id(t)] = len(self.tensors)
            self.tensors.append({"array": array, "kind": kind, "device": str(t.device),
                                 "requires_grad": bool(t.requires_grad)})
        return {"$": "tensor", "index": index}

    def _ndarray(self, a: np.ndarray, path: str) -> dict:
        index = self._ndarray_index.get(id(a))
        if index is None:
            try:
                index = self._add_array(a)
            except TypeError:
                raise TypeError(f"gradgpu.save: cannot save a NumPy array of dtype {a.dtype} at "
                                f"{path}; only bool, integer, float and complex arrays") from None
            self._ndarray_index[id(a)] = index
        return {"$": "ndarray", "array": index}

    def encode(self, obj, path: str = "obj"):
        kind = type(obj)
        if obj is None or kind in (bool, int, str):
            return obj
        if kind is float:
            return obj if math.isfinite(obj) else {"$": "float", "value": repr(obj)}
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if kind is np.ndarray:
            return self._ndarray(obj, path)
        if isinstance(obj, np.generic) and obj.dtype.kind in ARRAY_KINDS:
            return {"$": "npscalar", "array": self._add_array(np.asarray(obj))}
        if kind is bytes:
            return {"$": "bytes", "base64": base64.b64encode(obj).decode("ascii")}
        if kind is _dtypes.dtype:
            return {"$": "dtype", "name": obj.name}
        if kind is _device:
            return {"$": "device", "name": str(obj)}
        if kind in (dict, OrderedDict, list, tuple, Size):
            return self._container(obj, path)
        raise TypeError(
            f"gradgpu.save: cannot save an object of type {kind.__module__}.{kind.__qualname__} "
            f"at {path}: a checkpoint holds {SUPPORTED} (it never pickles arbitrary objects)"
        )

    def _container(self, obj, path: str):
        if id(obj) in self._active:
            raise ValueError(f"gradgpu.save: {path} refers back to a container that holds it "
                             "(a reference cycle), which a checkpoint cannot represent")
        self._active.add(id(obj))
        try:
            if isinstance(obj, list):
                return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
            if isinstance(obj, tuple):
                items = [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
                return {"$": "size" if type(obj) is Size else "tuple", "items": items}
            items = []
            for key, value in obj.items():
                self._check_key(key, path)
                sub = f"{path}[{key!r}]"
                items.append([self.encode(key, sub), self.encode(value, sub)])
            node = {"$": "odict" if type(obj) is OrderedDict else "dict", "items": items}
            metadata = getattr(obj, "_metadata", None)  # a state_dict's module versions
            if type(obj) is OrderedDict and isinstance(metadata, dict):
                node["metadata"] = self.encode(metadata, f"{path}._metadata")
            return node
        finally:
            self._active.discard(id(obj))

    def _check_key(self, key, path: str) -> None:
        if key is None or type(key) in (str, int, float, bool):
            return
        if type(key) is tuple:
            for k in key:
                self._check_key(k, path)
            return
        raise TypeError(f"gradgpu.save: a dict key of type {type(key).__qualname__} at {path} "
                        "is not supported; keys must be str, int, float, bool, None or tuples "
                        "of them")


def _write_archive(fileobj, manifest: dict, arrays: list[np.ndarray]) -> None:
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        info = zipfile.ZipInfo(MANIFEST, date_time=FIXED_TIME)
        zf.writestr(info, json.dumps(manifest, allow_nan=False, separators=(",", ":")))
        for j, arr in enumerate(arrays):
            info = zipfile.ZipInfo(f"arrays/{j}.npy", date_time=FIXED_TIME)
            big = arr.nbytes + 65536 >= zipfile.ZIP64_LIMIT
            with zf.open(info, "w", force_zip64=big) as out:
                npy_format.write_array(out, arr, allow_pickle=False)


def save(obj, f) -> None:
    """Write ``obj`` (a state dict, or nested dicts/lists/tuples of tensors and plain values)
    to ``f``, a path or a writable binary file object.

    Tensors are saved from host memory with their dtype, shape, device and ``requires_grad``;
    Parameters load back as Parameters (gradients are not saved). A path is written atomically:
    the checkpoint goes to a temporary file in the same directory that then replaces ``f``, so an
    interrupted save never leaves a half-written checkpoint behind. Raises TypeError naming the
    key path (``obj['model']['fn']``) for an object a checkpoint cannot hold.

    One tensor object reached twice is stored once and loads as one object; distinct tensors
    viewing exactly the same memory are stored once and load sharing one array; partly
    overlapping views are stored separately (see the module docstring).
    """
    enc = _Encoder()
    root = enc.encode(obj)  # every TypeError is raised here, before any file is touched
    manifest = {"format": FORMAT, "version": VERSION, "root": root, "arrays": enc.array_meta,
                "tensors": enc.tensors}
    if hasattr(f, "write"):
        _write_archive(f, manifest, enc.arrays)
        return
    # Through a symlink to its target, as a plain open() would write (os.replace would
    # otherwise replace the link itself).
    path = os.path.realpath(os.fspath(f))
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    try:
        # Mode 0o666 lets the umask decide the permissions, as a plain open() would.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "gradgpu.save: no such directory",
                                directory) from None
    try:
        with os.fdopen(fd, "wb") as out:
            _write_archive(out, manifest, enc.arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
