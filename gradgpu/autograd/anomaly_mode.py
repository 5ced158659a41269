"""Anomaly detection, as ``torch.autograd.detect_anomaly`` / ``set_detect_anomaly``.

While it is on, every recorded node keeps the stack of the forward call that made it
(``Function.apply``). In backward, a node whose backward raises, or (``check_nan``) returns a
gradient holding NaN, is reported with a warning that shows that stack; the NaN case raises
PyTorch's RuntimeError. It costs a stack capture per recorded op and, with ``check_nan``, a NaN
test per gradient (a device-to-host read on a GPU): a debugging mode.
"""

from __future__ import annotations

import traceback
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


class _AnomalyState:
    enabled = False
    check_nan = True


state = _AnomalyState()


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection tests gradients for NaN."""
    return state.check_nan


class detect_anomaly:
    """Context manager that turns anomaly detection on (with a warning that it is slow)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = (state.enabled, state.check_nan)
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        state.enabled, state.check_nan = True, self.check_nan

    def __exit__(self, *exc) -> None:
        state.enabled, state.check_nan = self.prev


class set_detect_anomaly:
    """Turn anomaly detection on or off, at once; as a context manager, until the block
    ends."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = bool(mode), bool(check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        state.enabled, state.check_nan = self.prev


def record_forward_trace(node) -> None:
    """Keep the stack of the forward call that recorded ``node`` (anomaly mode only)."""
    node._forward_trace = traceback.format_stack()[:-2]  # (without apply and this function)


def check_nan(node, grads) -> None:
    """With ``check_nan``: raise PyTorch's error if a gradient ``node`` returned holds NaN."""
    if not state.check_nan:
        return
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind == "f" and bool((g._data != g._data).any()):
            warn_forward_trace(node)
            raise RuntimeError(f"Function '{type(node).__name__}' returned nan values in its "
                               f"{i}th output.")


def warn_forward_trace(node) -> None:
    """Warn with the stack of the forward call that recorded ``node``."""
    trace = getattr(node, "_forward_trace", None)
    name = type(node).__name__
    if trace is None:
        warnings.warn(f"Error detected in {name}. No forward pass information available. "
                      "Enable detect anomaly during forward pass for more information.",
                      stacklevel=4)
        return
    warnings.warn(f"Error detected in {name}. Traceback of forward call that caused the "
                  f"error:\n{''.join(trace)}", stacklevel=4)
