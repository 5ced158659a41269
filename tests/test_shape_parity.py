"""Parity of the shape, joining and reordering ops with PyTorch: calling conventions, input
validation, and the ops added alongside (rot90, diag_embed, dstack, column_stack, msort).
Expected values were computed with PyTorch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu


def _grad(fn, x, weights=None):
    """d/dx of sum(fn(x) * weights) in float64 (weights: 0, 1, 2, ... by default)."""
    x = gradgpu.tensor(x, dtype=gradgpu.float64, requires_grad=True)
    y = fn(x)
    w = gradgpu.arange(y.numel(), dtype=gradgpu.float64).reshape(y.shape)
    (y * w).sum().backward()
    return x.grad.tolist()


# ---- flip / roll ------------------------------------------------------------------------------
def test_flip_takes_dims_one_by_one_as_a_method():
    x = gradgpu.arange(6).reshape(2, 3)
    assert x.flip(0, 1).tolist() == [[5, 4, 3], [2, 1, 0]]
    assert gradgpu.flip(x, dims=[1]).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert x.flip(dims=(-1,)).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert _grad(lambda t: t.flip(0, 1), [[0.0, 0.0], [0.0, 0.0]]) == [[3.0, 2.0], [1.0, 0.0]]


@pytest.mark.parametrize("call, exc, match", [
    (lambda x: x.flip(0, 0), RuntimeError, r"multiple times"),
    (lambda x: x.flip(0, -2), RuntimeError, r"multiple times"),
    (lambda x: x.flip(), TypeError, r"dims"),
    (lambda x: x.flip(0, dims=1), TypeError, r"dims"),
])
def test_flip_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call(gradgpu.zeros(2, 3))


def test_roll_accepts_a_0d_tensor_shift():
    x = gradgpu.arange(6.0).reshape(2, 3)
    assert x.roll(gradgpu.tensor(1), 1).tolist() == [[2.0, 0.0, 1.0], [5.0, 3.0, 4.0]]
    assert x.roll(gradgpu.tensor(-7)).tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]]


# ---- repeat_interleave ------------------------------------------------------------------------
def test_repeat_interleave_output_size_must_match():
    x = gradgpu.arange(3)
    assert x.repeat_interleave(gradgpu.tensor([1, 2, 1]), dim=0,
                               output_size=4).tolist() == [0, 1, 1, 2]
    with pytest.raises(RuntimeError, match=r"does not match required size"):
        x.repeat_interleave(gradgpu.tensor([1, 2, 1]), dim=0, output_size=3)
    with pytest.raises(RuntimeError, match=r"does not match required size"):
        gradgpu.repeat_interleave(gradgpu.tensor([1, 0, 3]), output_size=5)
    with pytest.raises(RuntimeError, match=r"Invalid output_size, expected 6 but got 5"):
        x.repeat_interleave(2, dim=0, output_size=5)


def test_repeat_interleave_counts_only_must_be_1d():
    assert gradgpu.repeat_interleave(gradgpu.tensor([1, 0, 3])).tolist() == [0, 2, 2, 2]
    with pytest.raises(RuntimeError, match=r"only accept 1D vector"):
        gradgpu.repeat_interleave(gradgpu.tensor(3))


# ---- stack & co on an empty list --------------------------------------------------------------
@pytest.mark.parametrize("fn", ["stack", "hstack", "vstack", "dstack", "column_stack"])
def test_stacking_nothing_raises_runtime_error(fn):
    with pytest.raises(RuntimeError, match=r"non-empty"):
        getattr(gradgpu, fn)([])


# ---- dstack / column_stack --------------------------------------------------------------------
def test_dstack_and_column_stack():
    a, b = gradgpu.tensor([1, 2]), gradgpu.tensor([3, 4])
    assert gradgpu.dstack([a, b]).tolist() == [[[1, 3], [2, 4]]]
    assert gradgpu.dstack([gradgpu.tensor(1.0), gradgpu.tensor(2.0)]).shape == (1, 1, 2)
    assert tuple(gradgpu.dstack([gradgpu.ones(2, 3), gradgpu.ones(2, 3, 2)]).shape) == (2, 3, 3)
    assert gradgpu.column_stack([a, gradgpu.tensor([[3], [4]])]).tolist() == [[1, 3], [2, 4]]
    assert gradgpu.column_stack([gradgpu.tensor(1), gradgpu.tensor(2)]).tolist() == [[1, 2]]
    assert gradgpu.column_stack([a, gradgpu.tensor([0.5, 1.0])]).dtype is gradgpu.float32
    assert _grad(lambda t: gradgpu.dstack([t, t]), [1.0, 2.0]) == [1.0, 5.0]
    assert _grad(lambda t: gradgpu.column_stack([t, t]), [1.0, 2.0]) == [1.0, 5.0]


# ---- rot90 ------------------------------------------------------------------------------------
def test_rot90_matches_pytorch():
    x = gradgpu.arange(6.0).reshape(2, 3)
    assert gradgpu.rot90(x).tolist() == [[2.0, 5.0], [1.0, 4.0], [0.0, 3.0]]
    assert gradgpu.rot90(x, -1).tolist() == [[3.0, 0.0], [4.0, 1.0], [5.0, 2.0]]
    assert x.rot90(3, [1, 0]).tolist() == [[2.0, 5.0], [1.0, 4.0], [0.0, 3.0]]
    assert gradgpu.rot90(x, 2).tolist() == [[5.0, 4.0, 3.0], [2.0, 1.0, 0.0]]
    assert gradgpu.rot90(x, 4).tolist() == x.tolist()
    # y = rot90(x): y[i, j] = x[j, 2 - i]; weights 0..5 over y's (3, 2) layout
    assert _grad(gradgpu.rot90, np.zeros((2, 3))) == [[4.0, 2.0, 0.0], [5.0, 3.0, 1.0]]


@pytest.mark.parametrize("args, match", [
    ((1, (0, 0)), r"different"),
    ((1, (0, 1, 2)), r"rotation dims == 2"),
    ((1, (0, 2)), r"out of range"),
])
def test_rot90_errors(args, match):
    with pytest.raises((RuntimeError, IndexError), match=match):
        gradgpu.rot90(gradgpu.zeros(2, 3), *args)
    with pytest.raises(RuntimeError, match=r"total dims >= 2"):
        gradgpu.rot90(gradgpu.zeros(3))


# ---- diag_embed -------------------------------------------------------------------------------
def test_diag_embed_matches_pytorch():
    v = gradgpu.tensor([[1.0, 2.0]])
    assert gradgpu.diag_embed(v, 1).tolist() == [[[0.0, 1.0, 0.0], [0.0, 0.0, 2.0],
                                                  [0.0, 0.0, 0.0]]]
    assert v.diag_embed(-1, 0, 2).tolist() == [[[0.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]],
                                               [[0.0, 2.0, 0.0]]]
    assert gradgpu.diag_embed(gradgpu.tensor([[1, 2]])).dtype is gradgpu.int64
    g = _grad(lambda t: gradgpu.diag_embed(t, 1, 0, 2), [[1.0, 2.0], [3.0, 4.0]])
    assert g == [[1.0, 8.0], [4.0, 11.0]]
    with pytest.raises(RuntimeError, match=r"cannot be identical"):
        gradgpu.diag_embed(gradgpu.ones(2, 3), 0, 0, -3)


def test_diag_embed_second_derivative():
    x = gradgpu.tensor([[1.0, -2.0]], dtype=gradgpu.float64, requires_grad=True)
    y = (gradgpu.diag_embed(x, 1) ** 3).sum()
    (g,) = gradgpu.autograd.grad(y, x, create_graph=True)
    (gg,) = gradgpu.autograd.grad(g.sum(), x)
    assert gg.tolist() == [[6.0, -12.0]]


# ---- msort ------------------------------------------------------------------------------------
def test_msort():
    x = gradgpu.tensor([[3, 1], [1, 2]])
    assert gradgpu.msort(x).tolist() == [[1, 1], [3, 2]]
    assert x.msort().tolist() == [[1, 1], [3, 2]]
    assert _grad(gradgpu.msort, [[3.0, 1.0], [1.0, 2.0]]) == [[2.0, 1.0], [0.0, 3.0]]
