"""In-place random fills (exponential_, cauchy_, log_normal_, geometric_, random_): sample
statistics at fixed seeds, generator reproducibility, ranges and PyTorch's argument errors.

Tolerances: N = 200,000 samples; each bound is >= 5 standard errors of the statistic tested."""

import math

import numpy as np
import pytest

import gradgpu

N = 200_000


def _gen(device, seed=1234):
    return gradgpu.Generator(device).manual_seed(seed)


def _np(t):
    return t.cpu().numpy().astype(np.float64)


def test_exponential_mean_and_tail(device):
    x = _np(gradgpu.empty(N, dtype=gradgpu.float64, device=device)
            .exponential_(2.0, generator=_gen(device)))
    assert x.min() > 0
    # mean 1/2 (SE 0.5/sqrt(N) = 0.0011); P(X > 1) = e^-2 (SE 0.0008)
    assert abs(x.mean() - 0.5) < 0.006
    assert abs((x > 1).mean() - math.exp(-2)) < 0.004


def test_cauchy_quartiles(device):
    x = _np(gradgpu.empty(N, device=device).cauchy_(3.0, 0.5, generator=_gen(device)))
    # quartiles median -+ sigma; SE of a quartile = sqrt(3/16 / N) * 2 pi sigma = 0.0043
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    assert abs(med - 3.0) < 0.025 and abs(q1 - 2.5) < 0.025 and abs(q3 - 3.5) < 0.025


def test_log_normal_log_moments(device):
    x = _np(gradgpu.empty(N, dtype=gradgpu.float64, device=device)
            .log_normal_(0.5, 0.25, generator=_gen(device)))
    logs = np.log(x)  # normal(0.5, 0.25): SE of the mean 0.00056, of the std 0.0004
    assert abs(logs.mean() - 0.5) < 0.003 and abs(logs.std() - 0.25) < 0.002


def test_log_normal_defaults(device):
    x = _np(gradgpu.empty(N, dtype=gradgpu.float64, device=device).log_normal_(
        generator=_gen(device)))
    assert abs(np.log(x).mean() - 1.0) < 0.03 and abs(np.log(x).std() - 2.0) < 0.02


@pytest.mark.parametrize("dtype", [gradgpu.float32, gradgpu.int64])
def test_geometric_pmf(device, dtype):
    x = _np(gradgpu.empty(N, dtype=dtype, device=device).geometric_(0.3, generator=_gen(device)))
    assert x.min() >= 1 and np.all(x == np.round(x))
    # P(X = k) = 0.7^(k-1) 0.3, each SE <= 0.0011; mean 1/0.3 (SE 0.0062)
    for k in (1, 2, 3):
        assert abs((x == k).mean() - 0.7 ** (k - 1) * 0.3) < 0.006
    assert abs(x.mean() - 1 / 0.3) < 0.035


def test_random_bounds_and_uniformity(device):
    x = _np(gradgpu.empty(N, device=device).random_(-3, 5, generator=_gen(device)))
    values, counts = np.unique(x, return_counts=True)
    assert values.tolist() == list(range(-3, 5))
    # each frequency 1/8 (SE 0.00074)
    assert np.all(np.abs(counts / N - 1 / 8) < 0.004)
    y = _np(gradgpu.empty(1000, dtype=gradgpu.int32, device=device).random_(7))
    assert y.min() == 0 and y.max() == 6
    z = _np(gradgpu.empty(1000, dtype=gradgpu.int64, device=device).random_(to=4))
    assert set(np.unique(z).tolist()) == {0, 1, 2, 3}


@pytest.mark.parametrize("dtype, top", [
    (gradgpu.float16, 2 ** 11), (gradgpu.float32, 2 ** 24), (gradgpu.float64, 2 ** 53),
    (gradgpu.uint8, 255), (gradgpu.int8, 127), (gradgpu.int64, 2 ** 63 - 1), (gradgpu.bool, 1),
])
def test_random_default_range(device, dtype, top):
    x = gradgpu.empty(4000, dtype=dtype, device=device).random_(generator=_gen(device))
    assert x.dtype == dtype
    v = x.cpu().numpy().astype(object if dtype == gradgpu.int64 else np.float64)
    assert v.min() >= 0 and v.max() <= top
    assert v.max() > top // 2  # 4000 draws: the upper half is hit with certainty (2^-4000)


