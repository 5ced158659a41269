"""Device objects, ``device=`` on the factories, ``Tensor.cuda/cpu/get_device``, the messages a
missing CUDA setup gives (each cause named with its fix), and the mixed-device check of ops.

The unavailable-CUDA causes are simulated by replacing the CuPy import with stand-ins that fail
the way CuPy does. Mixed devices are simulated with a host array of another type (as a CuPy array
is) whose tensor reports ``cuda:0``: exactly what the ops' device check reads. Since the stand-in
computes like any NumPy array, an op that forgets the check returns a result and its test fails.
Real CUDA tensors are used in the ``cuda``-marked tests, which run where CuPy sees a GPU."""

from __future__ import annotations

import pickle
import re
import types

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F
from gradgpu.backend import cuda
from gradgpu.ops._common import device_mismatch, same_device
from gradgpu.tensor import Tensor

_NO_CUDA = cuda.unavailable_reason()


def needs_cuda(test):
    """Run ``test`` only where CuPy sees a GPU (marked ``cuda``; skipped elsewhere, reason
    shown)."""
    skip = pytest.mark.skipif(_NO_CUDA is not None, reason=f"no usable CUDA device: {_NO_CUDA}")
    return pytest.mark.cuda(skip(test))


# ---- device objects -----------------------------------------------------------------------------
def test_device_parsing_and_attributes():
    cpu = gradgpu.device("cpu")
    assert cpu.type == "cpu" and cpu.index is None and str(cpu) == "cpu"
    c = gradgpu.device("cuda")
    assert c.type == "cuda" and c.index is None and str(c) == "cuda"
    c1 = gradgpu.device("cuda:1")
    assert c1.index == 1 and str(c1) == "cuda:1"
    assert gradgpu.device("cuda", 1) == c1
    assert gradgpu.device(0) == gradgpu.device("cuda:0")  # an int means a CUDA ordinal
    assert gradgpu.device(c1) is c1


def test_device_equality_hash_and_pickle():
    assert gradgpu.device("cuda:0") != gradgpu.device("cuda")
    assert gradgpu.device("cpu") == gradgpu.device("cpu")
    assert len({gradgpu.device("cuda:1"), gradgpu.device("cuda", 1)}) == 1
    assert pickle.loads(pickle.dumps(gradgpu.device("cuda:2"))) == gradgpu.device("cuda:2")
    with pytest.raises(AttributeError, match="immutable"):
        gradgpu.device("cpu").type = "cuda"


@pytest.mark.parametrize(
    "spec, exc, match",
    [("tpu", RuntimeError, "Expected one of cpu, cuda device type at start of device string: tpu"),
     ("cuda:x", RuntimeError, "Invalid device string: 'cuda:x'"),
     ("cpu:1", RuntimeError, "CPU device index must be 0"),
     (1.5, TypeError, "expected a string or device")],
)
def test_bad_device_specs(spec, exc, match):
    with pytest.raises(exc, match=match):
        gradgpu.device(spec)


def test_cuda_index_given_twice():
    with pytest.raises(RuntimeError, match="must not include an index"):
        gradgpu.device("cuda:0", 1)


def test_tensors_and_factories_default_to_cpu():
    for t in (gradgpu.ones(2), gradgpu.tensor([1]), gradgpu.zeros(1, device="cpu"),
              gradgpu.arange(3, device=gradgpu.device("cpu"))):
        assert t.device == gradgpu.device("cpu") and not t.is_cuda


def test_cuda_namespace():
    assert gradgpu.cuda.is_available() is (cuda.unavailable_reason() is None)
    if not gradgpu.cuda.is_available():
        assert gradgpu.cuda.device_count() == 0


# ---- why CUDA is unavailable --------------------------------------------------------------------
class _FakeRuntime:
    def __init__(self, count=None, error=None):
        self.count, self.error = count, error

    def getDeviceCount(self):  # noqa: N802 - CuPy's name
        if self.error is not None:
            raise self.error
        return self.count


class _FakeCupy:
    def __init__(self, runtime):
        self.cuda = type("cuda", (), {"runtime": runtime})()


