"""``assert_close(actual, expected)``: PyTorch's comparison of tensors, NumPy arrays, Python
numbers, and sequences and mappings of them, with its default tolerances per dtype and its
messages word for word. Values are compared on the host (a device-to-host copy of CUDA
tensors): this is a testing utility."""

from __future__ import annotations

import collections.abc

import numpy as np

from .._dtypes import from_numpy_dtype
from ..tensor import Tensor

__all__ = ["assert_close"]

# (rtol, atol) by dtype, PyTorch's; integer and bool dtypes compare exactly
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close:
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise (NaN equal to NaN only with
    ``equal_nan``), same shape, and (by default) same dtype and device. ``msg``: a string that
    replaces the message, or a callable that rewrites it."""
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {missing}.")
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                   check_dtype=check_dtype, check_stride=check_stride,
                   allow_subclasses=allow_subclasses)
    failure = _compare(actual, expected, options, [])
    if failure is None:
        return
    text, path = failure
    if path:
        text += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)
    if msg is not None:
        text = msg(text) if callable(msg) else msg
    raise AssertionError(text)


def _compare(actual, expected, options, path):
    """None, or (message, path of the failing item)."""
    if _is_tensor_like(actual) or _is_tensor_like(expected):
        return _compare_tensor_likes(actual, expected, options, path)
    if _is_number(actual) and _is_number(expected):
        return _compare_numbers(actual, expected, options, path)
    strings = (str, bytes)
    if isinstance(actual, collections.abc.Sequence) and isinstance(
            expected, collections.abc.Sequence) and not isinstance(actual, strings) \
            and not isinstance(expected, strings):
        if len(actual) != len(expected):
            return (f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                    path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            failure = _compare(a, e, options, path + [i])
            if failure is not None:
                return failure
        return None
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected,
                                                                  collections.abc.Mapping):
        if set(actual) != set(expected):
            return (f"The keys of the mappings do not match:\nMissing keys in the actual "
                    f"mapping: {sorted(set(expected) - set(actual), key=repr)}\nAdditional keys "
                    f"in the actual mapping: {sorted(set(actual) - set(expected), key=repr)}",
                    path)
        for key in expected:
            failure = _compare(actual[key], expected[key], options, path + [key])
            if failure is not None:
                return failure
        return None
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.")


def _is_tensor_like(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray))


def _is_number(x) -> bool:
    return isinstance(x, (bool, int, float, complex, np.number, np.bool_))


def _compare_tensor_likes(actual, expected, options, path):
    if not (_is_tensor_like(actual) and _is_tensor_like(expected)) or (
            isinstance(actual, Tensor) != isinstance(expected, Tensor)):
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} "
                        f"and {type(expected)}.")
    if not options["allow_subclasses"] and type(actual) is not type(expected):
        return (f"Except for Python scalars, type equality is required if "
                f"allow_subclasses=False, but got {type(actual)} and {type(expected)} instead.",
                path)
    tensors = isinstance(actual, Tensor)
    a_shape, e_shape = tuple(actual.shape), tuple(expected.shape)
    if a_shape != e_shape:
        show = (lambda t: repr(t.shape)) if tensors else (lambda t: repr(t.shape))
        return (f"The values for attribute 'shape' do not match: {show(actual)} != "
                f"{show(expected)}.", path)
    if tensors and options["check_device"] and actual.device != expected.device:
        return (f"The values for attribute 'device' do not match: {actual.device} != "
                f"{expected.device}.", path)
    a_dtype = actual._data.dtype if tensors else actual.dtype
    e_dtype = expected._data.dtype if tensors else expected.dtype
    if options["check_dtype"] and a_dtype != e_dtype:
        name = (lambda d: repr(from_numpy_dtype(d))) if tensors else (lambda d: repr(d))
        return (f"The values for attribute 'dtype' do not match: {name(a_dtype)} != "
                f"{name(e_dtype)}.", path)
    if tensors and options["check_stride"] and actual.stride() != expected.stride():
        return (f"The values for attribute 'stride()' do not match: {actual.stride()} != "
                f"{expected.stride()}.", path)
    a = actual.detach().cpu().numpy() if tensors else actual
    e = expected.detach().cpu().numpy() if tensors else expected
    dtype = np.promote_types(a.dtype, e.dtype)
    rtol, atol = _tolerances(options, a.dtype, e.dtype)
    text = _mismatch(a.astype(dtype), e.astype(dtype), rtol, atol, options["equal_nan"],
                     scalar=a.ndim == 0)
    return None if text is None else (text, path)


def _tolerances(options, *dtypes):
    if options["rtol"] is not None:
        return float(options["rtol"]), float(options["atol"])
    pairs = [_TOLERANCES.get(np.dtype(d), (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _compare_numbers(actual, expected, options, path):
    kinds = (type(actual), type(expected))
    if options["check_dtype"] and _number_kind(actual) != _number_kind(expected):
        return f"The (d)types do not match: {kinds[0]} != {kinds[1]}.", path
    if options["rtol"] is not None:
        rtol, atol = float(options["rtol"]), float(options["atol"])
    elif isinstance(actual, (float, np.floating)) or isinstance(expected, (float, np.floating)):
        rtol, atol = 1e-7, 1e-7  # PyTorch's for Python floats (float64)
    else:
        rtol, atol = 0.0, 0.0
    exact = _number_kind(actual) in ("bool", "int") and _number_kind(expected) in ("bool", "int")
    a, e = np.asarray(actual), np.asarray(expected)
    if exact:
        a, e = a.astype(np.int64), e.astype(np.int64)
    text = _mismatch(a, e, rtol, atol, options["equal_nan"], scalar=True, exact=exact)
    return None if text is None else (text, path)


def _number_kind(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "bool"
    if isinstance(x, (int, np.integer)):
        return "int"
    if isinstance(x, (float, np.floating)):
        return "float"
    return "complex"


def _mismatch(a, e, rtol: float, atol: float, equal_nan: bool, scalar: bool,
              exact: bool | None = None):
    """PyTorch's message for the elements of a and e that are not close, or None."""
    if exact is None:
        exact = a.dtype.kind in "biu"
    if a.dtype.kind == "b":
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        if exact:
            close = a == e
            diff = np.abs(a - e)
            # (PyTorch divides integer tensors in float32, Python ints in float64)
            division = np.float64 if scalar else np.float32
            rel = diff.astype(division) / np.abs(e).astype(division)
        else:
            # non-finite values are close only when equal (inf - inf is no difference)
            close = (a == e) | (np.isfinite(a) & np.isfinite(e)
                                & (np.abs(a - e) <= atol + rtol * np.abs(e)))
            if equal_nan:
                close |= np.isnan(a) & np.isnan(e)
            diff = np.abs(a - e)
            rel = diff / np.abs(e)
    if close.all():
        return None
    mismatched = ~close
    word = "equal" if exact else "close"
    if scalar:
        got, want = a.reshape(()).item(), e.reshape(()).item()
        lines = [f"Scalars are not {word}!", "", f"Expected {want} but got {got}."]
        lines.append(f"Absolute difference: {diff.reshape(()).item()}"
                     + ("" if exact else f" (up to {atol} allowed)"))
        lines.append(f"Relative difference: {rel.reshape(()).item()}"
                     + ("" if exact else f" (up to {rtol} allowed)"))
        return "\n".join(lines)
    count, total = int(mismatched.sum()), a.size
    lines = [f"Tensor-likes are not {word}!", "",
             f"Mismatched elements: {count} / {total} ({count / total:.1%})"]
    for label, values, tol in (("absolute", diff, atol), ("relative", rel, rtol)):
        # the greatest over the mismatched elements (the first NaN, if any, as torch.max)
        flat_values = np.where(mismatched, values, 0).reshape(-1)
        flat = int(np.argmax(flat_values))
        index = tuple(int(i) for i in np.unravel_index(flat, a.shape))
        lines.append(f"Greatest {label} difference: {flat_values[flat].item()} at index "
                     f"{index}" + ("" if exact else f" (up to {tol} allowed)"))
    return "\n".join(lines)
