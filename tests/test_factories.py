"""Tensor creation: ``tensor``/``as_tensor``/``from_numpy``, the filled factories, ``*_like``,
random factories, seeding and ``Generator`` (dtypes and values checked against PyTorch's)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import Generator


# ---- tensor(): dtype inference ----------------------------------------------------------------
@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, gradgpu.float32),
        ([1.0, 2.0], gradgpu.float32),
        ([1, 2.5], gradgpu.float32),  # one float makes the whole list floating
        ([], gradgpu.float32),
        (3, gradgpu.int64),
        ([[1, 2], [3, 4]], gradgpu.int64),
        (True, gradgpu.bool),
        ([True, False], gradgpu.bool),
        ([True, 2], gradgpu.int64),
        (np.array([1.0]), gradgpu.float64),  # NumPy arrays keep their dtype
        (np.array([1], dtype=np.int32), gradgpu.int32),
        (np.array([1], dtype=np.int16), gradgpu.int16),
        (np.array([True]), gradgpu.bool),
        (np.array(1.5), gradgpu.float64),
        (np.float16(1), gradgpu.float16),
        (np.float64(1), gradgpu.float64),
    ],
)
def test_tensor_infers_dtype_like_pytorch(data, dtype):
    assert gradgpu.tensor(data).dtype is dtype


def test_tensor_python_float_follows_default_dtype():
    gradgpu.set_default_dtype(gradgpu.float64)
    assert gradgpu.tensor(1.5).dtype is gradgpu.float64
    assert gradgpu.tensor([1, 2]).dtype is gradgpu.int64  # ints are unaffected
    assert gradgpu.tensor(np.array([1.0], dtype=np.float32)).dtype is gradgpu.float32


def test_tensor_values_shape_and_explicit_dtype():
    t = gradgpu.tensor([[1, 2, 3], [4, 5, 6]])
    assert t.shape == (2, 3)
    assert t.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert gradgpu.tensor([1.7, -1.7], dtype=gradgpu.int64).tolist() == [1, -1]
    assert gradgpu.tensor([1, 2], dtype=gradgpu.float16).dtype is gradgpu.float16
    assert gradgpu.tensor(2.5).shape == ()


def test_tensor_copies_numpy_data_and_from_numpy_shares_it():
    a = np.zeros(3)
    copied = gradgpu.tensor(a)
    shared = gradgpu.from_numpy(a)
    a[0] = 5.0
    assert copied.tolist() == [0.0, 0.0, 0.0]
    assert shared.tolist() == [5.0, 0.0, 0.0]
    shared.add_(1)  # and writes through the tensor reach the array
    assert a.tolist() == [6.0, 1.0, 1.0]
    assert shared.dtype is gradgpu.float64


def test_as_tensor_shares_memory_when_dtype_allows():
    a = np.zeros(2, dtype=np.float32)
    assert np.shares_memory(gradgpu.as_tensor(a).numpy(), a)
    assert not np.shares_memory(gradgpu.as_tensor(a, dtype=gradgpu.float64).numpy(), a)
    t = gradgpu.ones(2)
    assert gradgpu.as_tensor(t) is t


def test_tensor_from_tensor_warns_and_copies():
    src = gradgpu.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="clone\\(\\).detach\\(\\)"):
        t = gradgpu.tensor(src)
    assert not t.requires_grad and t.is_leaf
    assert not np.shares_memory(t.numpy(), src.detach().numpy())


def test_tensor_of_list_of_tensors():
    t = gradgpu.tensor([gradgpu.tensor(1.0), gradgpu.tensor(2.0)])
    assert t.tolist() == [1.0, 2.0] and t.dtype is gradgpu.float32


def test_tensor_requires_grad():
    t = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None


@pytest.mark.parametrize(
    "bad, exc, match",
    [
        ("abc", TypeError, "str"),
        (None, TypeError, "NoneType"),
        ([[1, 2], [3]], ValueError, "rectangular"),
        ([1, "a"], TypeError, "infer dtype"),
    ],
)
def test_tensor_rejects_bad_data(bad, exc, match):
    with pytest.raises(exc, match=match):
        gradgpu.tensor(bad)


def test_integer_and_bool_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        gradgpu.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        gradgpu.zeros(2, dtype=gradgpu.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point.*bool"):
        gradgpu.tensor([True]).requires_grad_()


def test_from_numpy_rejects_non_arrays_and_unsupported_dtypes():
    with pytest.raises(TypeError, match="expected np.ndarray"):
        gradgpu.from_numpy([1.0])
    with pytest.raises(TypeError, match="complex64"):
        gradgpu.from_numpy(np.zeros(2, dtype=np.complex64))


# ---- filled factories ---------------------------------------------------------------------
@pytest.mark.parametrize("fn, value", [(gradgpu.zeros, 0), (gradgpu.ones, 1)])
def test_zeros_ones_shapes_and_dtypes(fn, value):
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = fn(*args)
        assert t.shape == (2, 3) and t.dtype is gradgpu.float32
        assert (t.numpy() == value).all()
    assert fn(4, dtype=gradgpu.int32).dtype is gradgpu.int32
    assert fn(()).shape == ()
    assert fn(0, 3).numel() == 0
    assert fn(2, requires_grad=True).requires_grad


def test_negative_size_raises():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        gradgpu.zeros(2, -1)
    with pytest.raises(TypeError, match="tuple of ints"):
        gradgpu.ones(2.5)


def test_empty_has_shape_and_dtype():
    t = gradgpu.empty(2, 3, dtype=gradgpu.float64)
    assert t.shape == (2, 3) and t.dtype is gradgpu.float64


def test_full_infers_dtype_from_fill_value():
    assert gradgpu.full((2,), 3).dtype is gradgpu.int64
    assert gradgpu.full((2,), 3.0).dtype is gradgpu.float32
    assert gradgpu.full((2,), True).dtype is gradgpu.bool
    assert gradgpu.full((2, 2), 7.5).tolist() == [[7.5, 7.5], [7.5, 7.5]]
    assert gradgpu.full(3, 2, dtype=gradgpu.float64).dtype is gradgpu.float64


def test_eye():
    assert gradgpu.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert gradgpu.eye(2, dtype=gradgpu.int32).tolist() == [[1, 0], [0, 1]]
    assert gradgpu.eye(3).dtype is gradgpu.float32


def test_arange_values_and_dtypes():
    assert gradgpu.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert gradgpu.arange(5).dtype is gradgpu.int64
    assert gradgpu.arange(5, 0, -2).tolist() == [5, 3, 1]
    f = gradgpu.arange(0, 1, 0.25)
    assert f.dtype is gradgpu.float32 and f.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert gradgpu.arange(2.5).tolist() == [0.0, 1.0, 2.0]
    assert gradgpu.arange(3, dtype=gradgpu.float64).dtype is gradgpu.float64
    assert gradgpu.arange(0).numel() == 0


def test_arange_errors():
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        gradgpu.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        gradgpu.arange(5, 0, 1)


def test_linspace():
    t = gradgpu.linspace(0, 1, 5)
    assert t.dtype is gradgpu.float32
    np.testing.assert_allclose(t.numpy(), [0.0, 0.25, 0.5, 0.75, 1.0])
    assert gradgpu.linspace(2, 3, 1).tolist() == [2.0]
    assert gradgpu.linspace(0, 10, 5, dtype=gradgpu.int64).tolist() == [0, 2, 5, 7, 10]
    assert gradgpu.linspace(0, 1, 0).numel() == 0


def test_like_factories_keep_shape_dtype_unless_overridden():
    ref = gradgpu.ones(2, 3, dtype=gradgpu.int32)
    for fn in (gradgpu.zeros_like, gradgpu.ones_like, gradgpu.empty_like):
        out = fn(ref)
        assert out.shape == (2, 3) and out.dtype is gradgpu.int32
        assert fn(ref, dtype=gradgpu.float64).dtype is gradgpu.float64
    assert (gradgpu.zeros_like(ref).numpy() == 0).all()
    assert (gradgpu.ones_like(ref).numpy() == 1).all()
    assert gradgpu.full_like(ref, 7.9).tolist() == [[7, 7, 7]] * 2  # cast to int32 like torch
    f = gradgpu.ones(3)
    r = gradgpu.rand_like(f)
    assert r.shape == (3,) and r.dtype is gradgpu.float32
    assert gradgpu.randn_like(f, dtype=gradgpu.float64).dtype is gradgpu.float64
    assert gradgpu.ones_like(f, requires_grad=True).requires_grad


# ---- random -------------------------------------------------------------------------------
def test_rand_randn_shapes_ranges_dtypes():
    r = gradgpu.rand(1000)
    assert r.dtype is gradgpu.float32
    assert 0.0 <= r.numpy().min() and r.numpy().max() < 1.0
    n = gradgpu.randn(200, 50, dtype=gradgpu.float64)
    assert n.shape == (200, 50) and n.dtype is gradgpu.float64
    assert abs(n.numpy().mean()) < 0.05 and abs(n.numpy().std() - 1) < 0.05
    assert gradgpu.rand(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="int64"):
        gradgpu.rand(2, dtype=gradgpu.int64)


def test_randint():
    t = gradgpu.randint(3, 7, (1000,))
    assert t.dtype is gradgpu.int64
    assert set(t.tolist()) == {3, 4, 5, 6}
    assert set(gradgpu.randint(2, (100,)).tolist()) == {0, 1}  # randint(high, size)
    assert gradgpu.randint(0, 5, (2, 2), dtype=gradgpu.int32).dtype is gradgpu.int32
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        gradgpu.randint(5, 5, (3,))


def test_normal():
    t = gradgpu.normal(2.0, 3.0, (4000,))
    assert abs(t.numpy().mean() - 2.0) < 0.3 and abs(t.numpy().std() - 3.0) < 0.3
    mean = gradgpu.tensor([0.0, 100.0, -100.0])
    s = gradgpu.normal(mean, 0.01)
    assert s.shape == (3,)
    np.testing.assert_allclose(s.numpy(), mean.numpy(), atol=0.1)
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        gradgpu.normal(0.0, -1.0, (2,))


def test_manual_seed_makes_draws_reproducible():
    def draws():
        return (gradgpu.rand(5), gradgpu.randn(5), gradgpu.randint(0, 100, (5,)),
                gradgpu.normal(0.0, 1.0, (5,)), gradgpu.randperm(5))

    gradgpu.manual_seed(1234)
    a = draws()
    gradgpu.manual_seed(1234)
    b = draws()
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    gradgpu.manual_seed(1235)
    assert gradgpu.rand(5).tolist() != a[0].tolist()
    assert gradgpu.initial_seed() == 1235


def test_generator_is_independent_of_the_global_stream():
    g1 = Generator().manual_seed(7)
    first = gradgpu.rand(4, generator=g1)
    gradgpu.manual_seed(0)
    gradgpu.rand(10)  # draws from the default generator do not disturb g1
    g2 = Generator().manual_seed(7)
    assert gradgpu.rand(4, generator=g2).tolist() == first.tolist()
    assert g2.initial_seed() == 7
    assert g1.device == gradgpu.device("cpu")


def test_generator_state_roundtrip():
    g = Generator().manual_seed(3)
    state = g.get_state()
    a = gradgpu.randn(3, generator=g)
    g.set_state(state)
    assert gradgpu.randn(3, generator=g).tolist() == a.tolist()


def test_generator_device_mismatch_raises():
    g = Generator()
    g.device = gradgpu.device("cuda")  # a generator claiming another device type
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator"):
        gradgpu.rand(2, generator=g)
