"""Indexing semantics the op registry cannot express: views, accumulation, setitem's autograd
rules and version counting, PyTorch's index order, and the error contracts."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu


def _leaf(*shape):
    return gradgpu.arange(float(np.prod(shape)), dtype=gradgpu.float64).reshape(
        *shape).requires_grad_()


# ---- getitem ----------------------------------------------------------------------------------
def test_basic_getitem_is_a_view_sharing_memory_and_version():
    x = gradgpu.zeros(3, 4)
    v = x[1, ::2]
    assert v.shape == (2,)
    x[1, 0] = 7.0
    assert v.tolist() == [7.0, 0.0]
    v[1] = 3.0
    assert x[1, 2].item() == 3.0
    assert v._version == x._version == 2
    assert x[None, ..., 1].shape == (1, 3)


def test_advanced_getitem_copies():
    x = gradgpu.zeros(3, 4)
    y = x[[0, 1]]
    y[0, 0] = 5.0
    assert x[0, 0].item() == 0.0


def test_zero_dim_long_tensor_index_selects_like_an_int_but_copies():
    x = gradgpu.arange(6.0).reshape(2, 3)
    y = x[gradgpu.tensor(1)]
    assert y.tolist() == [3.0, 4.0, 5.0]
    y[0] = -1.0
    assert x[1, 0].item() == 3.0


def test_repeated_indices_accumulate_in_backward():
    x = _leaf(3)
    x[[0, 0, 1]].sum().backward()
    assert x.grad.tolist() == [2.0, 1.0, 0.0]
    x.grad = None
    x[gradgpu.tensor([[2, 2], [2, 0]])].sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0]


def test_ints_apply_before_advanced_indices_like_pytorch():
    x = gradgpu.arange(12.0).reshape(2, 3, 2)
    assert x[0, :, [1, 0]].shape == (3, 2)
    assert x[[0, 1], :, [1, 0]].shape == (2, 3)  # separated arrays: their dim goes first
    assert x[:, [0, 2], 1].tolist() == [[1.0, 5.0], [7.0, 11.0]]


def test_bool_masks_and_python_bools():
    x = gradgpu.arange(6.0).reshape(2, 3)
    assert x[x > 2].tolist() == [3.0, 4.0, 5.0]
    assert x[np.array([False, True])].tolist() == [[3.0, 4.0, 5.0]]
    assert x[True].shape == (1, 2, 3)
    assert x[False].shape == (0, 2, 3)
    assert x[:, gradgpu.tensor([True, False, True])].tolist() == [[0.0, 2.0], [3.0, 5.0]]


def test_iteration_unbinds_views():
    x = gradgpu.arange(6.0).reshape(3, 2)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    rows[1][0] = 9.0
    assert x[1, 0].item() == 9.0


@pytest.mark.parametrize("key,match", [
    (5, r"index 5 is out of bounds for dimension 0 with size 3"),
    ((0, -5), r"index -5 is out of bounds for dimension 1 with size 4"),
    ((slice(None), [0, 4]), r"index 4 is out of bounds for dimension 1 with size 4"),
    (gradgpu.tensor([[0], [-4]]), r"index -4 is out of bounds for dimension 0 with size 3"),
    ((0, 1, 2), r"too many indices for tensor of dimension 2"),
    ((..., 0, ...), r"single ellipsis"),
    (gradgpu.tensor([True, False]), r"shape of the mask \[2\] at index 0 does not match the "
                                    r"shape of the indexed tensor \[3, 4\] at index 0"),
    (gradgpu.tensor([1.0]), r"tensors used as indices must be long, int, byte or bool tensors"),
    ("a", r"only integers, slices"),
])
def test_getitem_errors(key, match):
    x = gradgpu.zeros(3, 4)
    with pytest.raises(IndexError, match=match):
        x[key]


def test_negative_slice_step_is_rejected_like_pytorch():
    with pytest.raises(ValueError, match="step must be greater than zero"):
        gradgpu.zeros(3)[::-1]


def test_bad_index_does_not_touch_the_tensor():
    x = gradgpu.zeros(3)
    with pytest.raises(IndexError, match="index 3 is out of bounds"):
        x[[0, 3]] = 1.0
    assert x.tolist() == [0.0, 0.0, 0.0] and x._version == 0


def test_uint8_index_is_a_mask_with_a_warning():
    x = gradgpu.arange(3.0)
    with pytest.warns(UserWarning, match="uint8 is deprecated"):
        y = x[gradgpu.tensor([1, 0, 1], dtype=gradgpu.uint8)]
    assert y.tolist() == [0.0, 2.0]


# ---- setitem ----------------------------------------------------------------------------------
def test_setitem_without_grad_writes_in_place_and_bumps_version():
    x = gradgpu.zeros(2, 3)
    x[0] = gradgpu.tensor([1.0, 2.0, 3.0])
    x[1, [0, 2]] = 5
    assert x.tolist() == [[1.0, 2.0, 3.0], [5.0, 0.0, 5.0]]
    assert x._version == 2
    x[x > 2] = 0.0
    assert x.tolist() == [[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]]


def test_setitem_casts_value_to_the_tensor_dtype():
    x = gradgpu.zeros(3, dtype=gradgpu.int64)
    x[1] = 2.7
    x[2] = gradgpu.tensor(4.5)
    assert x.dtype is gradgpu.int64 and x.tolist() == [0, 2, 4]


def test_setitem_on_leaf_requiring_grad_raises_outside_no_grad():
    x = _leaf(3)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 1.0
    with gradgpu.no_grad():
        x[0] = 1.0
    assert x[0].item() == 1.0


def test_setitem_gradients_zero_old_values_and_route_to_value():
    x = _leaf(4)
    v = gradgpu.tensor([10.0, 20.0], dtype=gradgpu.float64, requires_grad=True)
    y = x * 1.0
    y[[1, 3]] = v
    assert y.grad_fn is not None
    assert y.tolist() == [0.0, 10.0, 2.0, 20.0]
    (y * gradgpu.tensor([1.0, 2.0, 3.0, 4.0], dtype=gradgpu.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0, 0.0]
    assert v.grad.tolist() == [2.0, 4.0]


def test_setitem_broadcast_value_gets_summed_gradient():
    y = gradgpu.zeros(2, 3, dtype=gradgpu.float64)
    v = gradgpu.tensor(1.5, dtype=gradgpu.float64, requires_grad=True)
    y[:, 1:] = v  # y did not require grad: the write makes it part of the graph
    assert y.requires_grad
    y.sum().backward()
    assert v.grad.item() == 4.0


def test_setitem_through_bool_mask_with_grad():
    x = _leaf(2, 2)
    y = x - 1.5
    y[y > 0] = 0.0
    y.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_setitem_invalidates_tensors_saved_for_backward():
    x = _leaf(3)
    a = x * 1.0
    b = a * a  # saves a
    a[0] = 5.0
    assert a._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_setitem_shape_mismatch_names_both_shapes():
    x = gradgpu.zeros(3)
    with pytest.raises(RuntimeError, match=r"value tensor of shape \[3\] cannot be broadcast to "
                                           r"indexing result of shape \[2\]"):
        x[[0, 1]] = gradgpu.ones(3)
    x[0:2] = gradgpu.ones(1, 2)  # extra leading 1s are allowed
    assert x.tolist() == [1.0, 1.0, 0.0]


# ---- gather / scatter / index_select / masks --------------------------------------------------
def test_gather_and_scatter_add_round_trip():
    x = gradgpu.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    idx = gradgpu.tensor([[0, 0], [1, 0]])
    y = gradgpu.gather(x, 1, idx)
    assert y.tolist() == [[1.0, 1.0], [4.0, 3.0]]
    y.sum().backward()
    assert x.grad.tolist() == [[2.0, 0.0], [1.0, 1.0]]
    s = gradgpu.zeros(2, 2).scatter_add(0, gradgpu.tensor([[1, 1]]), gradgpu.ones(1, 2))
    assert s.tolist() == [[0.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize("call,exc,match", [
    (lambda x: x.gather(1, gradgpu.tensor([[0.0]])), RuntimeError,
     r"gather\(\): Expected dtype int32/int64 for index"),
    (lambda x: x.gather(1, gradgpu.tensor([0])), RuntimeError,
     r"same number of dimensions as input tensor \(got 1 and 2\)"),
    (lambda x: x.gather(1, gradgpu.tensor([[0, 3]])), RuntimeError,
     r"index 3 is out of bounds for dimension 1 with size 3"),
    (lambda x: x.gather(0, gradgpu.tensor([[0, 0, 0, 0]])), RuntimeError,
     r"Size does not match at dimension 1"),
    (lambda x: x.gather(2, gradgpu.tensor([[0]])), IndexError, r"Dimension out of range"),
    (lambda x: x.scatter(1, gradgpu.tensor([[0]]), gradgpu.ones(1, 1, dtype=gradgpu.float64)),
     RuntimeError, r"Expected self.dtype to be equal to src.dtype"),
    (lambda x: x.index_select(1, gradgpu.tensor([[0]])), IndexError,
     r"Index is supposed to be a vector"),
    (lambda x: x.index_select(0, gradgpu.tensor([0, 2])), IndexError,
     r"index_select\(\): index 2 is out of range for dimension 0 with size 2"),
    (lambda x: x.masked_fill(gradgpu.ones(2, 3), 1.0), RuntimeError,
     r"only supports boolean masks, but got mask with dtype"),
    (lambda x: x.masked_fill(gradgpu.ones(3) > 0, gradgpu.ones(2)), RuntimeError,
     r"0-dimensional value tensor, but got tensor with 1 dimension"),
])
def test_gather_scatter_mask_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call(gradgpu.zeros(2, 3))


def test_masked_fill_value_tensor_gets_gradient():
    x = _leaf(2, 2)
    v = gradgpu.tensor(3.0, dtype=gradgpu.float64, requires_grad=True)
    y = x.masked_fill(gradgpu.tensor([True, False]), v)
    assert y.tolist() == [[3.0, 1.0], [3.0, 3.0]]
    y.sum().backward()
    assert v.grad.item() == 2.0 and x.grad.tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert gradgpu.zeros(2, dtype=gradgpu.int64).masked_fill(
        gradgpu.tensor([True, False]), 1.9).tolist() == [1, 0]


def test_nonzero_where_one_hot():
    x = gradgpu.tensor([[0, 2], [3, 0]])
    assert x.nonzero().tolist() == [[0, 1], [1, 0]]
    assert x.nonzero().dtype is gradgpu.int64
    rows, cols = gradgpu.where(x > 0)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert gradgpu.nonzero(gradgpu.tensor(5), as_tuple=True)[0].tolist() == [0]
    assert gradgpu.nonzero(gradgpu.tensor(5)).shape == (1, 0)
    oh = gradgpu.one_hot(gradgpu.tensor([2, 0]))
    assert oh.dtype is gradgpu.int64 and oh.tolist() == [[0, 0, 1], [1, 0, 0]]
    assert gradgpu.one_hot(gradgpu.tensor([[1]]), 3).shape == (1, 1, 3)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        gradgpu.one_hot(gradgpu.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="LongTensor"):
        gradgpu.one_hot(gradgpu.tensor([1], dtype=gradgpu.int32))
    with pytest.raises(RuntimeError, match="non-negative"):
        gradgpu.one_hot(gradgpu.tensor([-1]))


def test_double_backward_through_advanced_index():
    x = _leaf(3)
    y = (x[[0, 0, 2]] ** 2).sum()
    (g,) = gradgpu.autograd.grad(y, [x], create_graph=True)
    assert g.tolist() == [0.0, 0.0, 4.0]  # x[0] = 0
    (gg,) = gradgpu.autograd.grad(g.sum(), [x])
    assert gg.tolist() == [4.0, 0.0, 2.0]


def test_in_place_variants_write_bump_version_and_keep_grad():
    x = gradgpu.zeros(2, 3)
    assert x.masked_fill_(gradgpu.tensor([True, False, True]), 2.0) is x
    assert x.tolist() == [[2.0, 0.0, 2.0], [2.0, 0.0, 2.0]] and x._version == 1
    x.index_add_(0, gradgpu.tensor([1, 1]), gradgpu.ones(2, 3))
    x.scatter_(1, gradgpu.tensor([[1], [1]]), 5.0)
    assert x.tolist() == [[2.0, 5.0, 2.0], [4.0, 5.0, 4.0]] and x._version == 3
    leaf = gradgpu.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.masked_fill_(gradgpu.tensor([True, False]), 0.0)
    y = leaf * 3.0
    y.masked_fill_(gradgpu.tensor([True, False]), 0.0)
    y.sum().backward()
    assert leaf.grad.tolist() == [0.0, 3.0]


def test_take_along_dim_counts_negative_indices_from_the_end():
    x = gradgpu.arange(8.0).reshape(2, 4).requires_grad_()
    out = gradgpu.take_along_dim(x, gradgpu.tensor([[-1], [0]]), 1)
    assert out.tolist() == [[3.0], [4.0]]
    out.sum().backward()
    assert x.grad.tolist() == [[0, 0, 0, 1], [1, 0, 0, 0]]
    assert gradgpu.take_along_dim(x.detach(), gradgpu.tensor([-8, 7])).tolist() == [0.0, 7.0]
    with pytest.raises(RuntimeError, match="int32/int64|long"):
        gradgpu.take_along_dim(x, gradgpu.tensor([[0]], dtype=gradgpu.int32), 1)


@pytest.mark.parametrize("key", [lambda: gradgpu.tensor([0]),
                                 lambda: gradgpu.tensor([True, False])])
def test_advanced_index_put_requires_matching_dtypes(key):
    x = gradgpu.zeros(2, dtype=gradgpu.float64)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination"):
        x[key()] = gradgpu.tensor([1.5], dtype=gradgpu.float32)
    x[key()] = gradgpu.tensor([1.5], dtype=gradgpu.float64)
    x[0] = gradgpu.tensor(2.5, dtype=gradgpu.float32)  # a basic key copies with a cast
    x[key()] = 3  # numbers are cast
    assert x.tolist() == [3.0, 0.0]


@pytest.mark.parametrize("dtype", [gradgpu.int8, gradgpu.int16])
def test_index_tensors_must_be_long_int_byte_or_bool(dtype):
    x = gradgpu.arange(4.0)
    with pytest.raises(IndexError, match="must be long, int, byte or bool"):
        x[gradgpu.tensor([1], dtype=dtype)]
    assert x[gradgpu.tensor([1], dtype=gradgpu.int32)].tolist() == [1.0]