@pytest.mark.parametrize(
    "fake, expected",
    [
        ((None, "ModuleNotFoundError: No module named 'cupy'"),
         [r"CuPy is not installed", r"No module named 'cupy'", r"pip install 'gradgpu\[cuda12\]'",
          r"gradgpu\[cuda13\]"]),
        ((_FakeCupy(_FakeRuntime(error=RuntimeError(
            "cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime "
            "version"))), None),
         [r"NVIDIA driver is too old", r"update the driver", r"pip install"]),
        ((_FakeCupy(_FakeRuntime(error=RuntimeError(
            "cudaErrorNoDevice: no CUDA-capable device is detected"))), None),
         [r"no CUDA device was found", r"NVIDIA GPU"]),
        ((_FakeCupy(_FakeRuntime(count=0)), None), [r"no CUDA device was found"]),
        ((_FakeCupy(_FakeRuntime(error=RuntimeError("cudaErrorUnknown"))), None),
         [r"CUDA could not be initialized \(cudaErrorUnknown\)"]),
    ],
    ids=["no-cupy", "old-driver", "no-device", "zero-devices", "other"],
)
def test_each_cause_gets_its_own_message(monkeypatch, fake, expected):
    monkeypatch.setattr(cuda.runtime, "_import_cupy", lambda: fake)
    monkeypatch.setattr(cuda.runtime, "driver_installed", lambda: True)
    reason = cuda.unavailable_reason()
    for pattern in expected:
        assert re.search(pattern, reason), (pattern, reason)
    assert not cuda.is_available() and cuda.device_count() == 0
    with pytest.raises(RuntimeError, match=r"Tensor\.cuda\(\): CUDA is not available: ") as info:
        gradgpu.ones(2).cuda()
    assert reason in str(info.value)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        gradgpu.zeros(2, device="cuda")


def test_cuda_error_on_this_machine_names_cause():
    reason = cuda.unavailable_reason()
    if reason is None:
        pytest.skip("this machine has a usable CUDA device")
    with pytest.raises(RuntimeError, match="CUDA is not available") as info:
        gradgpu.tensor([1.0]).cuda()
    assert reason in str(info.value)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        gradgpu.tensor([1.0]).to("cuda:0")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        gradgpu.tensor([1.0], device="cuda")


# ---- device= on every factory -------------------------------------------------------------------
def _factory_calls():
    t = gradgpu.ones(2, 3)
    return {
        "tensor": lambda d: gradgpu.tensor([1.0, 2.0], device=d),
        "as_tensor": lambda d: gradgpu.as_tensor(np.ones(3), device=d),
        "Tensor": lambda d: gradgpu.Tensor([1.0], device=d),
        "zeros": lambda d: gradgpu.zeros(2, device=d),
        "ones": lambda d: gradgpu.ones(2, 3, device=d),
        "empty": lambda d: gradgpu.empty(2, device=d),
        "full": lambda d: gradgpu.full((2,), 3.0, device=d),
        "zeros_like": lambda d: gradgpu.zeros_like(t, device=d),
        "ones_like": lambda d: gradgpu.ones_like(t, device=d),
        "empty_like": lambda d: gradgpu.empty_like(t, device=d),
        "full_like": lambda d: gradgpu.full_like(t, 2.0, device=d),
        "eye": lambda d: gradgpu.eye(3, device=d),
        "arange": lambda d: gradgpu.arange(4, device=d),
        "linspace": lambda d: gradgpu.linspace(0, 1, 5, device=d),
        "rand": lambda d: gradgpu.rand(2, device=d),
        "randn": lambda d: gradgpu.randn(2, device=d),
        "rand_like": lambda d: gradgpu.rand_like(t, device=d),
        "randn_like": lambda d: gradgpu.randn_like(t, device=d),
        "randint": lambda d: gradgpu.randint(0, 5, (3,), device=d),
        "randperm": lambda d: gradgpu.randperm(4, device=d),
        "normal": lambda d: gradgpu.normal(0.0, 1.0, (3,), device=d),
    }


FACTORIES = sorted(_factory_calls())


@pytest.mark.parametrize("name", FACTORIES)
def test_every_factory_takes_a_cpu_device(name):
    make = _factory_calls()[name]
    for spec in ("cpu", gradgpu.device("cpu"), None):
        out = make(spec)
        assert out.device == gradgpu.device("cpu") and out.get_device() == -1, spec


@pytest.mark.parametrize("name", FACTORIES)
def test_every_factory_names_why_cuda_is_unusable(monkeypatch, name):
    make = _factory_calls()[name]  # built before CUDA is made to look absent
    monkeypatch.setattr(cuda.runtime, "_import_cupy",
                        lambda: (None, "ModuleNotFoundError: No module named 'cupy'"))
    with pytest.raises(RuntimeError, match=r"CUDA is not available: CuPy is not installed .*"
                                           r"pip install 'gradgpu\[cuda12\]'"):
        make("cuda")


