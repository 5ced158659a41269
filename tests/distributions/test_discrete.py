"""Bernoulli, Categorical, OneHotCategorical: values against PyTorch-derived constants,
gradients, sample frequencies with fixed seeds, enumerate_support and argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import gradcheck
from gradgpu.distributions import Bernoulli, Categorical, OneHotCategorical

from ._helpers import close, t64


# ---- Bernoulli --------------------------------------------------------------------------------
def test_bernoulli_from_logits_matches_pytorch(device):
    d = Bernoulli(logits=t64([-1.5, 0.0, 2.0], device))
    close(d.log_prob(t64([1.0, 0.0, 0.0], device)),
          [-1.7014132779827524, -0.6931471805599453, -2.1269280110429727])
    close(d.entropy(), [0.47505156369228696, 0.6931471805599453, 0.36533385508720784])
    close(d.probs, [0.18242552380635635, 0.5, 0.8807970779778823])
    close(d.mode, [0.0, math.nan, 1.0])


def test_bernoulli_from_probs_matches_pytorch(device):
    d = Bernoulli(probs=t64([0.2, 0.5, 0.9], device))
    close(d.logits, [-1.3862943611198906, 0.0, 2.1972245773362196])
    close(d.log_prob(t64([1.0, 0.0, 0.0], device)),
          [-1.6094379124341003, -0.6931471805599453, -2.302585092994046])
    close(d.mean, [0.2, 0.5, 0.9])
    close(d.variance, [0.16, 0.25, 0.09])
    close(d.enumerate_support(), [[0.0] * 3, [1.0] * 3])
    assert d.enumerate_support(expand=False).shape == (2, 1)


def test_bernoulli_gradients(device):
    value = t64([1.0, 0.0, 1.0], device)
    assert gradcheck(lambda lg: (Bernoulli(logits=lg).log_prob(value),
                                 Bernoulli(logits=lg).entropy()),
                     (t64([-1.5, 0.3, 2.0], device, requires_grad=True),))
    assert gradcheck(lambda p: (Bernoulli(probs=p).log_prob(value), Bernoulli(probs=p).entropy()),
                     (t64([0.2, 0.5, 0.9], device, requires_grad=True),))


def test_bernoulli_sample_frequencies(device):
    gradgpu.manual_seed(5)
    d = Bernoulli(probs=t64([0.0, 0.3, 1.0], device))
    s = d.sample((20000,))
    assert s.shape == (20000, 3) and s.dtype is gradgpu.float64
    f = s.cpu().numpy().mean(0)
    # 0 and 1 are exact; sd of the mean at p = 0.3 is 0.0032: 5 sd
    assert f[0] == 0.0 and f[2] == 1.0 and abs(f[1] - 0.3) < 0.016


def test_bernoulli_requires_exactly_one_parameter():
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        Bernoulli()
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        Bernoulli(probs=gradgpu.tensor([0.5]), logits=gradgpu.tensor([0.0]))


# ---- Categorical ------------------------------------------------------------------------------
LOGITS = [[0.5, -1.0, 2.0], [0.0, 0.0, 1.0]]


def test_categorical_from_logits_matches_pytorch(device):
    d = Categorical(logits=t64(LOGITS, device))
    assert d.batch_shape == (2,) and d.event_shape == ()
    close(d.log_prob(t64([2, 1], device).long()), [-0.24131129665715711, -1.551444713932051])
    close(d.entropy(), [0.6215846046792746, 0.9753278291662221])
    close(d.probs, [[0.1752903921400367, 0.039112573270687456, 0.7855970345892759],
                    [0.21194155761708547, 0.21194155761708547, 0.5761168847658291]])
    close(d.logits, [[-1.7413112966571571, -3.241311296657157, -0.24131129665715711],
                     [-1.551444713932051, -1.551444713932051, -0.5514447139320511]])
    assert d.mode.tolist() == [2, 2]
    assert d.enumerate_support().tolist() == [[0, 0], [1, 1], [2, 2]]
    assert d.enumerate_support(expand=False).shape == (3, 1)
    assert bool(d.mean.isnan().all()) and d.mean.shape == (2,)


def test_categorical_from_unnormalized_probs_with_a_zero(device):
    d = Categorical(probs=t64([[2.0, 1.0, 1.0], [0.0, 1.0, 3.0]], device))
    close(d.log_prob(t64([[0, 2], [1, 1]], device)),
          [[-0.6931471805599453, -0.2876820724517809],
           [-1.3862943611198906, -1.3862943611198906]])
    close(d.entropy(), [1.0397207708399179, 0.5623351446188083])  # 0 log 0 = 0
    close(d.logits, [[-0.6931471805599453, -1.3862943611198906, -1.3862943611198906],
                     [-36.04365338911715, -1.3862943611198906, -0.2876820724517809]])


def test_categorical_gradients(device):
    value = t64([2, 0], device).long()
    assert gradcheck(lambda lg: (Categorical(logits=lg).log_prob(value),
                                 Categorical(logits=lg).entropy()),
                     (t64(LOGITS, device, requires_grad=True),))
    assert gradcheck(lambda p: (Categorical(probs=p).log_prob(value),
                                Categorical(probs=p).entropy()),
                     (t64([[0.2, 0.3, 0.5], [1.0, 2.0, 3.0]], device, requires_grad=True),))


def test_categorical_sample_frequencies_and_shapes(device):
    gradgpu.manual_seed(9)
    d = Categorical(probs=t64([[0.1, 0.0, 0.2, 0.7], [0.0, 0.0, 0.0, 1.0]], device))
    s = d.sample((20000,))
    assert s.shape == (20000, 2) and s.dtype is gradgpu.int64
    a = s.cpu().numpy()
    freq = np.bincount(a[:, 0], minlength=4) / len(a)
    # sd of a frequency <= 0.0036 at n = 20000: 5 sd; zero-probability classes never drawn
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.2, 0.7], atol=0.018)
    assert (a[:, 1] == 3).all()
    assert Categorical(logits=t64([0.0, 1.0], device)).sample((2, 3)).shape == (2, 3)
    assert d.expand((5, 2)).sample().shape == (5, 2)


def test_categorical_argument_errors():
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional"):
        Categorical(probs=gradgpu.tensor(1.0))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        Categorical()
    with pytest.raises(ValueError, match=r"probs .* to satisfy the constraint Simplex\(\)"):
        Categorical(probs=gradgpu.tensor([-0.1, 1.1]))
    d = Categorical(probs=gradgpu.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"within the support \(IntegerInterval\("
                                         r"lower_bound=0, upper_bound=1\)\)"):
        d.log_prob(gradgpu.tensor(2))


# ---- OneHotCategorical ------------------------------------------------------------------------
def test_one_hot_categorical_matches_pytorch(device):
    d = OneHotCategorical(probs=t64([[2.0, 1.0, 1.0], [0.0, 1.0, 3.0]], device))
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    close(d.log_prob(t64([[1, 0, 0], [0, 0, 1]], device)),
          [-0.6931471805599453, -0.2876820724517809])
    close(d.entropy(), [1.0397207708399179, 0.5623351446188083])
    close(d.variance, [[0.25, 0.1875, 0.1875], [0.0, 0.1875, 0.1875]])
    close(d.mode, [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert d.enumerate_support().shape == (3, 2, 3)
    gradgpu.manual_seed(1)
    s = d.sample((50,))
    assert s.shape == (50, 2, 3) and bool(d.support.check(s).all())
    assert float(s[:, 1, 0].sum()) == 0.0  # zero probability


def test_categorical_sample_memory_does_not_scale_with_samples_times_categories():
    # inverting the CDF by binary search: O(samples * batch) memory, as torch.multinomial,
    # not a (samples, batch, K) comparison (here 16M elements, 134 MB as int64)
    import tracemalloc

    d = Categorical(gradgpu.ones(4, 2**16, dtype=gradgpu.float64))
    tracemalloc.start()
    try:
        s = d.sample((64,))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tuple(s.shape) == (64, 4) and s.dtype == gradgpu.int64
    assert 0 <= int(s.min()) and int(s.max()) < 2**16
    assert peak < 20 * 2**20


def test_categorical_kl_with_zero_probabilities_is_silent_and_finite_in_its_gradient():
    # -inf logits: no NumPy warning (errors in this test run); values from PyTorch 2.13, whose
    # gradient w.r.t. p's logits is NaN here (0 * -inf inside its formula); ours is finite
    D = gradgpu.distributions
    inf = float("inf")
    lp = gradgpu.tensor([[0.0, -inf, 1.0], [0.5, 0.2, -inf]], requires_grad=True)
    lq = gradgpu.tensor([[1.0, 0.0, -inf], [0.1, 0.3, -inf]], requires_grad=True)
    kl = D.kl_divergence(D.Categorical(logits=lp), D.Categorical(logits=lq))
    assert kl[0].item() == inf
    assert abs(kl[1].item() - 0.03100484609603882) < 1e-6
    kl[1].backward()
    assert all(abs(a - b) < 1e-6 for a, b in zip(lq.grad[1].tolist(),
                                                   [-0.12427648901939392, 0.1242765486240387, 0.0]))
    assert lp.grad.isfinite().all().item()
