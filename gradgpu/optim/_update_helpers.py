"""What the built-in optimizers' ``_update_group`` methods share: argument checks, the step
counters, and the batching of a group's parameters by backend (device) into one fused step call.
"""

from __future__ import annotations

from typing import Any

from .. import _dtypes
from .._factories import zeros
from ..backend import backend_of
from ..tensor import Tensor


def _scalar_dtype():
    """dtype of the ``step`` counters: float64 when that is the default dtype, else float32."""
    default = _dtypes.get_default_dtype()
    return default if default is _dtypes.float64 else _dtypes.float32


def _new_step_counter() -> Tensor:
    """A 0-d float tensor counting steps, kept on the CPU (it is read on the host each step),
    as PyTorch keeps it when the optimizer is neither fused nor capturable."""
    return zeros((), dtype=_scalar_dtype())


def _check_nonnegative(value, label: str) -> None:
    """PyTorch's argument check and message: ``Invalid learning rate: -1``."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label}: {value}")


def _check_impl_flags(foreach, fused) -> None:
    """``foreach``/``fused`` are accepted for PyTorch compatibility: every group goes through
    ``_update_group`` whichever is set (fused where the backend has the kernel)."""
    if foreach and fused:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _check_graph_flags(name: str, capturable: bool, differentiable: bool) -> None:
    """``capturable``/``differentiable`` are accepted (and kept in the groups, as PyTorch does)
    only as False: steps run under no_grad with host-side step counts."""
    for flag, value in (("capturable", capturable), ("differentiable", differentiable)):
        if value:
            raise NotImplementedError(f"{name}({flag}=True) is not supported by gradgpu: its "
                                      "steps run under no_grad with step counts on the host")


# ---- helpers of the built-in optimizers' ``_update_group`` ---------------------------------------

def _batches(params: list[Tensor], keys: list | None = None):
    """``((backend, key), indices)`` pairs: the parameters one fused step call can take, i.e.
    those on one backend (device) and, when ``keys`` is given, with equal ``keys[i]`` (a step
    count that sets the bias corrections, a first-step flag). Usually a single batch."""
    batches: dict[tuple, list[int]] = {}
    for i, p in enumerate(params):
        key = (backend_of(p._data), None if keys is None else keys[i])
        batches.setdefault(key, []).append(i)
    return batches.items()


def _arrays(tensors: list[Tensor], indices: list[int]) -> list:
    """The raw arrays of ``tensors[i]`` for i in ``indices``."""
    return [tensors[i]._data for i in indices]


def _state_arrays(states: list[dict], indices: list[int], key: str) -> list:
    """The raw arrays of ``states[i][key]`` for i in ``indices``."""
    return [states[i][key]._data for i in indices]


def _advance_step(state: dict[str, Any]) -> float:
    """Count one more step in ``state["step"]`` (in place, as PyTorch); the new count."""
    step = state["step"]
    step += 1
    return step.item()


def _mark_updated(params: list[Tensor], states: list, keys: tuple[str, ...]) -> None:
    """Bump the version counters of the parameters and of their ``keys`` state tensors, which
    the backend step wrote in place through their raw arrays (so that a graph that saved one of
    them refuses to backward, as after any in-place op)."""
    for p in params:
        p._version_counter[0] += 1
    for state in states:
        for key in keys:
            t = state.get(key) if state is not None else None
            if t is not None:
                t._version_counter[0] += 1
