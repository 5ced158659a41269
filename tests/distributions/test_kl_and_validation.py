"""kl_divergence closed forms against PyTorch-derived constants and their gradients;
register_kl dispatch; argument/sample validation and set_default_validate_args; constraints."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import gradcheck
from gradgpu.distributions import (
    Bernoulli,
    Categorical,
    Distribution,
    Exponential,
    Independent,
    Laplace,
    MultivariateNormal,
    Normal,
    OneHotCategorical,
    Uniform,
    constraints,
    kl_divergence,
    register_kl,
)

from ._helpers import close, t64

INF = math.inf
# (family, p's params, q's params, torch.distributions.kl_divergence(p, q))
KL_CASES = [
    (Normal, ([0.3, -1.2], [0.5, 2.0]), ([1.0, 0.0], [1.0, 1.0]),
     [0.56314718056, 1.52685281944]),
    (Laplace, ([0.3, -1.2], [0.5, 2.0]), ([1.0, 0.0], [1.0, 1.0]),
     [0.516445662531, 0.604476091628]),
    (Exponential, ([0.5, 2.0],), ([1.5, 0.3],), [0.901387711332, 1.047119984886]),
    (Uniform, ([0.0, 0.0], [1.0, 2.0]), ([-1.0, 0.5], [2.0, 3.0]), [1.098612288668, INF]),
    (Bernoulli, ([0.2, 0.0, 1.0, 0.3, 0.0],), ([0.5, 0.5, 0.5, 0.0, 0.0],),
     [0.192744757022, 0.69314718056, 0.69314718056, INF, 0.0]),
    (Categorical, ([[0.2, 0.8, 0.0], [0.3, 0.3, 0.4]],), ([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]],),
     [0.192744757022, INF]),
    (OneHotCategorical, ([[0.2, 0.8, 0.0], [0.3, 0.3, 0.4]],),
     ([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]],), [0.192744757022, INF]),
]
COV = [[2.0, 0.5, 0.1], [0.5, 1.5, 0.2], [0.1, 0.2, 1.0]]
COV2 = [[1.0, 0.3, 0.0], [0.3, 2.0, 0.4], [0.0, 0.4, 0.5]]


@pytest.mark.parametrize("case", KL_CASES, ids=[c[0].__name__ for c in KL_CASES])
def test_kl_matches_pytorch(case, device):
    cls, pa, qa, expected = case
    p = cls(*(t64(x, device) for x in pa))
    q = cls(*(t64(x, device) for x in qa))
    close(kl_divergence(p, q), expected, rtol=1e-10)


def test_kl_multivariate_normal_and_independent(device):
    loc = t64([0.1, -0.2, 0.3], device)
    p = MultivariateNormal(loc, t64(COV, device))
    q = MultivariateNormal(-loc, t64(COV2, device))
    close(kl_divergence(p, q), 1.100865897473, rtol=1e-10)
    close(kl_divergence(p, p), 0.0, atol=1e-12)
    ip = Independent(Normal(t64([0.3, -1.2], device), t64([0.5, 2.0], device)), 1)
    iq = Independent(Normal(t64([1.0, 0.0], device), t64([1.0, 1.0], device)), 1)
    close(kl_divergence(ip, iq), 2.09, rtol=1e-10)
    with pytest.raises(ValueError, match="different event shapes"):
        kl_divergence(p, MultivariateNormal(gradgpu.zeros(2, dtype=gradgpu.float64,
                                                          device=device),
                                            gradgpu.eye(2, dtype=gradgpu.float64,
                                                        device=device)))


@pytest.mark.parametrize("cls, pa, qa", [
    (Normal, ([0.3, -1.2], [0.5, 2.0]), ([1.0, 0.0], [1.0, 1.5])),
    (Laplace, ([0.3, -1.2], [0.5, 2.0]), ([1.0, 0.0], [1.0, 1.5])),
    (Exponential, ([0.5, 2.0],), ([1.5, 0.3],)),
    (Uniform, ([0.0, 0.0], [1.0, 2.0]), ([-1.0, -0.5], [2.0, 3.0])),
    (Bernoulli, ([0.2, 0.7],), ([0.5, 0.4],)),
    (Categorical, ([[0.2, 0.8, 0.1]],), ([[0.5, 0.5, 0.2]],)),
], ids=["Normal", "Laplace", "Exponential", "Uniform", "Bernoulli", "Categorical"])
def test_kl_gradients(cls, pa, qa, device):
    params = [t64(x, device, requires_grad=True) for x in pa + qa]
    k = len(pa)
    assert gradcheck(lambda *ps: kl_divergence(cls(*ps[:k]), cls(*ps[k:])), tuple(params))


def test_kl_multivariate_normal_gradients(device):
    def spd(a):
        return a @ a.mT + gradgpu.eye(3, dtype=a.dtype, device=a.device)

    a = t64(np.linalg.cholesky(COV), device, requires_grad=True)
    b = t64(np.linalg.cholesky(COV2), device, requires_grad=True)
    loc = t64([0.1, -0.2, 0.3], device, requires_grad=True)
    assert gradcheck(lambda loc, a, b: kl_divergence(MultivariateNormal(loc, spd(a)),
                                                     MultivariateNormal(-loc, spd(b))),
                     (loc, a, b))


def test_kl_dispatch_and_register_kl():
    with pytest.raises(NotImplementedError,
                       match="No KL\\(p \\|\\| q\\) is implemented for p type Normal and q "
                             "type Exponential"):
        kl_divergence(Normal(0.0, 1.0), Exponential(1.0))

    class MyNormal(Normal):
        pass

    # a subclass uses its parent's closed form until one is registered for it
    close(kl_divergence(MyNormal(0.0, 1.0), Normal(1.0, 1.0)), 0.5)
    register_kl(MyNormal, Normal)(lambda p, q: gradgpu.tensor(-1.0))
    assert float(kl_divergence(MyNormal(0.0, 1.0), Normal(1.0, 1.0))) == -1.0
    assert float(kl_divergence(Normal(0.0, 1.0), Normal(1.0, 1.0))) == 0.5
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        register_kl(int, Normal)


# ---- validation -------------------------------------------------------------------------------
def test_parameters_are_validated_by_default():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(1,\)\) "
                                         r"of distribution Normal\(.*\) to satisfy the "
                                         r"constraint GreaterThan\(lower_bound=0.0\)"):
        Normal(gradgpu.tensor([0.0]), gradgpu.tensor([-1.0]))
    with pytest.raises(ValueError, match=r"probs .* Interval\(lower_bound=0.0, "
                                         r"upper_bound=1.0\)"):
        Bernoulli(probs=gradgpu.tensor([1.5]))
    with pytest.raises(ValueError, match=r"Expected parameter low .* LessThan"):
        Uniform(gradgpu.tensor(1.0), gradgpu.tensor(0.0))
    with pytest.raises(ValueError, match=r"rate .* GreaterThan\(lower_bound=0.0\)"):
        Exponential(gradgpu.tensor([0.0]))


def test_values_are_validated_against_support_and_shape():
    with pytest.raises(ValueError, match=r"Expected value argument \(Tensor of shape \(1,\)\) "
                                         r"to be within the support \(GreaterThanEq"):
        Exponential(gradgpu.tensor([1.0])).log_prob(gradgpu.tensor([-1.0]))
    with pytest.raises(ValueError, match=r"within the support \(Boolean\(\)\)"):
        Bernoulli(gradgpu.tensor([0.5])).log_prob(gradgpu.tensor([0.5]))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        Normal(0.0, 1.0).log_prob(1.0)
    with pytest.raises(ValueError, match="Value is not broadcastable with "
                                         "batch_shape\\+event_shape"):
        Normal(gradgpu.zeros(3), 1.0).log_prob(gradgpu.zeros(2))


def test_validate_args_false_and_default_switch():
    d = Normal(gradgpu.tensor([0.0]), gradgpu.tensor([-1.0]), validate_args=False)
    assert d.log_prob(gradgpu.tensor([0.0])).isnan().all()
    Distribution.set_default_validate_args(False)
    try:
        assert Exponential(gradgpu.tensor([-1.0])).batch_shape == (1,)
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        Exponential(gradgpu.tensor([-1.0]))
    with pytest.raises(ValueError):
        Distribution.set_default_validate_args("yes")


def test_constraints_check_and_repr():
    x = gradgpu.tensor([[0.2, 0.8], [0.5, 0.6]])
    assert constraints.simplex.check(x).tolist() == [True, False]
    assert constraints.positive.check(gradgpu.tensor([0.0, 1.0])).tolist() == [False, True]
    assert constraints.real.check(gradgpu.tensor([math.nan, INF])).tolist() == [False, True]
    assert constraints.independent(constraints.positive, 1).check(x - 0.3).tolist() \
        == [False, True]
    assert constraints.integer_interval(0, 2).check(gradgpu.tensor([0.0, 1.5, 3.0])).tolist() \
        == [True, False, False]
    assert repr(constraints.interval(0.0, 1.0)) == "Interval(lower_bound=0.0, upper_bound=1.0)"
    assert repr(constraints.real_vector) == "IndependentConstraint(Real(), 1)"
    assert constraints.is_dependent(Categorical.support)
    assert Categorical.support.event_dim == 0 and Categorical.support.is_discrete
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        constraints.dependent.check(x)
