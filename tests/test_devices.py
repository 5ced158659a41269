"""Device objects, and the messages a missing CUDA setup gives (each cause named with its fix).

The unavailable-CUDA causes are simulated by replacing the CuPy import with stand-ins that fail
the way CuPy does; mixing devices needs a real GPU and is tested on one only."""

from __future__ import annotations

import pickle
import re

import pytest

import gradgpu
from gradgpu.backend import cuda
from gradgpu.ops._common import same_device


# ---- device objects ---------------------------------------------------------------------------
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


def test_same_device_accepts_cpu_tensors_and_numbers():
    same_device("add", gradgpu.ones(1), gradgpu.ones(2), 3.0, None)  # no error


@pytest.mark.skipif(cuda.unavailable_reason() is not None,
                    reason="mixing devices needs a CUDA tensor, which needs a GPU with CuPy")
def test_mixing_devices_names_both():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but "
                                           "found at least two devices, cpu and cuda:0"):
        gradgpu.ones(2) + gradgpu.ones(2).cuda()
