"""Normal, Laplace, Uniform, Exponential: values against PyTorch-derived constants (torch 2.x,
float64), gradients by gradcheck, and sample moments with fixed seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import gradcheck
from gradgpu.distributions import Exponential, Laplace, Normal, Uniform

from ._helpers import close, sample_moments, t64

LOC, SCALE = [0.3, -1.2], [0.5, 2.0]
P = [0.25, 0.9]

# (distribution, params, value, log_prob, entropy, cdf, icdf at P), from torch.distributions
CASES = [
    (Normal, (LOC, SCALE), [0.1, 3.0], [-0.305791352645, -3.817085713765],
     [0.725791352645, 2.112085713765], [0.34457825839, 0.982135579437],
     [-0.037244875098, 1.363103131089]),
    (Laplace, (LOC, SCALE), [0.1, 3.0], [-0.4, -3.48629436112], [1.0, 2.38629436112],
     [0.335160023018, 0.938771785874], [-0.04657359028, 2.018875824868]),
    (Exponential, ([0.5, 2.0],), [1.5, 0.3], [-1.44314718056, 0.09314718056],
     [1.69314718056, 0.30685281944], [0.527633447259, 0.451188363906],
     [0.575364144904, 1.151292546497]),
    (Uniform, ([0.0, -1.0], [2.0, 3.0]), [0.5, 2.5], [-0.69314718056, -1.38629436112],
     [0.69314718056, 1.38629436112], [0.25, 0.875], [0.5, 2.6]),
]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_match_pytorch(case, device):
    cls, params, value, log_prob, entropy, cdf, icdf = case
    d = cls(*(t64(p, device) for p in params))
    assert d.batch_shape == (2,) and d.event_shape == ()
    close(d.log_prob(t64(value, device)), log_prob, rtol=1e-10)
    close(d.entropy(), entropy, rtol=1e-10)
    close(d.cdf(t64(value, device)), cdf, rtol=1e-10)
    close(d.icdf(t64(P, device)), icdf, rtol=1e-9)
    close(d.perplexity(), np.exp(entropy), rtol=1e-10)


@pytest.mark.parametrize("cls, params, mean, var, mode", [
    (Normal, (LOC, SCALE), LOC, [0.25, 4.0], LOC),
    (Laplace, (LOC, SCALE), LOC, [0.5, 8.0], LOC),
    (Exponential, ([0.5, 2.0],), [2.0, 0.5], [4.0, 0.25], [0.0, 0.0]),
    (Uniform, ([0.0, -1.0], [2.0, 3.0]), [1.0, 1.0], [4 / 12, 16 / 12], [math.nan, math.nan]),
], ids=IDS)
def test_moments_and_mode(cls, params, mean, var, mode, device):
    d = cls(*(t64(p, device) for p in params))
    close(d.mean, mean)
    close(d.variance, var)
    close(d.stddev, np.sqrt(var))
    close(d.mode, mode)


@pytest.mark.parametrize("cls, params, values", [
    (Normal, (LOC, SCALE), [0.1, 3.0]),
    (Laplace, (LOC, SCALE), [0.1, 3.0]),
    (Exponential, ([0.5, 2.0],), [1.5, 0.3]),
    (Uniform, ([0.0, -1.0], [2.0, 3.0]), [0.5, 2.5]),
], ids=IDS)
def test_log_prob_entropy_cdf_icdf_rsample_are_differentiable(cls, params, values, device):
    value = t64(values, device)
    p = t64(P, device, requires_grad=True)

    def f(*ps):
        d = cls(*ps)
        gradgpu.manual_seed(7)  # the same noise in every evaluation
        return (d.log_prob(value), d.entropy(), d.cdf(value), d.icdf(p), d.rsample((3,)))

    assert gradcheck(f, tuple(t64(q, device, requires_grad=True) for q in params))
    assert gradcheck(lambda q: cls(*(t64(x, device) for x in params)).icdf(q), (p,))


@pytest.mark.parametrize("cls, params, mean, var", [
    (Normal, (LOC, SCALE), LOC, [0.25, 4.0]),
    (Laplace, (LOC, SCALE), LOC, [0.5, 8.0]),
    (Exponential, ([0.5, 2.0],), [2.0, 0.5], [4.0, 0.25]),
    (Uniform, ([0.0, -1.0], [2.0, 3.0]), [1.0, 1.0], [4 / 12, 16 / 12]),
], ids=IDS)
def test_sample_moments_and_support(cls, params, mean, var, device):
    gradgpu.manual_seed(3)
    n = 40000
    d = cls(*(t64(q, device) for q in params))
    s = d.sample((n,))
    assert s.shape == (n, 2) and s.dtype is gradgpu.float64 and not s.requires_grad
    assert bool(d.support.check(s).all())
    m, v = sample_moments(s)
    # 6 standard errors: sd/sqrt(n) for the mean; for the variance, sqrt(var^2 (kurtosis+2)/n)
    # with excess kurtosis <= 6 (exponential); a wrong scale shifts these by far more
    np.testing.assert_allclose(m, mean, atol=6 * np.sqrt(np.asarray(var) / n).max())
    np.testing.assert_allclose(v, var, rtol=6 * np.sqrt(8 / n))


def test_sampling_is_reproducible_with_manual_seed(device):
    d = Normal(t64([0.0, 1.0], device), t64([1.0, 2.0], device))
    gradgpu.manual_seed(11)
    a = d.sample((4,)).cpu().numpy()
    gradgpu.manual_seed(11)
    b = d.sample((4,)).cpu().numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, d.sample((4,)).cpu().numpy())


def test_rsample_carries_the_graph_and_sample_does_not(device):
    loc = t64([0.0, 1.0], device, requires_grad=True)
    d = Normal(loc, 2.0)
    r = d.rsample((5,))
    assert r.requires_grad and r.shape == (5, 2)
    r.sum().backward()
    close(loc.grad, [5.0, 5.0])  # d(loc + eps scale)/dloc = 1 per sample
    assert not d.sample().requires_grad


def test_scalar_parameters_give_scalar_batch_and_default_dtype():
    d = Normal(0.0, 1.0)
    assert d.batch_shape == () and d.loc.dtype is gradgpu.float32
    assert d.sample().shape == () and d.sample((2, 3)).shape == (2, 3)
    assert repr(d) == "Normal(loc: 0.0, scale: 1.0)"


def test_number_and_tensor_parameters_broadcast(device):
    d = Laplace(t64([[0.0], [1.0]], device), t64([1.0, 2.0, 3.0], device))
    assert d.batch_shape == (2, 3)
    assert d.log_prob(t64(0.5, device)).shape == (2, 3)
    e = Exponential(t64([1.0, 2.0], device)).expand((4, 2))
    assert e.batch_shape == (4, 2) and e.sample((3,)).shape == (3, 4, 2)


def test_uniform_log_prob_outside_support_is_minus_inf_when_not_validated(device):
    d = Uniform(t64([0.0], device), t64([1.0], device), validate_args=False)
    close(d.log_prob(t64([-0.5, 0.5, 1.0], device)), [-math.inf, 0.0, -math.inf])


def test_normal_icdf_tails(device):
    d = Normal(t64(0.0, device), t64(1.0, device))
    # from torch.distributions.Normal(0, 1).icdf; in the tails erf is flat, so its rounding
    # (1e-16) moves the Newton root by ~1e-16 / erf'(x): rtol 1e-8 at x = -6.4
    close(d.icdf(t64([1e-10, 0.5, 1 - 1e-7, 0.0, 1.0], device)),
          [-6.361340889697423, 0.0, 5.199337582290661, -math.inf, math.inf], rtol=1e-8)


def test_the_erfinv_icdf_uses_matches_and_has_higher_derivatives(device):
    erfinv = gradgpu.erfinv
    y = t64([-0.999, -0.3, 0.0, 0.5, 0.99], device, requires_grad=True)
    # torch.erfinv
    close(erfinv(y), [-2.326753765513525, -0.27246271472675443, 0.0, 0.4769362762044699,
                      1.8213863677184496], rtol=1e-12)
    assert gradcheck(erfinv, (y,))
    assert gradgpu.autograd.gradgradcheck(erfinv, (y,))


@pytest.mark.parametrize("family", [Normal, Laplace])
def test_expand_of_subclass_with_own_init_raises(family, device):
    # PyTorch raises; the shared expand passed type(self) as the family and let it through,
    # returning an instance without the subclass's own attributes
    class Custom(family):
        def __init__(self, loc, scale, extra):
            self.extra = extra
            super().__init__(loc, scale)

    d = Custom(t64(LOC, device), t64(SCALE, device), 5)
    with pytest.raises(NotImplementedError, match=f"Subclass Custom of {family.__name__}"):
        d.expand((3, 2))

    class Plain(family):
        pass

    e = Plain(t64(LOC, device), t64(SCALE, device)).expand((3, 2))
    assert type(e) is Plain and tuple(e.batch_shape) == (3, 2)
