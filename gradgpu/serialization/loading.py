"""Reading checkpoints: ``load``, which parses JSON and ``.npy`` data only (no pickle)."""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import os
import zipfile
from collections import OrderedDict

import numpy as np
import numpy.lib.format as npy_format

from .. import _dtypes
from .._device import device as _device
from .._size import Size
from ..backend import NUMPY, get_backend
from ..tensor import Tensor
from .format import (
    ARRAY_KINDS,
    FORMAT,
    MANIFEST,
    VERSION,
    ZIP_ERRORS,
    ZIP_MAGIC,
    CheckpointError,
    parameter_class,
)

__all__ = ["load"]


def _describe_file(f) -> str:
    if hasattr(f, "read"):
        name = getattr(f, "name", None)
        return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"
    return repr(os.fspath(f))


def _sniff(fileobj, where: str) -> None:
    """Name the usual wrong files before zipfile gives its generic message."""
    start = fileobj.tell()
    head = fileobj.read(4)
    fileobj.seek(start)
    if not head:
        raise CheckpointError(f"gradgpu.load: {where} is empty (0 bytes); it is not a gradgpu "
                              "checkpoint (was the save interrupted?)")
    if head[:1] == b"\x80" and 2 <= head[1] <= 5:
        raise CheckpointError(
            f"gradgpu.load: {where} is a Python pickle, not a gradgpu checkpoint; gradgpu never "
            "unpickles (that can execute arbitrary code). Re-save the data with gradgpu.save"
        )
    if len(head) < 4 and ZIP_MAGIC.startswith(head):
        raise CheckpointError(f"gradgpu.load: {where} is truncated ({len(head)} bytes)")
    if head != ZIP_MAGIC:
        raise CheckpointError(f"gradgpu.load: {where} is not a gradgpu checkpoint (it is not a "
                              f"ZIP archive; it starts with {head!r})")


