"""Zero-copy exchange with NumPy, PyTorch and CuPy: ``gradgpu.from_dlpack``, ``as_tensor``,
``Tensor.__dlpack__``/``__dlpack_device__`` and ``__cuda_array_interface__``.

"Shares memory" is tested by writing through one side and reading through the other. PyTorch
tests run where torch is installed (this project never needs it); CuPy tests need a GPU.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu.backend.cuda import runtime

_NO_CUDA = runtime.unavailable_reason()


def needs_cuda(test):
    """Run ``test`` only where CuPy sees a GPU (marked ``cuda``; skipped elsewhere)."""
    skip = pytest.mark.skipif(_NO_CUDA is not None, reason=f"no usable CUDA device: {_NO_CUDA}")
    return pytest.mark.cuda(skip(test))


# ---- NumPy -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_, np.float16])
def test_from_dlpack_of_numpy_shares_memory(dtype):
    a = np.zeros((2, 3), dtype=dtype)
    t = gradgpu.from_dlpack(a)
    assert t.dtype == gradgpu._dtypes.from_numpy_dtype(np.dtype(dtype))
    assert t.shape == (2, 3) and t.device == gradgpu.device("cpu") and not t.requires_grad
    a[1, 2] = 1
    assert t[1, 2].item() == 1
    t[0, 0] = 1
    assert a[0, 0] == 1


def test_from_dlpack_keeps_strides_of_a_view():
    a = np.arange(12.0).reshape(3, 4)
    t = gradgpu.from_dlpack(a.T[::2])
    assert t.tolist() == a.T[::2].tolist() and t.stride() == (2, 4)
    a[0, 2] = -5.0
    assert t[1, 0].item() == -5.0


def test_numpy_reads_a_tensor_through_dlpack_without_copying():
    t = gradgpu.arange(6.0).reshape(2, 3)
    assert t.__dlpack_device__() == (1, 0)
    a = np.from_dlpack(t)
    a[0, 1] = 42.0
    assert t[0, 1].item() == 42.0


def test_round_trip_through_dlpack_is_the_same_memory():
    t = gradgpu.ones(4)
    back = gradgpu.from_dlpack(t)
    assert back is not t and back.data_ptr() == t.data_ptr()


def test_as_tensor_shares_numpy_memory():
    a = np.arange(3, dtype=np.float64)
    t = gradgpu.as_tensor(a)
    a[0] = 9.0
    assert t.dtype == gradgpu.float64 and t[0].item() == 9.0
    assert gradgpu.as_tensor(a, dtype=gradgpu.float32)[0].item() == 9.0  # a cast copies
    assert not np.shares_memory(gradgpu.as_tensor(a, dtype=gradgpu.float32).numpy(), a)


def test_export_of_a_tensor_requiring_grad_is_refused():
    t = gradgpu.ones(2, requires_grad=True)
    with pytest.raises(BufferError, match=r"Can't export tensors that require gradient, use "
                                          r"tensor\.detach\(\)"):
        np.from_dlpack(t)
    assert np.from_dlpack(t.detach()).tolist() == [1.0, 1.0]


def test_from_dlpack_rejects_what_is_not_a_producer_or_not_a_supported_dtype():
    with pytest.raises(TypeError, match=r"from_dlpack\(\): expected an object implementing "
                                        r"__dlpack__ and __dlpack_device__.*got list"):
        gradgpu.from_dlpack([1.0, 2.0])
    with pytest.raises(TypeError, match="can't convert array of dtype complex64; the only "
                                        "supported types are"):
        gradgpu.from_dlpack(np.zeros(2, dtype=np.complex64))


def test_from_dlpack_names_an_unsupported_device_type():
    class OnAnAccelerator:
        def __dlpack__(self, **kwargs):
            raise AssertionError("not reached: the device type is read first")

        def __dlpack_device__(self):
            return (4, 0)  # kDLOpenCL

    with pytest.raises(RuntimeError, match=r"unsupported DLPack device type 4: gradgpu reads "
                                           r"CPU \(1\), CUDA \(2\) and CUDA managed \(13\)"):
        gradgpu.from_dlpack(OnAnAccelerator())


def test_a_cpu_tensor_has_no_cuda_array_interface():
    t = gradgpu.ones(2)
    assert not hasattr(t, "__cuda_array_interface__")
    with pytest.raises(AttributeError, match=r"Can't get __cuda_array_interface__ on non-CUDA "
                                             r"tensor type: gradgpu\.FloatTensor If CUDA data is "
                                             r"required use tensor\.cuda\(\)"):
        t.__cuda_array_interface__  # noqa: B018


# ---- PyTorch (where installed) ----------------------------------------------------------------
def test_torch_round_trips_share_memory():
    torch = pytest.importorskip("torch")
    src = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    t = gradgpu.from_dlpack(src)
    assert t.dtype == gradgpu.float64 and t.shape == (2, 3)
    src[1, 1] = -7.0
    assert t[1, 1].item() == -7.0
    back = torch.from_dlpack(t)
    back[0, 2] = 11.0
    assert src[0, 2].item() == 11.0 and t[0, 2].item() == 11.0


def test_as_tensor_of_a_torch_tensor_shares_memory_and_keeps_its_dtype():
    torch = pytest.importorskip("torch")
    src = torch.zeros(3, dtype=torch.float64)
    t = gradgpu.as_tensor(src)
    assert t.dtype == gradgpu.float64  # not the default float32 that copying via lists gives
    src[2] = 5.0
    assert t.tolist() == [0.0, 0.0, 5.0]
    ints = gradgpu.as_tensor(torch.tensor([1, 2], dtype=torch.int32))
    assert ints.dtype == gradgpu.int32


def test_torch_refuses_a_tensor_requiring_grad_like_torch_does():
    torch = pytest.importorskip("torch")
    with pytest.raises(BufferError, match="Can't export tensors that require gradient"):
        torch.from_dlpack(gradgpu.ones(2, requires_grad=True))


# ---- CuPy and PyTorch on the GPU --------------------------------------------------------------
@needs_cuda
def test_cupy_round_trips_share_memory():
    import cupy

    src = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
    t = gradgpu.from_dlpack(src)
    assert t.is_cuda and t.get_device() == src.device.id and t.dtype == gradgpu.float32
    src[1, 2] = 100.0
    assert t[1, 2].item() == 100.0
    assert t.__dlpack_device__() == (2, src.device.id)
    back = cupy.from_dlpack(t)
    back[0, 0] = -1.0
    assert src[0, 0].item() == -1.0
    via_cai = cupy.asarray(t)  # __cuda_array_interface__
    assert via_cai.data.ptr == src.data.ptr
    iface = t.__cuda_array_interface__
    assert iface["shape"] == (2, 3) and iface["data"][0] == src.data.ptr


@needs_cuda
def test_as_tensor_of_a_cupy_array_shares_memory():
    import cupy

    src = cupy.zeros(4, dtype=cupy.float64)
    t = gradgpu.as_tensor(src)
    assert t.is_cuda and t.dtype == gradgpu.float64 and t.data_ptr() == src.data.ptr
    t[1] = 3.0
    assert src[1].item() == 3.0
    copied = gradgpu.as_tensor(src, device="cpu")
    assert copied.device == gradgpu.device("cpu") and copied.tolist() == [0.0, 3.0, 0.0, 0.0]


@needs_cuda
def test_cuda_array_interface_refuses_a_tensor_requiring_grad():
    t = gradgpu.ones(2, device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError, match="on Variable that requires grad"):
        t.__cuda_array_interface__  # noqa: B018


@needs_cuda
def test_torch_cuda_round_trips_share_memory():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("this torch build has no CUDA")
    src = torch.zeros(3, device="cuda")
    t = gradgpu.from_dlpack(src)
    assert t.is_cuda and t.get_device() == src.device.index
    src[0] = 2.0
    assert t[0].item() == 2.0
    via_cai = gradgpu.as_tensor(src)  # torch CUDA tensors expose __cuda_array_interface__
    assert via_cai.data_ptr() == src.data_ptr()
    back = torch.from_dlpack(t)
    back[2] = 4.0
    assert src[2].item() == 4.0
    assert torch.as_tensor(t, device="cuda").data_ptr() == src.data_ptr()
