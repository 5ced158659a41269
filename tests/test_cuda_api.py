"""``gradgpu.cuda`` (devices, seeding, memory statistics) and ``gradgpu.backends.cuda.matmul``.

Three kinds of tests:
- without a usable GPU (CuPy made to look missing): what PyTorch makes safe is a no-op or 0, the
  rest raises the RuntimeError naming the cause and the fix;
- against ``FakeCupy``, a stand-in with the parts of CuPy's API that ``device_api`` calls (device
  ordinals, the default pool's counters, the process-wide allocator, the GEMM compute type): this
  checks gradgpu's own logic (peaks, which devices are read, when TF32 is set) on any machine;
- ``cuda``-marked tests on a real GPU, which check the same against CuPy itself.
"""

from __future__ import annotations

import contextlib
import sys
import types

import numpy as np
import pytest

import gradgpu
from gradgpu.backend.cuda import device_api, runtime

_NO_CUDA = runtime.unavailable_reason()


def needs_cuda(test):
    """Run ``test`` only where CuPy sees a GPU (marked ``cuda``; skipped elsewhere)."""
    skip = pytest.mark.skipif(_NO_CUDA is not None, reason=f"no usable CUDA device: {_NO_CUDA}")
    return pytest.mark.cuda(skip(test))


@pytest.fixture
def no_cupy(monkeypatch):
    """CuPy looks uninstalled, whatever this machine has."""
    monkeypatch.setattr(runtime, "_import_cupy",
                        lambda: (None, "ModuleNotFoundError: No module named 'cupy'"))


# ---- without CUDA -------------------------------------------------------------------------------
def test_availability_without_cupy(no_cupy):
    assert gradgpu.cuda.is_available() is False
    assert gradgpu.cuda.device_count() == 0
    assert gradgpu.backends.cuda.is_built() is False


@pytest.mark.parametrize("call", [
    lambda: gradgpu.cuda.current_device(),
    lambda: gradgpu.cuda.set_device(0),
    lambda: gradgpu.cuda.synchronize(),
    lambda: gradgpu.cuda.get_device_name(),
    lambda: gradgpu.cuda.get_device_capability(0),
    lambda: gradgpu.cuda.initial_seed(),
    lambda: gradgpu.cuda.reset_peak_memory_stats(),
    lambda: gradgpu.cuda.device(0).__enter__(),
    lambda: gradgpu.from_dlpack(types.SimpleNamespace(__dlpack__=None,
                                                      __dlpack_device__=lambda: (2, 0))),
], ids=["current_device", "set_device", "synchronize", "get_device_name",
        "get_device_capability", "initial_seed", "reset_peak_memory_stats", "device",
        "from_dlpack"])
def test_device_functions_name_the_cause_and_the_fix(no_cupy, call):
    with pytest.raises(RuntimeError, match=r"gradgpu\..*: CUDA is not available: CuPy is not "
                                           r"installed .* pip install 'gradgpu\[cuda12\]'"):
        call()


