"""MultivariateNormal (three parameterizations, batch broadcasting) and Independent: values
against PyTorch-derived constants, gradients through the Cholesky factor, sample moments."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import gradcheck, gradgradcheck
from gradgpu.distributions import Independent, MultivariateNormal, Normal

from ._helpers import close, t64

COV = np.array([[2.0, 0.5, 0.1], [0.5, 1.5, 0.2], [0.1, 0.2, 1.0]])
COV2 = np.array([[1.0, 0.3, 0.0], [0.3, 2.0, 0.4], [0.0, 0.4, 0.5]])
LOC = [0.1, -0.2, 0.3]
X = [[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]
# torch.distributions.MultivariateNormal(LOC, COV)
LOG_PROB = [-5.03045384119, -3.941855710349]
ENTROPY = 4.748790289788
PRECISION = [[0.545794392523, -0.179439252336, -0.018691588785],
             [-0.179439252336, 0.743925233645, -0.130841121495],
             [-0.018691588785, -0.130841121495, 1.028037383178]]


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_parameterizations_match_pytorch(param, device):
    matrix = {"covariance_matrix": COV, "precision_matrix": np.linalg.inv(COV),
              "scale_tril": np.linalg.cholesky(COV)}[param]
    d = MultivariateNormal(t64(LOC, device), **{param: t64(matrix, device)})
    assert d.batch_shape == () and d.event_shape == (3,)
    close(d.log_prob(t64(X, device)), LOG_PROB, rtol=1e-10)
    close(d.entropy(), ENTROPY, rtol=1e-11)
    close(d.covariance_matrix, COV)
    close(d.precision_matrix, PRECISION, rtol=1e-10)
    close(d.scale_tril, np.linalg.cholesky(COV))
    close(d.variance, np.diag(COV))
    close(d.mean, LOC)
    close(d.mode, LOC)


def test_batch_dims_broadcast_between_loc_and_matrix(device):
    d = MultivariateNormal(t64([LOC, [0.0] * 3], device), t64(COV, device))
    assert d.batch_shape == (2,) and d.covariance_matrix.shape == (2, 3, 3)
    close(d.log_prob(t64([0.0, 1.0, 2.0], device)), [-5.030453841189872, -5.4151454299749195])
    close(d.entropy(), [ENTROPY] * 2, rtol=1e-11)
    e = MultivariateNormal(t64([0.0, 1.0, 0.0], device), t64(np.stack([COV, COV2]), device))
    assert e.batch_shape == (2,)
    close(e.log_prob(t64([0.0, 1.0, 2.0], device)), [-5.304865056143144, -7.447140463990996])
    close(e.entropy(), [4.748790289788004, 4.142109017450116])
    assert e.expand((4, 2)).sample((5,)).shape == (5, 4, 2, 3)


def _spd(a: gradgpu.Tensor) -> gradgpu.Tensor:
    return a @ a.mT + gradgpu.eye(3, dtype=a.dtype, device=a.device)


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_log_prob_entropy_rsample_gradients(param, device):
    a = t64(np.linalg.cholesky(COV), device, requires_grad=True)
    loc = t64(LOC, device, requires_grad=True)
    x = t64(X, device)

    def f(loc, a):
        matrix = a.tril() if param == "scale_tril" else _spd(a)
        d = MultivariateNormal(loc, **{param: matrix})
        gradgpu.manual_seed(4)
        return d.log_prob(x), d.entropy(), d.rsample((2,))

    assert gradcheck(f, (loc, a))


def test_the_cholesky_and_triangular_solve_it_uses_are_twice_differentiable(device):
    a = t64(np.linalg.cholesky(COV) + 0.1 * np.triu(np.ones((3, 3)), 1), device,
            requires_grad=True)
    b = t64([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]], device, requires_grad=True)
    assert gradcheck(lambda a: gradgpu.linalg.cholesky(_spd(a)), (a,))
    assert gradgradcheck(lambda a: gradgpu.linalg.cholesky(_spd(a)), (a,))
    solve = gradgpu.linalg.solve_triangular
    assert gradcheck(lambda a, b: solve(a.tril(), b, upper=False), (a, b))
    assert gradgradcheck(lambda a, b: solve(a.triu(), b, upper=True), (a, b))


def test_sample_mean_and_covariance(device):
    gradgpu.manual_seed(2)
    n = 40000
    d = MultivariateNormal(t64(LOC, device), t64(COV, device))
    s = d.sample((n,)).cpu().numpy()
    assert s.shape == (n, 3)
    # standard errors: sqrt(var/n) <= 0.0071 for the mean, sqrt((s_ii s_jj + s_ij^2)/n)
    # <= 0.015 for the covariance: 5 of each
    np.testing.assert_allclose(s.mean(0), LOC, atol=0.036)
    np.testing.assert_allclose(np.cov(s.T), COV, atol=0.075)


def test_argument_errors():
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        MultivariateNormal(gradgpu.tensor(0.0), gradgpu.eye(1))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        MultivariateNormal(gradgpu.zeros(2))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        MultivariateNormal(gradgpu.zeros(2), gradgpu.eye(2), scale_tril=gradgpu.eye(2))
    with pytest.raises(ValueError, match="covariance_matrix matrix must be at least two-dim"):
        MultivariateNormal(gradgpu.zeros(2), gradgpu.ones(2))
    with pytest.raises(ValueError, match=r"covariance_matrix .* PositiveDefinite\(\)"):
        MultivariateNormal(gradgpu.zeros(2), gradgpu.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match=r"scale_tril .* LowerCholesky\(\)"):
        MultivariateNormal(gradgpu.zeros(2), scale_tril=gradgpu.tensor([[1.0, 1.0],
                                                                        [0.0, 1.0]]))
    d = MultivariateNormal(gradgpu.zeros(2), gradgpu.eye(2))
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        d.log_prob(gradgpu.zeros(3))


# ---- Independent ------------------------------------------------------------------------------
def test_independent_sums_log_prob_and_entropy(device):
    base = Normal(t64([[0.3, -1.2]], device), t64([[0.5, 2.0]], device))
    d = Independent(base, 1)
    assert d.batch_shape == (1,) and d.event_shape == (2,) and d.has_rsample
    # torch: Normal log_prob [-0.305791352645, -3.817085713765], entropy [0.7257.., 2.1120..]
    close(d.log_prob(t64([0.1, 3.0], device)), [-4.12287706641], rtol=1e-10)
    close(d.entropy(), [2.83787706641], rtol=1e-10)
    assert d.sample((4,)).shape == (4, 1, 2)
    assert d.expand((3,)).batch_shape == (3,) and d.expand((3,)).sample().shape == (3, 2)
    assert repr(d).startswith("Independent(Normal(loc: ") and repr(d).endswith(", 1)")
    assert not Independent(base, 1).has_enumerate_support
    assert bool(d.support.check(t64([[0.0, 1.0]], device)).all())


def test_independent_errors():
    with pytest.raises(ValueError, match="Expected reinterpreted_batch_ndims <= "
                                         r"len\(base_distribution.batch_shape\), actual 1 vs 0"):
        Independent(Normal(0.0, 1.0), 1)


def test_log_prob_solves_all_samples_of_one_factor_at_once(device, monkeypatch):
    # one triangular solve with the samples as columns, as PyTorch's _batch_mahalanobis: no
    # per-sample copy (or factorization) of L, whose gradient would be O(N n^2) memory
    L = t64([[[1.0, 0.0, 0.0], [0.5, 2.0, 0.0], [0.1, 0.2, 1.0]],
             [[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]]], device, requires_grad=True)
    d = MultivariateNormal(t64(LOC, device), scale_tril=L)
    shapes = []
    solve = gradgpu.linalg.solve_triangular

    def recording(A, B, **kw):
        shapes.append((tuple(A.shape), tuple(B.shape)))
        return solve(A, B, **kw)

    monkeypatch.setattr(gradgpu.linalg, "solve_triangular", recording)
    x = t64([[[0.0, 1.0, 2.0]], [[1.0, 1.0, 1.0]], [[-1.0, 0.0, 0.5]]], device)
    lp = d.log_prob(x)  # value (3, 1, 3) against batch (2,): samples x batch = (3, 2)
    # torch.distributions.MultivariateNormal(LOC, scale_tril=L).log_prob(x)
    close(lp, [[-4.906387780174, -4.322462780174], [-4.068387780174, -4.722462780174],
               [-4.152887780174, -3.772462780174]])
    assert shapes == [((2, 3, 3), (2, 3, 3))]
