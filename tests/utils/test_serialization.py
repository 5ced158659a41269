"""gradgpu.save / gradgpu.load: round trips, devices, atomic writes, and bad files."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import gradgpu
from gradgpu import serialization
from gradgpu.backend import cuda as _cuda
from gradgpu.nn import Parameter
from gradgpu.serialization import CheckpointError, load, save

CUDA_OK = _cuda.is_available()
ALL_DTYPES = [gradgpu.bool, gradgpu.uint8, gradgpu.int8, gradgpu.int16, gradgpu.int32,
              gradgpu.int64, gradgpu.float16, gradgpu.float32, gradgpu.float64]


def roundtrip(obj, **kwargs):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **kwargs)


def assert_same(a, b, path="obj"):
    """Recursive equality that also checks exact types, dtypes and requires_grad."""
    assert type(a) is type(b), f"{path}: {type(a)} vs {type(b)}"
    if isinstance(a, gradgpu.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.device == b.device, path
        assert a.requires_grad == b.requires_grad, path
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, np.ndarray | np.generic):
        assert a.dtype == b.dtype, path
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b, path
        if isinstance(a, float):
            assert math.copysign(1, a) == math.copysign(1, b), path


# ---- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_tensor_roundtrip_every_dtype(dtype):
    rng = np.random.default_rng(0)
    values = rng.standard_normal((3, 4)) * 50
    t = gradgpu.tensor(values).to(dtype)
    out = roundtrip(t)
    assert_same(t, out)
    assert out.is_leaf and out.grad_fn is None


@pytest.mark.parametrize("dtype", [gradgpu.float16, gradgpu.float32, gradgpu.float64],
                         ids=lambda d: d.name)
def test_requires_grad_kept_and_extreme_values(dtype):
    t = gradgpu.tensor([0.0, -0.0, math.inf, -math.inf, math.nan, 1e-30], dtype=dtype,
                       requires_grad=True)
    out = roundtrip(t)
    assert out.requires_grad and out.is_leaf
    got = out.detach().numpy()
    np.testing.assert_array_equal(got, t.detach().numpy())
    assert np.signbit(got[1]) and not np.signbit(got[0])


def test_shapes_layouts_and_non_leaf():
    x = gradgpu.randn(3, 4, requires_grad=True)
    y = x * 2  # non-leaf: loads as a leaf that requires grad, as in PyTorch
    cases = {"scalar": gradgpu.tensor(2.5), "empty": gradgpu.zeros(0, 3),
             "transposed": gradgpu.arange(12.0).reshape(3, 4).t(),
             "strided": gradgpu.arange(20).reshape(4, 5)[::2, 1::2], "nonleaf": y}
    out = roundtrip(cases)
    assert_same({k: v.detach() if k == "nonleaf" else v for k, v in cases.items()},
                {k: v.detach() if k == "nonleaf" else v for k, v in out.items()})
    assert out["nonleaf"].requires_grad and out["nonleaf"].is_leaf
    assert out["scalar"].shape == () and out["empty"].shape == (0, 3)


def test_state_dict_like_structure():
    w = Parameter(gradgpu.randn(3, 2))
    obj = {
        "model": OrderedDict([("fc.weight", w.detach()), ("fc.bias", gradgpu.zeros(2))]),
        "optimizer": {
            "state": {0: {"step": gradgpu.tensor(3.0), "exp_avg": gradgpu.ones(3, 2)},
                      1: {"step": gradgpu.tensor(3.0)}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                              "amsgrad": False, "params": [0, 1], "foreach": None}],
        },
        "scheduler": {"last_epoch": 7, "_last_lr": [0.0005], "base_lrs": [0.001]},
        "epoch": 12, "best": -math.inf, "nan": math.nan, "neg_zero": -0.0,
        "name": "digits-mlp ✓", "raw": b"\x00\xffbytes", "big": 2**100, "nothing": None,
        "size": gradgpu.Size([2, 3]), "dtype": gradgpu.float16,
        "device": gradgpu.device("cpu"), "np": np.arange(6, dtype=np.int16).reshape(2, 3),
        "np_scalar": np.float32(2.5), "mixed_keys": {1: "a", "b": 2, 2.5: None, None: 0,
                                                     False: 1, (1, "x"): [()]},
        "empty": [{}, [], ()],
    }
    out = roundtrip(obj)
    assert_same(obj, out)
    assert type(out["model"]) is OrderedDict and type(out["optimizer"]["state"]) is dict
    assert list(out["optimizer"]["state"]) == [0, 1]  # int keys stay ints, order kept


def test_parameters_stay_parameters():
    p = Parameter(gradgpu.randn(2, 2))
    frozen = Parameter(gradgpu.randn(2), requires_grad=False)
    out = roundtrip({"p": p, "frozen": frozen})
    assert type(out["p"]) is Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is Parameter and not out["frozen"].requires_grad
    np.testing.assert_array_equal(out["p"].detach().numpy(), p.detach().numpy())


def test_memory_sharing_semantics():
    base = Parameter(gradgpu.arange(6.0))
    a, b = base.detach(), base.detach()  # distinct tensors viewing the same memory
    part = base.detach()[2:4]  # partial overlap: saved separately
    out = roundtrip({"same": [base, base], "a": a, "b": b, "part": part})
    assert out["same"][0] is out["same"][1]
    assert out["a"] is not out["b"]
    out["a"].add_(1)  # shared array: writes through a are seen through b
    np.testing.assert_array_equal(out["b"].numpy(), np.arange(6.0) + 1)
    np.testing.assert_array_equal(out["part"].numpy(), [2.0, 3.0])  # independent copy
    buf = io.BytesIO()
    save({"a": a, "b": b}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        assert sorted(n for n in zf.namelist() if n.endswith(".npy")) == ["arrays/0.npy"]


def test_paths_file_objects_and_deterministic_bytes(tmp_path):
    obj = {"w": gradgpu.randn(4), "step": 3}
    save(obj, str(tmp_path / "a.ckpt"))
    save(obj, tmp_path / "b.ckpt")  # PathLike
    assert (tmp_path / "a.ckpt").read_bytes() == (tmp_path / "b.ckpt").read_bytes()
    assert_same(obj, load(tmp_path / "a.ckpt"))
    assert_same(obj, load(str(tmp_path / "b.ckpt"), weights_only=False))
    with open(tmp_path / "a.ckpt", "rb") as fh:
        assert_same(obj, load(fh))

    class Stream(io.RawIOBase):  # a pipe-like reader: no seek
        def __init__(self, data):
            self._buf = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._buf.readinto(b)

    assert_same(obj, load(Stream((tmp_path / "a.ckpt").read_bytes())))


# ---- devices -----------------------------------------------------------------------------------

def _write_recorded_on(path, obj, device_str):
    """A checkpoint whose tensors are recorded as saved on ``device_str`` (our own writer)."""
    enc = serialization.saving._Encoder()
    root = enc.encode(obj)
    for rec in enc.tensors:
        rec["device"] = device_str
    manifest = {"format": serialization.FORMAT, "version": serialization.VERSION, "root": root,
                "arrays": enc.array_meta, "tensors": enc.tensors}
    with open(path, "wb") as fh:
        serialization.saving._write_archive(fh, manifest, enc.arrays)


def test_map_location_cpu_targets(tmp_path):
    path = tmp_path / "gpu.ckpt"
    obj = {"w": gradgpu.arange(4.0, requires_grad=True), "b": Parameter(gradgpu.ones(2))}
    _write_recorded_on(path, obj, "cuda:0")
    for ml in ("cpu", gradgpu.device("cpu"), {"cuda:0": "cpu"}, {gradgpu.device("cuda:0"): "cpu"}):
        out = load(path, map_location=ml)
        assert out["w"].device == gradgpu.device("cpu"), ml
        assert out["w"].requires_grad and type(out["b"]) is Parameter
        np.testing.assert_array_equal(out["w"].detach().numpy(), [0, 1, 2, 3])
    seen = []

    def to_cpu(t, location):
        seen.append(location)
        return t * 10

    out = load(path, map_location=to_cpu)
    assert seen == ["cuda:0", "cuda:0"]
    np.testing.assert_array_equal(out["w"].detach().numpy(), [0, 10, 20, 30])
    assert out["w"].requires_grad and out["w"].is_leaf


def test_cpu_checkpoint_loads_onto_saved_device_and_mapped_cpu():
    out = roundtrip({"w": gradgpu.ones(2)}, map_location={"cuda:1": "cuda:0"})
    assert out["w"].device == gradgpu.device("cpu")  # cpu is not in the mapping: stays put


@pytest.mark.skipif(CUDA_OK, reason="checks the error raised when CUDA is unavailable")
def test_cuda_checkpoint_without_cuda_names_device_and_fix(tmp_path):
    path = tmp_path / "gpu.ckpt"
    _write_recorded_on(path, {"model": {"w": gradgpu.ones(2)}}, "cuda:0")
    with pytest.raises(RuntimeError, match=r"saved on 'cuda:0' \(at obj\['model'\]\['w'\]\).*"
                                           r"CUDA is not available.*map_location='cpu'"):
        load(path)
    with pytest.raises(RuntimeError, match="saved on 'cuda:0'.*CUDA is not available"):
        load(path, map_location={"cuda:1": "cpu"})  # not mapped: stays on cuda:0
    with pytest.raises(RuntimeError, match="cannot be restored on 'cuda'"):
        roundtrip(gradgpu.ones(1), map_location="cuda")


@pytest.mark.skipif(not CUDA_OK, reason="needs a CUDA GPU with CuPy")
def test_cuda_roundtrip_and_mapping():
    t = gradgpu.randn(3, device="cuda", requires_grad=True)
    out = roundtrip({"t": t})
    assert out["t"].device == t.device and out["t"].requires_grad
    np.testing.assert_array_equal(out["t"].detach().cpu().numpy(), t.detach().cpu().numpy())
    assert roundtrip(t, map_location="cpu").device == gradgpu.device("cpu")
    assert roundtrip(gradgpu.ones(2), map_location="cuda:0").device == gradgpu.device("cuda:0")


# ---- what save refuses -------------------------------------------------------------------------

class Opaque:
    pass


@pytest.mark.parametrize("obj, where, kind", [
    ({"model": {"fn": len}}, r"obj\['model'\]\['fn'\]", "builtin_function_or_method"),
    ({"a": [1, {2: Opaque()}]}, r"obj\['a'\]\[1\]\[2\]", "Opaque"),
    ([{1, 2}], r"obj\[0\]", "set"),
    ({"x": np.array(["a"], dtype=object)}, r"obj\['x'\]", "dtype object"),
    ({"x": __import__("collections").defaultdict(int)}, r"obj\['x'\]", "defaultdict"),
])
def test_save_rejects_unsupported_objects(obj, where, kind, tmp_path):
    with pytest.raises(TypeError, match=f"gradgpu.save: cannot save .*{kind}.*at {where}"):
        save(obj, tmp_path / "x.ckpt")
    assert not os.listdir(tmp_path)  # nothing written, not even a temp file


def test_save_rejects_bad_keys_and_cycles():
    with pytest.raises(TypeError, match=r"dict key of type Tensor at obj\['a'\]"):
        roundtrip({"a": {gradgpu.ones(1): 1}})
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match=r"obj\[0\]\[0\] refers back to a container"):
        roundtrip([loop])


# ---- atomic writes -----------------------------------------------------------------------------

def test_failed_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.ckpt"
    save({"v": gradgpu.ones(3)}, path)
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serialization.saving.npy_format, "write_array", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save({"v": gradgpu.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.ckpt"]  # the temp file was removed


def test_save_replaces_and_respects_umask(tmp_path):
    path = tmp_path / "m.ckpt"
    save({"v": 1}, path)
    save({"v": 2}, path)
    assert load(path) == {"v": 2}
    assert os.listdir(tmp_path) == ["m.ckpt"]
    if os.name == "posix":
        umask = os.umask(0o022)
        os.umask(umask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_writes_through_symlinks_and_names_missing_directory(tmp_path):
    target = tmp_path / "epoch3.ckpt"
    save({"v": 1}, target)
    link = tmp_path / "latest.ckpt"
    link.symlink_to(target)
    save({"v": 2}, link)
    assert link.is_symlink() and load(target) == {"v": 2}
    with pytest.raises(FileNotFoundError, match="gradgpu.save: no such directory.*missing"):
        save({"v": 3}, tmp_path / "missing" / "x.ckpt")


# ---- bad files ---------------------------------------------------------------------------------

def _checkpoint_bytes() -> bytes:
    buf = io.BytesIO()
    save({"w": gradgpu.arange(100.0), "b": gradgpu.ones(3), "step": 5}, buf)
    return buf.getvalue()


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _manifest(**changes) -> bytes:
    data = _checkpoint_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = json.loads(zf.read(serialization.MANIFEST))
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest.update(changes)
    members[serialization.MANIFEST] = json.dumps(manifest)
    return _zip(members)


def _load_bytes(tmp_path, data: bytes, name="bad.ckpt"):
    path = tmp_path / name
    path.write_bytes(data)
    return load(path)


@pytest.mark.parametrize("cut", [1, 4, 30, 200, 0.5, -100, -22, -1])
def test_truncated_checkpoint(tmp_path, cut):
    data = _checkpoint_bytes()
    cut = int(len(data) * cut) if isinstance(cut, float) else cut
    with pytest.raises(CheckpointError, match=r"bad\.ckpt' is truncated"):
        _load_bytes(tmp_path, data[:cut])


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),
    (bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
     "not a ZIP archive"),
    (b"epoch,loss\n1,0.5\n", "not a ZIP archive"),
    (pickle.dumps({"w": [1.0, 2.0]}), "is a Python pickle"),
    (_zip({"notes.txt": "hello"}), "ZIP archive without gradgpu-manifest.json"),
    (_zip({"archive/data.pkl": pickle.dumps({}), "archive/version": "3"}),
     "is a PyTorch checkpoint"),
    (_zip({serialization.MANIFEST: "{not json"}), "corrupted manifest"),
    (_zip({serialization.MANIFEST: json.dumps({"format": "other", "version": 1})}),
     "not a gradgpu checkpoint"),
    (_manifest(version=2), "format version 2.*up to 1; upgrade gradgpu"),
    (_manifest(version="1"), "invalid format version '1'"),
    (_manifest(root={"$": "pickle", "data": "gASV"}), "unknown node type 'pickle'"),
    (_manifest(arrays=[{"dtype": "|O", "shape": [100]}, {"dtype": "<f4", "shape": [3]}]),
     "invalid array record"),
    (_manifest(arrays=[{"dtype": "<f4", "shape": [10**12]}, {"dtype": "<f4", "shape": [3]}]),
     "too short"),
    (_manifest(arrays=[{"dtype": "<i4", "shape": [100]}, {"dtype": "<f4", "shape": [3]}]),
     "holds float32\\[100\\], the manifest says int32\\[100\\]"),
    (_manifest(tensors=[{"array": 5, "kind": "tensor", "device": "cpu",
                         "requires_grad": False}] * 2), "array index 5 out of range"),
], ids=["empty", "random", "text", "pickle", "zip", "torch", "json", "format", "newer",
        "version-type", "node", "object-dtype", "huge-shape", "dtype-mismatch", "index"])
def test_foreign_and_corrupted_files(tmp_path, data, message):
    with pytest.raises(CheckpointError, match=f"gradgpu.load: '.*bad.ckpt' .*{message}"):
        _load_bytes(tmp_path, data)


def test_flipped_byte_in_tensor_data_is_detected(tmp_path):
    data = bytearray(_checkpoint_bytes())
    marker = np.arange(100.0, dtype=np.float32).tobytes()[4 * 50: 4 * 51]  # the value 50.0
    data[data.index(marker)] ^= 0x40
    with pytest.raises(CheckpointError, match="corrupted.*arrays/0.npy.*CRC"):
        _load_bytes(tmp_path, bytes(data))


_EXECUTED: list = []


def _mark_executed():
    _EXECUTED.append(True)
    return "pwned"


class _Payload:
    """Unpickling this calls _mark_executed: proof-of-execution if a loader ever unpickles."""

    def __reduce__(self):
        return (_mark_executed, ())


def test_loading_never_executes_code(tmp_path):
    payload = pickle.dumps({"w": _Payload()})
    pickle.loads(payload)
    assert _EXECUTED == [True]  # the payload is live: unpickling it runs code
    _EXECUTED.clear()
    obj_npy = io.BytesIO()
    np.save(obj_npy, np.array([_Payload()], dtype=object), allow_pickle=True)
    good = _checkpoint_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members[serialization.MANIFEST])
    manifest["arrays"][0] = {"dtype": "<f8", "shape": [1]}
    crafted = {
        "pickle file": (payload, "is a Python pickle"),
        "torch-style zip": (_zip({"archive/data.pkl": payload}), "is a PyTorch checkpoint"),
        "pickled npy member": (_zip({**members, "arrays/0.npy": obj_npy.getvalue(),
                                     serialization.MANIFEST: json.dumps(manifest)}),
                               "arrays/0.npy is not a valid .npy array"),
    }
    for name, (data, message) in crafted.items():
        with pytest.raises(CheckpointError, match=message):
            _load_bytes(tmp_path, data, name=name.replace(" ", "_"))
    assert _EXECUTED == []
