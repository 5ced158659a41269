"""matrix_exp: e^A of square (batched) matrices by Padé [13/13] with scaling and squaring.

Composed of matmul and solve, so it runs on either backend and its gradient (also with
``create_graph``) is the exact derivative of the approximant (Higham 2005, "The scaling and
squaring method for the matrix exponential revisited").
"""

from __future__ import annotations

import math

from .. import _dtypes
from ._common import Tensor, backend_of, xp_of
from .linalg import matmul
from .linalg_inverse import solve

# Padé [13/13] numerator coefficients b_0 .. b_13 (the denominator has alternating signs)
_B = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
      129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
      40840800.0, 960960.0, 16380.0, 182.0, 1.0)
# the largest 1-norm for which the [13/13] approximant is accurate to double precision
_THETA_13 = 5.371920351148152


def matrix_exp(input: Tensor) -> Tensor:
    """Y = e^A = sum_k A^k / k! for A (..., n, n); dA = the derivative of the Padé approximant
    (through matmul and solve).

    The number of squarings comes from the largest 1-norm in the batch, read back to the host
    (one sync, as in LAPACK-style implementations)."""
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 "
                           "dimensions.")
    rows, cols = input._data.shape[-2:]
    if rows != cols:
        raise RuntimeError("linalg.matrix_exp: A must be batches of square matrices, but they "
                           f"are {rows} by {cols} matrices")
    if not _dtypes.from_numpy_dtype(input._data.dtype).is_floating_point:
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point tensor as input. Got "
                           f"{input.dtype.name}")
    n = input._data.shape[-1]
    if input._data.size == 0:
        return input.clone()
    xp = xp_of(input)
    norm = float(xp.abs(input._data).sum(axis=-2).max())  # 1-norm: the largest column sum
    if not math.isfinite(norm):
        s = 0  # NaN/inf propagate through the approximant as they should
    else:
        s = max(0, math.ceil(math.log2(norm / _THETA_13))) if norm > 0 else 0
    # an entry beyond the range overflows to inf (and inf - inf to NaN), as in PyTorch: no
    # NumPy warnings
    with backend_of(input._data).quiet():
        a = input / float(2 ** s) if s else input
        eye = xp.broadcast_to(xp.eye(n, dtype=input._data.dtype), input._data.shape)
        eye = Tensor._make(eye)
        a2 = matmul(a, a)
        a4 = matmul(a2, a2)
        a6 = matmul(a4, a2)
        b = _B
        u = matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2)
        u = matmul(a, u + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
        v = matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2)
        v = v + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
        out = solve(v - u, v + u)
        for _ in range(s):
            out = matmul(out, out)
        return out


TENSOR_METHODS = {"matrix_exp": matrix_exp}
