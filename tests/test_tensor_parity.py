"""Tensor creation, dtypes and the Tensor object's Python API against PyTorch's behaviour.

Expected values were taken from PyTorch 2.13 (CPU) and are hard-coded: the tests do not import
torch.
"""

import numpy as np
import pytest

import gradgpu


# ---- tensor(): dtype inference --------------------------------------------------------------
@pytest.mark.parametrize(
    "data, dtype",
    [
        ([np.float64(1.5), 2], gradgpu.float64),  # a NumPy scalar keeps its dtype
        ([np.float64(1.5)], gradgpu.float64),
        ([[np.float64(1.5)]], gradgpu.float64),
        ([np.int32(1), np.int32(2)], gradgpu.int32),
        ([np.float32(1.5), 2.5], gradgpu.float32),
        ([np.int8(1), 2.5], gradgpu.float32),  # int and float: the default float dtype
        (np.float64(1.5), gradgpu.float64),
        (np.uint8(3), gradgpu.uint8),
        ([True, 2], gradgpu.int64),
        ([1, 2.5], gradgpu.float32),
        (range(3), gradgpu.int64),
        ([], gradgpu.float32),
    ],
)
def test_tensor_infers_the_promotion_of_its_elements_dtypes(data, dtype):
    assert gradgpu.tensor(data).dtype is dtype
    assert gradgpu.as_tensor(data).dtype is dtype


def test_tensor_of_zero_dim_tensors_keeps_their_dtype():
    i32 = gradgpu.int32
    t = gradgpu.tensor([gradgpu.tensor(1, dtype=i32), gradgpu.tensor(2, dtype=i32)])
    assert t.dtype is gradgpu.int32 and t.tolist() == [1, 2]
    t = gradgpu.tensor([gradgpu.tensor(1.0, dtype=gradgpu.float64), 2.0])
    assert t.dtype is gradgpu.float64


def test_numpy_scalars_follow_the_default_dtype_rules_of_promotion():
    old = gradgpu.get_default_dtype()
    gradgpu.set_default_dtype(gradgpu.float64)
    try:
        assert gradgpu.tensor([np.float32(1.5), 2.5]).dtype is gradgpu.float64
        assert gradgpu.tensor([np.float32(1.5)]).dtype is gradgpu.float32
    finally:
        gradgpu.set_default_dtype(old)


# ---- tensor(): numbers that overflow the dtype are refused, not wrapped --------------------
@pytest.mark.parametrize(
    "data, dtype",
    [
        ([300], gradgpu.uint8),
        ([200], gradgpu.int8),
        (-129, gradgpu.int8),
        (-256, gradgpu.uint8),
        (-1.0, gradgpu.uint8),
        (255.9, gradgpu.uint8),
        ([2**31], gradgpu.int32),
        (1e10, gradgpu.int32),
        (float("inf"), gradgpu.int64),
        (float("nan"), gradgpu.int32),
        (9.3e18, gradgpu.int64),
        (np.int64(300), gradgpu.uint8),
        ([np.float64(300)], gradgpu.uint8),
        ([gradgpu.tensor(300)], gradgpu.uint8),
    ],
)
def test_tensor_refuses_numbers_that_overflow_the_dtype(data, dtype):
    with pytest.raises(RuntimeError, match=f"cannot be converted to type {dtype.name} without "
                                           "overflow"):
        gradgpu.tensor(data, dtype=dtype)


@pytest.mark.parametrize("data", [2**63, [1, 2**63], [True, 2**63], 2**64, -(2**63) - 1])
def test_tensor_refuses_python_ints_past_int64(data):
    with pytest.raises(ValueError, match="Overflow"):
        gradgpu.tensor(data)


