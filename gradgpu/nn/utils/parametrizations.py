"""``nn.utils.parametrizations``: ``orthogonal``, ``weight_norm`` and ``spectral_norm`` as
parametrizations (``nn.utils.parametrize``), composed from differentiable gradgpu ops."""

from __future__ import annotations

from ... import _factories
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "weight_norm", "spectral_norm"]

_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """Q = (H_1 ... H_k)[:, :k] with H_i = I - tau_i v_i v_i^T, v_i the i-th column of
    tril(a, -1) with a unit diagonal (LAPACK's orgqr), for a (..., n, k) and tau (..., k)."""
    n, k = a.shape[-2], a.shape[-1]
    eye = _factories.eye(n, k, dtype=a.dtype, device=a.device)
    v = a.tril(-1) + eye
    q = eye.expand(*a.shape)
    for i in reversed(range(k)):  # Q <- H_i Q, applied right to left
        vi = v[..., :, i:i + 1]
        q = q - tau[..., i:i + 1].unsqueeze(-1) * (vi @ (vi.mT @ q))
    return q


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of a = QR with R's diagonal made positive (so the result is unique)."""
    from ... import linalg

    q, r = linalg.qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthogonal(q: Tensor) -> bool:
    import numpy as np

    n, k = q.shape[-2], q.shape[-1]
    eye = _factories.eye(k, dtype=q.dtype, device=q.device)
    eps = 10 * n * float(np.finfo(q._data.dtype).eps)
    # allclose(Q^T Q, I, rtol=1e-5, atol=eps) as PyTorch; a host sync, as there
    return bool(((q.mT @ q) - eye).abs().le(eps + 1e-5 * eye).all())


class _Orthogonal(Module):
    """Q = base @ map(X), map one of matrix_exp (exp(A)), cayley ((I - A/2)^-1 (I + A/2))
    with A = X_lower - X_lower^T, or householder (the product of the reflectors below X's
    diagonal), on the tall orientation of X."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:
                pad = _factories.zeros(n, n - k, dtype=X.dtype, device=X.device)
                X = _cat(X, pad)
            A = X - X.mT
            if self.orthogonal_map == "matrix_exp":
                from ... import matrix_exp

                Q = matrix_exp(A)
            else:
                from ... import linalg

                eye = _factories.eye(n, dtype=A.dtype, device=A.device)
                Q = linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if getattr(self, "base", None) is not None:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    @no_grad()
    def right_inverse(self, Q: Tensor) -> Tensor:
        """X with forward(X) = Q: with the trivialization, base <- Q completed to an
        orthogonal square matrix and X = -I (mapped to the identity)."""
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        if "base" not in self._buffers:
            raise NotImplementedError("It is not possible to assign to the matrix exponential "
                                      "or the Cayley parametrizations when "
                                      "use_trivialization=False.")
        Q_init = Q
        n, k = Q.shape[-2], Q.shape[-1]
        if n < k:
            Q = Q.mT
            n, k = k, n
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            from ..._random_factories import randn

            noise = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
            Q = _make_orthogonal(_cat(Q, noise))
        self.base = Q
        neg_id = _factories.zeros_like(Q_init)
        neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_id


def _cat(a: Tensor, b: Tensor) -> Tensor:
    from ...ops.shape import cat

    return cat([a, b.expand(*a.shape[:-2], *b.shape[-2:])], dim=-1)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Parametrize ``module.<name>`` (a matrix or batch of matrices) as an orthogonal matrix
    (orthonormal columns or rows when not square); ``orthogonal_map`` defaults to
    'matrix_exp' for square matrices and 'householder' otherwise."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if weight.is_complex():
        raise NotImplementedError("orthogonal: complex weights are not supported in gradgpu")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.shape[-2] == weight.shape[-1]
                          else "householder")
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    if orthogonal_map == "householder" and not use_trivialization:
        raise NotImplementedError("orthogonal: orthogonal_map='householder' with "
                                  "use_trivialization=False needs geqrf, which gradgpu lacks")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """||v||_2 over every dim but ``dim`` (kept as size-1 dims); the whole norm for dim -1."""
    if dim == -1:
        return v.norm()
    dim = dim % v.ndim
    others = [d for d in range(v.ndim) if d != dim]
    return v.norm(dim=others, keepdim=True) if others else v.abs()


class _WeightNorm(Module):
    """w = g v / ||v|| (the norm over every dim but ``dim``)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Parametrize ``module.<name>`` as g v / ||v||: ``original0`` is g (the norms over every
    dim but ``dim``; one norm for ``dim=None``), ``original1`` is v."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """W / sigma(W), sigma estimated by power iteration on the buffers ``_u`` and ``_v``
    (updated in training mode only)."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, "
                             f"{ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                weight_mat = _to_matrix(weight, self.dim)
                h, w = weight_mat.shape
                u = _factories.empty(h, dtype=weight.dtype, device=weight.device).normal_(0, 1)
                v = _factories.empty(w, dtype=weight.dtype, device=weight.device).normal_(0, 1)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    @no_grad()
    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        weight_mat = weight_mat.detach()
        for _ in range(n_power_iterations):  # in place: the buffers keep their identity
            self._u.copy_(F.normalize(weight_mat @ self._v, dim=0, eps=self.eps))
            self._v.copy_(F.normalize(weight_mat.mT @ self._u, dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = _to_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = (u * (weight_mat @ v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def _to_matrix(weight: Tensor, dim: int) -> Tensor:
    """weight with ``dim`` moved first, flattened to (size(dim), -1)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.reshape(weight.shape[0], -1)


def _default_spectral_dim(module: Module) -> int:
    from ..modules import conv as _conv

    transposed = tuple(getattr(_conv, n) for n in
                       ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
                       if hasattr(_conv, n))
    return 1 if transposed and isinstance(module, transposed) else 0


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Parametrize ``module.<name>`` as W / sigma(W), sigma its largest singular value
    estimated by ``n_power_iterations`` power-iteration steps per training-mode access (dim
    defaults to 1 for ConvTranspose modules, 0 otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_spectral_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