def test_what_pytorch_makes_safe_without_cuda_is_a_no_op(no_cupy):
    for seeding in (gradgpu.cuda.manual_seed, gradgpu.cuda.manual_seed_all):
        assert seeding(3) is None
    assert gradgpu.cuda.seed() is None and gradgpu.cuda.seed_all() is None
    for counter in (gradgpu.cuda.memory_allocated, gradgpu.cuda.max_memory_allocated,
                    gradgpu.cuda.memory_reserved, gradgpu.cuda.max_memory_reserved):
        assert counter() == 0 and counter(0) == 0 and counter("cuda:0") == 0
    assert gradgpu.cuda.empty_cache() is None
    with gradgpu.cuda.device(None), gradgpu.cuda.device(-1), gradgpu.cuda.device("cuda"):
        pass  # no device named: nothing to switch, nothing to fail
    with gradgpu.cuda.device_of(gradgpu.ones(1)):
        pass  # a CPU tensor: a no-op, as PyTorch
    gradgpu.cuda.set_device(-1)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: gradgpu.cuda.memory_allocated("cpu"), ValueError, "Expected a cuda device, but got: "
                                                               "cpu"),
    (lambda: gradgpu.cuda.set_device(gradgpu.device("cpu")), ValueError, "Expected a cuda "
                                                                         "device"),
    (lambda: gradgpu.cuda.synchronize(1.5), TypeError, "expected a device, an int or None, got "
                                                       "float"),
    (lambda: gradgpu.cuda.device(True), TypeError, "got bool"),
    (lambda: gradgpu.cuda.memory_reserved("tpu"), RuntimeError, "Expected one of cpu, cuda"),
])
def test_bad_device_arguments_raise_even_without_cuda(no_cupy, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_device_index_accepts_pytorchs_spellings():
    from gradgpu._device import cuda_index

    assert cuda_index(None, "f") is None and cuda_index("cuda", "f") is None
    assert cuda_index("cuda:2", "f") == 2 and cuda_index(gradgpu.device("cuda", 1), "f") == 1
    assert cuda_index(3, "f") == 3 and cuda_index(np.int64(1), "f") == 1


# ---- gradgpu.backends.cuda.matmul.allow_tf32 ----------------------------------------------------
@pytest.fixture
def tf32_flag(monkeypatch):
    """Restores the flag (and gradgpu's record of it) after the test."""
    monkeypatch.setattr(device_api, "_matmul_tf32", device_api._matmul_tf32)
    return gradgpu.backends.cuda.matmul


def test_tf32_is_off_by_default_and_only_takes_bools(tf32_flag):
    assert tf32_flag.allow_tf32 is False
    for bad in (1, "yes", None):
        with pytest.raises(RuntimeError, match="set_allow_tf32_cublas expects a bool, but got"):
            tf32_flag.allow_tf32 = bad
    assert tf32_flag.allow_tf32 is False
    assert "allow_tf32=False" in repr(tf32_flag)


def test_tf32_flag_is_recorded_without_cuda(no_cupy, tf32_flag):
    tf32_flag.allow_tf32 = True
    assert tf32_flag.allow_tf32 is True
    tf32_flag.allow_tf32 = False
    assert tf32_flag.allow_tf32 is False


def test_matmul_namespace_rejects_unknown_attributes(tf32_flag):
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf33"):
        tf32_flag.allow_tf33 = True
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf33"):
        tf32_flag.allow_tf33  # noqa: B018


def test_backends_is_the_public_settings_package_and_backend_the_internal_layer():
    assert gradgpu.backends.cuda.matmul is gradgpu.backends.cuda.matmul
    assert "internal array layer" in gradgpu.backends.__doc__
    assert gradgpu.cuda.__name__ == "gradgpu.cuda"  # the public package, not the backend module


# ---- FakeCupy: gradgpu's logic over CuPy's API --------------------------------------------------
class _FakePool:
    """CuPy's default MemoryPool: counters of the current device, free_all_blocks."""

    def __init__(self, cupy):
        self.cupy, self.used, self.total, self.emptied = cupy, {}, {}, []

    def used_bytes(self):
        return self.used.get(self.cupy.current, 0)

    def total_bytes(self):
        return self.total.get(self.cupy.current, 0)

    def malloc(self, size):  # blocks of 512 bytes, cached until free_all_blocks
        dev = self.cupy.current
        self.used[dev] = self.used.get(dev, 0) + size
        self.total[dev] = max(self.total.get(dev, 0), -(-self.used[dev] // 512) * 512)
        return types.SimpleNamespace(device_id=dev, size=size)

    def release(self, mem):  # what CuPy does when the array holding ``mem`` dies
        self.used[mem.device_id] -= mem.size

    def free_all_blocks(self):
        self.emptied.append(self.cupy.current)
        self.total[self.cupy.current] = self.used.get(self.cupy.current, 0)


class FakeCupy:
    """The parts of the ``cupy`` module that ``device_api`` uses, for ``n`` devices."""

    __version__ = "14.0.0"

    def __init__(self, n=2, capability="90"):
        self.current = 0
        self.pool = _FakePool(self)
        self.allocator = self.pool.malloc
        fake = self

        class Device:
            def __init__(self, index=None):
                self.id = fake.current if index is None else index
                self.compute_capability = capability

            def use(self):
                fake.current = self.id

            def synchronize(self):
                fake.synchronized.append(self.id)

            def __enter__(self):
                self.prev, fake.current = fake.current, self.id
                return self

            def __exit__(self, *exc):
                fake.current = self.prev

        def set_allocator(allocator):
            self.allocator = allocator

        self.synchronized = []
        self.cuda = types.SimpleNamespace(
            Device=Device, get_allocator=lambda: self.allocator, set_allocator=set_allocator,
            runtime=types.SimpleNamespace(
                getDeviceCount=lambda: n, getDevice=lambda: self.current,
                getDeviceProperties=lambda i: {"name": b"Fake GPU", "major": 9, "minor": 0}),
        )

    def get_default_memory_pool(self):
        return self.pool

    def alloc(self, size):
        """An allocation the way CuPy makes one: through the current allocator."""
        return self.allocator(size)


class _FakeLinalg:
    """cupy._core._routines_linalg: the float32 compute type."""

    COMPUTE_TYPE_DEFAULT, COMPUTE_TYPE_TF32 = 1, 7

    def __init__(self):
        self.compute_type = {}

    def set_compute_type(self, dtype, compute_type):
        self.compute_type[np.dtype(dtype)] = compute_type


@pytest.fixture
def fake_cupy(monkeypatch):
    """CuPy replaced by a FakeCupy with two devices, configured as gradgpu configures CuPy."""
    fake, linalg = FakeCupy(), _FakeLinalg()
    monkeypatch.setattr(runtime, "_import_cupy", lambda: (fake, None))
    monkeypatch.setattr(runtime, "_usable_cupy", None)
    monkeypatch.setattr(device_api, "_tracker", None)
    monkeypatch.setattr(device_api, "_matmul_tf32", False)
    monkeypatch.setattr(device_api, "_cupy_linalg", lambda: linalg)
    device_api.configure_cupy(fake)
    fake.linalg = linalg
    return fake


def test_configure_wraps_the_allocator_once_and_pins_float32_gemms(fake_cupy):
    tracker = fake_cupy.cuda.get_allocator()
    assert isinstance(tracker, device_api._PeakTracker)
    assert tracker.inner == fake_cupy.pool.malloc
    assert fake_cupy.linalg.compute_type[np.dtype(np.float32)] == _FakeLinalg.COMPUTE_TYPE_DEFAULT
    device_api.configure_cupy(fake_cupy)  # configured twice: still one wrapper
    assert fake_cupy.cuda.get_allocator() is tracker


def test_a_usable_gpu_is_probed_once(fake_cupy, monkeypatch):
    calls = []
    count = fake_cupy.cuda.runtime.getDeviceCount
    monkeypatch.setattr(fake_cupy.cuda.runtime, "getDeviceCount",
                        lambda: calls.append(1) or count())
    assert all(gradgpu.cuda.is_available() for _ in range(5))
    assert len(calls) == 1  # the later checks are an identity test


def test_memory_counters_follow_the_pool(fake_cupy):
    cuda = gradgpu.cuda
    assert cuda.memory_allocated() == 0 and cuda.max_memory_allocated() == 0
    a = fake_cupy.alloc(1000)
    b = fake_cupy.alloc(300)
    assert cuda.memory_allocated() == 1300 and cuda.memory_reserved() == 1536
    fake_cupy.pool.release(a)
    assert cuda.memory_allocated() == 300
    assert cuda.max_memory_allocated() == 1300 and cuda.max_memory_reserved() == 1536
    cuda.reset_peak_memory_stats()
    assert cuda.max_memory_allocated() == 300 and cuda.max_memory_reserved() == 1536
    fake_cupy.alloc(100)
    assert cuda.max_memory_allocated() == 400
    cuda.empty_cache()
    assert cuda.memory_reserved() == 400 and cuda.memory_allocated() == 400
    assert cuda.max_memory_reserved() == 1536  # empty_cache resets no peak, as PyTorch's
    fake_cupy.pool.release(b)


def test_memory_counters_are_per_device_and_spare_idle_devices(fake_cupy):
    cuda = gradgpu.cuda
    with cuda.device(1):
        assert cuda.current_device() == 1
        fake_cupy.alloc(2048)
    assert cuda.current_device() == 0
    assert cuda.memory_allocated(1) == 2048 and cuda.memory_allocated("cuda:1") == 2048
    assert cuda.memory_allocated(0) == 0 and cuda.max_memory_allocated(0) == 0
    cuda.empty_cache()
    assert sorted(fake_cupy.pool.emptied) == [0, 1]  # the current device and those that allocated
    with pytest.raises(RuntimeError, match=r"invalid device ordinal: cuda:2 requested, 2 visible"):
        cuda.memory_allocated(2)


def test_a_peak_is_never_below_what_is_held(fake_cupy):
    fake_cupy.cuda.set_allocator(fake_cupy.pool.malloc)  # the user replaced gradgpu's wrapper
    fake_cupy.alloc(700)
    assert gradgpu.cuda.max_memory_allocated() == 700


def test_device_switching_and_queries(fake_cupy):
    cuda = gradgpu.cuda
    assert cuda.is_available() and cuda.device_count() == 2
    cuda.set_device("cuda:1")
    assert cuda.current_device() == 1
    with cuda.device(0):
        assert cuda.current_device() == 0
        cuda.synchronize()
    assert cuda.current_device() == 1
    cuda.synchronize("cuda:0")
    assert fake_cupy.synchronized == [0, 0]
    with pytest.raises(RuntimeError, match="invalid device ordinal: cuda:5"):
        cuda.set_device(5)
    assert cuda.current_device() == 1
    cuda.set_device(0)
    assert cuda.get_device_name() == "Fake GPU" and cuda.get_device_capability() == (9, 0)


def test_tf32_sets_cupys_float32_compute_type(fake_cupy):
    flag, types_ = gradgpu.backends.cuda.matmul, fake_cupy.linalg.compute_type
    flag.allow_tf32 = True
    assert flag.allow_tf32 and types_[np.dtype(np.float32)] == _FakeLinalg.COMPUTE_TYPE_TF32
    assert set(types_) == {np.dtype(np.float32)}  # float64 and float16 GEMMs untouched
    flag.allow_tf32 = False
    assert types_[np.dtype(np.float32)] == _FakeLinalg.COMPUTE_TYPE_DEFAULT


def test_tf32_is_a_silent_no_op_before_ampere(monkeypatch):
    fake, linalg = FakeCupy(capability="75"), _FakeLinalg()
    monkeypatch.setattr(runtime, "_import_cupy", lambda: (fake, None))
    monkeypatch.setattr(runtime, "_usable_cupy", None)
    monkeypatch.setattr(device_api, "_matmul_tf32", False)
    monkeypatch.setattr(device_api, "_cupy_linalg", lambda: linalg)
    gradgpu.backends.cuda.matmul.allow_tf32 = True  # warnings are errors here: none is raised
    assert gradgpu.backends.cuda.matmul.allow_tf32 is True
    assert linalg.compute_type[np.dtype(np.float32)] == _FakeLinalg.COMPUTE_TYPE_DEFAULT


def test_tf32_on_a_cupy_without_the_switch_says_so(fake_cupy, monkeypatch):
    monkeypatch.setattr(device_api, "_cupy_linalg", lambda: None)
    with pytest.raises(RuntimeError, match=r"CuPy 14\.0\.0 has no float32 compute-type switch"):
        gradgpu.backends.cuda.matmul.allow_tf32 = True
    gradgpu.backends.cuda.matmul.allow_tf32 = False  # turning it off needs no switch


# ---- on a real GPU ------------------------------------------------------------------------------
@needs_cuda
def test_memory_statistics_on_the_gpu():
    cuda, mib = gradgpu.cuda, 2**20
    cuda.synchronize()
    cuda.empty_cache()  # no cached block is left to carve the allocations below from
    cuda.reset_peak_memory_stats()
    before = cuda.memory_allocated()
    x = gradgpu.empty(24 * mib, dtype=gradgpu.float32, device="cuda")  # 96 MiB
    assert cuda.memory_allocated() >= before + 96 * mib
    assert cuda.max_memory_allocated() >= cuda.memory_allocated()
    assert cuda.memory_reserved() >= cuda.memory_allocated()
    peak = cuda.max_memory_allocated()
    del x
    assert cuda.memory_allocated() == before and cuda.max_memory_allocated() == peak
    cached = cuda.memory_reserved()
    assert cuda.max_memory_reserved() >= cached >= before + 96 * mib  # kept by the pool
    cuda.empty_cache()
    assert cuda.memory_reserved() <= cached - 96 * mib  # ... until given back
    assert cuda.max_memory_reserved() >= cached  # empty_cache resets no peak
    cuda.reset_peak_memory_stats()
    assert cuda.max_memory_allocated() == cuda.memory_allocated()
    assert cuda.max_memory_reserved() == cuda.memory_reserved()


@needs_cuda
def test_current_device_and_context_on_the_gpu():
    cuda = gradgpu.cuda
    here = cuda.current_device()
    assert 0 <= here < cuda.device_count()
    with cuda.device(here):
        x = gradgpu.ones(2, device="cuda")
    assert x.get_device() == here and cuda.current_device() == here
    with cuda.device_of(x):
        assert cuda.current_device() == here
    cuda.synchronize(here)
    assert isinstance(cuda.get_device_name(), str) and cuda.get_device_capability()[0] >= 3


@needs_cuda
def test_cuda_manual_seed_reproduces_draws():
    gradgpu.cuda.manual_seed(123)
    assert gradgpu.cuda.initial_seed() == 123
    a = gradgpu.randn(5, device="cuda").tolist()
    gradgpu.cuda.manual_seed_all(123)
    assert gradgpu.randn(5, device="cuda").tolist() == a


@contextlib.contextmanager
def _tf32(enabled: bool):
    flag = gradgpu.backends.cuda.matmul
    old = flag.allow_tf32
    flag.allow_tf32 = enabled
    try:
        yield
    finally:
        flag.allow_tf32 = old


@needs_cuda
def test_float32_matmul_is_full_precision_unless_tf32_is_allowed():
    # 1 + 2^-12 needs 13 mantissa bits: TF32 (10 bits) rounds it to 1, float32 keeps it.
    k = 1024  # large enough for cuBLAS to pick tensor-core kernels when allowed
    a = np.full((1024, k), 1.0 + 2.0**-12, dtype=np.float32)
    b = np.ones((k, 1024), dtype=np.float32)
    exact = k * (1.0 + 2.0**-12)
    ga, gb = gradgpu.from_numpy(a).cuda(), gradgpu.from_numpy(b).cuda()
    with _tf32(False):
        full = (ga @ gb).cpu().numpy()
        lin = gradgpu.nn.functional.linear(ga, gb.mT).cpu().numpy()
    np.testing.assert_allclose(full, exact, rtol=1e-6)
    np.testing.assert_allclose(lin, exact, rtol=1e-6)
    if gradgpu.cuda.get_device_capability()[0] < 8:
        pytest.skip("no TF32 before compute capability 8.0")
    with _tf32(True):
        fast = (ga @ gb).cpu().numpy()
    assert np.abs(fast - exact).max() > 1e-5 * exact  # the 2^-12 parts were rounded away


def test_cupy_settings_that_fail_only_warn(monkeypatch):
    """A CuPy whose internals moved (here: no allocator hooks) stays usable; the warning names
    what gradgpu could not set up."""
    fake = FakeCupy()

    def broken():
        raise AttributeError("module 'cupy.cuda' has no attribute 'get_allocator'")

    fake.cuda.get_allocator = broken
    monkeypatch.setitem(sys.modules, "cupy", fake)
    runtime._import_cupy.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="peak-memory tracking.*get_allocator"):
            cupy, err = runtime._import_cupy()
        assert cupy is fake and err is None
    finally:
        runtime._import_cupy.cache_clear()


def test_kernel_calls_switch_devices_only_when_several_gpus_are_visible():
    from gradgpu.backend.cuda import backend as cuda_backend

    one = FakeCupy(n=1)
    assert cuda_backend.CudaBackend(0, one)._on_device() is cuda_backend._NO_SWITCH
    two = FakeCupy(n=2)
    be = cuda_backend.CudaBackend(1, two)
    with be._on_device():
        assert two.current == 1  # kernels launch and allocate on cuda:1 in here
    assert two.current == 0
