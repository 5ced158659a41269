"""gradgpu.testing.assert_close: PyTorch's tolerances and messages."""

import math

import numpy as np
import pytest

import gradgpu
from gradgpu.testing import assert_close

T = gradgpu.tensor


def _message(fn):
    with pytest.raises(AssertionError) as info:
        fn()
    return str(info.value)


def test_close_values_pass_with_the_dtype_tolerances():
    assert_close(T([1.0, 2.0]), T([1.0, 2.0 + 1e-6]))  # float32: rtol 1.3e-6, atol 1e-5
    assert_close(T([1.0], dtype=gradgpu.float64), T([1.0 + 1e-8], dtype=gradgpu.float64))
    assert_close(T([math.inf, -math.inf]), T([math.inf, -math.inf]))
    assert_close(T([math.nan]), T([math.nan]), equal_nan=True)
    assert_close(T([1, 2]), T([1, 2]))
    assert_close((1.0, [T([3.0])]), [1.0, (T([3.0]),)])
    assert_close({"a": T([1.0])}, {"a": T([1.0])})
    assert_close(T([1.0]), T([1.0 + 1e-8], dtype=gradgpu.float64), check_dtype=False)
    assert_close(T([1.0]), T([1.1]), rtol=0.2, atol=0.0)


def test_messages_match_pytorch_word_for_word():
    assert _message(lambda: assert_close(T([1.0, 2.0, 3.0]), T([1.0, 2.5, 3.0]))) == (
        "Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n"
        "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 "
        "allowed)")
    assert _message(lambda: assert_close(1.0, 1.5)) == (
        "Scalars are not close!\n\nExpected 1.5 but got 1.0.\n"
        "Absolute difference: 0.5 (up to 1e-07 allowed)\n"
        "Relative difference: 0.3333333333333333 (up to 1e-07 allowed)")
    assert _message(lambda: assert_close(T([1, 2]), T([1, 3]))) == (
        "Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\n"
        "Greatest absolute difference: 1 at index (1,)\n"
        "Greatest relative difference: 0.3333333432674408 at index (1,)")
    assert _message(lambda: assert_close(gradgpu.ones(2), gradgpu.ones(3))) == (
        "The values for attribute 'shape' do not match: gradgpu.Size([2]) != "
        "gradgpu.Size([3]).")
    assert _message(lambda: assert_close(gradgpu.ones(2),
                                         gradgpu.ones(2, dtype=gradgpu.float64))) == (
        "The values for attribute 'dtype' do not match: gradgpu.float32 != gradgpu.float64.")
    assert _message(lambda: assert_close([T([1.0]), T([1.0])], [T([1.0]), T([0.0])])).endswith(
        "\n\nThe failure occurred for item [1]")
    assert _message(lambda: assert_close({"a": T([1.0])}, {"a": T([0.0])})).endswith(
        "The failure occurred for item ['a']")
    assert _message(lambda: assert_close([1.0, 2.0], [1.0])) == (
        "The length of the sequences mismatch: 2 != 1")
    assert _message(lambda: assert_close(1, 1.0)) == (
        "The (d)types do not match: <class 'int'> != <class 'float'>.")
    assert _message(lambda: assert_close(T([1.0]), T([0.0]), msg="custom")) == "custom"
    assert _message(lambda: assert_close(T([1.0]), T([0.0]),
                                         msg=lambda m: "X" + m[:10])) == "XTensor-lik"
    assert _message(lambda: assert_close(gradgpu.zeros(2, 2).t(), gradgpu.zeros(2, 2),
                                         check_stride=True)) == (
        "The values for attribute 'stride()' do not match: (1, 2) != (2, 1).")


def test_nan_is_unequal_unless_asked_and_zero_d_tensors_read_as_scalars():
    text = _message(lambda: assert_close(T([math.nan]), T([math.nan])))
    assert "Greatest absolute difference: nan at index (0,)" in text
    assert _message(lambda: assert_close(T(1.0), T(2.0))).startswith(
        "Scalars are not close!\n\nExpected 2.0 but got 1.0.")


def test_argument_and_type_errors():
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol' must be either specified or "
                                         "omitted, but got no atol."):
        assert_close(T([1.0]), T([1.0]), rtol=1e-3)
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs of type "
                                        "<class 'gradgpu.tensor.Tensor'> and <class 'float'>"):
        assert_close(T([1.0]), 1.0)
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(np.ones(2), gradgpu.ones(2))


def test_numpy_arrays_and_devices(device):
    assert_close(np.ones(2), np.ones(2))
    with pytest.raises(AssertionError, match=r"\(up to 1e-07 allowed\)"):
        assert_close(np.ones(2), np.zeros(2))  # float64 tolerances
    x = gradgpu.ones(3, device=device)
    assert_close(x * 2, gradgpu.full((3,), 2.0, device=device))
    if device == "cuda":
        with pytest.raises(AssertionError, match="attribute 'device' do not match: cuda:0 != "
                                                 "cpu"):
            assert_close(x, gradgpu.ones(3))
        assert_close(x, gradgpu.ones(3), check_device=False)


PARITY_CASES = [
    ([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], "float32", {}),
    ([[0.0, 0, 0], [0, 0, 0]], [[0.0, 0, 0], [0, 0, 1e-3]], "float32", {}),
    ([1.0, math.nan, 2.0], [1.0, math.nan, 2.5], "float64", {}),
    ([1.0, math.nan], [1.0, math.nan], "float64", {"equal_nan": True}),
    ([1.0, 2.0], [1.5, 2.0], "float16", {}),
    ([1, 2, 7], [1, 3, 9], "int64", {}),
    ([True, False], [True, True], "bool", {}),
    ([0.0, 1.0], [1e-9, 1.0], "float64", {"rtol": 0.0, "atol": 1e-10}),
    ([math.inf], [-math.inf], "float32", {}),
    (3.0, 2.0, "float32", {}),
]


@pytest.mark.parametrize("a, e, dtype, kw", PARITY_CASES)
def test_same_outcome_and_message_as_pytorch(a, e, dtype, kw):
    torch = pytest.importorskip("torch")

    def outcome(lib, fn):
        try:
            fn(lib.tensor(a, dtype=getattr(lib, dtype)), lib.tensor(e, dtype=getattr(lib, dtype)),
               **kw)
        except AssertionError as err:
            return str(err).replace("torch.", "").replace("gradgpu.", "")
        return None

    assert outcome(gradgpu, assert_close) == outcome(torch, torch.testing.assert_close)