def _read_manifest(zf: zipfile.ZipFile, where: str) -> dict:
    names = zf.namelist()
    if MANIFEST not in names:
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            raise CheckpointError(
                f"gradgpu.load: {where} is a PyTorch checkpoint (torch.save's format, which "
                "stores pickled objects); gradgpu cannot load pickles. Load it with torch, "
                "convert the tensors to NumPy arrays and save them with gradgpu.save"
            )
        raise CheckpointError(f"gradgpu.load: {where} is a ZIP archive without "
                              f"{MANIFEST}; it is not a gradgpu checkpoint")
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise CheckpointError(f"gradgpu.load: {where} has a corrupted manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"gradgpu.load: {where} is not a gradgpu checkpoint (its manifest "
                              f"has no format field {FORMAT!r})")
    version = manifest.get("version")
    if type(version) is not int or version < 1:
        raise CheckpointError(f"gradgpu.load: {where} has an invalid format version {version!r}")
    if version > VERSION:
        raise CheckpointError(
            f"gradgpu.load: {where} uses checkpoint format version {version}, but this gradgpu "
            f"reads versions up to {VERSION}; upgrade gradgpu to load it"
        )
    for key in ("root", "arrays", "tensors"):
        if key not in manifest:
            raise CheckpointError(f"gradgpu.load: {where} has a corrupted manifest (no {key!r})")
    if not isinstance(manifest["arrays"], list) or not isinstance(manifest["tensors"], list):
        raise CheckpointError(f"gradgpu.load: {where} has a corrupted manifest (arrays/tensors "
                              "are not lists)")
    return manifest


class _Decoder:
    """Rebuilds the saved object from the manifest, reading each array once, on demand."""

    def __init__(self, zf: zipfile.ZipFile, manifest: dict, where: str, map_location) -> None:
        self.zf = zf
        self.manifest = manifest
        self.where = where
        self.map_location = map_location
        self._arrays: dict[int, np.ndarray] = {}
        self._placed: dict[tuple, object] = {}  # (array index, device) -> backend array
        self._tensors: dict[int, Tensor] = {}
        self._ndarrays: dict[int, np.ndarray] = {}

    def fail(self, what: str, path: str) -> CheckpointError:
        return CheckpointError(f"gradgpu.load: {self.where} is corrupted: {what} at {path}")

    # ---- arrays ---------------------------------------------------------------------------
    def array(self, j, path: str) -> np.ndarray:
        if type(j) is not int or not 0 <= j < len(self.manifest["arrays"]):
            raise self.fail(f"array index {j!r} out of range", path)
        if j not in self._arrays:
            self._arrays[j] = self._read_array(j, path)
        return self._arrays[j]

    def _read_array(self, j: int, path: str) -> np.ndarray:
        meta = self.manifest["arrays"][j]
        name = f"arrays/{j}.npy"
        try:
            dtype = np.dtype(meta["dtype"])
            shape = tuple(meta["shape"])
            if (dtype.kind not in ARRAY_KINDS or dtype.fields is not None
                    or not all(type(s) is int and s >= 0 for s in shape)):
                raise ValueError
        except (TypeError, ValueError, KeyError):
            raise self.fail(f"invalid array record {meta!r}", path) from None
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise self.fail(f"member {name} is missing", path) from None
        # Refuse before allocating: a header promising more data than the member holds.
        if info.file_size < math.prod(shape) * dtype.itemsize:
            raise self.fail(f"member {name} is too short for shape {shape} of {dtype}", path)
        try:
            with self.zf.open(info) as fp:
                arr = npy_format.read_array(fp, allow_pickle=False)
                if fp.read(1):
                    raise ValueError("trailing bytes after the array data")
        except (ValueError, *ZIP_ERRORS) as exc:
            raise self.fail(f"member {name} is not a valid .npy array ({exc})", path) from None
        if arr.dtype != dtype or arr.shape != shape:
            raise self.fail(f"member {name} holds {arr.dtype}{list(arr.shape)}, the manifest "
                            f"says {dtype}{list(shape)}", path)
        return arr

    # ---- tensors --------------------------------------------------------------------------
    def tensor(self, i, path: str) -> Tensor:
        if type(i) is not int or not 0 <= i < len(self.manifest["tensors"]):
            raise self.fail(f"tensor index {i!r} out of range", path)
        if i not in self._tensors:
            self._tensors[i] = self._build_tensor(self.manifest["tensors"][i], path)
        return self._tensors[i]

    def _build_tensor(self, rec, path: str) -> Tensor:
        if (not isinstance(rec, dict) or rec.get("kind") not in ("tensor", "parameter")
                or type(rec.get("requires_grad")) is not bool
                or not isinstance(rec.get("device"), str)):
            raise self.fail(f"invalid tensor record {rec!r}", path)
        try:
            saved = str(_device(rec["device"]))
        except (RuntimeError, TypeError):
            raise self.fail(f"invalid device {rec['device']!r}", path) from None
        host = self.array(rec.get("array"), path)
        if host.dtype.kind not in "biuf" or host.dtype not in _dtypes._FROM_NP:
            raise self.fail(f"a tensor of unsupported dtype {host.dtype}", path)
        if rec["requires_grad"] and host.dtype.kind != "f":
            raise self.fail(f"a {host.dtype} tensor that requires grad", path)
        t = self._place(rec["array"], host, saved, path)
        if rec["kind"] == "parameter":
            return parameter_class()(t, requires_grad=rec["requires_grad"])
        if rec["requires_grad"]:
            t.requires_grad_(True)
        return t

    def _place(self, j: int, host: np.ndarray, saved: str, path: str) -> Tensor:
        """A fresh leaf tensor on the device map_location chooses for ``saved``."""
        ml = self.map_location
        if callable(ml) and not isinstance(ml, (str, _device, dict)):
            # PyTorch calls map_location(storage, location); ours gets (cpu tensor, location).
            out = ml(Tensor._make(host), saved)
            if out is not None:
                if not isinstance(out, Tensor):
                    raise TypeError(f"gradgpu.load: map_location returned "
                                    f"{type(out).__name__}, expected a Tensor or None")
                return Tensor._make(out._data)
            target = saved
        elif isinstance(ml, dict):
            mapping = {str(_device(k)): v for k, v in ml.items()}
            target = mapping.get(saved, saved)
        elif ml is None:
            target = saved
        else:
            target = ml
        dev = _device(target)
        key = (j, str(dev))
        data = self._placed.get(key)
        if data is None:
            data = self._placed[key] = self._to_device(host, dev, saved, path)
        return Tensor._make(data)

    def _to_device(self, host: np.ndarray, dev, saved: str, path: str):
        if dev.type == "cpu":
            return host
        try:
            backend = get_backend(dev)
        except RuntimeError as exc:
            hint = (" If you are on a machine without that GPU, pass map_location='cpu' to load "
                    "the tensors into host memory (or map_location={'" + saved + "': 'cuda:0'})."
                    if self.map_location is None else "")
            raise RuntimeError(f"gradgpu.load: {self.where} holds a tensor saved on '{saved}' "
                               f"(at {path}) that cannot be restored on '{dev}': {exc}.{hint}"
                               ) from None
        return host if backend is NUMPY else backend.from_foreign(host)

    # ---- structure ------------------------------------------------------------------------
    def decode(self, node, path: str = "obj"):
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.decode(v, f"{path}[{i}]") for i, v in enumerate(node)]
        if type(node) is not dict:
            raise self.fail(f"unexpected manifest value {node!r}", path)
        tag = node.get("$")
        if tag in ("dict", "odict"):
            out = OrderedDict() if tag == "odict" else {}
            for pair in self._field(node, "items", list, path):
                if type(pair) is not list or len(pair) != 2:
                    raise self.fail("a dict item that is not a [key, value] pair", path)
                key = self.decode(pair[0], path)
                try:
                    hash(key)
                except TypeError:
                    raise self.fail(f"an unhashable dict key {key!r}", path) from None
                out[key] = self.decode(pair[1], f"{path}[{key!r}]")
            if tag == "odict" and "metadata" in node:
                out._metadata = self.decode(node["metadata"], f"{path}._metadata")
            return out
        if tag in ("tuple", "size"):
            nodes = self._field(node, "items", list, path)
            items = tuple(self.decode(v, f"{path}[{i}]") for i, v in enumerate(nodes))
            if tag == "size" and not all(type(s) is int for s in items):
                raise self.fail("a Size holding non-integers", path)
            return Size(items) if tag == "size" else items
        if tag == "tensor":
            return self.tensor(self._field(node, "index", int, path), path)
        if tag == "ndarray":
            j = self._field(node, "array", int, path)
            if j not in self._ndarrays:
                self._ndarrays[j] = self.array(j, path)
            return self._ndarrays[j]
        if tag == "npscalar":
            arr = self.array(self._field(node, "array", int, path), path)
            if arr.shape != ():
                raise self.fail("a NumPy scalar that is not 0-d", path)
            return arr[()]
        if tag == "float":
            value = self._field(node, "value", str, path)
            if value not in ("nan", "inf", "-inf"):
                raise self.fail(f"a non-finite float {value!r}", path)
            return float(value)
        if tag == "bytes":
            try:
                return base64.b64decode(self._field(node, "base64", str, path), validate=True)
            except (binascii.Error, ValueError):
                raise self.fail("invalid base64 bytes", path) from None
        if tag == "dtype":
            name = self._field(node, "name", str, path)
            if name not in _dtypes._NAMES:
                raise self.fail(f"unknown dtype {name!r}", path)
            return _dtypes._NAMES[name]
        if tag == "device":
            name = self._field(node, "name", str, path)
            try:
                return _device(name)
            except RuntimeError:
                raise self.fail(f"invalid device {name!r}", path) from None
        raise self.fail(f"unknown node type {tag!r}", path)

    def _field(self, node: dict, key: str, kind: type, path: str):
        value = node.get(key)
        if type(value) is not kind:
            raise self.fail(f"a {node.get('$')!r} node without a valid {key!r}", path)
        return value


