"""tensor_split/hsplit/vsplit/dsplit, Tensor.unfold, scatter_reduce, index_reduce, index_copy,
masked_scatter: PyTorch's values (constants copied from PyTorch
2.13 runs), views, in-place forms and error contracts. Forward-vs-NumPy, gradcheck and
gradgradcheck of these ops run from tests/op_db/indexing_additions.py."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu

NAN = float("nan")


def _t(values, device, dtype=gradgpu.float64, requires_grad=False):
    return gradgpu.tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


def _np(t):
    return t.detach().cpu().numpy()


# ---- tensor_split / hsplit / vsplit / dsplit -------------------------------------------------
@pytest.mark.parametrize("spec,sizes", [
    (3, [3, 2, 2]),
    ([1, 5], [1, 4, 2]),
    ([5, 1], [5, 0, 6]),  # unsorted: overlapping pieces, as Python slices
    ([-2], [5, 2]),
    ([-9, 20], [0, 7, 0]),
    ((), [7]),
])
def test_tensor_split_piece_sizes(device, spec, sizes):
    x = gradgpu.arange(7.0, device=device)
    pieces = gradgpu.tensor_split(x, spec)
    assert isinstance(pieces, tuple)
    assert [p.shape[0] for p in pieces] == sizes


def test_tensor_split_tensor_arguments_and_keywords(device):
    x = gradgpu.arange(7.0, device=device)
    by_count = x.tensor_split(gradgpu.tensor(3))
    by_index = x.tensor_split(tensor_indices_or_sections=gradgpu.tensor([1, 3]))
    assert [p.tolist() for p in by_count] == [[0.0, 1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert [p.tolist() for p in by_index] == [[0.0], [1.0, 2.0], [3.0, 4.0, 5.0, 6.0]]
    assert [p.shape[0] for p in x.tensor_split(sections=2)] == [4, 3]
    assert [p.shape[0] for p in x.tensor_split(indices=[2])] == [2, 5]


def test_tensor_split_pieces_are_views(device):
    x = gradgpu.zeros(6, device=device)
    first, _, last = x.tensor_split([4, 2])  # overlapping pieces: one slice view each
    first[1] = 5.0
    last[3] = 6.0
    _, b = x.tensor_split(2)  # consecutive pieces: one Split node
    b[0] = 7.0
    assert x.tolist() == [0.0, 5.0, 0.0, 7.0, 0.0, 6.0]


def test_tensor_split_gradient_of_overlapping_pieces_adds_up(device):
    x = gradgpu.arange(5.0, device=device, dtype=gradgpu.float64).requires_grad_()
    a, b, c = x.tensor_split([3, 1])
    (a.sum() + 2 * b.sum() + 10 * c.sum()).backward()
    assert x.grad.tolist() == [1.0, 11.0, 11.0, 10.0, 10.0]


def test_numpy_style_splits(device):
    m = gradgpu.ones(4, 2, 6, device=device)
    assert [p.shape for p in m.hsplit(2)] == [(4, 1, 6)] * 2
    assert [p.shape for p in gradgpu.vsplit(m, [1])] == [(1, 2, 6), (3, 2, 6)]
    assert [p.shape for p in gradgpu.dsplit(m, [1, 4])] == [(4, 2, 1), (4, 2, 3), (4, 2, 2)]
    assert [p.shape for p in gradgpu.hsplit(gradgpu.ones(4, device=device), 2)] == [(2,), (2,)]


@pytest.mark.parametrize("call,exc,match", [
    (lambda x: gradgpu.tensor_split(x, 0), RuntimeError,
     "number of sections must be larger than 0, got 0"),
    (lambda x: gradgpu.tensor_split(x, gradgpu.tensor([1.0, 3.0])), RuntimeError,
     "expected tensor_indices_or_sections to have dtype of long"),
    (lambda x: gradgpu.tensor_split(x, gradgpu.tensor([[1, 3]])), RuntimeError,
     "zero-dimensional or one-dimensional tensor, but got a tensor with 2 dims"),
    (lambda x: gradgpu.tensor_split(x, 1.5), TypeError, "indices_or_sections"),
    (lambda x: gradgpu.tensor_split(gradgpu.tensor(1.0), 2), RuntimeError,
     "at least a 1-dimensional tensor, but got a tensor with 0 dims"),
    (lambda x: gradgpu.tensor_split(x, 3, dim=1), IndexError, "Dimension out of range"),
    (lambda x: gradgpu.hsplit(x.reshape(1, 7), 3), RuntimeError,
     r"torch.hsplit attempted to split along dimension 1, but the size of the dimension 7 is "
     r"not divisible by the split_size 3!"),
    (lambda x: gradgpu.vsplit(x, 7), RuntimeError,
     "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1"),
    (lambda x: gradgpu.dsplit(x.reshape(7, 1), [1]), RuntimeError,
     "torch.dsplit requires a tensor with at least 3 dimension"),
    (lambda x: gradgpu.hsplit(x, gradgpu.tensor([1])), TypeError, "indices_or_sections"),
])
def test_split_errors(device, call, exc, match):
    with pytest.raises(exc, match=match):
        call(gradgpu.arange(7.0, device=device))


# ---- unfold -----------------------------------------------------------------------------------
def test_unfold_is_a_strided_view(device):
    x = gradgpu.arange(12.0, device=device).reshape(3, 4)
    u = x.unfold(1, 2, 1)
    assert u.shape == (3, 3, 2)
    assert u[1].tolist() == [[4.0, 5.0], [5.0, 6.0], [6.0, 7.0]]
    x[0, 1] = 100.0  # both windows holding x[0, 1] see the write
    assert u[0].tolist() == [[0.0, 100.0], [100.0, 2.0], [2.0, 3.0]]
    assert x.unfold(0, 2, 2).shape == (1, 4, 2)
    assert x.unfold(-1, 0, 1).shape == (3, 5, 0)
    assert not hasattr(gradgpu, "unfold")  # a method only, as in PyTorch


def test_unfold_gradient_sums_overlapping_windows(device):
    x = _t([1.0, 2.0, 3.0, 4.0, 5.0], device, requires_grad=True)
    x.unfold(0, 3, 1).sum().backward()  # windows [0:3], [1:4], [2:5]
    assert x.grad.tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]


def test_unfold_zero_dim(device):
    s = _t(3.0, device)
    assert s.unfold(0, 1, 1).tolist() == [3.0]
    assert s.unfold(-1, 0, 1).shape == (0,)


@pytest.mark.parametrize("args,exc,match", [
    ((1, 5, 1), RuntimeError, "maximum size for tensor at dimension 1 is 4 but size is 5"),
    ((1, 2, 0), RuntimeError, "step is 0 but must be > 0"),
    ((1, -1, 1), RuntimeError, "size is -1 but must be >= 0"),
    ((2, 2, 1), IndexError, "Dimension out of range"),
])
def test_unfold_errors(device, args, exc, match):
    with pytest.raises(exc, match=match):
        gradgpu.ones(3, 4, device=device).unfold(*args)


# ---- scatter_reduce ---------------------------------------------------------------------------
# PyTorch 2.13: self [3, 2, 3, 4], index [0, 1, 0, 1, 2, 1], src [3, 2, 3, 0, 5, 0] (ties with
# self at 0 and 1, two zeros sent to 1), backward of grad [1, 2, 3, 4]: (out, dself, dsrc)
_THIRD = 1.0 / 3.0
_TORCH_SCATTER_REDUCE = {
    ("sum", True): ([9, 4, 8, 4], [1, 2, 3, 4], [1, 2, 1, 2, 3, 2]),
    ("sum", False): ([6, 2, 5, 4], [0, 0, 0, 4], [1, 2, 1, 2, 3, 2]),
    ("prod", True): ([27, 0, 15, 4], [9, 0, 15, 4], [9, 0, 9, 0, 9, 0]),
    ("prod", False): ([9, 0, 5, 4], [0, 0, 0, 4], [3, 0, 3, 0, 3, 0]),
    ("mean", True): ([3, 1, 4, 4], [_THIRD, 0.5, 1.5, 4], [_THIRD, 0.5, _THIRD, 0.5, 1.5, 0.5]),
    ("mean", False): ([3, 2 / 3, 5, 4], [0, 0, 0, 4], [0.5, 2 / 3, 0.5, 2 / 3, 3, 2 / 3]),
    ("amax", True): ([3, 2, 5, 4], [_THIRD, 1, 0, 4], [_THIRD, 1, _THIRD, 0, 3, 0]),
    # (PyTorch counts self's tie in the share even when include_self=False)
    ("amax", False): ([3, 2, 5, 4], [0, 0, 0, 4], [_THIRD, 1, _THIRD, 0, 3, 0]),
    ("amin", True): ([3, 0, 3, 4], [_THIRD, 0, 3, 4], [_THIRD, 0, _THIRD, 1, 0, 1]),
    ("amin", False): ([3, 0, 5, 4], [0, 0, 0, 4], [_THIRD, 0, _THIRD, 1, 3, 1]),
}


@pytest.mark.parametrize("reduce,include_self", list(_TORCH_SCATTER_REDUCE))
def test_scatter_reduce_values_and_gradients_match_pytorch(device, reduce, include_self):
    x = _t([3.0, 2, 3, 4], device, requires_grad=True)
    src = _t([3.0, 2, 3, 0, 5, 0], device, requires_grad=True)
    index = gradgpu.tensor([0, 1, 0, 1, 2, 1], device=device)
    out = x.scatter_reduce(0, index, src, reduce, include_self=include_self)
    out.backward(_t([1.0, 2, 3, 4], device))
    want_out, want_dx, want_dsrc = _TORCH_SCATTER_REDUCE[(reduce, include_self)]
    np.testing.assert_allclose(_np(out), want_out, rtol=1e-12)
    np.testing.assert_allclose(_np(x.grad), want_dx, rtol=1e-12)
    np.testing.assert_allclose(_np(src.grad), want_dsrc, rtol=1e-12)


def test_scatter_reduce_integer_mean_floors_and_nan_propagates(device):
    index = gradgpu.tensor([0, 1, 0, 1, 2, 1], device=device)
    xi = gradgpu.tensor([1, 2, 3, 4], device=device)
    si = gradgpu.tensor([1, 2, 3, 4, 5, 6], device=device)
    out = xi.scatter_reduce(0, index, -si, "mean")
    assert out.dtype == gradgpu.int64 and out.tolist() == [-1, -3, -1, 4]
    assert xi.scatter_reduce(0, index, si, "mean", include_self=False).tolist() == [2, 4, 5, 4]
    nan = _t([1.0, float("nan"), 3, 4], device)
    got = nan.scatter_reduce(0, index, _t([1.0, 2, 3, 4, 5, 6], device), "amax")
    assert np.isnan(_np(got)[1]) and _np(got)[[0, 2, 3]].tolist() == [3.0, 5.0, 4.0]


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_nan_extremum_gradient_is_nan_without_warnings(device, reduce):
    # a NaN result has no tied value (0 of them): PyTorch's 0 * g / 0 is NaN there, and the
    # backward must not leak NumPy's RuntimeWarning (an error under filterwarnings=error)
    x = _t([1.0, 2.0, 3.0], device, requires_grad=True)
    src = _t([float("nan"), 5.0, 1.0, -float("inf")], device, requires_grad=True)
    out = x.scatter_reduce(0, gradgpu.tensor([0, 0, 1, 2], device=device), src, reduce)
    out.backward(_t([1.0, 2.0, 3.0], device))
    want_dx = [NAN, 2.0, 3.0] if reduce == "amax" else [NAN, 0.0, 0.0]
    want_dsrc = [NAN, NAN, 0.0, 0.0] if reduce == "amax" else [NAN, NAN, 2.0, 3.0]
    np.testing.assert_array_equal(_np(x.grad), want_dx)
    np.testing.assert_array_equal(_np(src.grad), want_dsrc)


_CUPY_ADD_AT = (np.int32, np.uint32, np.uint64, np.float16, np.float32, np.float64)


@pytest.fixture
def cupy_like_add_at(monkeypatch):
    """The NumPy backend's add.at refusing the dtypes CuPy's add.at (its scatter_add)
    refuses: int64, int8/16, uint8/16 and bool raise TypeError on a GPU."""
    from gradgpu.backend.numpy_backend import NumpyBackend

    def add_at(self, out, key, values):
        if out.dtype.type not in _CUPY_ADD_AT:
            raise TypeError(f"scatter_add does not support {out.dtype}")
        np.add.at(out, key, values)

    # the raw scatter refuses them, and the backend knows to widen them (as the CUDA one does)
    monkeypatch.setattr(NumpyBackend, "_add_at", add_at)
    monkeypatch.setattr(NumpyBackend, "add_at_dtypes",
                        frozenset(np.dtype(t) for t in _CUPY_ADD_AT))


@pytest.mark.parametrize("dtype", [gradgpu.int64, gradgpu.int16, gradgpu.uint8, gradgpu.bool])
@pytest.mark.parametrize("reduce", ["sum", "mean"])
def test_scatter_reduce_integer_sums_use_only_dtypes_cupy_adds(cupy_like_add_at, reduce, dtype):
    if dtype is gradgpu.bool and reduce == "mean":
        pytest.skip("mean is not implemented for bool (as PyTorch)")
    index = gradgpu.tensor([0, 1, 0, 1, 2, 1])
    x = gradgpu.tensor([1, 2, 3, 4]).to(dtype)
    src = gradgpu.tensor([1, 0, 3, 4, 5, 6]).to(dtype)
    want = [5, 12, 8, 4] if reduce == "sum" else [1, 3, 4, 4]  # PyTorch 2.13
    if dtype is gradgpu.bool:
        want = [True] * 4
    out = x.scatter_reduce(0, index, src, reduce)
    assert out.dtype == dtype and out.tolist() == want
    big = gradgpu.tensor([2**62, 0])  # int64 wraps as PyTorch's
    got = big.scatter_reduce(0, gradgpu.tensor([0, 0]), gradgpu.tensor([2**62, 2**62]), "sum")
    assert got.tolist() == [-(2**62), 0]


def test_bincount_counts_without_an_int64_add_at(cupy_like_add_at):
    x = gradgpu.tensor([1, 3, 1, 0, 3, 3])
    assert gradgpu.bincount(x).tolist() == [1, 2, 0, 3]
    assert gradgpu.bincount(x, minlength=6).tolist() == [1, 2, 0, 3, 0, 0]
    assert gradgpu.bincount(x).dtype == gradgpu.int64


@pytest.mark.parametrize("reduce,ufunc", [("prod", np.multiply), ("amax", np.maximum),
                                          ("amin", np.minimum), ("sum", np.add)])
def test_scatter_reduce_many_repeats_matches_ufunc_at(device, reduce, ufunc):
    # long runs of one target: the segmented tree reduction takes log2(n) rounds
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, (4, 3))
    src = rng.uniform(0.9, 1.1, (300, 3))
    idx = rng.integers(0, 4, (300, 3))
    idx[:200, 1] = 2  # one run of 200+
    want = x.copy()
    ufunc.at(want, (idx, np.arange(3)[None, :]), src)
    got = gradgpu.tensor(x, device=device).scatter_reduce(
        0, gradgpu.tensor(idx, device=device), gradgpu.tensor(src, device=device), reduce)
    np.testing.assert_allclose(_np(got), want, rtol=1e-12)


def test_scatter_reduce_prod_refuses_double_backward_at_repeated_zeros(device):
    x = _t([1.0, -2.0, 3.0], device, requires_grad=True)
    src = _t([0.0, 0.0, 2.0], device, requires_grad=True)
    out = x.scatter_reduce(0, gradgpu.tensor([1, 1, 1], device=device), src, "prod")
    gx, gsrc = gradgpu.autograd.grad(out.sum(), (x, src), create_graph=True)
    assert gx.tolist() == [1.0, 0.0, 1.0] and gsrc.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="Double backward is unsupported for src when >1 "
                                           "zeros in src are scattered to the same position"):
        gradgpu.autograd.grad(gsrc.sum(), src)


def test_scatter_reduce_in_place_returns_self_and_keeps_the_gradient(device):
    x = _t([1.0, 2.0], device)
    out = x.scatter_reduce_(0, gradgpu.tensor([1, 1], device=device), _t([3.0, 4.0], device),
                            "prod")
    assert out is x and x.tolist() == [1.0, 24.0]
    leaf = _t([1.0, 2.0, 3.0], device, requires_grad=True)
    src = _t([5.0, 1.0], device, requires_grad=True)
    y = leaf.clone()
    y.scatter_reduce_(0, gradgpu.tensor([0, 0], device=device), src, "amax")
    y.sum().backward()  # the node saw self's values from before the write
    assert leaf.grad.tolist() == [0.0, 1.0, 1.0] and src.grad.tolist() == [1.0, 0.0]


@pytest.mark.parametrize("call,exc,match", [
    (lambda x, i, s: x.scatter_reduce(0, i, s, "max"), RuntimeError,
     "reduce argument must be either sum, prod, mean, amax or amin, got max"),
    (lambda x, i, s: x.scatter_reduce(0, i, s.to(gradgpu.float32), "sum"), RuntimeError,
     "Expected self.dtype to be equal to src.dtype"),
    (lambda x, i, s: x.scatter_reduce(0, i.to(gradgpu.float32), s, "sum"), RuntimeError,
     "Expected dtype int32/int64 for index"),
    (lambda x, i, s: x.scatter_reduce(0, i + 4, s, "sum"), RuntimeError,
     "index 4 is out of bounds for dimension 0 with size 4"),
    (lambda x, i, s: x.scatter_reduce(0, i - 1, s, "sum"), RuntimeError,
     "index -1 is out of bounds for dimension 0 with size 4"),
    (lambda x, i, s: x.scatter_reduce(0, i.reshape(6, 1), s, "sum"), RuntimeError,
     "Index tensor must have the same number of dimensions"),
    (lambda x, i, s: x.scatter_reduce(0, i, s[:3], "sum"), RuntimeError,
     "to be no larger than"),
    (lambda x, i, s: x.to(gradgpu.bool).scatter_reduce(0, i, s.to(gradgpu.bool), "mean"),
     NotImplementedError, "not implemented for 'Bool'"),
])
def test_scatter_reduce_errors(device, call, exc, match):
    x = _t([1.0, 2, 3, 4], device)
    index = gradgpu.tensor([0, 1, 0, 1, 2, 1], device=device)
    with pytest.raises(exc, match=match):
        call(x, index, _t([1.0, 2, 3, 4, 5, 6], device))


# ---- index_reduce -----------------------------------------------------------------------------
def test_index_reduce_values(device):
    x = gradgpu.ones(3, 2, device=device)
    src = gradgpu.arange(9.0, device=device).reshape(3, 3)
    got = x.index_reduce(1, gradgpu.tensor([0, 0, 1], device=device), src, "mean",
                         include_self=False)
    assert got.tolist() == [[0.5, 2.0], [3.5, 5.0], [6.5, 8.0]]
    y = gradgpu.ones(3, 2, device=device)
    out = y.index_reduce_(0, gradgpu.tensor([0, 2], device=device, dtype=gradgpu.int32),
                          gradgpu.full((2, 2), 2.0, device=device), "prod")
    assert out is y and y.tolist() == [[2.0, 2.0], [1.0, 1.0], [2.0, 2.0]]
    s = _t(2.0, device)
    assert s.index_reduce(0, gradgpu.tensor(0, device=device), _t(3.0, device), "prod").item() \
        == 6.0


@pytest.mark.parametrize("args,exc,match", [
    (([0, 2], (2, 2), "sum"), RuntimeError,
     "Expected reduce to be one of prod, mean, amax or amin but got sum"),
    (([0, 2], (3, 2), "prod"), RuntimeError,
     r"Number of indices \(2\) should be equal to source.size\(dim\): \(3\), for dim: 0"),
    (([0, 2], (2,), "prod"), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension"),
    (([0, 3], (2, 2), "prod"), IndexError, "out of range"),
])
def test_index_reduce_errors(device, args, exc, match):
    index, shape, reduce = args
    x = gradgpu.ones(3, 2, device=device)
    with pytest.raises(exc, match=match):
        x.index_reduce(0, gradgpu.tensor(index, device=device),
                       gradgpu.ones(*shape, device=device), reduce)


# ---- index_copy -------------------------------------------------------------------------------
def test_index_copy_values_gradients_and_in_place(device):
    x = _t([[1.0, 2], [3, 4], [5, 6]], device, requires_grad=True)
    src = _t([[10.0, 20], [30, 40]], device, requires_grad=True)
    out = gradgpu.index_copy(x, 0, gradgpu.tensor([2, 0], device=device), src)
    assert out.tolist() == [[30.0, 40.0], [3.0, 4.0], [10.0, 20.0]]
    out.backward(_t([[1.0, 2], [3, 4], [5, 6]], device))
    assert x.grad.tolist() == [[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]]
    assert src.grad.tolist() == [[5.0, 6.0], [1.0, 2.0]]
    y = gradgpu.ones(3, 2, device=device)
    assert y.index_copy_(1, gradgpu.tensor([1], device=device),
                         gradgpu.zeros(3, 1, device=device)) is y
    assert y.tolist() == [[1.0, 0.0]] * 3
    scalar = _t(1.0, device).index_copy(0, gradgpu.tensor([0], device=device), _t(5.0, device))
    assert scalar.shape == () and scalar.item() == 5.0


@pytest.mark.parametrize("index,shape,exc,match", [
    ([0, 3], (2, 2), IndexError,
     "index_copy_\\(\\): index 3 is out of bounds for dimension 0 with size 3"),
    ([0, -1], (2, 2), IndexError, "index -1 is out of bounds"),
    ([0, 2], (3, 2), IndexError,
     r"Number of indices \(2\) should be equal to source.size\(dim\) \(3\)"),
    ([0, 2], (2, 3), RuntimeError, "Source/destination tensor must have same slice shapes"),
    ([0, 2], (2,), IndexError, "their dimensionality must match"),
    ([[0, 2]], (2, 2), IndexError, r"Index should have dimension 1 or 0 \(got 2\)"),
])
def test_index_copy_errors(device, index, shape, exc, match):
    x = gradgpu.ones(3, 2, device=device)
    with pytest.raises(exc, match=match):
        x.index_copy(0, gradgpu.tensor(index, device=device), gradgpu.ones(*shape, device=device))


def test_index_copy_dtype_errors(device):
    x = gradgpu.ones(3, 2, device=device)
    with pytest.raises(RuntimeError, match="Expected a long tensor for index"):
        x.index_copy(0, gradgpu.tensor([0], dtype=gradgpu.int32, device=device),
                     gradgpu.ones(1, 2, device=device))
    with pytest.raises(RuntimeError, match="self and source expected to have the same dtype"):
        x.index_copy(0, gradgpu.tensor([0], device=device),
                     gradgpu.ones(1, 2, dtype=gradgpu.float64, device=device))


# ---- masked_scatter ---------------------------------------------------------------------------
def test_masked_scatter_values_gradients_and_in_place(device):
    mask = gradgpu.tensor([[True, False], [False, True], [True, True]], device=device)
    x = gradgpu.ones(3, 2, device=device, dtype=gradgpu.float64, requires_grad=True)
    src = gradgpu.arange(6.0, device=device, dtype=gradgpu.float64).requires_grad_()
    out = x.masked_scatter(mask, src.reshape(2, 3))
    assert out.tolist() == [[0.0, 1.0], [1.0, 1.0], [2.0, 3.0]]
    out.backward(gradgpu.arange(1.0, 7.0, device=device, dtype=gradgpu.float64).reshape(3, 2))
    assert x.grad.tolist() == [[0.0, 2.0], [3.0, 0.0], [0.0, 0.0]]
    assert src.grad.tolist() == [1.0, 4.0, 5.0, 6.0, 0.0, 0.0]
    grown = gradgpu.ones(2, device=device).masked_scatter(
        gradgpu.tensor([[True, False], [True, True]], device=device),
        gradgpu.arange(4.0, device=device) * 10)
    assert grown.tolist() == [[0.0, 1.0], [10.0, 20.0]]
    y = gradgpu.ones(3, 2, device=device)
    assert y.masked_scatter_(gradgpu.tensor([True, False], device=device),
                             gradgpu.arange(4.0, device=device) * 10) is y
    assert y.tolist() == [[0.0, 1.0], [10.0, 1.0], [20.0, 1.0]]


def test_masked_scatter_errors(device):
    x = gradgpu.ones(3, 2, device=device)
    mask = gradgpu.tensor([[True, False], [False, True], [True, True]], device=device)
    with pytest.raises(RuntimeError, match=r"Number of elements of source \(3\) < number of "
                                           r"ones in mask \(4\)"):
        x.masked_scatter(mask, gradgpu.arange(3.0, device=device))
    with pytest.raises(RuntimeError, match="masked_scatter_ only supports boolean masks"):
        x.masked_scatter(mask.to(gradgpu.int32), gradgpu.arange(4.0, device=device))
    with pytest.raises(RuntimeError, match="expected self and source to have same dtypes"):
        x.masked_scatter(mask, gradgpu.arange(4.0, device=device, dtype=gradgpu.float64))
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        gradgpu.ones(2, 3, device=device).masked_scatter(
            gradgpu.tensor([True, False], device=device), gradgpu.ones(4, device=device))


@pytest.mark.parametrize("dtype", [gradgpu.int64, gradgpu.int8, gradgpu.uint8, gradgpu.bool])
def test_scatter_add_index_add_and_accumulating_index_put_on_dtypes_cupy_cannot_add(
        cupy_like_add_at, dtype):
    # the backend widens what CuPy's atomicAdd cannot take (int64, int8, uint8, bool): the
    # same values as NumPy's add.at (PyTorch 2.13 for these cases)
    index = gradgpu.tensor([0, 2, 0])
    base = gradgpu.tensor([1, 1, 1]).to(dtype)
    src = gradgpu.tensor([1, 0, 1]).to(dtype)
    want = [True, True, True] if dtype is gradgpu.bool else [3, 1, 1]
    assert base.scatter_add(0, index, src).tolist() == want
    assert base.index_add(0, index, src).tolist() == want
    assert base.clone().index_put_((index,), src, accumulate=True).tolist() == want
    if dtype is gradgpu.int8:  # wraps in its own type, as PyTorch's
        big = gradgpu.tensor([100, 0], dtype=gradgpu.int8)
        got = big.index_add(0, gradgpu.tensor([0, 0]), gradgpu.tensor([100, 100],
                                                                     dtype=gradgpu.int8))
        assert got.tolist() == [44, 0]
