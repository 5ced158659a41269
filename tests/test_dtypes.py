"""dtypes and PyTorch's type promotion (every expectation below was checked against torch 2.x:
tensor-tensor, tensor-Python scalar, and 0-d tensors against dimensioned ones)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import gradgpu
from gradgpu import _dtypes

F16, F32, F64 = gradgpu.float16, gradgpu.float32, gradgpu.float64
I8, I16, I32, I64, U8, B = (gradgpu.int8, gradgpu.int16, gradgpu.int32, gradgpu.int64,
                            gradgpu.uint8, gradgpu.bool)


def _t(dtype, dim=True):
    return gradgpu.ones(2 if dim else (), dtype=dtype)


def test_public_dtype_names():
    assert gradgpu.float32 is gradgpu.float and gradgpu.float64 is gradgpu.double
    assert gradgpu.float16 is gradgpu.half and gradgpu.int64 is gradgpu.long
    assert gradgpu.int32 is gradgpu.int
    assert repr(gradgpu.float32) == "gradgpu.float32" and repr(gradgpu.bool) == "gradgpu.bool"
    assert F32.is_floating_point and not I64.is_floating_point and not B.is_floating_point
    assert F16.itemsize == 2 and I64.itemsize == 8
    assert pickle.loads(pickle.dumps(F64)) is F64


@pytest.mark.parametrize(
    "spec, expected",
    [(F32, F32), ("float32", F32), ("double", F64), (np.float16, F16), (np.dtype("int32"), I32),
     (float, F64), (int, I64), (bool, B), ("long", I64)],
)
def test_as_dtype(spec, expected):
    assert _dtypes.as_dtype(spec) is expected


def test_as_dtype_rejects_unsupported():
    with pytest.raises(TypeError, match="complex128"):
        _dtypes.as_dtype(np.complex128)


@pytest.mark.parametrize(
    "a, b, expected",
    [(F16, F32, F32), (F32, F64, F64), (I32, I64, I64), (U8, I8, I16), (U8, I16, I16),
     (I8, I16, I16), (B, U8, U8), (B, F16, F16), (I64, F16, F16), (I32, F32, F32), (B, B, B)],
)
def test_promote_types(a, b, expected):
    assert gradgpu.promote_types(a, b) is expected
    assert gradgpu.promote_types(b, a) is expected


# (left dtype, left has dims, right dtype, right has dims) -> result, as torch gives for a + b
TENSOR_TENSOR = [
    (I32, True, I64, False, I32),  # a 0-d tensor of the same category does not widen
    (I32, True, F64, False, F64),  # ... but a higher category wins, with the 0-d tensor's dtype
    (F16, True, F64, False, F16),
    (F16, True, I64, True, F16),
    (I32, False, F16, False, F16),
    (I32, False, I64, False, I64),  # two 0-d tensors promote normally
    (B, True, I32, False, I32),
    (B, True, B, True, B),
    (U8, True, I8, True, I16),
    (F32, True, F64, True, F64),
    (I64, True, F32, False, F32),
    (F32, False, F64, True, F64),
]


@pytest.mark.parametrize("a, a_dim, b, b_dim, expected", TENSOR_TENSOR)
def test_tensor_tensor_promotion(a, a_dim, b, b_dim, expected):
    x, y = _t(a, a_dim), _t(b, b_dim)
    assert gradgpu.result_type(x, y) is expected
    assert (x + y).dtype is expected
    assert (y * x).dtype is expected


# (tensor dtype, Python scalar) -> result
TENSOR_SCALAR = [
    (I64, 2.5, F32),
    (I32, 2.5, F32),
    (F16, 2.5, F16),
    (F64, 2.5, F64),
    (I32, 2, I32),
    (U8, 3, U8),
    (B, 1, I64),
    (B, True, B),
    (B, 2.5, F32),
    (I64, True, I64),
    (F16, 2, F16),
]


@pytest.mark.parametrize("dtype, scalar, expected", TENSOR_SCALAR)
@pytest.mark.parametrize("dim", [True, False])
def test_tensor_scalar_promotion(dtype, scalar, expected, dim):
    t = _t(dtype, dim)
    assert (t + scalar).dtype is expected
    assert (scalar * t).dtype is expected


def test_scalar_promotion_follows_default_dtype():
    gradgpu.set_default_dtype(gradgpu.float64)
    assert (gradgpu.tensor([1, 2]) * 2.5).dtype is F64
    assert (_t(F16) + 2.5).dtype is F16
    assert (_t(F32) + 2.5).dtype is F32


@pytest.mark.parametrize(
    "a, b, expected",
    [(I64, I64, F32), (I32, I64, F32), (B, B, F32), (I64, F64, F64), (F16, I32, F16)],
)
def test_true_division_of_integers_gives_float(a, b, expected):
    out = _t(a) / _t(b)
    assert out.dtype is expected
    assert out.tolist() == [1.0, 1.0]
    assert (gradgpu.tensor([1, 3]) / gradgpu.tensor([2, 2])).tolist() == [0.5, 1.5]
    assert (gradgpu.tensor([3]) / 2).dtype is F32


def test_bool_arithmetic():
    t = gradgpu.tensor([True, False])
    both = t + t
    assert both.dtype is B and both.tolist() == [True, False]
    plus_one = t + 1
    assert plus_one.dtype is I64 and plus_one.tolist() == [2, 1]


def test_promoted_values_are_computed_in_the_result_dtype():
    out = gradgpu.tensor([1, 2], dtype=gradgpu.int32) * 2.5
    assert out.tolist() == [2.5, 5.0]
    # int32 tensor + int64 0-d tensor stays int32, with int32 wraparound like torch
    big = gradgpu.tensor([2**31 - 1], dtype=gradgpu.int32) + gradgpu.tensor(1)
    assert big.dtype is I32 and big.tolist() == [-(2**31)]


def test_default_dtype_validation():
    assert gradgpu.get_default_dtype() is F32
    with pytest.raises(TypeError, match="floating-point"):
        gradgpu.set_default_dtype(gradgpu.int64)
    gradgpu.set_default_dtype(gradgpu.float16)
    assert gradgpu.tensor(1.0).dtype is F16
    assert gradgpu.zeros(2).dtype is F16


def test_can_cast_is_category_based():
    assert gradgpu.can_cast(I64, F16)
    assert not gradgpu.can_cast(F32, I64)
    assert not gradgpu.can_cast(I32, B)
    assert gradgpu.can_cast(F64, F16)


def test_finfo_and_iinfo_match_numpy_limits():
    import numpy as np

    assert gradgpu.finfo(gradgpu.float32).min == float(np.finfo(np.float32).min)
    assert gradgpu.finfo(gradgpu.float16).eps == float(np.finfo(np.float16).eps)
    assert gradgpu.finfo().bits == 32  # the default dtype
    assert gradgpu.iinfo(gradgpu.int8).max == 127
    assert gradgpu.iinfo(gradgpu.uint8).min == 0
    with pytest.raises(TypeError, match="not a floating point dtype"):
        gradgpu.finfo(gradgpu.int32)
    with pytest.raises(TypeError, match="not an integer dtype"):
        gradgpu.iinfo(gradgpu.float32)


def test_default_dtype_is_process_wide():
    import threading

    gradgpu.set_default_dtype(gradgpu.float64)
    seen = []
    worker = threading.Thread(target=lambda: seen.append(gradgpu.tensor(1.5).dtype))
    worker.start()
    worker.join()
    assert seen == [gradgpu.float64]
