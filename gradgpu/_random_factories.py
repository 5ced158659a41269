"""Random factories: rand, randn, rand_like, randn_like, randint, randperm, normal (drawn
from a Generator: NumPy's PCG64 on the CPU, our Philox kernels on the GPU)."""

from __future__ import annotations

import numpy as np

from . import _dtypes
from ._factories import _factory_dtype, _finish, _like, _resolve_device, _sizes
from ._random import generator_for
from .tensor import Tensor


def _random(size, dtype, device, requires_grad, generator, draw):
    dt = _factory_dtype(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"random floating values are not implemented for '{dt.name}'")
    dev = _resolve_device(device)
    gen = generator_for(dev, generator)
    arr = draw(gen._backend, gen._rng, _sizes(size), dt.np)
    return _finish(arr, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    return _random(size, dtype, device, requires_grad, generator,
                   lambda be, rng, shape, dt: be.uniform(rng, shape, dt))


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    return _random(size, dtype, device, requires_grad, generator,
                   lambda be, rng, shape, dt: be.normal(rng, shape, dt))


def rand_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return rand(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return randn(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` starts at 0."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size)
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    dt = _factory_dtype(dtype, _dtypes.int64)
    if dt.category != _dtypes._FLOAT:  # a draw outside the dtype's range would wrap
        lo, hi = (0, 1) if dt is _dtypes.bool_ else (np.iinfo(dt.np).min, np.iinfo(dt.np).max)
        if low < lo:
            raise RuntimeError(f"from is out of bounds for {dt.name}")
        if high - 1 > hi:
            raise RuntimeError(f"to - 1 is out of bounds for {dt.name}")
    dev = _resolve_device(device)
    gen = generator_for(dev, generator)
    arr = gen._backend.randint(gen._rng, int(low), int(high), _sizes((size,)), dt.np)
    return _finish(arr, requires_grad)


def randperm(n: int, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dev = _resolve_device(device)
    gen = generator_for(dev, generator)
    dt = _factory_dtype(dtype, _dtypes.int64)
    return _finish(gen._backend.permutation(gen._rng, n).astype(dt.np), requires_grad)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or numbers with ``size``."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if bool((std._data < 0).any()) if isinstance(std, Tensor) else std < 0:
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())),
                                    tuple(getattr(std, "shape", ())))
        noise = randn(shape, generator=generator, dtype=ref.dtype, device=ref.device)
        with _no_grad():
            out = noise * std + mean
        return out.requires_grad_(requires_grad) if requires_grad else out
    if size is None:
        raise TypeError("normal(): with float mean and std, 'size' is required")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    out = randn(size, generator=generator, dtype=dtype, device=device)
    out._data *= std
    out._data += mean
    return out.requires_grad_(requires_grad) if requires_grad else out


def _no_grad():
    from .autograd.grad_mode import no_grad

    return no_grad()