@needs_cuda
@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", 0])
def test_every_factory_creates_on_the_gpu(name, spec):
    out = _factory_calls()[name](spec if spec != 0 else gradgpu.device(0))
    want = gradgpu.device("cuda", gradgpu.cuda.current_device() if spec == "cuda" else 0)
    assert out.device == want and out.is_cuda and out.get_device() == want.index
    assert type(out._data).__module__.startswith("cupy")


# ---- Tensor.cuda / cpu / get_device -------------------------------------------------------------
def test_cuda_rejects_a_non_cuda_device_before_looking_for_a_gpu():
    with pytest.raises(RuntimeError, match=r"Tensor\.cuda\(\): Invalid device, must be cuda "
                                           r"device \(got cpu\)"):
        gradgpu.ones(2).cuda("cpu")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        gradgpu.ones(2).cuda("cuda:x")


def test_cpu_of_a_cpu_tensor_is_itself():
    x = gradgpu.ones(2)
    assert x.cpu() is x and x.get_device() == -1 and not x.is_cuda


@needs_cuda
def test_cuda_and_cpu_round_trip_with_gradient():
    x = gradgpu.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.cuda()
    assert y.is_cuda and y.get_device() == gradgpu.cuda.current_device()
    assert y.cuda() is y and x.cuda(0).device == gradgpu.device("cuda:0")
    (y * y).sum().backward()
    assert x.grad.device == gradgpu.device("cpu")
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])
    back = y.cpu()
    assert back.device == gradgpu.device("cpu") and back.tolist() == [1.0, -2.0, 3.0]


# ---- mixed devices ------------------------------------------------------------------------------
def test_same_device_accepts_cpu_tensors_and_numbers():
    same_device("add", gradgpu.ones(1), gradgpu.ones(2), 3.0, None)  # no error


def test_mismatch_message_is_pytorchs_naming_both_devices_and_the_op():
    err = device_mismatch("mm", gradgpu.device("cuda:0"), gradgpu.device("cpu"))
    assert isinstance(err, RuntimeError)
    assert str(err) == ("Expected all tensors to be on the same device, but found at least two "
                        "devices, cuda:0 and cpu! (when checking arguments for mm)")


class _OtherDeviceArray(np.ndarray):
    """Host memory standing in for cuda:0 memory: its type is not numpy.ndarray, as CuPy's is
    not, and its memory's ``device_id`` is 0 (read as CuPy's ``array.data.device_id``)."""

    @property
    def data(self):
        return types.SimpleNamespace(device_id=0)


@pytest.fixture
def on_fake_gpu(monkeypatch):
    """A function moving a tensor's values into an ``_OtherDeviceArray``; such tensors report
    ``cuda:0`` as their device."""
    real = Tensor.device

    def device(self):
        if isinstance(self._data, _OtherDeviceArray):
            return gradgpu.device("cuda:0")
        return real.fget(self)

    monkeypatch.setattr(Tensor, "device", property(device))
    return lambda t: Tensor._make(np.asarray(t._data).view(_OtherDeviceArray))


def _r(*shape):
    return gradgpu.randn(*shape)


_IDX = [0, 1]


def _idx():
    return gradgpu.tensor(_IDX)