def load(f, map_location=None, weights_only: bool = True):
    """Read an object written by ``gradgpu.save`` from a path or a readable binary file object.

    ``map_location`` says where tensors go: None puts each back on the device it was saved from
    (a clear error names the device when it is unavailable); a device or string ('cpu',
    'cuda', 'cuda:1') puts all of them there; a dict maps saved device strings to targets
    (``{'cuda:1': 'cuda:0'}``; unlisted devices stay as saved); a callable is called as
    ``map_location(cpu_tensor, saved_device_str)`` and returns the tensor to use, or None for
    the default. NumPy arrays stay NumPy arrays. ``weights_only`` is accepted for PyTorch
    compatibility and changes nothing: this format can never execute code when loaded.

    Raises CheckpointError (a RuntimeError) for an empty, truncated, corrupted or foreign file
    (a pickle, a PyTorch ``.pt``, text...) or one written by a newer format version.
    """
    del weights_only  # both values mean the same here: nothing in the file is ever executed
    where = _describe_file(f)
    if hasattr(f, "read"):
        fileobj, close = f, False
        seekable = getattr(f, "seekable", None)
        if seekable is None or not seekable():
            fileobj = io.BytesIO(f.read())
    else:
        fileobj, close = open(f, "rb"), True  # noqa: SIM115 - closed in finally
    try:
        _sniff(fileobj, where)
        try:
            zf = zipfile.ZipFile(fileobj, "r")
        except (ValueError, *ZIP_ERRORS) as exc:
            raise CheckpointError(f"gradgpu.load: {where} is truncated or corrupted (it starts "
                                  "like a ZIP archive, but its central directory is missing or "
                                  f"damaged: {exc})") from None
        with zf:
            try:
                manifest = _read_manifest(zf, where)
            except ZIP_ERRORS as exc:
                raise CheckpointError(f"gradgpu.load: {where} is truncated or corrupted "
                                      f"({exc})") from None
            try:
                return _Decoder(zf, manifest, where, map_location).decode(manifest["root"])
            except RecursionError:
                raise CheckpointError(f"gradgpu.load: {where} nests too deeply to load") from None
    finally:
        if close:
            fileobj.close()
