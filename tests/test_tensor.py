"""The Tensor object's surface: attributes, conversions, Python protocols, autograd attributes
(semantics checked against PyTorch)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import gradgpu
from gradgpu import Tensor


def _x():
    return gradgpu.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


# ---- shape and metadata -------------------------------------------------------------------
def test_shape_size_dim_numel():
    x = _x()
    assert x.shape == (2, 3) and isinstance(x.shape, gradgpu.Size)
    assert x.size() == (2, 3) and x.size(0) == 2 and x.size(-1) == 3
    assert x.dim() == 2 and x.ndim == 2 and x.ndimension() == 2
    assert x.numel() == 6 and x.nelement() == 6 and x.shape.numel() == 6
    s = gradgpu.tensor(1.0)
    assert s.shape == () and s.dim() == 0 and s.numel() == 1


def test_size_out_of_range():
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        _x().size(2)


def test_dtype_device_and_type_names():
    x = _x()
    assert x.dtype is gradgpu.float32
    assert x.device == gradgpu.device("cpu") and x.device.type == "cpu" and not x.is_cuda
    assert x.type() == "gradgpu.FloatTensor"
    assert x.double().type() == "gradgpu.DoubleTensor"
    assert gradgpu.tensor([1]).type() == "gradgpu.LongTensor"
    assert x.type(gradgpu.int32).dtype is gradgpu.int32
    assert x.is_floating_point() and not gradgpu.tensor([1]).is_floating_point()
    assert x.element_size() == 4 and x.nbytes == 24


def test_T_and_mT():
    x = _x()
    assert x.T.tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert gradgpu.ones(2, 3, 4).T.shape == (4, 3, 2)  # reverses all dims, like torch
    assert gradgpu.ones(5, 2, 3).mT.shape == (5, 3, 2)  # swaps the last two
    assert x.mT.tolist() == x.T.tolist()


def test_strides_and_contiguous():
    x = _x()
    assert x.stride() == (3, 1) and x.stride(0) == 3
    t = x.T
    assert t.stride() == (1, 3) and not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1) and c.tolist() == t.tolist()
    assert x.contiguous() is x  # already contiguous: itself, like torch


def test_contiguous_is_differentiable():
    x = gradgpu.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.T.contiguous()
    (y * gradgpu.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert x.grad.tolist() == [[1.0, 3.0], [2.0, 4.0]]


# ---- conversions --------------------------------------------------------------------------
def test_item_and_tolist():
    assert gradgpu.tensor([2.5]).item() == 2.5
    assert type(gradgpu.tensor([3]).item()) is int
    assert type(gradgpu.tensor(True).item()) is bool
    assert gradgpu.tensor(2.5).tolist() == 2.5
    assert gradgpu.tensor([[1, 2]]).tolist() == [[1, 2]]
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted"):
        _x().item()


def test_numpy_shares_memory_and_refuses_grad():
    x = _x()
    a = x.numpy()
    a[0, 0] = 10.0
    assert x.tolist()[0][0] == 10.0
    w = gradgpu.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\)"):
        w.numpy()
    assert w.detach().numpy().tolist() == [1.0, 1.0]
    assert w.numpy(force=True).tolist() == [1.0, 1.0]


def test_array_protocol():
    x = _x()
    a = np.asarray(x)
    assert a.dtype == np.float32 and a.shape == (2, 3)
    assert np.shares_memory(a, x.numpy())
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert np.array(x, copy=True) is not x.numpy()
    with pytest.raises(ValueError, match="avoid copy"):
        np.array(x, dtype=np.float64, copy=False)
    w = gradgpu.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(w)


@pytest.mark.parametrize(
    "method, dtype",
    [("float", gradgpu.float32), ("double", gradgpu.float64), ("half", gradgpu.float16),
     ("long", gradgpu.int64), ("int", gradgpu.int32), ("bool", gradgpu.bool)],
)
def test_dtype_conversion_methods(method, dtype):
    t = getattr(gradgpu.tensor([1.7, -1.7, 0.0]), method)()
    assert t.dtype is dtype
    expected = {"long": [1, -1, 0], "int": [1, -1, 0], "bool": [True, True, False]}
    if method in expected:
        assert t.tolist() == expected[method]  # truncation toward zero, like torch


def test_to_returns_self_when_nothing_changes_and_copies_when_asked():
    x = _x()
    assert x.to(gradgpu.float32) is x
    assert x.float() is x and x.cpu() is x and x.to("cpu") is x
    c = x.to(gradgpu.float32, copy=True)
    assert c is not x and not np.shares_memory(c.numpy(), x.numpy())
    assert x.to("cpu", gradgpu.float64).dtype is gradgpu.float64
    assert x.to(dtype=gradgpu.int64).dtype is gradgpu.int64
    assert x.to(gradgpu.tensor([1], dtype=gradgpu.int32)).dtype is gradgpu.int32


def test_to_reads_positional_bools_as_non_blocking_then_copy_like_pytorch():
    t = gradgpu.ones(2)
    moved = t.to(gradgpu.float64, True)  # non_blocking: never a device index
    assert moved.dtype == gradgpu.float64 and moved.device.type == "cpu"
    assert t.to(gradgpu.float32, False, True) is not t  # copy=True
    assert t.to(gradgpu.float32, True) is t
    assert t.to(np.float16).dtype == gradgpu.float16
    with pytest.raises(TypeError, match=r"to\(\) received an invalid combination of arguments"):
        t.to([1])
    m = gradgpu.nn.Linear(2, 2).to(gradgpu.float64, True)  # Module.to shares the parser
    assert m.weight.dtype == gradgpu.float64 and m.weight.device.type == "cpu"


def test_to_dtype_is_differentiable_and_casts_grad_back():
    x = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.grad_fn is not None and y.dtype is gradgpu.float64
    (y * y).sum().backward()
    assert x.grad.dtype is gradgpu.float32 and x.grad.tolist() == [2.0, 4.0]


def test_clone_copies_and_stays_in_graph():
    x = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_detach_shares_data_and_version_counter():
    x = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    d.add_(1)
    assert y._version == 1 and y.tolist() == [3.0, 5.0]


def test_detach_in_place():
    x = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None


def test_data_is_an_unversioned_alias():
    x = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad
    d.mul_(10)  # allowed: .data is outside autograd
    assert x.tolist() == [10.0, 20.0] and x._version == 0
    x.data = gradgpu.tensor([5.0, 6.0])
    assert x.tolist() == [5.0, 6.0] and x.requires_grad
    with pytest.raises(TypeError, match="must be a Tensor"):
        x.data = [1.0]


def test_cuda_without_gpu_names_cause_and_fix():
    from gradgpu.backend import cuda

    reason = cuda.unavailable_reason()
    if reason is None:
        pytest.skip("a CUDA device is available here")
    with pytest.raises(RuntimeError, match=r"Tensor\.cuda\(\): CUDA is not available") as info:
        gradgpu.ones(2).cuda()
    assert reason in str(info.value)
    if "CuPy is not installed" in reason:
        assert "pip install" in str(info.value) and "cupy" in str(info.value).lower()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        gradgpu.ones(2).to("cuda")


# ---- Python protocols ---------------------------------------------------------------------
def test_len():
    assert len(_x()) == 2
    assert len(gradgpu.zeros(0, 3)) == 0
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(gradgpu.tensor(1.0))


@pytest.mark.skipif(not hasattr(Tensor, "unbind"),
                    reason="iteration needs Tensor.unbind (shape.py, another helper's op)")
def test_iteration_yields_rows_that_carry_gradient():
    x = gradgpu.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[0] * 2 + rows[1] * 3).sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [3.0, 3.0]]
    assert [v.item() for v in gradgpu.tensor([5, 6])] == [5, 6]


def test_iteration_over_0d_raises():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(gradgpu.tensor(1.0))


def test_bool_float_int_index():
    assert bool(gradgpu.tensor([1.0])) and not bool(gradgpu.tensor(0))
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(gradgpu.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="no values is ambiguous"):
        bool(gradgpu.tensor([]))
    assert float(gradgpu.tensor([2.5])) == 2.5
    assert int(gradgpu.tensor(2.7)) == 2
    assert [10, 11, 12][gradgpu.tensor(1)] == 11
    with pytest.raises(TypeError, match="only integer tensors"):
        [10, 11][gradgpu.tensor(1.0)]


def test_hashable_by_identity():
    a, b = gradgpu.ones(1), gradgpu.ones(1)
    assert len({a, b}) == 2 and a in {a: 1}


def test_pickle_and_deepcopy_keep_values_and_requires_grad():
    x = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    x.grad = gradgpu.tensor([0.5, 0.5])
    for y in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x)):
        assert y.tolist() == [1.0, 2.0] and y.requires_grad and y.is_leaf
    d = copy.deepcopy(x)
    assert d.grad.tolist() == [0.5, 0.5]
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


def test_legacy_constructor():
    t = Tensor([1, 2])
    assert t.dtype is gradgpu.float32 and t.tolist() == [1.0, 2.0]
    assert Tensor(2, 3).shape == (2, 3)
    assert gradgpu.is_tensor(t) and not gradgpu.is_tensor([1])


# ---- autograd attributes ------------------------------------------------------------------
def test_leaf_and_grad_fn_attributes():
    x = gradgpu.tensor([1.0], requires_grad=True)
    c = gradgpu.tensor([1.0])
    y = x * 2
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert x.grad_fn is None and type(y.grad_fn).__name__ == "MulBackward"
    assert y.requires_grad and not (c * 2).requires_grad
    assert (c * 2).is_leaf  # results that do not require grad are leaves, as in torch


def test_requires_grad_setter_rules():
    x = gradgpu.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    y = gradgpu.ones(2, requires_grad=True) * 2
    assert y.requires_grad_(True) is y  # no-op on non-leaves
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


def test_grad_setter_validates():
    x = gradgpu.ones(2, requires_grad=True)
    x.grad = gradgpu.tensor([1.0, 2.0])
    assert x.grad.tolist() == [1.0, 2.0]
    del x.grad
    assert x.grad is None
    with pytest.raises(RuntimeError, match=r"different size: grad \[3\], tensor \[2\]"):
        x.grad = gradgpu.ones(3)
    with pytest.raises(RuntimeError, match="float64.*float32"):
        x.grad = gradgpu.ones(2, dtype=gradgpu.float64)
    with pytest.raises(TypeError, match="Tensor or None"):
        x.grad = [1.0, 1.0]


def test_retain_grad_and_hook_need_requires_grad():
    with pytest.raises(RuntimeError, match="retain_grad on Tensor that has requires_grad=False"):
        gradgpu.ones(1).retain_grad()
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gradgpu.ones(1).register_hook(lambda g: g)