def test_tensor_accepts_numbers_in_range_and_wraps_arrays_like_pytorch():
    assert gradgpu.tensor([255, -1], dtype=gradgpu.uint8).tolist() == [255, 255]
    assert gradgpu.tensor(-255, dtype=gradgpu.uint8).item() == 1
    assert gradgpu.tensor(-128, dtype=gradgpu.int8).item() == -128
    assert gradgpu.tensor([1.5, -2.7], dtype=gradgpu.int64).tolist() == [1, -2]
    assert gradgpu.tensor(9.2e18, dtype=gradgpu.int64).item() == 9200000000000000000
    assert gradgpu.tensor(-(2**63)).item() == -(2**63)
    assert gradgpu.tensor(300, dtype=gradgpu.bool).item() is True
    # ints past int64 are fine where the dtype is floating
    assert gradgpu.tensor([1.5, 2**70]).tolist() == [1.5, float(np.float32(2**70))]
    assert gradgpu.tensor([[1], [2**63]], dtype=gradgpu.float64).tolist() == [[1.0], [2.0**63]]
    # arrays and tensors are cast as they are (PyTorch wraps them too)
    assert gradgpu.tensor(np.array([300]), dtype=gradgpu.uint8).tolist() == [44]


def test_tensor_refuses_none_elements():
    with pytest.raises(TypeError, match="NoneType"):
        gradgpu.tensor([None])


# ---- full / new_full / eye ------------------------------------------------------------------
def test_full_checks_and_wraps_its_fill_value_like_pytorch():
    assert gradgpu.full((2,), -1, dtype=gradgpu.uint8).tolist() == [255, 255]
    assert gradgpu.full((1,), 2**63, dtype=gradgpu.float32).tolist() == [float(2**63)]
    assert gradgpu.full((1,), 2.5, dtype=gradgpu.int32).tolist() == [2]
    for value, dtype in [(300, gradgpu.uint8), (-256, gradgpu.uint8), (float("inf"), gradgpu.int32),
                         (float("nan"), gradgpu.int32), (2**63, None), (2**40, gradgpu.int32)]:
        with pytest.raises(RuntimeError, match="without overflow"):
            gradgpu.full((2,), value, dtype=dtype)
    with pytest.raises(TypeError, match="Number"):
        gradgpu.full((2,), None)
    with pytest.raises(RuntimeError, match="without overflow"):
        gradgpu.full_like(gradgpu.tensor([1, 2], dtype=gradgpu.uint8), 300)


def test_eye_refuses_negative_sizes():
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        gradgpu.eye(-1)
    with pytest.raises(RuntimeError, match="m must be greater or equal to 0, got -1"):
        gradgpu.eye(2, -1)


# ---- arange / linspace / logspace -----------------------------------------------------------
def test_arange_int64_truncates_bounds_and_step_first():
    assert gradgpu.arange(-0.5, 3, dtype=gradgpu.int64).tolist() == [0, 1, 2]
    assert gradgpu.arange(0.5, 4, dtype=gradgpu.int64).tolist() == [0, 1, 2, 3]
    assert gradgpu.arange(0, 5, 1.5, dtype=gradgpu.int32).tolist() == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        gradgpu.arange(0, 1, 0.3, dtype=gradgpu.int64)
    assert gradgpu.arange(end=4).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("end", [float("inf"), float("nan")])
def test_arange_refuses_non_finite_bounds(end):
    with pytest.raises(RuntimeError, match="unsupported range"):
        gradgpu.arange(end)


def test_linspace_rounds_like_pytorch():
    assert gradgpu.linspace(1, 0, 4).tolist() == [1.0, 0.6666666269302368, 0.3333333432674408,
                                                   0.0]
    assert gradgpu.linspace(0.1, 0.7, 7).tolist() == [
        0.10000000149011612, 0.19999998807907104, 0.29999998211860657, 0.4000000059604645, 0.5,
        0.6000000238418579, 0.699999988079071]
    assert gradgpu.linspace(-1, 1, 7, dtype=gradgpu.int32).tolist() == [-1, 0, 0, 0, 0, 0, 1]
    assert gradgpu.linspace(0, 7, 3, dtype=gradgpu.int64).tolist() == [0, 3, 7]
    assert gradgpu.linspace(2.5, 3, 1).tolist() == [2.5]


