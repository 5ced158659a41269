"""Dropout with a counter-based (Philox4x32-10) mask: the mask rule and where it draws from,
reproducibility from manual_seed and generator state, statistics, scaling, p = 0 / p = 1 /
eval mode, gradients (and double backward), dtypes, and CPU-vs-CUDA identity of the masks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F
from gradgpu import nn
from gradgpu.autograd import gradcheck, gradgradcheck
from gradgpu.backend import NUMPY
from gradgpu.backend import cuda as _cuda
from gradgpu.backend import reference_random as rr

STREAM = rr.DROPOUT_STREAM
_CUDA_REASON = _cuda.unavailable_reason()


def _keep(seed: int, offset: int, n: int, p: float) -> np.ndarray:
    """The specification: element k kept iff Philox word k of (seed, offset) < T(p)."""
    return NUMPY.philox_words(seed, offset, n, STREAM) < rr.dropout_threshold(p)


def _np(t) -> np.ndarray:
    return t.detach().numpy()


# ---- the mask is the Philox rule, drawn from the generator's (key, offset) ------------------
def test_mask_follows_the_philox_rule_and_advances_the_offset():
    gradgpu.manual_seed(1234)
    x = gradgpu.ones(10, 11, dtype=gradgpu.float64)  # 110 elements: 28 blocks, the last partial
    first, second = _np(F.dropout(x, 0.3)), _np(F.dropout(x, 0.3))
    np.testing.assert_array_equal(first != 0, _keep(1234, 0, 110, 0.3).reshape(10, 11))
    np.testing.assert_array_equal(second != 0, _keep(1234, 28, 110, 0.3).reshape(10, 11))
    assert not np.array_equal(first, second)
    gen = gradgpu._random.default_generator(gradgpu.device("cpu"))
    assert gen.get_state()["philox_offset"] == 56


def test_non_contiguous_input_uses_the_c_order_of_the_logical_tensor():
    base = np.arange(1.0, 25.0).reshape(4, 6)
    x = gradgpu.from_numpy(base).T  # (6, 4), strided
    gradgpu.manual_seed(5)
    y = _np(F.dropout(x, 0.5))
    keep = _keep(5, 0, 24, 0.5).reshape(6, 4)
    np.testing.assert_array_equal(y, np.where(keep, base.T * 2.0, 0.0))


def test_reproducible_from_manual_seed_and_different_across_seeds():
    x = gradgpu.ones(1000)
    gradgpu.manual_seed(7)
    a = _np(F.dropout(x, 0.5))
    gradgpu.manual_seed(7)
    b = _np(F.dropout(x, 0.5))
    gradgpu.manual_seed(8)
    c = _np(F.dropout(x, 0.5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_generator_state_round_trip_reproduces_the_next_mask_and_sample():
    gen = gradgpu._random.default_generator(gradgpu.device("cpu"))
    x = gradgpu.ones(257)
    F.dropout(x, 0.5)  # move away from the freshly seeded state
    state = gen.get_state()
    a, ra = _np(F.dropout(x, 0.5)), gradgpu.rand(3).tolist()
    gen.set_state(state)
    b, rb = _np(F.dropout(x, 0.5)), gradgpu.rand(3).tolist()
    np.testing.assert_array_equal(a, b)
    assert ra == rb


def test_set_state_rejects_something_else():
    gen = gradgpu.Generator()
    with pytest.raises(TypeError, match=r"set_state\(\): expected a state returned by get_state"):
        gen.set_state({"philox_key": 1})


def test_user_generator_reserves_blocks_and_reseeding_resets_the_offset():
    gen = gradgpu.Generator().manual_seed(11)
    assert gen.philox_reserve(3) == (11, 0)
    assert gen.philox_reserve(2) == (11, 3)
    gen.manual_seed(-1)  # negative seeds map to 64 bits, as PyTorch
    assert gen.philox_reserve(1) == ((1 << 64) - 1, 0)
    gen.set_state({**gen.get_state(), "philox_offset": (1 << 64) - 1})
    gen.philox_reserve(2)
    assert gen.get_state()["philox_offset"] == 1  # wraps mod 2^64, as the kernels' counter


def test_reference_words_do_not_depend_on_the_chunking(monkeypatch):
    n = 4 * 37 + 3
    whole = NUMPY.philox_words(42, (1 << 32) - 5, n, STREAM)  # the counter carries mid-range
    monkeypatch.setattr(rr, "_CHUNK_BLOCKS", 5)
    np.testing.assert_array_equal(NUMPY.philox_words(42, (1 << 32) - 5, n, STREAM), whole)
    np.testing.assert_array_equal(NUMPY.philox_words(42, (1 << 32) - 5, 10, STREAM), whole[:10])


# ---- statistics and scaling -----------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_fraction_kept_is_one_minus_p(p):
    n = 1 << 20
    y = _np(F.dropout(gradgpu.ones(n), p))
    # Hoeffding: P(|kept fraction - (1 - p)| >= 0.004) <= 2 exp(-2 n 0.004^2) < 1e-14
    assert abs((y != 0).mean() - (1 - p)) < 0.004


@pytest.mark.parametrize("dtype", [gradgpu.float16, gradgpu.float32, gradgpu.float64])
def test_kept_values_are_scaled_by_one_over_one_minus_p(dtype):
    rng = np.random.default_rng(0)
    base = rng.standard_normal(400)
    x = gradgpu.tensor(base, dtype=dtype)
    y = F.dropout(x, 0.3)
    assert y.dtype == dtype
    xd, yd = _np(x), _np(y)
    keep = yd != 0
    compute = np.float64 if dtype == gradgpu.float64 else np.float32  # float16: float math
    expected = (xd.astype(compute) * compute(1 / 0.7)).astype(xd.dtype)
    np.testing.assert_array_equal(yd[keep], expected[keep])
    assert 0.5 < keep.mean() < 0.9


def test_dropped_inf_and_nan_give_nan_as_in_pytorch():
    x = gradgpu.tensor([math.inf] * 64 + [math.nan] * 64)
    y = _np(F.dropout(x, 0.5))
    assert np.isnan(y[64:]).all()
    assert np.isnan(y[:64]).any() and np.isinf(y[:64]).any()
    assert np.isnan(_np(F.dropout(gradgpu.tensor([math.inf, 1.0]), 1.0))[0])


# ---- p = 0, p = 1, eval mode, errors --------------------------------------------------------
def test_p0_and_eval_mode_return_the_input_and_draw_nothing():
    gen = gradgpu._random.default_generator(gradgpu.device("cpu"))
    x = gradgpu.randn(3, 4)
    before = gen.get_state()["philox_offset"]
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.5, training=False) is x
    m = nn.Dropout(0.5).eval()
    assert m(x) is x
    assert gen.get_state()["philox_offset"] == before


def test_p1_drops_everything_with_zero_gradient_and_draws_nothing():
    gen = gradgpu._random.default_generator(gradgpu.device("cpu"))
    before = gen.get_state()["philox_offset"]
    x = gradgpu.ones(3, 5, dtype=gradgpu.float64, requires_grad=True)
    y = F.dropout(x, 1.0)
    y.backward(gradgpu.full((3, 5), 2.0, dtype=gradgpu.float64))
    assert not _np(y).any() and not _np(x.grad).any()
    assert gen.get_state()["philox_offset"] == before


@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3)])
def test_zero_d_and_empty_inputs(shape):
    x = gradgpu.ones(*shape, dtype=gradgpu.float64, requires_grad=True)
    y = F.dropout(x, 0.5)
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad.shape == x.shape
    assert set(np.unique(_np(y))) <= {0.0, 2.0}


def test_integer_input_is_rejected():
    with pytest.raises(RuntimeError, match=r"dropout\(\): expected a floating point input"):
        F.dropout(gradgpu.arange(4), 0.5)


# ---- gradients ------------------------------------------------------------------------------
def test_gradient_is_mask_times_scale_times_g():
    rng = np.random.default_rng(3)
    x = gradgpu.tensor(rng.standard_normal((5, 7)), requires_grad=True)
    g = rng.standard_normal((5, 7))
    y = F.dropout(x, 0.25)
    y.backward(gradgpu.tensor(g))
    keep = _np(y) != 0
    np.testing.assert_array_equal(_np(x.grad), np.where(keep, g * (1 / 0.75), 0.0))


def _fixed_mask_dropout(x):
    gradgpu.manual_seed(17)  # the same mask on every call: gradcheck sees one linear function
    return F.dropout(x, 0.4)


def test_gradcheck_and_gradgradcheck_with_the_mask_fixed():
    rng = np.random.default_rng(4)
    x = gradgpu.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    assert gradcheck(_fixed_mask_dropout, (x,))
    assert gradgradcheck(_fixed_mask_dropout, (x,))


def test_double_backward_through_the_saved_mask():
    x = gradgpu.tensor(np.linspace(1.0, 2.0, 12), requires_grad=True)
    g = gradgpu.tensor(np.full(12, 3.0), requires_grad=True)
    y = F.dropout(x, 0.5)
    (dx,) = gradgpu.autograd.grad(y, x, g, create_graph=True)
    (dg,) = gradgpu.autograd.grad(dx.sum(), g)
    keep = _np(y) != 0
    np.testing.assert_array_equal(_np(dx), np.where(keep, 6.0, 0.0))
    np.testing.assert_array_equal(_np(dg), np.where(keep, 2.0, 0.0))


# ---- devices --------------------------------------------------------------------------------
@pytest.mark.skipif(_CUDA_REASON is not None, reason=f"no usable CUDA device: {_CUDA_REASON}")
@pytest.mark.parametrize("shape,transpose", [((1001,), False), ((33, 17), True)])
@pytest.mark.parametrize("dtype", [gradgpu.float16, gradgpu.float32, gradgpu.float64])
def test_cuda_mask_and_gradient_equal_the_cpu_ones(shape, transpose, dtype):
    """Same seed, same shape: the same mask on the GPU as on the CPU, whatever the launch."""
    rng = np.random.default_rng(9)
    base = rng.standard_normal(shape)
    results = []
    for dev in ("cpu", "cuda"):
        x = gradgpu.tensor(base, dtype=dtype, device=dev)
        x = (x.T if transpose else x).detach().requires_grad_(True)
        gradgpu.manual_seed(2025)
        y = F.dropout(x, 0.35)
        y2 = F.dropout(x, 0.35)  # the second call: the offset advanced identically
        (y * 2 + y2).sum().backward()
        results.append([t.detach().cpu().numpy() for t in (y, y2, x.grad)])
    for cpu_arr, dev_arr in zip(*results):
        np.testing.assert_array_equal(dev_arr, cpu_arr)
