"""fill_diagonal_, put/put_, the is_* queries, the complex no-ops of real tensors, mH/H,
split_with_sizes, sum_to_size, new_empty_strided, nonzero_static, cholesky_solve/inverse,
matrix_exp and apply_/map_ (gradgpu/ops/tensor_misc.py, linalg_matrix_exp.py). Expected
literals come from PyTorch 2.13 runs; forward/gradcheck of the differentiable ones is in
tests/op_db/tensor_misc.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu


# ---- fill_diagonal_ ---------------------------------------------------------------------------
def test_fill_diagonal_(device):
    a = gradgpu.arange(12.0, device=device).reshape(3, 4)
    assert a.fill_diagonal_(-1) is a
    assert a.tolist() == [[-1.0, 1.0, 2.0, 3.0], [4.0, -1.0, 6.0, 7.0], [8.0, 9.0, -1.0, 11.0]]
    tall = gradgpu.zeros(7, 2, device=device).fill_diagonal_(2, wrap=True)
    assert tall.tolist() == [[2.0, 0.0], [0.0, 2.0], [0.0, 0.0], [2.0, 0.0], [0.0, 2.0],
                             [0.0, 0.0], [2.0, 0.0]]
    assert gradgpu.zeros(7, 2, device=device).fill_diagonal_(2).sum().item() == 4.0
    cube = gradgpu.zeros(3, 3, 3, device=device).fill_diagonal_(1)
    assert cube.nonzero().tolist() == [[0, 0, 0], [1, 1, 1], [2, 2, 2]]
    ints = gradgpu.zeros(2, 2, dtype=gradgpu.int64, device=device).fill_diagonal_(2.7)
    assert ints.tolist() == [[2, 0], [0, 2]]


def test_fill_diagonal_errors_and_gradient(device):
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        gradgpu.zeros(2, 3, 4, device=device).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
        gradgpu.zeros(3, device=device).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="cannot be converted to type uint8 without overflow"):
        gradgpu.zeros(2, 2, dtype=gradgpu.uint8, device=device).fill_diagonal_(300)
    x = gradgpu.ones(2, 2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="fill_diagonal_: a leaf Variable that requires grad"):
        x.fill_diagonal_(0)
    y = (x * 3).fill_diagonal_(0)
    y.sum().backward()
    assert x.grad.tolist() == [[0.0, 3.0], [3.0, 0.0]]


# ---- put / put_ ---------------------------------------------------------------------------------
def test_put_and_put_(device):
    x = gradgpu.zeros(2, 3, device=device)
    # distinct flat positions: with accumulate=False a repeated one is undefined (PyTorch's
    # docs; a GPU's writes race)
    idx = gradgpu.tensor([0, 4, -1], device=device)
    assert x.put(idx, gradgpu.tensor([1.0, 2.0, 3.0], device=device)).tolist() == \
        [[1.0, 0.0, 0.0], [0.0, 2.0, 3.0]]
    assert x.tolist() == [[0.0] * 3] * 2  # put is out of place
    out = x.put_(gradgpu.tensor([1, 1], device=device), gradgpu.tensor([1.0, 2.0], device=device),
                 accumulate=True)
    assert out is x and x.tolist() == [[0.0, 3.0, 0.0], [0.0, 0.0, 0.0]]
    assert gradgpu.put(x, gradgpu.tensor([2], device=device),
                       gradgpu.tensor([5.0], device=device)).tolist()[0] == [0.0, 3.0, 5.0]


def test_put_errors(device):
    x = gradgpu.zeros(2, 3, device=device)
    with pytest.raises(IndexError, match="index 6 is out of bounds"):
        x.put_(gradgpu.tensor([6], device=device), gradgpu.tensor([1.0], device=device))
    with pytest.raises(IndexError, match=r"put_\(\): Expected source and index to have the same "
                                         r"number of elements, but got source.numel\(\) = 1, "
                                         r"index.numel\(\) = 2"):
        x.put_(gradgpu.tensor([1, 2], device=device), gradgpu.tensor([1.0], device=device))
    with pytest.raises(RuntimeError, match=r"put_\(\): Expected a long tensor for index, but got "
                                           "float32"):
        x.put_(gradgpu.tensor([1.0], device=device), gradgpu.tensor([1.0], device=device))
    with pytest.raises(RuntimeError, match="self.dtype = float32 and source.dtype = float64"):
        x.put_(gradgpu.tensor([1], device=device),
               gradgpu.tensor([1.0], dtype=gradgpu.float64, device=device))


# ---- queries and complex no-ops -----------------------------------------------------------------
def test_queries(device):
    t = gradgpu.tensor([1.0, 2.0], device=device)
    assert t.is_cpu == (device == "cpu")
    assert t.is_complex() is False and gradgpu.is_complex(t) is False
    assert t.is_signed() and gradgpu.tensor([-1], device=device).is_signed()
    assert not gradgpu.tensor([1], dtype=gradgpu.uint8, device=device).is_signed()
    assert not gradgpu.tensor([True], device=device).is_signed()
    assert gradgpu.tensor([0.0], device=device).is_nonzero() is False
    assert gradgpu.tensor(3, device=device).is_nonzero() is True
    assert gradgpu.is_nonzero(gradgpu.tensor([[2.0]], device=device)) is True
    with pytest.raises(RuntimeError, match="with more than one value is ambiguous"):
        t.is_nonzero()
    with pytest.raises(RuntimeError, match="with no values is ambiguous"):
        gradgpu.tensor([], device=device).is_nonzero()
    assert t.is_same_size(gradgpu.zeros(2, device=device))
    assert not gradgpu.is_same_size(t, gradgpu.zeros(1, 2, device=device))
    assert t.is_inference() is False and t.is_pinned() is False
    assert t.is_conj() is False and gradgpu.is_neg(t) is False
    assert t.char().dtype is gradgpu.int8 and t.char().tolist() == [1, 2]


def test_pin_memory():
    t = gradgpu.tensor([1.0])
    if gradgpu.cuda.is_available():
        assert t.pin_memory() is t
    else:
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is "
                                               "available."):
            t.pin_memory()


def test_real_tensor_complex_views(device):
    t = gradgpu.tensor([1.0, 2.0], device=device)
    assert t.conj() is t and t.conj_physical() is t and t.resolve_conj() is t
    assert t.conj_physical_() is t and gradgpu.conj_physical_(t) is t
    assert t.real is t and gradgpu.real(t) is t and gradgpu.conj(t) is t
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                           "non-complex dtypes."):
        t.imag  # noqa: B018 - the property raises
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        gradgpu.imag(t)
    m = gradgpu.arange(6.0, device=device).reshape(2, 3)
    expected = [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert m.mH.tolist() == expected and m.H.tolist() == expected
    assert m.adjoint().tolist() == expected and gradgpu.adjoint(m).tolist() == expected
    assert gradgpu.zeros(4, 2, 3, device=device).mH.shape == (4, 3, 2)
    with pytest.raises(RuntimeError, match=r"tensor.H is only supported on matrices \(2-D "
                                           r"tensors\). Got 3-D tensor."):
        gradgpu.zeros(2, 2, 2, device=device).H  # noqa: B018
    with pytest.raises(RuntimeError, match="tensor.mH is only supported on matrices or batches "
                                           "of matrices. Got 1-D tensor."):
        gradgpu.zeros(3, device=device).mH  # noqa: B018
    with pytest.raises(RuntimeError, match=r"tensor.adjoint\(\) is only supported"):
        gradgpu.zeros(3, device=device).adjoint()


def test_method_only_names_are_not_top_level():
    for name in ("is_cpu", "mH", "H", "is_pinned", "pin_memory", "char", "sum_to_size",
                 "new_empty_strided"):
        assert not hasattr(gradgpu, name), name
    assert callable(gradgpu.real) and callable(gradgpu.imag)


# ---- shapes -------------------------------------------------------------------------------------
def test_split_with_sizes_and_sum_to_size(device):
    a = gradgpu.arange(10.0, device=device).reshape(2, 5)
    first, second = a.split_with_sizes([2, 3], dim=1)
    assert first.tolist() == [[0.0, 1.0], [5.0, 6.0]]
    assert second.tolist() == [[2.0, 3.0, 4.0], [7.0, 8.0, 9.0]]
    assert [p.shape for p in gradgpu.split_with_sizes(gradgpu.arange(4.0), [1, 3])] == [(1,), (3,)]
    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly "
                                           r"to 10 .* but got split_sizes=\[3, 6\]"):
        gradgpu.arange(10.0, device=device).split_with_sizes([3, 6])
    ones = gradgpu.ones(2, 3, 4, device=device)
    assert ones.sum_to_size(3, 1).tolist() == [[8.0], [8.0], [8.0]]
    assert gradgpu.ones(2, 3, device=device).sum_to_size((1, 3)).tolist() == [[2.0, 2.0, 2.0]]
    with pytest.raises(RuntimeError, match=r"size \{\[2\]\} is not expandable to size "
                                           r"\{\[2, 3\]\}."):
        gradgpu.ones(2, 3, device=device).sum_to_size(2)


def test_new_empty_strided_and_nonzero_static(device):
    t = gradgpu.tensor([1.0, 2.0], dtype=gradgpu.float64, device=device)
    e = t.new_empty_strided((2, 3), (1, 2))
    assert e.shape == (2, 3) and e.stride() == (1, 2) and e.dtype is gradgpu.float64
    assert e.device == t.device
    v = gradgpu.tensor([0, 1, 0, 2], device=device)
    assert v.nonzero_static(size=3).tolist() == [[1], [3], [-1]]
    assert gradgpu.tensor([0, 1, 1, 1], device=device).nonzero_static(size=2).tolist() == \
        [[1], [2]]
    m = gradgpu.tensor([[0, 1], [2, 0]], device=device)
    assert gradgpu.nonzero_static(m, size=3, fill_value=-5).tolist() == [[0, 1], [1, 0], [-5, -5]]


# ---- linear algebra -----------------------------------------------------------------------------
def test_cholesky_solve_and_inverse(device):
    A = gradgpu.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=gradgpu.float64, device=device)
    L = gradgpu.linalg.cholesky(A)
    b = gradgpu.tensor([[1.0], [2.0]], dtype=gradgpu.float64, device=device)
    np.testing.assert_allclose(gradgpu.cholesky_solve(b, L).cpu().numpy(), [[1 / 11], [7 / 11]],
                               rtol=1e-12)
    np.testing.assert_allclose(b.cholesky_solve(L.T, upper=True).cpu().numpy(),
                               [[1 / 11], [7 / 11]], rtol=1e-12)
    inv = np.array([[3.0, -1.0], [-1.0, 4.0]]) / 11
    np.testing.assert_allclose(L.cholesky_inverse().cpu().numpy(), inv, rtol=1e-12)
    np.testing.assert_allclose(gradgpu.cholesky_inverse(L.T, upper=True).cpu().numpy(), inv,
                               rtol=1e-12)
    with pytest.raises(RuntimeError, match="b should have at least 2 dimensions, but has 1 "
                                           "dimensions instead"):
        gradgpu.cholesky_solve(gradgpu.tensor([1.0, 2.0], dtype=gradgpu.float64,
                                              device=device), L)


def test_matrix_exp_known_values(device):
    f64 = dict(dtype=gradgpu.float64, device=device)
    rot = gradgpu.tensor([[0.0, 1.0], [-1.0, 0.0]], **f64).matrix_exp()
    c, s = math.cos(1.0), math.sin(1.0)
    np.testing.assert_allclose(rot.cpu().numpy(), [[c, s], [-s, c]], rtol=1e-14, atol=1e-15)
    nil = gradgpu.matrix_exp(gradgpu.tensor([[0.0, 1.0], [0.0, 0.0]], **f64))
    np.testing.assert_allclose(nil.cpu().numpy(), [[1.0, 1.0], [0.0, 1.0]], atol=1e-15)
    big = gradgpu.matrix_exp(gradgpu.tensor([[[10.0, 0.0], [0.0, -10.0]]], **f64))
    np.testing.assert_allclose(big.cpu().numpy(), [[[math.exp(10), 0.0], [0.0, math.exp(-10)]]],
                               rtol=1e-13, atol=1e-18)
    f32 = gradgpu.tensor([[0.0, 1.0], [-1.0, 0.0]], device=device).matrix_exp()
    assert f32.dtype is gradgpu.float32
    assert gradgpu.matrix_exp(gradgpu.zeros(0, 0, device=device)).shape == (0, 0)


def test_fill_diagonal_without_grad_writes_only_the_diagonal_positions():
    # it built a bool mask of every element (O(numel) memory, 4 MB here) to write n values
    import tracemalloc

    a = gradgpu.zeros(2000, 2000)
    tracemalloc.start()
    try:
        a.fill_diagonal_(3.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    x = a.cpu().numpy()
    assert x.trace() == 6000.0 and x.sum() == 6000.0


def test_matrix_exp_overflow_and_inf_give_inf_nan_without_warnings():
    # the squarings overflowed (and inf entries met zeros) inside matmul, leaking NumPy's
    # "overflow encountered in matmul" / "invalid value" warnings; PyTorch gives inf and NaN
    big = gradgpu.tensor([[800.0, 0.0], [0.0, 1.0]], dtype=gradgpu.float64).matrix_exp()
    np.testing.assert_allclose(big.cpu().numpy(), [[np.inf, 0.0], [0.0, math.e]])
    inf = gradgpu.tensor([[np.inf, 0.0], [0.0, 1.0]], dtype=gradgpu.float64).matrix_exp()
    assert np.isnan(inf.cpu().numpy()).all()


def test_matrix_exp_errors(device):
    with pytest.raises(RuntimeError, match="linalg.matrix_exp: A must be batches of square "
                                           "matrices, but they are 2 by 3 matrices"):
        gradgpu.matrix_exp(gradgpu.zeros(2, 3, device=device))
    with pytest.raises(RuntimeError, match="The input tensor A must have at least 2 dimensions"):
        gradgpu.matrix_exp(gradgpu.zeros(3, device=device))
    with pytest.raises(RuntimeError, match="Expected a floating point tensor as input. Got int64"):
        gradgpu.matrix_exp(gradgpu.zeros(2, 2, dtype=gradgpu.int64, device=device))


# ---- Python callables ---------------------------------------------------------------------------
def test_apply_and_map_():
    t = gradgpu.tensor([1.0, 2.0])
    assert t.apply_(lambda v: v * 2) is t and t.tolist() == [2.0, 4.0]
    assert t.map_(gradgpu.tensor([1.0]), lambda a, b: a + b) is t and t.tolist() == [3.0, 5.0]
    assert gradgpu.tensor([1, 2]).apply_(lambda v: v * 2.7).tolist() == [2, 5]
    col = gradgpu.arange(6.0).reshape(2, 3).T  # a non-contiguous view: written through
    col.apply_(lambda v: -v)
    assert col.tolist() == [[-0.0, -3.0], [-1.0, -4.0], [-2.0, -5.0]]
    with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires "
                                           "grad"):
        (gradgpu.tensor([1.0], requires_grad=True) * 1).apply_(lambda v: v)