def test_logspace():
    logspace = gradgpu.logspace
    assert logspace(-1, 1, 5).tolist() == [0.10000000149011612, 0.3162277638912201, 1.0,
                                           3.1622776985168457, 10.0]
    assert logspace(0, 2, 3, base=2).tolist() == [1.0, 2.0, 4.0]
    assert logspace(0, 2, 3, base=2.5, dtype=gradgpu.int64).tolist() == [1, 2, 6]
    assert logspace(0.5, 2.5, 3, dtype=gradgpu.int64).tolist() == [1, 10, 100]
    assert logspace(0, 1, 0).shape == (0,)


# ---- random factories -------------------------------------------------------------------------
def test_randint_checks_the_range_fits_the_dtype():
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for uint8"):
        gradgpu.randint(0, 300, (3,), dtype=gradgpu.uint8)
    with pytest.raises(RuntimeError, match="from is out of bounds for uint8"):
        gradgpu.randint(-1, 3, (3,), dtype=gradgpu.uint8)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for bool"):
        gradgpu.randint(0, 3, (2,), dtype=gradgpu.bool)
    assert gradgpu.randint(3, size=(2,)).shape == (2,)
    assert int(gradgpu.randint(3, size=(50,)).max()) < 3


def test_randperm_checks_n_and_takes_requires_grad():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        gradgpu.randperm(-1)
    assert gradgpu.randperm(4, dtype=gradgpu.float32, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        gradgpu.randperm(4, requires_grad=True)


@pytest.mark.parametrize("std", [-1.0, gradgpu.tensor([1.0, -1.0, 1.0])])
def test_normal_refuses_negative_std_with_tensor_arguments(std):
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        gradgpu.normal(gradgpu.zeros(3), std)


# ---- Tensor.new_* -----------------------------------------------------------------------------
def test_new_factories_take_the_tensors_dtype_and_device():
    f = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    i = gradgpu.tensor([1, 2])
    z = f.new_zeros((2, 3))
    assert z.dtype is gradgpu.float32 and z.shape == (2, 3) and not z.requires_grad
    assert i.new_zeros(3).tolist() == [0, 0, 0] and i.new_zeros(3).dtype is gradgpu.int64
    assert f.new_ones(2, 1).shape == (2, 1)
    assert f.new_ones(2, dtype=gradgpu.int64).dtype is gradgpu.int64
    assert i.new_full((2,), 2.7).tolist() == [2, 2]
    assert f.new_full((2,), 3).dtype is gradgpu.float32
    assert gradgpu.tensor([True]).new_full((2,), 5).tolist() == [True, True]
    assert f.new_empty(2).shape == (2,) and f.new_empty((0,)).shape == (0,)
    assert i.new_tensor([1.5, 2]).tolist() == [1, 2]
    assert f.new_tensor([True, False]).tolist() == [1.0, 0.0]
    assert f.new_tensor(3).shape == () and f.new_tensor([1, 2], dtype=gradgpu.int32).dtype is (
        gradgpu.int32)
    assert f.new_zeros(2, requires_grad=True).requires_grad
    assert gradgpu.tensor([1], dtype=gradgpu.int32).new([1.5, 2]).tolist() == [1, 2]
    assert f.new(2, 3).shape == (2, 3) and f.new().shape == (0,)
    with pytest.raises(RuntimeError, match="without overflow"):
        gradgpu.tensor([1], dtype=gradgpu.uint8).new_full((1,), 300)


# ---- Python protocol ------------------------------------------------------------------------
def test_eq_with_an_unsupported_operand_compares_identity():
    t = gradgpu.tensor([1, 2])
    assert (t == None) is False  # noqa: E711 - the operator is what is tested
    assert (t != None) is True  # noqa: E711
    assert (t == "a") is False and (t == [1, 2]) is False
    assert [None, t].index(t) == 1
    with pytest.raises(TypeError):
        t < None  # noqa: B015


def test_contains():
    t = gradgpu.tensor([[1, 2], [3, 4]])
    assert gradgpu.tensor([1, 2]) in t
    assert 3 in t and 5 not in t and np.float64(4.0) in t
    with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
        "a" in t  # noqa: B015


@pytest.mark.parametrize("convert", [int, float, complex])
def test_number_conversions_of_many_elements_raise_value_error(convert):
    with pytest.raises(ValueError, match="only one element tensors"):
        convert(gradgpu.tensor([1.0, 2.0]))


def test_format_spec_on_a_non_scalar_tensor_is_a_type_error():
    assert f"{gradgpu.tensor(1.5):.2f}" == "1.50"
    assert format(gradgpu.tensor([1.5]), "") == "tensor([1.5000])"
    with pytest.raises(TypeError):
        format(gradgpu.tensor([1.5]), ">20")


def test_type_takes_legacy_type_names():
    t = gradgpu.tensor([1.5])
    assert t.type("torch.DoubleTensor").dtype is gradgpu.float64
    assert t.type("gradgpu.LongTensor").tolist() == [1]
    with pytest.raises(ValueError, match="invalid type"):
        t.type("torch.NoSuchTensor")


def test_storage_offset():
    assert gradgpu.zeros(4).storage_offset() == 0
    assert gradgpu.zeros(4)[2:].storage_offset() == 2
    assert gradgpu.zeros(3, 4)[1:, 2:].storage_offset() == 6
    assert gradgpu.zeros(3, 4).t().storage_offset() == 0


# ---- Size and the legacy constructor --------------------------------------------------------
def test_size_operations_return_sizes():
    s = gradgpu.Size([2, 3])
    for out, expected in [(s[1:], [3]), (s[::-1], [3, 2]), (s + (4,), [2, 3, 4]),
                          ((1,) + s, [1, 2, 3]), (s * 2, [2, 3, 2, 3]), (2 * s, [2, 3, 2, 3]),
                          (gradgpu.zeros(2, 3).shape[1:], [3])]:
        assert type(out) is gradgpu.Size and list(out) == expected
    assert type(s[0]) is int and s == (2, 3) and hash(s) == hash((2, 3))
    with pytest.raises(TypeError):
        s + [4]


def test_size_takes_only_ints():
    assert list(gradgpu.Size([np.int64(2), gradgpu.tensor(3), True])) == [2, 3, 1]
    assert type(gradgpu.Size([gradgpu.tensor(3)])[0]) is int
    with pytest.raises(TypeError, match="item 0 is 'float'"):
        gradgpu.Size([2.0])
    assert gradgpu.Size() == ()


def test_legacy_constructor_without_data():
    assert gradgpu.Tensor().shape == (0,)
    assert gradgpu.Tensor(gradgpu.Size([2, 3])).shape == (2, 3)
    assert gradgpu.Tensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data


# ---- dtype limits -----------------------------------------------------------------------------
def test_finfo_and_iinfo_match_pytorch():
    assert gradgpu.finfo(gradgpu.float32).resolution == 1e-06
    assert gradgpu.finfo(gradgpu.float16).resolution == 0.001
    assert gradgpu.finfo(gradgpu.float32) == gradgpu.finfo(gradgpu.float32)
    assert gradgpu.finfo(gradgpu.float32) != gradgpu.finfo(gradgpu.float64)
    assert repr(gradgpu.finfo(gradgpu.float32)) == (
        "finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, "
        "smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=float32)")
    assert repr(gradgpu.finfo(gradgpu.float16)) == (
        "finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, "
        "smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)")
    assert repr(gradgpu.iinfo(gradgpu.int32)) == (
        "iinfo(min=-2.14748e+09, max=2.14748e+09, dtype=int32)")
    assert gradgpu.iinfo(gradgpu.int32) == gradgpu.iinfo(gradgpu.int32)

