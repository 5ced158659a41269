"""PyTorch's rule that a 0-d CPU tensor joins an elementwise op on another device, checked on
the CPU: a stand-in CUDA backend keeps NumPy's math but puts its arrays in a type of their own
(as CuPy's are not numpy.ndarray), so every device check, copy to the device and gradient moved
back to the CPU runs here as it would on a GPU. Every case also runs on a real GPU where there
is one (the ``cuda`` parameter)."""

from __future__ import annotations

import types

import numpy as np
import pytest

import gradgpu
from gradgpu.backend import cuda as cuda_backend
from gradgpu.backend.numpy_backend import NumpyBackend
from gradgpu.tensor import Tensor


class _DeviceArray(np.ndarray):
    """Host memory standing in for cuda:0 memory (``array.data.device_id`` as CuPy's)."""

    @property
    def data(self):
        return types.SimpleNamespace(device_id=0)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # CuPy keeps 0-d results as arrays; NumPy would hand back a host scalar
        return super().__array_wrap__(array, context, False)


class _DeviceNamespace:
    """NumPy's functions, with array results placed in 'device' memory."""

    def __getattr__(self, name):
        value = getattr(np, name)
        if not callable(value) or isinstance(value, type):
            return value

        def call(*args, **kwargs):
            out = value(*args, **kwargs)
            return out.view(_DeviceArray) if type(out) is np.ndarray else out

        return call


class _FakeCudaBackend(NumpyBackend):
    name = "cuda"
    xp = _DeviceNamespace()

    def __init__(self) -> None:
        self.device = gradgpu.device("cuda:0")

    def asarray(self, data, dtype=None):
        return np.asarray(data, dtype=dtype).view(_DeviceArray)

    def from_foreign(self, array):
        return self.asarray(np.array(array))


FAKE = _FakeCudaBackend()


_NO_CUDA = cuda_backend.unavailable_reason()


@pytest.fixture(params=["stand-in", pytest.param("cuda", marks=[
    pytest.mark.cuda,
    pytest.mark.skipif(_NO_CUDA is not None, reason=f"no usable CUDA device: {_NO_CUDA}")])])
def gpu(request, monkeypatch):
    """``gpu(values, requires_grad=False)``: a float32 tensor on cuda:0, the stand-in's or a
    real GPU's."""
    if request.param == "cuda":
        return lambda values, requires_grad=False: gradgpu.tensor(
            values, dtype=gradgpu.float32, device="cuda", requires_grad=requires_grad)
    monkeypatch.setattr(cuda_backend, "backend_for_array",
                        lambda a: FAKE if isinstance(a, _DeviceArray) else None)

    def make(values, requires_grad: bool = False):
        return Tensor._make(FAKE.asarray(np.asarray(values, dtype=np.float32)), requires_grad)

    return make


def _cpu_scalar(value, requires_grad: bool = False):
    return gradgpu.tensor(value, requires_grad=requires_grad)


def _on_gpu(t) -> bool:
    return t.device == gradgpu.device("cuda:0") and type(t._data) is not np.ndarray


def _on_cpu(t) -> bool:
    return t.device == gradgpu.device("cpu") and type(t._data) is np.ndarray


def test_the_stand_in_is_a_device_of_its_own(gpu):
    x = gpu([1.0, 2.0])
    assert _on_gpu(x) and _on_gpu(x * 2.0) and _on_gpu(x.sum())
    with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cpu"):
        x + gradgpu.ones(2)


def test_binary_ops_join_and_send_the_gradient_back(gpu):
    x, s = gpu([0.0, 1.0, 2.0], True), _cpu_scalar(2.0, True)
    y = x * s + s
    assert _on_gpu(y)
    y.sum().backward()
    assert _on_gpu(x.grad) and _on_cpu(s.grad)
    assert x.grad.tolist() == [2.0, 2.0, 2.0] and s.grad.item() == 6.0
    assert _on_gpu(x > _cpu_scalar(0.5)) and _on_gpu(gradgpu.logical_and(x > 0, _cpu_scalar(True)))


def test_where_takes_cpu_scalars_for_any_operand(gpu):
    x, s = gpu([-1.0, 2.0, -3.0], True), _cpu_scalar(0.5, True)
    y = gradgpu.where(x > 0, x, s)
    assert _on_gpu(y) and y.tolist() == [0.5, 2.0, 0.5]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0] and _on_cpu(s.grad) and s.grad.item() == 2.0
    # a CPU 0-d condition, and both values CPU 0-d with a device condition
    assert _on_gpu(gradgpu.where(_cpu_scalar(True), x, 0.0))
    both = gradgpu.where(x.detach() > 0, _cpu_scalar(1.0), _cpu_scalar(-1.0))
    assert _on_gpu(both) and both.tolist() == [-1.0, 1.0, -1.0]
    filled = x.detach().masked_fill(x.detach() < 0, _cpu_scalar(9.0))
    assert _on_gpu(filled) and filled.tolist() == [9.0, 2.0, 9.0]


def test_clamp_takes_cpu_scalar_bounds(gpu):
    x = gpu([-2.0, 0.5, 3.0], True)
    lo, hi = _cpu_scalar(-1.0, True), _cpu_scalar(1.0, True)
    y = gradgpu.clamp(x, lo, hi)
    assert _on_gpu(y) and y.tolist() == [-1.0, 0.5, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    assert _on_cpu(lo.grad) and lo.grad.item() == 1.0 and hi.grad.item() == 1.0
    # a CPU 0-d input clamped by a device bound computes on the device
    assert _on_gpu(gradgpu.clamp(_cpu_scalar(5.0), max=gpu([1.0, 7.0])))


def test_in_place_ops_take_a_cpu_scalar_but_never_move_self(gpu):
    x = gpu([1.0, 2.0])
    x.add_(_cpu_scalar(1.0)).mul_(_cpu_scalar(2.0))
    assert _on_gpu(x) and x.tolist() == [4.0, 6.0]
    w, s = gpu([1.0, 2.0], True), _cpu_scalar(3.0, True)
    y = w * 1.0
    y.mul_(s)  # recorded: both gradients flow
    y.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0] and _on_cpu(s.grad) and s.grad.item() == 3.0
    with pytest.raises(RuntimeError, match="found at least two devices, cpu and cuda:0"):
        _cpu_scalar(1.0).add_(gpu([1.0]))
    with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cpu"):
        x.add_(gradgpu.ones(2))


@pytest.mark.parametrize("op", ["where", "clamp", "add"])
def test_only_0_d_cpu_tensors_join(gpu, op):
    x, cpu_vector = gpu([1.0, 2.0]), gradgpu.ones(2)
    call = {"where": lambda: gradgpu.where(x > 0, x, cpu_vector),
            "clamp": lambda: gradgpu.clamp(x, min=cpu_vector),
            "add": lambda: x + cpu_vector}[op]
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        call()


def test_index_bounds_reads_both_bounds_of_a_device_array(gpu):
    from gradgpu.ops._common import index_bounds

    idx = gpu([3.0, -1.0, 7.0])._data.astype(np.int64)
    assert index_bounds(idx) == (-1, 7)
    assert all(type(v) is int for v in index_bounds(idx))
    assert index_bounds(np.array([5, 2])) == (2, 5)
    with pytest.raises(IndexError, match="index 7 is out of range for num_embeddings 5"):
        gradgpu.nn.functional.embedding(Tensor._make(idx[2:]), gpu(np.ones((5, 2))))
