"""gradgpu.linalg: PyTorch's torch.linalg namespace (float32/float64, batched over leading dims,
differentiable, create_graph included). Forward runs on the backend's ``xp.linalg`` (NumPy's
on the host, CuPy's on the GPU).

Host syncs on the GPU: inv, solve and cholesky read one flag on the host to raise
``LinAlgError`` for singular / not positive-definite input (PyTorch syncs there too).
Everything else stays on the device."""

from __future__ import annotations

from ..ops.linalg_inverse import LinAlgError, cholesky, det, inv, slogdet, solve
from ..ops.linalg_lstsq import lstsq
from ..ops.linalg_matrix_exp import matrix_exp
from ..ops.linalg_norms import (
    cross,
    matrix_norm,
    matrix_power,
    multi_dot,
    norm,
    vecdot,
    vector_norm,
)
from ..ops.linalg_spectral import (
    diagonal_of as diagonal,
)
from ..ops.linalg_spectral import (
    eigh,
    eigvalsh,
    matrix_rank,
    pinv,
    qr,
    svd,
    svdvals,
)
from ..ops.linalg_triangular import solve_triangular

__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "lstsq",
    "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
    "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot", "vector_norm",
]