def test_random_from_with_open_top(device):
    x = _np(gradgpu.empty(2000, dtype=gradgpu.uint8, device=device).random_(250, None))
    assert x.min() >= 250 and x.max() == 255


def test_generator_reproducible_and_advances(device):
    t = gradgpu.empty(50, device=device)
    a = t.exponential_(generator=_gen(device, 7)).clone()
    b = gradgpu.empty(50, device=device).exponential_(generator=_gen(device, 7))
    assert np.array_equal(_np(a), _np(b))
    gen = _gen(device, 7)
    first = _np(gradgpu.empty(50, device=device).cauchy_(generator=gen))
    second = _np(gradgpu.empty(50, device=device).cauchy_(generator=gen))
    assert not np.array_equal(first, second)


def test_fill_returns_self_and_bumps_version():
    t = gradgpu.zeros(3)
    v = t._version
    assert t.exponential_() is t and t._version == v + 1


def test_fill_on_leaf_requiring_grad_raises():
    t = gradgpu.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        t.exponential_()


@pytest.mark.parametrize("call, exc, message", [
    (lambda t: t.exponential_(0), RuntimeError, r"exponential_ expects lambda > 0.0, but found"),
    (lambda t: t.exponential_(-1), RuntimeError, r"lambda=-1"),
    (lambda t: t.cauchy_(0, 0), RuntimeError, r"cauchy_ expects sigma > 0.0, but found sigma=0"),
    (lambda t: t.log_normal_(1, -1), RuntimeError, r"log_normal_ expects std > 0.0"),
    (lambda t: t.geometric_(1), RuntimeError, r"geometric_ expects p to be in \(0, 1\)"),
    (lambda t: t.geometric_(float("nan")), RuntimeError, r"p=nan"),
    (lambda t: t.random_(5, 2), RuntimeError, r"expects 'from' to be less than 'to', but got "
                                              r"from=5 >= to=2"),
    (lambda t: t.random_(0), RuntimeError, r"from=0 >= to=0"),
    (lambda t: t.random_(1, 2, 3), TypeError, r"at most 2 positional"),
    (lambda t: t.random_(high=3), TypeError, r"unexpected keyword argument 'high'"),
])
def test_argument_errors(call, exc, message):
    with pytest.raises(exc, match=message):
        call(gradgpu.empty(3))


def test_dtype_errors():
    long = gradgpu.empty(3, dtype=gradgpu.int64)
    with pytest.raises(RuntimeError, match="Exponential distribution is a continuous probability "
                       "distribution. dtype must be a floating point but you specified Long"):
        long.exponential_()
    with pytest.raises(RuntimeError, match="Cauchy distribution"):
        long.cauchy_()
    with pytest.raises(NotImplementedError, match="log_normal_"):
        long.log_normal_()
    with pytest.raises(RuntimeError, match="from is out of bounds for unsigned char"):
        gradgpu.empty(3, dtype=gradgpu.uint8).random_(-1, 3)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for unsigned char"):
        gradgpu.empty(3, dtype=gradgpu.uint8).random_(0, 300)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for bool"):
        gradgpu.empty(3, dtype=gradgpu.bool).random_(0, 3)


def test_random_beyond_exact_float_range_warns():
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        x = gradgpu.empty(100).random_(2 ** 25)
    assert float(x.max()) <= 2 ** 25


# ---- poisson -----------------------------------------------------------------------------

@pytest.mark.parametrize("rate", [0.0, 0.5, 4.0, 9.5, 10.0, 25.0, 1000.0])
def test_poisson_moments(device, rate):
    rates = gradgpu.full((N,), rate, dtype=gradgpu.float64, device=device)
    x = _np(gradgpu.poisson(rates, generator=_gen(device)))
    assert np.all(x == np.round(x)) and x.min() >= 0
    # mean and variance both `rate`: SE of the mean sqrt(rate / N), of the variance about
    # rate sqrt(2 / N); bounds are 6 SE (+ a floor for rate 0)
    assert abs(x.mean() - rate) <= 6 * math.sqrt(rate / N) + 1e-12
    assert abs(x.var() - rate) <= 6 * rate * math.sqrt(2 / N) + 6 * math.sqrt(rate / N) + 1e-12


