"""Shape/joining semantics beyond the registry: views share memory and the version counter,
cat's dtype promotion and legacy empty skipping, split sizes, and the error contracts."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu


@pytest.mark.parametrize("make_view", [
    lambda x: x.narrow(1, 1, 2),
    lambda x: x.select(0, 1),
    lambda x: x.split(2, dim=1)[1],
    lambda x: x.chunk(2, dim=0)[1],
    lambda x: x.unbind(1)[2],
    lambda x: x.diagonal(),
])
def test_slices_are_views_sharing_memory_and_version(make_view):
    x = gradgpu.zeros(2, 3)
    v = make_view(x)
    v.fill_(7.0)
    assert (x == 7.0).sum().item() == v.numel()  # the write went through to x
    assert x._version == v._version == 1
    x.zero_()
    assert v.sum().item() == 0.0 and v._version == 2


def test_view_write_invalidates_saved_base():
    x = gradgpu.ones(2, 3, requires_grad=True)
    with gradgpu.no_grad():
        base = x * 1.0
    base.requires_grad_()
    y = base * base
    with gradgpu.no_grad():
        base.select(0, 0).fill_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("used", [(0, 1, 2), (0, 2), (1,)])
def test_split_is_one_node_whose_gradient_fills_unused_pieces_with_zeros(used):
    x = gradgpu.arange(24.0, dtype=gradgpu.float64).reshape(2, 12).requires_grad_()
    pieces = x.split([3, 5, 4], dim=1)
    assert len({id(p.grad_fn) for p in pieces}) == 1
    loss = sum((pieces[i] * (i + 1)).sum() for i in used)
    loss.backward()
    want = np.zeros((2, 12))
    for i, (lo, hi) in enumerate([(0, 3), (3, 8), (8, 12)]):
        if i in used:
            want[:, lo:hi] = i + 1
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_split_gradient_is_differentiable():
    """Under create_graph the pieces' gradients are joined by cat (zeros for unused pieces), so
    a second derivative flows through them."""
    x = gradgpu.tensor([0.5, -1.0, 2.0, 3.0], dtype=gradgpu.float64, requires_grad=True)
    a, _, c = x.split([1, 2, 1])
    (g,) = gradgpu.autograd.grad((a ** 3).sum() + (c ** 2).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [3 * 0.25, 0.0, 0.0, 6.0])
    (h,) = gradgpu.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6 * 0.5, 0.0, 0.0, 2.0])
    assert gradgpu.autograd.gradcheck(lambda t: [p * p for p in t.split(3)],
                                      (gradgpu.randn(7, dtype=gradgpu.float64,
                                                     requires_grad=True),))
    assert gradgpu.autograd.gradgradcheck(lambda t: t.chunk(2, dim=1)[1].sin(),
                                          (gradgpu.randn(3, 4, dtype=gradgpu.float64,
                                                         requires_grad=True),))


def test_flip_copies():
    x = gradgpu.arange(3.0)
    f = x.flip(0)
    f[0] = 10.0
    assert x.tolist() == [0.0, 1.0, 2.0]


def test_cat_promotes_dtypes_and_skips_legacy_empty():
    a = gradgpu.tensor([1, 2])
    b = gradgpu.tensor([0.5], dtype=gradgpu.float16)
    out = gradgpu.cat([a, b])
    assert out.dtype is gradgpu.float16 and out.tolist() == [1.0, 2.0, 0.5]
    assert gradgpu.cat([gradgpu.ones(2, 2), gradgpu.zeros(0)]).shape == (2, 2)
    assert gradgpu.cat([gradgpu.tensor([True]), gradgpu.tensor([2])]).dtype is gradgpu.int64
    assert gradgpu.concat is gradgpu.cat and gradgpu.concatenate is gradgpu.cat


def test_cat_gradient_splits_and_casts_back():
    a = gradgpu.ones(2, dtype=gradgpu.float32, requires_grad=True)
    b = gradgpu.ones(1, dtype=gradgpu.float64, requires_grad=True)
    e = gradgpu.zeros(0, requires_grad=True)
    out = gradgpu.cat([a, e, b])
    assert out.dtype is gradgpu.float64
    (out * gradgpu.tensor([1.0, 2.0, 3.0], dtype=gradgpu.float64)).sum().backward()
    assert a.grad.dtype is gradgpu.float32 and a.grad.tolist() == [1.0, 2.0]
    assert b.grad.tolist() == [3.0] and e.grad.shape == (0,)


def test_split_and_chunk_sizes():
    x = gradgpu.arange(7.0)
    assert [t.numel() for t in x.split(3)] == [3, 3, 1]
    assert [t.numel() for t in x.split([2, 0, 5])] == [2, 0, 5]
    assert [t.numel() for t in x.chunk(3)] == [3, 3, 1]
    assert [t.numel() for t in gradgpu.arange(5.0).chunk(4)] == [2, 2, 1]
    assert [t.shape for t in gradgpu.zeros(0).chunk(2)] == [(0,), (0,)]
    assert [t.shape for t in gradgpu.zeros(2, 0).split(3, dim=1)] == [(2, 0)]


def test_repeat_tile_repeat_interleave_values():
    x = gradgpu.tensor([[1, 2]])
    assert x.repeat(2, 2).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert x.repeat(2, 1, 1).shape == (2, 1, 2)
    assert gradgpu.tile(gradgpu.tensor([1, 2]), (2, 1)).tolist() == [[1, 2], [1, 2]]
    assert x.repeat_interleave(2).tolist() == [1, 1, 2, 2]
    assert gradgpu.repeat_interleave(gradgpu.tensor([2, 0, 1])).tolist() == [0, 0, 2]
    y = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    y.repeat_interleave(gradgpu.tensor([3, 1])).sum().backward()
    assert y.grad.tolist() == [3.0, 1.0]


def test_tril_triu_diag_values():
    x = gradgpu.arange(1.0, 10.0).reshape(3, 3)
    assert gradgpu.tril(x, -1).tolist() == [[0, 0, 0], [4, 0, 0], [7, 8, 0]]
    assert x.triu(1).tolist() == [[0, 2, 3], [0, 0, 6], [0, 0, 0]]
    assert gradgpu.diag(x, -1).tolist() == [4.0, 8.0]
    assert gradgpu.diag(gradgpu.tensor([1.0, 2.0])).tolist() == [[1, 0], [0, 2]]
    assert gradgpu.roll(gradgpu.arange(4), 1).tolist() == [3, 0, 1, 2]


@pytest.mark.parametrize("call,exc,match", [
    (lambda: gradgpu.cat([gradgpu.zeros(2, 3), gradgpu.zeros(3, 4)]), RuntimeError,
     r"Expected size 3 but got size 4 for tensor number 1 in the list "
     r"\(shapes \[2, 3\] and \[3, 4\]\)"),
    (lambda: gradgpu.cat([gradgpu.zeros(2, 3), gradgpu.zeros(2)]), RuntimeError,
     r"same number of dimensions: got 2 and 1"),
    (lambda: gradgpu.cat([gradgpu.zeros(2), gradgpu.zeros(2)], 1), IndexError,
     r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"),
    (lambda: gradgpu.cat([gradgpu.tensor(1.0)]), RuntimeError,
     r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
    (lambda: gradgpu.cat([]), ValueError, r"expected a non-empty list of Tensors"),
    (lambda: gradgpu.cat(gradgpu.zeros(2)), TypeError, r"must be tuple of Tensors, not Tensor"),
    (lambda: gradgpu.stack([gradgpu.zeros(2, 3), gradgpu.zeros(3, 3)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[3, 3\] "
     r"at entry 1"),
    (lambda: gradgpu.stack([gradgpu.zeros(2)], 3), IndexError, r"Dimension out of range"),
    (lambda: gradgpu.zeros(5).split([2, 2]), RuntimeError,
     r"split_sizes to sum exactly to 5"),
    (lambda: gradgpu.zeros(5).split(0), RuntimeError, r"split_size can only be 0"),
    (lambda: gradgpu.zeros(5).chunk(0), RuntimeError, r"greater than 0, got: 0"),
    (lambda: gradgpu.zeros(2, 3).narrow(1, 2, 2), RuntimeError,
     r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    (lambda: gradgpu.zeros(2, 3).narrow(1, 5, 0), IndexError, r"start out of range"),
    (lambda: gradgpu.zeros(2, 3).select(1, 3), IndexError,
     r"select\(\): index 3 out of range for tensor of size \[2, 3\] at dimension 1"),
    (lambda: gradgpu.zeros(2, 3).unbind(2), IndexError, r"Dimension out of range"),
    (lambda: gradgpu.zeros(2, 3).repeat(2), RuntimeError,
     r"can not be smaller than number of dimensions of tensor"),
    (lambda: gradgpu.zeros(3).tril(), RuntimeError, r"at least 2 dimensions"),
    (lambda: gradgpu.zeros(2, 2).diagonal(0, 1, -1), RuntimeError, r"cannot be identical"),
    (lambda: gradgpu.zeros(2, 2).flip((0, 0)), RuntimeError, r"multiple times"),
    (lambda: gradgpu.zeros(2).repeat_interleave(gradgpu.tensor([1, 2, 3])), RuntimeError,
     r"repeats must have the same size as input along dim"),
])
def test_shape_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("call", [lambda a: a.reshape(2.5, 2), lambda a: a.view(2.0, 3),
                                  lambda a: a.view(6.0), lambda a: a.expand(6.0),
                                  lambda a: a.repeat(2.0), lambda a: a.reshape(2, "x")])
def test_sizes_must_be_ints_not_truncated_floats(call):
    with pytest.raises(TypeError, match=r"\(\): argument '(size|repeats)' must be a tuple of "
                                        r"ints, but found element of type (float|str) at pos [01]"):
        call(gradgpu.ones(6))


def test_sizes_accept_numpy_ints_and_0_d_integer_tensors():
    a = gradgpu.ones(6)
    assert a.view(np.int64(2), 3).shape == (2, 3)
    assert a.reshape(gradgpu.tensor(3), 2).shape == (3, 2)


def test_clamp_names_itself_for_bounds_it_cannot_use():
    with pytest.raises(RuntimeError, match=r"clamp: The size of tensor a \(3\) must match the "
                                           r"size of tensor b \(2\)"):
        gradgpu.clamp(gradgpu.ones(3), gradgpu.ones(2))
    with pytest.raises(TypeError, match=r"clamp\(\): argument 'max' must be a number or a "
                                        r"Tensor, not str"):
        gradgpu.clamp(gradgpu.ones(3), max="x")
    assert gradgpu.ones(2, 3).clamp(min=gradgpu.zeros(3)).shape == (2, 3)


def test_where_takes_two_numbers_typed_as_pytorch_types_them():
    c = gradgpu.tensor([True, False])
    assert gradgpu.where(c, 1.0, 0.0).dtype == gradgpu.float32
    assert gradgpu.where(c, 1, 0).dtype == gradgpu.int64
    assert gradgpu.where(c, 1, 0.5).tolist() == [1.0, 0.5]
    with pytest.raises(TypeError, match=r"where\(\): expected a Tensor or a number"):
        gradgpu.where(c, "a", 0)


def test_index_add_refuses_an_alpha_that_is_not_a_number():
    with pytest.raises(TypeError, match=r"index_add\(\): alpha must be a number, not str"):
        gradgpu.zeros(3).index_add(0, gradgpu.tensor([0]), gradgpu.ones(1), alpha="x")


def _leaf():
    return gradgpu.ones(3, dtype=gradgpu.float64, requires_grad=True)


@pytest.mark.parametrize("make_view", [
    lambda y: y[:2], lambda y: y.view(3, 1), lambda y: y.split(2)[0], lambda y: y.unsqueeze(0)[0],
])
def test_a_view_whose_base_was_modified_in_place_continues_the_new_history(make_view):
    """Its values follow the base, and so does its history (PyTorch regenerates it): x.grad
    counts the write, [2, 2, 0] for the first two elements, not the stale [1, 1, 0]."""
    x = _leaf()
    y = x * 1
    v = make_view(y)
    y.mul_(2)
    assert type(v.grad_fn).__name__ == "AsStridedBackward"
    v.sum().backward()
    assert x.grad.tolist()[:2] == [2.0, 2.0] and x.grad.tolist()[2] in (0.0, 2.0)


def test_a_view_of_a_base_that_gained_history_in_place_gains_it_too():
    x = _leaf()
    b = gradgpu.zeros(3, dtype=gradgpu.float64)
    v = b[:2]
    assert not v.requires_grad
    b.add_(x)
    (v * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 0.0]


def test_a_stale_view_made_by_a_hook_function_is_refused():
    m = gradgpu.nn.Identity()
    m.register_full_backward_hook(lambda mod, gi, go: None)
    y = gradgpu.ones(3, requires_grad=True) * 1
    out = m(y)  # a view of y made by the hook function
    y.mul_(2)
    with pytest.raises(RuntimeError, match="made by a module's backward hooks whose base was "
                                           "modified in place"):
        out * 2


def test_views_of_a_leaf_updated_under_no_grad_stay_usable():
    """An optimizer step writes parameters in place without changing their history."""
    w = gradgpu.ones(3, requires_grad=True)
    wt = w.view(3, 1)
    with gradgpu.no_grad():
        w.mul_(2)
    (wt * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0, 3.0] and wt.tolist() == [[2.0], [2.0], [2.0]]


def test_a_reshape_that_copies_is_not_a_view():
    x = gradgpu.arange(6.0).reshape(2, 3).requires_grad_()
    r = (x * 1).t().reshape(-1)
    assert r._base is None
    r.mul_(2)  # a fresh tensor: in place is fine
    a = gradgpu.arange(6.0).reshape(2, 3).t()
    w = gradgpu.ones(3, 2, requires_grad=True)
    z = (w * a).sum()
    a.reshape(-1).add_(1)  # writes a copy: a (saved by the product) is unchanged
    z.backward()
    assert a._version == 0 and w.grad.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


@pytest.mark.parametrize("use", [
    lambda x, i: x[i], lambda x, i: x.index_select(0, i), lambda x, i: x.gather(0, i),
])
def test_an_index_tensor_modified_after_indexing_is_detected(use):
    x = _leaf()
    i = gradgpu.tensor([0])
    y = use(x, i)
    i[0] = 2
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_a_mask_modified_after_a_select_is_detected():
    x = _leaf()
    m = gradgpu.tensor([True, False, False])
    y = x.masked_fill(m, 0.0)
    m[1] = True
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_squeeze_dims_are_checked_like_pytorch():
    with pytest.raises(RuntimeError, match="appears multiple times"):
        gradgpu.ones(1, 2, 1, 3).squeeze((0, 0))
    with pytest.raises(IndexError, match="out of range"):
        gradgpu.tensor(3.0).squeeze(1)
    assert gradgpu.tensor(3.0).squeeze(-1).shape == ()
    assert gradgpu.ones(1, 2, 1).squeeze((0, -1)).shape == (2,)


def test_broadcast_tensors_error_and_split_size_keyword():
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        gradgpu.broadcast_tensors(gradgpu.ones(2), gradgpu.ones(3))
    assert [t.numel() for t in gradgpu.arange(7.0).split(split_size=4)] == [4, 3]
    with pytest.raises(TypeError, match="exactly one"):
        gradgpu.arange(7.0).split(2, split_size=4)


def test_meshgrid_checks_like_pytorch():
    a, b = gradgpu.arange(3.0), gradgpu.arange(2)
    with pytest.raises(RuntimeError, match="same dtype"):
        gradgpu.meshgrid(a, b, indexing="ij")
    with pytest.raises(RuntimeError, match="non-empty"):
        gradgpu.meshgrid()
    with pytest.raises(RuntimeError, match="indexing must be one of"):
        gradgpu.meshgrid(a, a, indexing="yx")
    x, y = gradgpu.meshgrid(a, a[:2], indexing="xy")
    assert x.shape == y.shape == (2, 3)


def test_stacked_products_with_no_columns():
    """reshape(-1, 0) cannot infer the rows: folded products name them."""
    x = gradgpu.ones(2, 2, 0, requires_grad=True)
    w = gradgpu.ones(4, 0, requires_grad=True)
    y = gradgpu.nn.functional.linear(x, w)
    y.sum().backward()
    assert y.tolist() == [[[0.0] * 4] * 2] * 2 and x.grad.shape == (2, 2, 0)
    a = gradgpu.ones(3, 2, 0, requires_grad=True)
    b = gradgpu.ones(0, 5, requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.shape == (3, 2, 0) and b.grad.shape == (0, 5)


def test_ravel_moveaxis_broadcast_shapes_and_cat_axis():
    x = gradgpu.arange(6.0).reshape(2, 3).requires_grad_()
    assert x.t().ravel().tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert gradgpu.moveaxis(x, 0, 1).shape == x.moveaxis(0, 1).shape == (3, 2)
    assert gradgpu.broadcast_shapes((2, 1), (3,), 1) == gradgpu.Size([2, 3])
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        gradgpu.broadcast_shapes((2,), (3,))
    y = gradgpu.cat([x, x], axis=1)
    assert y.shape == (2, 6) and gradgpu.concatenate([x, x], axis=0).shape == (4, 3)
    y.sum().backward()
    assert x.grad.tolist() == [[2.0] * 3] * 2


def test_views_survive_in_place_ops_that_only_change_metadata():
    """unsqueeze_ gives the base a new grad_fn but writes nothing: earlier views stay valid."""
    x = gradgpu.ones(3, dtype=gradgpu.float64, requires_grad=True)
    y = x * 2
    v = y[:2]
    y.unsqueeze_(0)
    (v * 3).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0, 0.0]


def test_flatten_of_an_empty_tensor_keeps_the_merged_size():
    # -1 is ambiguous when another dim is 0: the merged size is the product (PyTorch 2.13)
    assert tuple(gradgpu.zeros(0, 4, 2).flatten(-2).shape) == (0, 8)
    assert tuple(gradgpu.zeros(3, 0, 2).flatten(1).shape) == (3, 0)
    assert tuple(gradgpu.zeros(0, 4, 2).flatten().shape) == (0,)
