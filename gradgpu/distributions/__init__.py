"""gradgpu.distributions: torch.distributions' core families, their KL divergences and
constraints. Samples come from gradgpu's generators (``gradgpu.manual_seed`` makes them
reproducible; the numbers differ from PyTorch's); log_prob, entropy, rsample and
kl_divergence are differentiable w.r.t. the parameters."""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .exponential import Exponential
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Categorical", "Distribution", "Exponential", "Independent", "Laplace",
    "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform", "constraints",
    "kl_divergence", "register_kl",
]
