"""The older ``nn.utils.spectral_norm``: a forward pre-hook setting ``weight = weight_orig /
sigma``, sigma estimated by power iteration on the buffers ``weight_u`` and ``weight_v``
(state-dict keys ``weight_orig``, ``weight_u``, ``weight_v``)."""

from __future__ import annotations

from ... import _factories
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.module import Module
from ..parameter import Parameter
from .parametrizations import _default_spectral_dim, _to_matrix
from .weight_norm import _remove_pre_hook

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The pre-hook: ``module.<name> = <name>_orig / (u . (W v))``, u and v updated by
    ``n_power_iterations`` steps (v <- W^T u, u <- W v, normalized) in training mode."""

    _version = 1

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def compute_weight(self, module: Module, do_power_iteration: bool):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = _to_matrix(weight, self.dim % weight.ndim)
        if do_power_iteration:
            with no_grad():
                w = weight_mat.detach()
                for _ in range(self.n_power_iterations):  # in place: buffers keep identity
                    v.copy_(F.normalize(w.mT @ u, dim=0, eps=self.eps))
                    u.copy_(F.normalize(w @ v, dim=0, eps=self.eps))
                u, v = u.clone(), v.clone()  # the graph must not see later in-place updates
        sigma = (u * (weight_mat @ v)).sum()
        return weight / sigma

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name,
                self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int,
              eps: float) -> SpectralNorm:
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError("Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        with no_grad():
            h, w = _to_matrix(weight, dim % weight.ndim).shape
            u = F.normalize(_factories.empty(h, dtype=weight.dtype, device=weight.device)
                            .normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(_factories.empty(w, dtype=weight.dtype, device=weight.device)
                            .normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Rescale ``module.<name>`` by its estimated largest singular value before each forward
    (dim defaults to 1 for ConvTranspose modules, 0 otherwise)."""
    if dim is None:
        dim = _default_spectral_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``module.<name>`` is a plain parameter (the normalized value)."""
    return _remove_pre_hook(module, name, SpectralNorm, "spectral_norm")
