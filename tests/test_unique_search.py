"""unique, unique_consecutive, searchsorted and bucketize: values, dtypes, shapes, NaN, empty
inputs, dim=, and the errors. Expected values are PyTorch's (2.x, CPU), written out."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu

nan, inf = math.nan, math.inf
i64, i32 = gradgpu.int64, gradgpu.int32


def _t(values, device, **kw):
    return gradgpu.tensor(values, device=device, **kw)


def _check(t, expected, dtype=None, shape=None):
    """``t`` equals ``expected`` (NaN matching NaN), with the given dtype and shape."""
    got = t.cpu().numpy()
    np.testing.assert_array_equal(got, np.asarray(expected, dtype=got.dtype))
    if dtype is not None:
        assert t.dtype == dtype
    if shape is not None:
        assert tuple(t.shape) == tuple(shape)


# ---- unique -----------------------------------------------------------------------------------
def test_unique_sorts_keeps_every_nan_and_returns_inverse_and_counts(device):
    x = _t([3.0, 1.0, nan, 2.0, 1.0, nan, 3.0], device)
    _check(gradgpu.unique(x), [1.0, 2.0, 3.0, nan, nan], gradgpu.float32, (5,))
    for sorted_ in (True, False):  # PyTorch's kernels sort either way
        values, inverse, counts = gradgpu.unique(x, sorted=sorted_, return_inverse=True,
                                                 return_counts=True)
        _check(values, [1.0, 2.0, 3.0, nan, nan])
        _check(inverse, [2, 0, 3, 1, 0, 4, 2], i64, (7,))
        _check(counts, [2, 1, 2, 1, 1], i64, (5,))
    values, counts = x.unique(return_counts=True)
    _check(counts, [2, 1, 2, 1, 1])


def test_unique_inverse_has_the_input_shape(device):
    values, inverse = gradgpu.unique(_t([[3, 1], [2, 1]], device), return_inverse=True)
    _check(values, [1, 2, 3], i64)
    _check(inverse, [[2, 0], [1, 0]], i64, (2, 2))
    values, inverse, counts = gradgpu.unique(_t(5.0, device), return_inverse=True,
                                             return_counts=True)
    _check(values, [5.0], shape=(1,))
    _check(inverse, 0, i64, ())
    _check(counts, [1], i64, (1,))


def test_unique_of_empty_bool_and_signed_zero(device):
    values, inverse, counts = gradgpu.unique(gradgpu.zeros(0, 3, device=device),
                                             return_inverse=True, return_counts=True)
    _check(values, [], gradgpu.float32, (0,))
    _check(inverse, np.zeros((0, 3)), i64, (0, 3))
    _check(counts, [], i64, (0,))
    values, inverse, counts = gradgpu.unique(_t([True, False, True], device),
                                             return_inverse=True, return_counts=True)
    _check(values, [False, True], gradgpu.bool)
    _check(inverse, [1, 0, 1])
    _check(counts, [1, 2])
    # 0.0 == -0.0: the first occurrence is kept
    v = gradgpu.unique(_t([0.0, -0.0, 1.0, -0.0], device))
    assert v.tolist() == [0.0, 1.0] and math.copysign(1, v.tolist()[0]) == 1
    assert math.copysign(1, gradgpu.unique(_t([-0.0, 0.0], device)).tolist()[0]) == -1


def test_unique_dim_gives_distinct_slices_in_lexicographic_order(device):
    m = _t([[1, 2], [0, 5], [1, 2], [0, 1]], device)
    values, inverse, counts = gradgpu.unique(m, dim=0, return_inverse=True, return_counts=True)
    _check(values, [[0, 1], [0, 5], [1, 2]], i64, (3, 2))
    _check(inverse, [2, 1, 2, 0], i64, (4,))
    _check(counts, [1, 1, 2], i64, (3,))
    values, inverse, counts = m.unique(dim=1, return_inverse=True, return_counts=True)
    _check(values, [[1, 2], [0, 5], [1, 2], [0, 1]], shape=(4, 2))
    _check(inverse, [0, 1])
    _check(counts, [1, 1])
    _check(gradgpu.unique(m, dim=-1), [[1, 2], [0, 5], [1, 2], [0, 1]])
    cube = _t([[[1, 2], [1, 2]], [[3, 4], [3, 4]]], device)
    values, inverse, counts = gradgpu.unique(cube, dim=1, return_inverse=True,
                                             return_counts=True)
    _check(values, [[[1, 2]], [[3, 4]]], shape=(2, 1, 2))
    _check(inverse, [0, 0])
    _check(counts, [2])


def test_unique_dim_matches_a_reference_on_many_rows(device):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, (300, 7))
    values, inverse, counts = gradgpu.unique(_t(a, device), dim=0, return_inverse=True,
                                             return_counts=True)
    ref_v, ref_i, ref_c = np.unique(a, axis=0, return_inverse=True, return_counts=True)
    _check(values, ref_v)
    _check(inverse, ref_i.reshape(-1))
    _check(counts, ref_c)


def test_unique_dim_keeps_rows_with_nan_apart(device):
    x = _t([[1.0, nan], [1.0, nan], [0.0, 1.0]], device)
    values, inverse, counts = gradgpu.unique(x, dim=0, return_inverse=True, return_counts=True)
    _check(values, [[0.0, 1.0], [1.0, nan], [1.0, nan]])
    _check(inverse, [1, 2, 0])
    _check(counts, [1, 1, 1])


def test_unique_dim_on_empty_inputs(device):
    values, inverse, counts = gradgpu.unique(gradgpu.zeros(0, 3, device=device), dim=0,
                                             return_inverse=True, return_counts=True)
    _check(values, np.zeros((0, 3)), gradgpu.float32, (0, 3))
    _check(inverse, [], i64, (0,))
    _check(counts, [], i64, (0,))
    values, inverse, counts = gradgpu.unique(gradgpu.zeros(2, 0, device=device), dim=1,
                                             return_inverse=True, return_counts=True)
    assert tuple(values.shape) == (2, 0) and inverse.shape == (0,) and counts.shape == (0,)
    for fn in (gradgpu.unique, gradgpu.unique_consecutive):
        with pytest.raises(RuntimeError, match="0 sized dimensions, and they aren't selected"):
            fn(gradgpu.zeros(0, 3, device=device), dim=1)
        with pytest.raises(RuntimeError, match="0 sized dimensions, and they aren't selected"):
            fn(gradgpu.zeros(2, 0, device=device), dim=0)


def test_unique_dim_errors(device):
    for fn in (gradgpu.unique, gradgpu.unique_consecutive):
        with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dim"):
            fn(_t(5.0, device), dim=0)
        with pytest.raises(IndexError, match="Dimension out of range"):
            fn(_t([[1, 2]], device), dim=2)
        with pytest.raises(TypeError, match="must be Tensor"):
            fn([1, 2])


def test_unique_values_require_grad_but_have_no_derivative(device):
    x = _t([3.0, 1.0, 2.0, 1.0], device, requires_grad=True)
    for out in (gradgpu.unique(x, return_inverse=True, return_counts=True),
                gradgpu.unique_consecutive(x, return_inverse=True, return_counts=True),
                gradgpu.unique(x, dim=0, return_inverse=True, return_counts=True)):
        values, inverse, counts = out
        assert values.requires_grad and not inverse.requires_grad
        assert not counts.requires_grad
        with pytest.raises(NotImplementedError, match="derivative for .* is not implemented"):
            values.sum().backward()
    with gradgpu.no_grad():
        assert not gradgpu.unique(x).requires_grad


# ---- unique_consecutive -------------------------------------------------------------------------
def test_unique_consecutive_collapses_runs_only(device):
    y = _t([1.0, 1.0, nan, nan, 2.0, 2.0, 1.0, 3.0, 3.0], device)
    values, inverse, counts = gradgpu.unique_consecutive(y, return_inverse=True,
                                                         return_counts=True)
    _check(values, [1.0, nan, nan, 2.0, 1.0, 3.0], gradgpu.float32, (6,))
    _check(inverse, [0, 0, 1, 2, 3, 3, 4, 5, 5], i64, (9,))
    _check(counts, [2, 1, 1, 2, 1, 2], i64, (6,))
    _check(y.unique_consecutive(), [1.0, nan, nan, 2.0, 1.0, 3.0])
    values, inverse, counts = gradgpu.unique_consecutive(_t([[1, 1], [2, 1]], device),
                                                         return_inverse=True,
                                                         return_counts=True)
    _check(values, [1, 2, 1])
    _check(inverse, [[0, 0], [1, 2]], i64, (2, 2))
    _check(counts, [2, 1, 1])
    _check(gradgpu.unique_consecutive(_t([True, True, False], device)), [True, False],
           gradgpu.bool)
    v = gradgpu.unique_consecutive(_t([0.0, -0.0, 1.0, -0.0], device))
    assert v.tolist() == [0.0, 1.0, 0.0] and math.copysign(1, v.tolist()[2]) == -1


def test_unique_consecutive_dim(device):
    m = _t([[1, 2], [1, 2], [0, 5], [1, 2]], device)
    values, inverse, counts = gradgpu.unique_consecutive(m, dim=0, return_inverse=True,
                                                         return_counts=True)
    _check(values, [[1, 2], [0, 5], [1, 2]], i64, (3, 2))
    _check(inverse, [0, 0, 1, 2])
    _check(counts, [2, 1, 1])
    values, inverse, counts = gradgpu.unique_consecutive(_t([[1, 1, 2], [3, 3, 4]], device),
                                                         dim=1, return_inverse=True,
                                                         return_counts=True)
    _check(values, [[1, 2], [3, 4]])
    _check(inverse, [0, 0, 1])
    _check(counts, [2, 1])
    x = _t([[1.0, nan], [1.0, nan], [0.0, 1.0], [nan, 0.0]], device)
    values, inverse, counts = gradgpu.unique_consecutive(x, dim=0, return_inverse=True,
                                                         return_counts=True)
    _check(values, [[1.0, nan], [1.0, nan], [0.0, 1.0], [nan, 0.0]])
    _check(inverse, [0, 1, 2, 3])
    _check(counts, [1, 1, 1, 1])


def test_unique_consecutive_on_0d_and_empty(device):
    values, inverse, counts = gradgpu.unique_consecutive(_t(5.0, device), return_inverse=True,
                                                         return_counts=True)
    _check(values, [5.0], shape=(1,))
    _check(inverse, 0, i64, ())
    _check(counts, [1], i64, (1,))
    values, inverse, counts = gradgpu.unique_consecutive(gradgpu.zeros(2, 0, device=device),
                                                         return_inverse=True,
                                                         return_counts=True)
    _check(values, [], gradgpu.float32, (0,))
    _check(inverse, np.zeros((2, 0)), i64, (2, 0))
    _check(counts, [], i64, (0,))
    values, inverse, counts = gradgpu.unique_consecutive(gradgpu.zeros(0, 3, device=device),
                                                         dim=0, return_inverse=True,
                                                         return_counts=True)
    assert tuple(values.shape) == (0, 3) and inverse.shape == (0,) and counts.shape == (0,)


# ---- searchsorted -----------------------------------------------------------------------------
def test_searchsorted_left_right_and_side(device):
    s = _t([1.0, 2.0, 2.0, 3.0, nan], device)
    v = _t([[0.0, 2.0], [nan, 3.5]], device)
    _check(gradgpu.searchsorted(s, v), [[0, 1], [5, 5]], i64, (2, 2))
    _check(gradgpu.searchsorted(s, v, side="left"), [[0, 1], [5, 5]])
    for kw in ({"right": True}, {"side": "right"}, {"side": "right", "right": True}):
        _check(gradgpu.searchsorted(s, v, **kw), [[0, 5], [5, 5]], i64)
    _check(gradgpu.searchsorted(s, v, out_int32=True), [[0, 1], [5, 5]], i32, (2, 2))
    inf_nan = _t([-inf, inf, nan], device)
    _check(gradgpu.searchsorted(s, inf_nan), [0, 5, 5])
    _check(gradgpu.searchsorted(s, inf_nan, right=True), [0, 5, 5])


def test_searchsorted_scalar_values_give_0d_results(device):
    s = _t([1.0, 2.0, 2.0, 3.0], device)
    for value in (2.0, 2, _t(2.0, device)):
        _check(gradgpu.searchsorted(s, value), 1, i64, ())
    _check(gradgpu.searchsorted(s, 2.0, right=True), 3, i64, ())
    _check(gradgpu.searchsorted(_t([1, 2, 3], device), 1.5), 1, i64, ())


def test_searchsorted_nd_sequence_has_one_row_per_leading_index(device):
    seq = _t([[1, 3, 5], [2, 4, 6]], device)
    _check(gradgpu.searchsorted(seq, _t([[3, 6, 0, 7], [1, 4, 5, 2]], device)),
           [[1, 3, 0, 3], [0, 1, 2, 0]], i64, (2, 4))
    _check(gradgpu.searchsorted(seq, _t([[3, 6], [1, 4]], device), right=True),
           [[2, 3], [0, 2]])
    seq_t = _t([[1, 3], [2, 4]], device).t()  # non-contiguous rows [1, 2] and [3, 4]
    _check(gradgpu.searchsorted(seq_t, _t([[2], [3]], device)), [[1], [0]])


def test_searchsorted_mixed_dtypes_compare_in_the_promoted_type(device):
    _check(gradgpu.searchsorted(_t([1, 2, 3], device), _t([1.5, 2.5], device)), [1, 2])
    _check(gradgpu.searchsorted(_t([1.0, 2.0, 3.0], device), _t([1, 3], device)), [0, 2])


def test_searchsorted_with_sorter(device):
    seq, v = _t([3.0, 1.0, 2.0], device), _t([2.0, 0.0, 4.0], device)
    sorter = _t([1, 2, 0], device)
    _check(gradgpu.searchsorted(seq, v, sorter=sorter), [1, 0, 3])
    _check(gradgpu.searchsorted(seq, v, right=True, sorter=sorter), [2, 0, 3])
    _check(gradgpu.searchsorted(_t([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], device),
                                _t([[2.0], [4.5]], device),
                                sorter=_t([[1, 2, 0], [0, 2, 1]], device)), [[1], [2]])


def test_searchsorted_on_empty_inputs(device):
    _check(gradgpu.searchsorted(gradgpu.zeros(0, device=device), _t([1.0, 2.0], device)),
           [0, 0], i64, (2,))
    s = _t([1.0, 2.0], device)
    _check(gradgpu.searchsorted(s, gradgpu.zeros(0, device=device)), [], i64, (0,))
    _check(gradgpu.searchsorted(s, gradgpu.zeros(2, 0, device=device)), np.zeros((2, 0)), i64,
           (2, 0))
    _check(gradgpu.searchsorted(gradgpu.zeros(2, 0, device=device),
                                gradgpu.zeros(2, 3, device=device)), np.zeros((2, 3)), i64)
    _check(gradgpu.searchsorted(gradgpu.zeros(0, 3, device=device),
                                gradgpu.zeros(0, 2, device=device)), np.zeros((0, 2)), i64,
           (0, 2))


def test_searchsorted_results_never_require_grad(device):
    out = gradgpu.searchsorted(_t([1.0, 2.0], device, requires_grad=True),
                               _t([1.5], device, requires_grad=True))
    assert not out.requires_grad and out.tolist() == [1]


def test_searchsorted_errors(device):
    s, v = _t([1.0, 2.0, 3.0], device), _t([2.0], device)
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites, got "
                                           "side of left while right was True"):
        gradgpu.searchsorted(s, v, side="left", right=True)
    with pytest.raises(RuntimeError, match="side can only be 'left' or 'right' but got middle"):
        gradgpu.searchsorted(s, v, side="middle")
    seq = _t([[1, 3, 5], [2, 4, 6]], device)
    with pytest.raises(RuntimeError, match=r"first N-1 dimensions .* boundaries tensor \[2, 3\] "
                                           r"and input value tensor \[3, 1\]"):
        gradgpu.searchsorted(seq, _t([[3], [1], [2]], device))
    with pytest.raises(RuntimeError, match=r"input value tensor \[2\]"):
        gradgpu.searchsorted(seq, _t([3, 1], device))
    with pytest.raises(RuntimeError, match=r"scalar only when boundaries tensor dimension is 1"):
        gradgpu.searchsorted(seq, 3)
    with pytest.raises(RuntimeError, match="should have positive dimension, but got 0"):
        gradgpu.searchsorted(_t(1.0, device), _t([3.0], device))
    with pytest.raises(RuntimeError, match="sorter must be a tensor of long dtype but got "
                                           "dtype Float"):
        gradgpu.searchsorted(s, v, sorter=_t([1.0, 2.0, 0.0], device))
    with pytest.raises(RuntimeError, match=r"boundary and sorter must have the same size"):
        gradgpu.searchsorted(s, v, sorter=_t([1, 2], device))
    for bad in ([1, 2, 5], [1, 2, -1]):
        with pytest.raises(RuntimeError, match="sorter index out of range"):
            gradgpu.searchsorted(s, v, sorter=_t(bad, device))
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        gradgpu.searchsorted(_t([False, True], device), _t([True], device))
    with pytest.raises(TypeError, match="must be Tensor"):
        gradgpu.searchsorted([1, 2, 3], v)
    with pytest.raises(TypeError, match="must be Tensor or Number"):
        gradgpu.searchsorted(s, "a")


def test_searchsorted_and_bucketize_are_not_tensor_methods():
    t = gradgpu.tensor([1.0])
    assert not hasattr(t, "searchsorted") and not hasattr(t, "bucketize")
    assert hasattr(t, "unique") and hasattr(t, "unique_consecutive")


# ---- bucketize --------------------------------------------------------------------------------
def test_bucketize(device):
    b = _t([1.0, 3.0, 5.0, 7.0], device)
    x = _t([[0.0, 1.0, 3.0], [6.0, 9.0, nan]], device)
    _check(gradgpu.bucketize(x, b), [[0, 0, 1], [3, 4, 4]], i64, (2, 3))
    _check(gradgpu.bucketize(x, b, right=True), [[0, 1, 2], [3, 4, 4]], i64)
    _check(gradgpu.bucketize(x, b, out_int32=True), [[0, 0, 1], [3, 4, 4]], i32)
    _check(gradgpu.bucketize(3, b), 1, i64, ())
    _check(gradgpu.bucketize(3.0, b, right=True), 2, i64, ())
    _check(gradgpu.bucketize(_t(4.0, device), b), 2, i64, ())
    _check(gradgpu.bucketize(_t([2, 4], device), b), [1, 2])
    _check(gradgpu.bucketize(x, gradgpu.zeros(0, device=device)), np.zeros((2, 3)), i64)
    _check(gradgpu.bucketize(gradgpu.zeros(0, 2, device=device), b), np.zeros((0, 2)), i64,
           (0, 2))
    assert not gradgpu.bucketize(_t([1.5], device, requires_grad=True), b).requires_grad


def test_bucketize_errors(device):
    x = _t([1.0], device)
    with pytest.raises(RuntimeError, match=r"boundaries tensor must be 1 dimension, but got "
                                           r"dim\(2\)"):
        gradgpu.bucketize(x, _t([[1.0, 2.0]], device))
    with pytest.raises(RuntimeError, match=r"must be 1 dimension, but got dim\(0\)"):
        gradgpu.bucketize(x, _t(1.0, device))
    with pytest.raises(TypeError):
        gradgpu.bucketize(x, [1.0, 2.0])