@pytest.mark.parametrize("rate", [4.0, 25.0])  # inversion, and PTRS rejection
def test_poisson_pmf(device, rate):
    x = _np(gradgpu.poisson(gradgpu.full((N,), rate, dtype=gradgpu.float64, device=device),
                            generator=_gen(device)))
    for k in range(int(rate) - 3, int(rate) + 4):
        pmf = math.exp(-rate + k * math.log(rate) - math.lgamma(k + 1))
        assert abs((x == k).mean() - pmf) < 6 * math.sqrt(pmf / N)


def test_poisson_mixed_rates_shape_dtype_and_zero_gradient():
    rates = gradgpu.tensor([[0.0, 2.0], [15.0, 300.0]], requires_grad=True)
    out = gradgpu.poisson(rates, generator=gradgpu.Generator().manual_seed(3))
    assert out.shape == (2, 2) and out.dtype == gradgpu.float32 and out.requires_grad
    assert float(out[0, 0]) == 0.0
    out.sum().backward()
    np.testing.assert_array_equal(rates.grad.numpy(), np.zeros((2, 2)))
    again = gradgpu.poisson(rates.detach(), generator=gradgpu.Generator().manual_seed(3))
    np.testing.assert_array_equal(again.numpy(), out.detach().numpy())


def test_poisson_infinite_rate_gives_inf_without_crash_or_warning():
    # PTRS on an infinite rate computed k = -inf + inf = NaN (a RuntimeWarning) and, when not
    # accepted at once, indexed the log-factorial table with NaN cast to int64 (IndexError)
    rates = gradgpu.tensor([float("inf")] * 64 + [5.0], dtype=gradgpu.float64)
    for seed in range(4):
        out = _np(gradgpu.poisson(rates, generator=gradgpu.Generator().manual_seed(seed)))
        assert np.all(np.isposinf(out[:64])) and np.isfinite(out[64])


def test_poisson_count_beyond_float16_range_is_inf_without_a_warning():
    # the float64 counts were cast to float16 outside errstate ("overflow encountered in cast")
    out = _np(gradgpu.poisson(gradgpu.full((10000,), 65000.0, dtype=gradgpu.float16)))
    assert np.isposinf(out).any() and not np.isnan(out).any()


def test_poisson_errors():
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be "
                                           "non-negative"):
        gradgpu.poisson(gradgpu.tensor([1.0, -1.0]))
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        gradgpu.poisson(gradgpu.tensor([float("nan")]))
    with pytest.raises(NotImplementedError, match='"poisson" not implemented for'):
        gradgpu.poisson(gradgpu.tensor([1, 2]))


def test_log_factorial_table_and_stirling():
    from gradgpu.backend.reference_random import _log_factorial

    k = np.arange(0.0, 300.0)
    expected = np.array([math.lgamma(v + 1) for v in k])
    np.testing.assert_allclose(_log_factorial(np, k), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("fill", [
    lambda t: t.cauchy_(0.0, 1.0),
    lambda t: t.exponential_(1e-6),
    lambda t: t.log_normal_(10.0, 2.0),
    lambda t: t.geometric_(1e-6),
])
def test_fills_beyond_float16_range_store_inf_without_a_warning(fill):
    # the float64 samples were cast into float16 outside errstate: "overflow encountered in
    # cast" leaked (an error under filterwarnings=error) instead of PyTorch's inf
    x = _np(fill(gradgpu.empty(20000, dtype=gradgpu.float16)))
    assert np.isinf(x).any() and not np.isnan(x).any()


@pytest.mark.parametrize("args", [(2.5,), (1.0,), (1, 2.0), (True,)])
def test_random_refuses_non_integer_bounds(args):
    # random_(2.5) was truncated to random_(2); PyTorch's parser raises TypeError
    with pytest.raises(TypeError, match="random_"):
        gradgpu.empty(4).random_(*args)


def test_random_accepts_numpy_and_0d_tensor_integer_bounds():
    x = _np(gradgpu.empty(1000).random_(np.int64(3)))
    assert set(np.unique(x)) == {0.0, 1.0, 2.0}
    x = _np(gradgpu.empty(1000).random_(gradgpu.tensor(1), gradgpu.tensor(3)))
    assert set(np.unique(x)) == {1.0, 2.0}