# (name, call(g) where g puts one operand on the fake GPU). All the other operands are CPU tensors.
MIXED = {
    "add": lambda g: _r(3) + g(_r(3)),
    "radd": lambda g: g(_r(3)) + _r(3),
    "sub": lambda g: gradgpu.sub(_r(3), g(_r(3))),
    "mul": lambda g: _r(3) * g(_r(3)),
    "div": lambda g: _r(3) / g(_r(3)),
    "pow": lambda g: _r(3).abs() ** g(_r(3)),
    "atan2": lambda g: gradgpu.atan2(_r(3), g(_r(3))),
    "maximum": lambda g: gradgpu.maximum(_r(3), g(_r(3))),
    "minimum": lambda g: gradgpu.minimum(_r(3), g(_r(3))),
    "fmod": lambda g: gradgpu.fmod(_r(3), g(_r(3))),
    "remainder": lambda g: gradgpu.remainder(_r(3), g(_r(3))),
    "floor_divide": lambda g: gradgpu.floor_divide(_r(3), g(_r(3))),
    "hypot": lambda g: gradgpu.hypot(_r(3), g(_r(3))),
    "eq": lambda g: _r(3) == g(_r(3)),
    "lt": lambda g: _r(3) < g(_r(3)),
    "logical_and": lambda g: gradgpu.logical_and(_r(3) > 0, g(_r(3) > 0)),
    "bitwise_and": lambda g: gradgpu.bitwise_and(_idx(), g(_idx())),
    "isclose": lambda g: gradgpu.isclose(_r(3), g(_r(3))),
    "allclose": lambda g: gradgpu.allclose(_r(3), g(_r(3))),
    "equal": lambda g: gradgpu.equal(_r(3), g(_r(3))),
    "clamp": lambda g: gradgpu.clamp(_r(3), min=g(_r(3))),
    "where": lambda g: gradgpu.where(_r(3) > 0, _r(3), g(_r(3))),
    "where_condition": lambda g: gradgpu.where(g(_r(3) > 0), _r(3), _r(3)),
    "lerp": lambda g: gradgpu.lerp(_r(3), g(_r(3)), 0.5),
    "addcmul": lambda g: gradgpu.addcmul(_r(3), _r(3), g(_r(3))),
    "addmm": lambda g: gradgpu.addmm(_r(2, 2), _r(2, 2), g(_r(2, 2))),
    "matmul": lambda g: _r(2, 3) @ g(_r(3, 2)),
    "mm": lambda g: gradgpu.mm(_r(2, 3), g(_r(3, 2))),
    "bmm": lambda g: gradgpu.bmm(_r(1, 2, 3), g(_r(1, 3, 2))),
    "dot": lambda g: gradgpu.dot(_r(3), g(_r(3))),
    "outer": lambda g: gradgpu.outer(_r(3), g(_r(3))),
    "einsum": lambda g: gradgpu.einsum("i,i->", _r(3), g(_r(3))),
    "cat": lambda g: gradgpu.cat([_r(3), g(_r(3))]),
    "stack": lambda g: gradgpu.stack([_r(3), g(_r(3))]),
    "index_select": lambda g: gradgpu.index_select(_r(3), 0, g(_idx())),
    "gather": lambda g: gradgpu.gather(_r(3), 0, g(_idx())),
    "scatter": lambda g: gradgpu.scatter(_r(3), 0, g(_idx()), _r(2)),
    "scatter_add": lambda g: gradgpu.scatter_add(_r(3), 0, _idx(), g(_r(2))),
    "index_add": lambda g: gradgpu.index_add(_r(3), 0, _idx(), g(_r(2))),
    "take_along_dim": lambda g: gradgpu.take_along_dim(_r(3), g(_idx()), 0),
    "setitem_value": lambda g: _r(3).__setitem__(_idx(), g(_r(2))),
    "masked_fill": lambda g: _r(3).masked_fill(g(_r(3) > 0), 0.0),
    "masked_select": lambda g: _r(3).masked_select(g(_r(3) > 0)),
    "add_": lambda g: _r(3).add_(g(_r(3))),
    "mse_loss": lambda g: F.mse_loss(_r(3), g(_r(3))),
    "l1_loss": lambda g: F.l1_loss(_r(3), g(_r(3))),
    "smooth_l1_loss": lambda g: F.smooth_l1_loss(_r(3), g(_r(3))),
    "huber_loss": lambda g: F.huber_loss(_r(3), g(_r(3))),
    "cross_entropy": lambda g: F.cross_entropy(_r(2, 3), g(_idx())),
    "cross_entropy_weight": lambda g: F.cross_entropy(_r(2, 3), _idx(), weight=g(_r(3))),
    "nll_loss": lambda g: F.nll_loss(_r(2, 3), g(_idx())),
    "nll_loss_weight": lambda g: F.nll_loss(_r(2, 3), _idx(), weight=g(_r(3))),
    "binary_cross_entropy": lambda g: F.binary_cross_entropy(gradgpu.rand(3),
                                                             g(gradgpu.rand(3))),
    "bce_with_logits": lambda g: F.binary_cross_entropy_with_logits(_r(3), g(gradgpu.rand(3))),
    "linear_weight": lambda g: F.linear(_r(2, 3), g(_r(4, 3))),
    "linear_bias": lambda g: F.linear(_r(2, 3), _r(4, 3), g(_r(4))),
    "nn.Linear": lambda g: gradgpu.nn.Linear(3, 2)(g(_r(2, 3))),
    "conv2d_weight": lambda g: F.conv2d(_r(1, 1, 4, 4), g(_r(1, 1, 3, 3))),
    "conv2d_bias": lambda g: F.conv2d(_r(1, 1, 4, 4), _r(1, 1, 3, 3), g(_r(1))),
    "embedding_indices": lambda g: F.embedding(g(_idx()), _r(3, 2)),
    "embedding_weight": lambda g: F.embedding(_idx(), g(_r(3, 2))),
    "layer_norm": lambda g: F.layer_norm(_r(2, 3), (3,), g(_r(3))),
    "batch_norm": lambda g: F.batch_norm(_r(2, 3), g(_r(3)), _r(3).abs(), training=False),
    "scaled_dot_product_attention": lambda g: F.scaled_dot_product_attention(
        _r(1, 2, 3), _r(1, 2, 3), g(_r(1, 2, 3))),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_ops_refuse_mixed_devices_before_computing(on_fake_gpu, name):
    with pytest.raises(RuntimeError, match=r"^Expected all tensors to be on the same device, but "
                                           r"found at least two devices, (cpu and cuda:0|cuda:0 "
                                           r"and cpu)! \(when checking arguments for \w+"):
        MIXED[name](on_fake_gpu)


@pytest.mark.parametrize("how", ["get", "set"])
def test_a_gpu_index_into_a_cpu_tensor_is_refused(on_fake_gpu, how):
    x, index = _r(3), on_fake_gpu(_idx())
    with pytest.raises(RuntimeError, match=r"indices should be either on cpu or on the same "
                                           r"device as the indexed tensor \(cpu\)"):
        if how == "get":
            x[index]
        else:
            x[index] = 1.0


def test_fake_gpu_tensors_still_compute_together(on_fake_gpu):
    """The stand-in is honest: the check is what stops mixed operands, not the stand-in."""
    a, b = on_fake_gpu(gradgpu.tensor([1.0, 2.0])), on_fake_gpu(gradgpu.tensor([3.0, 4.0]))
    assert a.device == gradgpu.device("cuda:0")
    same_device("add", a, b)  # one device: no error
    assert np.asarray(a._data + b._data).tolist() == [4.0, 6.0]


@needs_cuda
@pytest.mark.parametrize("name", sorted(MIXED))
def test_ops_refuse_mixed_devices_on_a_gpu(name):
    to_gpu = lambda t: t.cuda()  # noqa: E731
    with pytest.raises(RuntimeError, match=r"Expected all tensors to be on the same device, but "
                                           r"found at least two devices, (cpu and cuda:0|cuda:0 "
                                           r"and cpu)!"):
        MIXED[name](to_gpu)


@pytest.mark.cuda
@pytest.mark.skipif(_NO_CUDA is not None or gradgpu.cuda.device_count() < 2,
                    reason="needs two CUDA devices")
def test_two_gpus_do_not_mix():
    a, b = gradgpu.ones(2, device="cuda:0"), gradgpu.ones(2, device="cuda:1")
    with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cuda:1"):
        a + b


@needs_cuda
def test_a_cpu_index_into_a_gpu_tensor_is_allowed():
    x = gradgpu.arange(5.0, device="cuda")
    assert x[_idx()].tolist() == [0.0, 1.0] and x[_idx()].is_cuda
    x[_idx()] = 7.0
    assert x.tolist() == [7.0, 7.0, 2.0, 3.0, 4.0]


@needs_cuda
def test_a_cpu_scalar_tensor_joins_a_cuda_op_and_gets_its_gradient_on_the_cpu():
    """PyTorch's rule for 0-d CPU tensors in elementwise ops with CUDA tensors."""
    x = gradgpu.arange(3.0, device="cuda").requires_grad_()
    s = gradgpu.tensor(2.0, requires_grad=True)
    y = x * s + s
    assert y.device.type == "cuda"
    y.sum().backward()
    assert x.grad.device.type == "cuda" and s.grad.device.type == "cpu"
    assert x.grad.cpu().tolist() == [2.0, 2.0, 2.0] and s.grad.item() == 6.0  # sum(x + 1)
    assert (x > gradgpu.tensor(0.5)).device.type == "cuda"
    assert (gradgpu.arange(3, device="cuda") + gradgpu.tensor(0.5)).dtype == gradgpu.float32


@needs_cuda
def test_only_0_d_cpu_tensors_join_a_cuda_op():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        gradgpu.ones(3, device="cuda") + gradgpu.ones(1)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        gradgpu.ones(3) + gradgpu.tensor(1.0, device="cuda")


def test_no_driver_at_all_is_not_called_an_old_driver(monkeypatch):
    """CUDA reports cudaErrorInsufficientDriver when libcuda is missing altogether (what CuPy
    14.2 says on a machine without an NVIDIA driver): the message must not ask for an update."""
    fake = _FakeCupy(_FakeRuntime(error=RuntimeError(
        "cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime "
        "version")))
    monkeypatch.setattr(cuda.runtime, "_import_cupy", lambda: (fake, None))
    monkeypatch.setattr(cuda.runtime, "driver_installed", lambda: False)
    reason = cuda.unavailable_reason()
    assert reason.startswith("no NVIDIA driver is installed") and "too old" not in reason

