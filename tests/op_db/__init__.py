"""The op registry (OpInfo-style): every differentiable op with sample inputs and a NumPy
float64 reference. ``tests/test_ops.py`` runs, for every entry, sample and device: forward vs
the reference, gradcheck in float64, and gradgradcheck where the op is twice differentiable.

Each module in this package defines ``OPS = [OpInfo(...), ...]``; all are collected below.

Sample arguments: a NumPy float array becomes a float64 tensor that requires grad (its
strides are kept, so a transposed array gives a non-contiguous tensor); ``Const(array)``
becomes a tensor that does not (indices, masks, or floats that are not differentiated);
anything else (numbers, tuples, None) is passed as is.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Const:
    """A tensor argument that is not differentiated."""

    array: Any


@dataclass
class Sample:
    args: tuple
    kwargs: dict = field(default_factory=dict)
    desc: str = ""
    grad: bool = True  # False for forward-only samples (extreme values, kinks)

    def __repr__(self) -> str:
        return self.desc or "sample"


@dataclass
class OpInfo:
    name: str
    op: Callable  # op(*tensors, **kwargs) -> Tensor or tuple
    ref: Callable  # ref(*float64 arrays, **kwargs) -> array or tuple of arrays
    samples: Callable[[np.random.Generator], list]  # rng -> [Sample, ...]
    gradcheck: bool = True
    gradgradcheck: bool = True
    atol: float = 1e-6  # forward tolerance in float64
    rtol: float = 1e-6
    f32_atol: float = 1e-4  # forward tolerance in float32 (vs the float64 reference)
    f32_rtol: float = 1e-4
    outputs: Callable | None = None  # picks the outputs to compare/differentiate (e.g. values)
    random: bool = False  # sampling ops: forward compared by a property test, not a reference


def all_ops() -> list:
    ops = []
    for mod in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        ops.extend(getattr(module, "OPS", []))
    names = [o.name for o in ops]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate op names in the registry: {dup}"
    return ops


def randn(rng, *shape):
    return rng.standard_normal(shape)


def positive(rng, *shape, low=0.5, high=2.0):
    return rng.uniform(low, high, shape)


def away_from_zero(rng, *shape, margin=0.2):
    """Normal samples pushed away from 0 (for ops with a kink at 0)."""
    x = rng.standard_normal(shape)
    return np.where(x >= 0, x + margin, x - margin)


def distinct(rng, *shape):
    """Values with no ties (for max/sort-like ops), in random order."""
    n = int(np.prod(shape)) if shape else 1
    vals = rng.permutation(n).astype(np.float64) * 0.37 + rng.uniform(0, 0.1, n)
    return vals.reshape(shape)
