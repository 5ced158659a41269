"""Semantics beyond the op registry for kron/tensordot/inner/vdot/chain_matmul, block_diag,
cartesian_prod, combinations, atleast_nd, diagflat, vander, unravel_index, the *_scatter ops,
as_strided/empty_strided and resolve_conj/resolve_neg: dtypes, identity/view results, gradients and
error contracts (expected values copied from PyTorch 2.13 runs)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu


def _t(data, device, **kw):
    return gradgpu.tensor(data, device=device, **kw)


def _np(t):
    return t.detach().cpu().numpy()


# ---- products ---------------------------------------------------------------------------------
def test_kron_values_dtype_and_gradient(device):
    a = _t([[1.0, 2.0], [3.0, 4.0]], device, requires_grad=True)
    b = _t([0.5, -1.0], device, requires_grad=True)
    k = gradgpu.kron(a, b)
    np.testing.assert_array_equal(_np(k), [[0.5, -1, 1, -2], [1.5, -3, 2, -4]])
    k.backward(gradgpu.arange(8.0, device=device).view(2, 4))
    np.testing.assert_array_equal(_np(a.grad), [[-1, -2], [-3, -4]])
    np.testing.assert_array_equal(_np(b.grad), [40, 50])
    mixed = _t([1, 2], device).kron(_t([1.0, 2.0], device))  # dtypes promoted, as PyTorch
    assert mixed.dtype == gradgpu.float32
    assert gradgpu.kron(_t([True], device), _t([True, False], device)).dtype == gradgpu.bool


def test_tensordot_dims_forms_agree(device):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4, 5))
    ta, tb = _t(a, device), _t(b, device)
    want = np.tensordot(a, b, 2)
    for dims in (2, ([1, 2], [0, 1]), [[-2, -1], [0, 1]], _t([[1, 2], [0, 1]], device)):
        np.testing.assert_allclose(_np(gradgpu.tensordot(ta, tb, dims)), want, atol=1e-12)
    assert gradgpu.tensordot(_t([1, 2], device), _t([3, 4], device), 1).item() == 11


@pytest.mark.parametrize("a_shape,b_shape,dims,err,match", [
    ((2, 3), (3, 4), -1, RuntimeError, r"tensordot expects dims >= 0, but got dims=-1"),
    ((2, 3), (3, 4), 3, RuntimeError, r"tensordot expects dims < ndim_a or ndim_b"),
    ((2, 3), (3, 4), ([1], [0, 1]), RuntimeError, "both dimension lists should have same len"),
    ((2, 3), (3, 4), ([1, 1], [0, 0]), RuntimeError, "dim 1 appears multiple times"),
    ((2, 3), (4, 4), 1, RuntimeError, r"first has size 3 in dim -1 and second has size 4 in "
                                      r"dim 0"),
    ((2, 3), (3, 4), (1, 0), TypeError, "argument 'dims_self' must be tuple of ints"),
])
def test_tensordot_errors(device, a_shape, b_shape, dims, err, match):
    with pytest.raises(err, match=match):
        gradgpu.tensordot(gradgpu.ones(*a_shape, device=device),
                          gradgpu.ones(*b_shape, device=device), dims)


def test_tensordot_refuses_mixed_dtypes(device):
    with pytest.raises(RuntimeError, match="both inputs should have same dtype"):
        gradgpu.tensordot(gradgpu.ones(2, 3, device=device),
                          gradgpu.ones(3, dtype=gradgpu.float64, device=device), 1)


def test_inner_and_vdot(device):
    a = gradgpu.arange(6.0, device=device).view(2, 3)
    np.testing.assert_array_equal(_np(a.inner(a)), [[5, 14], [14, 50]])
    scaled = gradgpu.inner(_t(2, device), a)  # a 0-d operand multiplies (and promotes)
    assert scaled.dtype == gradgpu.float32 and scaled.shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"inner\(\) the last dimension must match on both "
                                           r"input tensors but got shapes \[2, 3\] and \[5, 4\]"):
        gradgpu.inner(a, gradgpu.ones(5, 4, device=device))
    assert gradgpu.vdot(_t([1, 2, 3], device), _t([4, 5, 6], device)).item() == 32
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        gradgpu.vdot(gradgpu.ones(3, 1, device=device), gradgpu.ones(3, device=device))
    with pytest.raises(RuntimeError, match="same dtype, but found Float and Double"):
        gradgpu.vdot(gradgpu.ones(3, device=device),
                     gradgpu.ones(3, dtype=gradgpu.float64, device=device))
    with pytest.raises(RuntimeError, match=r"expected tensor \[3\] and src \[4\] to have the "
                                           "same number of elements"):
        gradgpu.vdot(gradgpu.ones(3, device=device), gradgpu.ones(4, device=device))


def test_chain_matmul_warns_and_checks(device):
    a, b = gradgpu.ones(2, 3, device=device), gradgpu.ones(3, 4, device=device)
    with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated"):
        out = gradgpu.chain_matmul(a, b)
    np.testing.assert_array_equal(_np(out), np.full((2, 4), 3.0))
    with pytest.warns(UserWarning, match="deprecated"):
        single = gradgpu.chain_matmul(a)
    assert single is not a and np.array_equal(_np(single), _np(a))  # a copy, as PyTorch's
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="Expected one or more"):
        gradgpu.chain_matmul()
    with pytest.warns(UserWarning), pytest.raises(RuntimeError,
                                                  match="Tensor dimension is 1, expected 2"):
        gradgpu.chain_matmul(a, gradgpu.ones(3, device=device))


# ---- constructing ------------------------------------------------------------------------------
def test_block_diag_promotes_and_pads(device):
    out = gradgpu.block_diag(_t([[1, 2]], device), _t([3], device, dtype=gradgpu.int8))
    assert out.dtype == gradgpu.int64
    np.testing.assert_array_equal(_np(out), [[1, 2, 0], [0, 0, 3]])
    empty = gradgpu.block_diag()
    assert empty.shape == (1, 0) and empty.dtype == gradgpu.float32
    with pytest.raises(RuntimeError, match="must have 2 or fewer dimensions. Input 0 has 3"):
        gradgpu.block_diag(gradgpu.ones(2, 2, 2, device=device))
    with pytest.raises(TypeError, match="expected Tensor as element 0 in argument 0"):
        gradgpu.block_diag([gradgpu.ones(2, device=device)])


def test_cartesian_prod_and_combinations(device):
    out = gradgpu.cartesian_prod(_t([1, 2], device), _t([3, 4, 5], device))
    np.testing.assert_array_equal(_np(out), [[1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5]])
    x = _t([1.0, 2.0], device)
    assert gradgpu.cartesian_prod(x) is x
    with pytest.raises(RuntimeError, match="same dtype"):
        gradgpu.cartesian_prod(_t([1, 2], device), x)
    with pytest.raises(RuntimeError, match=r"Expect a 1D vector, but got shape \[2, 2\]"):
        gradgpu.cartesian_prod(gradgpu.ones(2, 2, device=device), x)
    with pytest.raises(RuntimeError, match="non-empty TensorList"):
        gradgpu.cartesian_prod()

    v = gradgpu.arange(1.0, 5.0, device=device, requires_grad=True)
    c = gradgpu.combinations(v)
    np.testing.assert_array_equal(_np(c), [[1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4]])
    c.backward(gradgpu.arange(12.0, device=device).view(6, 2))
    np.testing.assert_array_equal(_np(v.grad), [6, 15, 20, 25])
    assert gradgpu.combinations(_t([1, 2, 3], device), 3, True).shape == (10, 3)
    assert gradgpu.combinations(_t([1, 2, 3], device), 0).shape == (0,)
    assert gradgpu.combinations(_t([1, 2, 3], device), 4).shape == (0, 4)
    with pytest.raises(RuntimeError, match="Expect a non-negative number, but got -1"):
        gradgpu.combinations(_t([1, 2, 3], device), -1)



@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations_order_and_table_without_host_tuples(device, with_replacement):
    import itertools
    import tracemalloc

    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    for n in range(7):
        for r in range(1, 8):
            got = gradgpu.combinations(_t(np.arange(n) * 1.0, device), r, with_replacement)
            want = np.array(list(pick(range(n), r)), dtype=float).reshape(-1, r)
            assert tuple(got.shape) == want.shape
            np.testing.assert_array_equal(got.cpu().numpy(), want)
    v = gradgpu.tensor(np.arange(1000.0))
    tracemalloc.start()
    try:
        c = gradgpu.combinations(v, 2, with_replacement)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the values and the index table: about 16 MB; itertools' tuples took 56 MB
    assert peak < 40e6, peak
    assert c[-1].tolist() == ([999.0, 999.0] if with_replacement else [998.0, 999.0])

def test_atleast_nd_returns_and_views(device):
    t0, t1 = _t(1.0, device), gradgpu.ones(3, device=device)
    assert gradgpu.atleast_1d(t1) is t1  # already 1-d: the tensor itself, as PyTorch
    one = gradgpu.atleast_1d(t0)
    assert one.shape == (1,) and one._base is t0
    pair = gradgpu.atleast_3d(t0, t1)
    assert isinstance(pair, tuple) and [p.shape for p in pair] == [(1, 1, 1), (1, 3, 1)]
    assert [p.shape for p in gradgpu.atleast_2d([t0, t1])] == [(1, 1), (1, 3)]
    assert gradgpu.atleast_3d(gradgpu.ones(2, 3, device=device)).shape == (2, 3, 1)
    assert gradgpu.atleast_1d() == ()
    with pytest.raises(TypeError, match="atleast_1d"):
        gradgpu.atleast_1d(3)


def test_diagflat_and_vander(device):
    d = _t([[1, 2], [3, 4]], device).diagflat(1)
    assert d.shape == (5, 5) and d.dtype == gradgpu.int64
    np.testing.assert_array_equal(_np(d).diagonal(1), [1, 2, 3, 4])
    np.testing.assert_array_equal(_np(gradgpu.vander(_t([1, 2, 3], device))),
                                  [[1, 1, 1], [4, 2, 1], [9, 3, 1]])
    assert gradgpu.vander(_t([True, False], device), N=3).dtype == gradgpu.int64
    assert gradgpu.vander(_t([1, 2], device, dtype=gradgpu.int32), N=3).dtype == gradgpu.int64
    assert gradgpu.vander(gradgpu.ones(3, device=device), N=0).shape == (3, 0)
    x = _t([0.0, 2.0, -1.0], device, requires_grad=True)
    gradgpu.vander(x, 4).sum().backward()  # d/dx (x^3 + x^2 + x + 1), finite at x = 0
    np.testing.assert_allclose(_np(x.grad), [1.0, 17.0, 2.0])
    with pytest.raises(RuntimeError, match="x must be a one-dimensional tensor."):
        gradgpu.vander(gradgpu.ones(2, 2, device=device))
    with pytest.raises(RuntimeError, match="N must be non-negative."):
        gradgpu.vander(gradgpu.ones(2, device=device), N=-1)


def test_unravel_index_wraps_like_pytorch(device):
    rows, cols = gradgpu.unravel_index(_t([[5, -1, -9, 8]], device), (2, 4))
    assert rows.dtype == cols.dtype == gradgpu.int64 and rows.shape == (1, 4)
    np.testing.assert_array_equal(_np(rows), [[1, 1, 1, 0]])
    np.testing.assert_array_equal(_np(cols), [[1, 3, 3, 0]])
    (flat,) = gradgpu.unravel_index(_t(5, device, dtype=gradgpu.int32), 6)
    assert flat.item() == 5 and flat.dtype == gradgpu.int64
    assert gradgpu.unravel_index(_t([1], device), ()) == ()
    with pytest.raises(TypeError, match="expected 'indices' to be integer dtype"):
        gradgpu.unravel_index(_t([1.0], device), (2, 4))
    with pytest.raises(ValueError, match=r"'shape' cannot have negative values, but got "
                                         r"\(2, -4\)"):
        gradgpu.unravel_index(_t([1], device), (2, -4))
    with pytest.raises(TypeError, match="expected 'shape' sequence to only contain ints"):
        gradgpu.unravel_index(_t([1], device), (2.0, 3))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        gradgpu.unravel_index(_t([0], device), (2, 0))


# ---- scatters ----------------------------------------------------------------------------------
def test_scatters_gradients_and_casts(device):
    x = gradgpu.zeros(3, 4, device=device, requires_grad=True)
    src = gradgpu.full((3,), 2.0, device=device, requires_grad=True)
    out = gradgpu.diagonal_scatter(x, src, 1)
    out.backward(gradgpu.arange(12.0, device=device).view(3, 4))
    np.testing.assert_array_equal(_np(x.grad), [[0, 0, 2, 3], [4, 5, 0, 7], [8, 9, 10, 0]])
    np.testing.assert_array_equal(_np(src.grad), [1, 6, 11])
    base = gradgpu.zeros(3, 4, device=device)
    cast = base.select_scatter(gradgpu.ones(4, dtype=gradgpu.float64, device=device), 0, -1)
    assert cast.dtype == gradgpu.float32 and _np(cast)[2].tolist() == [1, 1, 1, 1]
    assert _np(base).sum() == 0  # out of place
    sl = base.slice_scatter(gradgpu.ones(3, 2, device=device), 1, start=-2)
    np.testing.assert_array_equal(_np(sl), [[0, 0, 1, 1]] * 3)


@pytest.mark.parametrize("call,err,match", [
    (lambda x: x.select_scatter(gradgpu.ones(3), 0, 1), RuntimeError,
     r"src size = \[3\], slice size = \[4\]"),
    (lambda x: x.select_scatter(gradgpu.ones(4), 0, 3), IndexError, "index 3 out of range"),
    (lambda x: x.slice_scatter(gradgpu.ones(2, 4), step=0), RuntimeError,
     "slice step must be positive"),
    (lambda x: x.slice_scatter(gradgpu.ones(1, 4), start=5), RuntimeError,
     r"slice size = \[0, 4\]"),
    (lambda x: x.diagonal_scatter(gradgpu.ones(2), 0, 0, 0), RuntimeError,
     "diagonal dimensions cannot be identical 0, 0"),
    (lambda x: x.diagonal_scatter(gradgpu.ones(2)), RuntimeError,
     r"src size = \[2\], slice size = \[3\]"),
    (lambda x: x.narrow_copy(1, 1, 5), RuntimeError, r"start \(1\) \+ length \(5\) exceeds"),
    (lambda x: x[0, 0].slice_scatter(x[0, 0]), IndexError, "slice\\(\\) cannot be applied to a "
                                                          "0-dim tensor"),
])
def test_scatter_errors(call, err, match):
    with pytest.raises(err, match=match):
        call(gradgpu.zeros(3, 4))


def test_narrow_copy_is_a_copy(device):
    x = gradgpu.arange(12.0, device=device).view(3, 4)
    c = x.narrow_copy(1, -1, 1)
    c.fill_(-1.0)
    assert c.shape == (3, 1) and c.is_contiguous() and _np(x)[:, -1].tolist() == [3, 7, 11]


# ---- as_strided / empty_strided ----------------------------------------------------------------
def test_as_strided_is_a_view_in_storage_coordinates():
    x = gradgpu.arange(12.0)
    w = x.as_strided((3, 3), (1, 1), 2)
    np.testing.assert_array_equal(_np(w), [[2, 3, 4], [3, 4, 5], [4, 5, 6]])
    assert w.stride() == (1, 1) and w.storage_offset() == 2
    w[0, 0] = 100.0  # writes reach the input's memory
    assert x[2].item() == 100.0
    # offsets count from the start of the storage, not of a sliced or transposed input
    np.testing.assert_array_equal(_np(x[2:].as_strided((2,), (1,))), [100, 3])
    np.testing.assert_array_equal(_np(x[2:].as_strided((2,), (1,), 0)), [0, 1])
    np.testing.assert_array_equal(_np(x.view(3, 4).t().as_strided((2, 2), (1, 1))),
                                  [[0, 1], [1, 100]])


@pytest.mark.parametrize("make,grad_out,want", [
    (lambda a: a.as_strided((3, 2), (1, 1)), np.arange(1.0, 7.0).reshape(3, 2),
     [1, 5, 9, 6, 0, 0]),
    (lambda a: a.expand(2, 6).as_strided((3, 2), (1, 1)), np.arange(1.0, 7.0).reshape(3, 2),
     [1, 5, 9, 6, 0, 0]),  # an overlapping input: divided by its reuse count, then summed
    (lambda a: (a * 1)[1:].as_strided((3, 2), (1, 1), 0), np.arange(1.0, 7.0).reshape(3, 2),
     [0, 5, 9, 6, 0, 0]),  # storage position 0 is outside the input: its gradient is dropped
    (lambda a: (a * 1).view(2, 3).t().as_strided((2, 2), (3, 1), 1),
     np.array([[1.0, 2.0], [3.0, 4.0]]), [0, 1, 2, 0, 3, 4]),
])
def test_as_strided_gradients_match_pytorch(device, make, grad_out, want):
    a = gradgpu.arange(6.0, device=device, requires_grad=True)
    make(a).backward(_t(grad_out, device, dtype=gradgpu.float32))
    np.testing.assert_array_equal(_np(a.grad), want)


def test_as_strided_double_backward(device):
    x = gradgpu.arange(6.0, device=device, requires_grad=True)
    y = (x.as_strided((3, 2), (1, 1)) ** 2).sum()
    (g,) = gradgpu.autograd.grad(y, x, create_graph=True)
    np.testing.assert_array_equal(_np(g), [0, 4, 8, 6, 0, 0])
    g.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [2, 4, 4, 2, 0, 0])


@pytest.mark.parametrize("size,stride,offset,match", [
    ((3, 5), (4, 1), None, "requiring a storage size of 52 are out of bounds for storage of "
                           "size 48"),
    ((3, 5), (-4, 1), None, "Negative strides are not supported"),
    ((3, 5), (4,), None, "mismatch in length of strides and shape"),
    ((2,), (1,), -1, "invalid storage offset -1"),
])
def test_as_strided_errors(size, stride, offset, match):
    with pytest.raises(RuntimeError, match=match):
        gradgpu.arange(12.0).as_strided(size, stride, offset)
    assert gradgpu.arange(12.0).as_strided((0,), (1,), 30).shape == (0,)  # reads nothing


def test_empty_strided(device):
    t = gradgpu.empty_strided((2, 3), (1, 2), dtype=gradgpu.float64, device=device,
                              requires_grad=True)
    assert t.shape == (2, 3) and t.stride() == (1, 2) and t.dtype == gradgpu.float64
    assert t.requires_grad and t.is_leaf
    assert gradgpu.empty_strided((4, 0), (5, 5)).shape == (4, 0)
    with pytest.raises(RuntimeError, match=r"dimensionality of sizes \(2\) must match "
                                           r"dimensionality of strides \(1\)"):
        gradgpu.empty_strided((2, 3), (1,))
    with pytest.raises(RuntimeError, match="negative dimension -3"):
        gradgpu.empty_strided((2, -3), (1, 2))
    with pytest.raises(RuntimeError, match="Storage size calculation overflowed"):
        gradgpu.empty_strided((2, 3), (1, -2))


def test_resolve_ops_are_identities_for_real_tensors(device):
    x = gradgpu.ones(2, device=device, requires_grad=True)
    assert x.resolve_conj() is x and gradgpu.resolve_neg(x) is x
    assert gradgpu.resolve_conj(x) is x and x.resolve_neg() is x


def test_strided_views_stay_views_when_the_array_does_not_lead_back_to_its_buffer(monkeypatch):
    # CuPy's as_strided builds its array from a memory pointer, with no .base: simulate that
    # by making every array its own owner; diagonal, unfold and as_strided still alias x
    import gradgpu.ops.shape.views as views

    monkeypatch.setattr(views, "_buffer_owner", lambda a: a)
    x = gradgpu.arange(12.0).reshape(3, 4)
    for v in (x.diagonal(), x.unfold(1, 2, 2), x.as_strided((2, 2), (4, 1), 1)):
        assert v._version_counter is x._version_counter and v._base is x
    y = x[1:]  # a slice view: storage offsets count from the base's memory
    assert y.storage_offset() == 4
    assert y.as_strided((2,), (1,)).tolist() == [4.0, 5.0]
