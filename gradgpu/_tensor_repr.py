"""PyTorch-style ``repr`` of tensors: ``tensor([1.5000, 2.0000], requires_grad=True)``.

Follows PyTorch's printing rules (precision 4, line width 80, summarizing past 1000 elements
with 3 edge items): one formatter per tensor chooses integer mode (``1.``), fixed point or
scientific notation from the nonzero finite values, and pads every element to one width.
"""

from __future__ import annotations

import math

import numpy as np

from . import _dtypes

_PRECISION = 4
_THRESHOLD = 1000  # more elements than this are summarized with "..."
_EDGE = 3
_LINEWIDTH = 80


class _Formatter:
    """Formats the elements of one tensor to a common width (PyTorch's rules)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.ravel()
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        flat = flat.astype(np.float64)
        nonzero = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero.size == 0:
            return
        mag = np.abs(nonzero)
        lo, hi = float(mag.min()), float(mag.max())
        self.int_mode = bool(np.all(nonzero == np.ceil(nonzero)))
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if self.sci_mode:
            strs = [f"{v:.{_PRECISION}e}" for v in nonzero.tolist()]
        elif self.int_mode:
            strs = [f"{v:.0f}." for v in nonzero.tolist()]
        else:
            strs = [f"{v:.{_PRECISION}f}" for v in nonzero.tolist()]
        self.max_width = max(len(s) for s in strs)

    def format(self, value) -> str:
        if self.floating:
            value = float(value)
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{_PRECISION}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{_PRECISION}f}"
        else:
            ret = str(value)
        return (self.max_width - len(ret)) * " " + ret


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The edge items of every dimension (what a summarized repr shows)."""
    idx = tuple(
        np.r_[0:_EDGE, n - _EDGE:n] if n > 2 * _EDGE else np.arange(n) for n in arr.shape
    )
    return arr[np.ix_(*idx)]


def _vector_str(arr, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.max_width + 2
    per_line = max(1, (_LINEWIDTH - indent) // element_length)
    values = arr.tolist()
    if summarize and len(values) > 2 * _EDGE:
        data = ([fmt.format(v) for v in values[:_EDGE]] + [" ..."]
                + [fmt.format(v) for v in values[-_EDGE:]])
    else:
        data = [fmt.format(v) for v in values]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * _EDGE:
        rows = ([_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(_EDGE)] + ["..."]
                + [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(n - _EDGE, n)])
    else:
        rows = [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_array(arr: np.ndarray, indent: int) -> str:
    """The bracketed body of the repr, for a body starting at column ``indent``."""
    if arr.size == 0:
        return "[]"
    summarize = arr.size > _THRESHOLD
    fmt = _Formatter(_summarized(arr) if summarize and arr.ndim else arr)
    return _nested_str(arr, indent, summarize, fmt)


def _add_suffixes(body: str, suffixes: list, indent: int) -> str:
    """Append ``, key=value`` suffixes, wrapping to a new line past the line width."""
    parts = [body]
    last_line_len = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    arr = t._host_array()
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    dt = t.dtype
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        # no element shows the dtype of an empty tensor: name it unless it is the default
        if dt is not _dtypes.get_default_dtype():
            suffixes.append(f"dtype={dt}")
    elif dt not in (_dtypes.get_default_dtype(), _dtypes.int64, _dtypes.bool_):
        suffixes.append(f"dtype={dt}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t._grad_fn).__name__}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + format_array(arr, indent), suffixes, indent)
