"""Random sampling from tensors: multinomial, bernoulli, and the in-place fillers uniform_,
normal_ and bernoulli_.

Random numbers come from a ``gradgpu.Generator`` (the device's default one unless given), so
results are reproducible with ``gradgpu.manual_seed``. Samples are not differentiable.
"""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._random import generator_for
from ..autograd.grad_mode import _state
from ._common import Tensor, backend_of, check_tensor, xp_of
from .inplace import _check_writable, _replace, commit

_F64 = np.float64


def _draw(input, generator):
    """(backend, rng) of the generator serving ``input``'s device."""
    gen = generator_for(input.device, generator)
    return gen._backend, gen._rng


def _any(arr) -> bool:
    return bool(arr.any())


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None):
    """Category indices drawn from the rows of ``input`` (non-negative weights, not
    necessarily normalized), with or without replacement; int64 of shape (rows, num_samples)
    or (num_samples,) for a 1-D input."""
    check_tensor(input, "multinomial")
    xd = input._data
    if xd.ndim not in (1, 2):
        raise RuntimeError(f"multinomial(): prob_dist must be 1 or 2 dim, got {xd.ndim}-D "
                           f"input of shape {list(xd.shape)}")
    if xd.dtype.kind != "f":
        raise RuntimeError(f"multinomial(): only supports floating-point dtypes for input, "
                           f"got {input.dtype}")
    if isinstance(num_samples, (bool, np.bool_)) or not isinstance(num_samples,
                                                                    (int, np.integer)):
        raise TypeError(f"multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError(f"multinomial(): cannot sample n_sample <= 0 samples "
                           f"(got num_samples={num_samples})")
    n = xd.shape[-1]
    if n == 0:
        raise RuntimeError("multinomial(): input has no categories (size 0 in its last dim)")
    xp = xp_of(input)
    p = xd.reshape(-1, n).astype(_F64)
    if _any(~xp.isfinite(p) | (p < 0)):
        raise RuntimeError("multinomial(): probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if _any(p.sum(axis=1) <= 0):
        raise RuntimeError("multinomial(): invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    if not replacement:
        if num_samples > n:
            raise RuntimeError(f"multinomial(): cannot sample n_sample > prob_dist.size(-1) "
                               f"samples without replacement ({num_samples} > {n})")
        fewest = int((p > 0).sum(axis=1).min()) if p.shape[0] else n  # (no rows: no draws)
        if num_samples > fewest:
            raise RuntimeError(f"multinomial(): cannot sample {num_samples} samples without "
                               f"replacement from a distribution with only {fewest} non-zero "
                               f"categories")
    be, rng = _draw(input, generator)
    u = be.uniform(rng, (p.shape[0], num_samples if replacement else n), _F64)
    with be.quiet():
        if replacement:
            idx = _with_replacement(xp, p, u)
        else:
            idx = _without_replacement(xp, p, u)[:, :num_samples]
    idx = idx.astype(_dtypes.int64.np, copy=False)
    return Tensor._make(idx.reshape(num_samples) if xd.ndim == 1 else idx)


def _with_replacement(xp, p, u):
    """Inverse-CDF sampling, all rows in one searchsorted: row r's CDF is shifted to
    [2r, 2r + 1], so the concatenated CDFs stay sorted and rows cannot mix."""
    rows, n = p.shape
    cdf = xp.cumsum(p, axis=1)
    cdf = cdf / cdf[:, -1:]
    offset = 2.0 * xp.arange(rows, dtype=_F64)[:, None]
    pos = xp.searchsorted((cdf + offset).reshape(-1), (u + offset).reshape(-1), side="right")
    idx = pos.reshape(u.shape) - n * xp.arange(rows)[:, None]
    # rounding in u + offset can only overshoot past the end: clamp to the last category
    # that has weight
    last = n - 1 - xp.argmax(p[:, ::-1] > 0, axis=1)
    return xp.minimum(idx, last[:, None])


def _without_replacement(xp, p, u):
    """Exponential race: category i finishes at E_i / p_i with E_i ~ Exp(1); the order of
    finishing is a draw without replacement proportional to p (zero weights never finish)."""
    e = -xp.log1p(-u)
    keys = xp.where(p > 0, e / xp.where(p > 0, p, 1.0), xp.inf)
    return backend_of(keys).argsort_stable(keys, 1)


def _require_float_probabilities(p, op):
    if p._data.dtype.kind != "f":  # PyTorch has no integer probabilities
        raise NotImplementedError(f'"{op}" not implemented for \'{p.dtype.name}\' '
                                  f"probabilities (expected a floating point tensor)")


def _check_probabilities(p, op):
    if _any((p < 0) | (p > 1) | (p != p)):
        raise RuntimeError(f"{op}(): expected all probabilities to be in [0, 1]")


def bernoulli(input, p=None, *, generator=None):
    """0/1 samples, 1 with probability ``input`` (or ``p``), in ``input``'s dtype and shape."""
    check_tensor(input, "bernoulli")
    xd = input._data
    if p is None:
        probs = xd
        _require_float_probabilities(input, "bernoulli")
        _check_probabilities(probs, "bernoulli")
    else:
        if not 0 <= float(p) <= 1:
            raise RuntimeError(f"bernoulli(): expected p in [0, 1], got {p}")
        probs = float(p)
    be, rng = _draw(input, generator)
    u = be.uniform(rng, xd.shape, _F64)
    return Tensor._make((u < probs).astype(xd.dtype))


def _fill_with(self, arr, op):
    """Write ``arr`` into ``self`` as an in-place op (bumps the version; inside a recorded
    graph the result takes over self's history with zero gradient to the old values)."""
    if _state.enabled and self._requires_grad:
        return commit(self, _replace(self, Tensor._make(arr.astype(self._data.dtype))), op)
    self._data[...] = arr
    self._version_counter[0] += 1
    return self


def _broadcasts_to(src, dst) -> bool:
    try:
        return np.broadcast_shapes(tuple(src), tuple(dst)) == tuple(dst)
    except ValueError:
        return False


def _require_float(self, op):
    if self._data.dtype.kind != "f":  # (PyTorch's error type: NotImplementedError)
        raise NotImplementedError(f"{op}: expected a floating point tensor, got {self.dtype}")


def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None, **bounds):
    """Fill with uniform samples on [a, b) (PyTorch's ``from``/``to`` keywords work too)."""
    a = bounds.pop("from", a)
    b = bounds.pop("to", b)
    if bounds:
        raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(bounds))}'")
    check_tensor(self, "uniform_")
    _check_writable(self, "uniform_")
    _require_float(self, "uniform_")
    a, b = float(a), float(b)
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={a} > to={b}")
    top = float(np.finfo(self._data.dtype).max)
    for name, bound in (("from", a), ("to", b)):
        if not -top <= bound <= top:  # inf, NaN, or beyond the dtype (would give inf samples)
            raise RuntimeError(f"uniform_: {name} is out of bounds for {self.dtype.name} "
                               f"(got {bound})")
    if b - a > top:
        raise RuntimeError(f"uniform_ expects to-from <= the largest {self.dtype.name}, but "
                           f"found to={b} and from={a} which result in to-from to exceed "
                           "the limit")
    be, rng = _draw(self, generator)
    arr = (be.uniform(rng, self._data.shape, _F64) * (b - a) + a).astype(self._data.dtype)
    if a < b:  # rounding to a narrower dtype may land on b itself; keep the interval open
        kind = self._data.dtype.type
        arr = be.xp.minimum(arr, np.nextafter(kind(b), kind(a)))
    return _fill_with(self, arr, "uniform_")


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    """Fill with normal samples N(mean, std^2)."""
    check_tensor(self, "normal_")
    _check_writable(self, "normal_")
    _require_float(self, "normal_")
    if not std >= 0:  # (NaN too)
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
    be, rng = _draw(self, generator)
    arr = be.normal(rng, self._data.shape, _F64) * float(std) + float(mean)
    return _fill_with(self, arr, "normal_")


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 samples, 1 with probability ``p`` (a number or a broadcastable tensor)."""
    check_tensor(self, "bernoulli_")
    _check_writable(self, "bernoulli_")
    if isinstance(p, Tensor):
        probs = p._data
        _require_float_probabilities(p, "bernoulli_")
        _check_probabilities(probs, "bernoulli_")
        if backend_of(probs) is not backend_of(self._data):
            raise RuntimeError(f"bernoulli_: expected p on {self.device}, got {p.device}")
        if not _broadcasts_to(probs.shape, self._data.shape):
            raise RuntimeError(f"bernoulli_: p of shape {list(p.shape)} cannot be broadcast "
                               f"to self of shape {list(self.shape)}")
    else:
        if not 0 <= float(p) <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        probs = float(p)
    be, rng = _draw(self, generator)
    arr = be.uniform(rng, self._data.shape, _F64) < probs
    return _fill_with(self, arr, "bernoulli_")


TENSOR_METHODS = {
    "multinomial": multinomial, "bernoulli": bernoulli, "uniform_": uniform_,
    "normal_": normal_, "bernoulli_": bernoulli_,
}
FUNCTIONS: dict = {}
