"""PyTorch-style ``repr`` of tensors: ``tensor([1.5000, 2.0000], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

from . import _dtypes

_THRESHOLD = 1000  # more elements than this are summarized with "..."
_EDGE = 3


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)].astype(np.float64)
    nonzero = np.abs(finite[finite != 0])
    if finite.size == 0 or np.all(finite == np.round(finite)):
        if nonzero.size and (nonzero.max() > 1e8):
            return lambda v: _special(v) or f"{v:.4e}"
        return lambda v: _special(v) or f"{v:.0f}."
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8
                         or nonzero.min() < 1e-4):
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _shown_values(arr: np.ndarray) -> np.ndarray:
    """The values that will be printed (edges only when summarizing)."""
    if arr.size <= _THRESHOLD or arr.ndim == 0:
        return arr.ravel()
    idx = tuple(
        np.r_[0:min(_EDGE, n), max(n - _EDGE, min(_EDGE, n)):n] for n in arr.shape
    )
    return arr[np.ix_(*idx)].ravel()


def format_array(arr: np.ndarray, prefix: str) -> str:
    """The bracketed body of the repr."""
    kind = arr.dtype.kind
    shown = _shown_values(arr)
    if kind == "f":
        base = _float_formatter(shown)
    elif kind == "b":
        base = str
    else:
        base = lambda v: str(int(v))  # noqa: E731
    width = max((len(base(v)) for v in shown), default=0)

    def fmt(v):
        return base(v).rjust(width)

    if arr.ndim == 0:
        return base(arr.item() if kind != "f" else arr[()])
    return np.array2string(
        arr, separator=", ", prefix=prefix, formatter={"all": fmt},
        threshold=_THRESHOLD, edgeitems=_EDGE, max_line_width=80,
    )


def tensor_repr(t) -> str:
    arr = t._host_array()
    prefix = "tensor("
    body = format_array(arr, prefix)
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if arr.size == 0 and arr.ndim != 1:
        extras.append(f"size={tuple(arr.shape)}")
    dt = t.dtype
    if dt not in (_dtypes.get_default_dtype(), _dtypes.int64, _dtypes.bool_):
        extras.append(f"dtype={dt}")
    if t._grad_fn is not None:
        extras.append(f"grad_fn=<{type(t._grad_fn).__name__}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
