"""interpolate (upsample / downsample) over the spatial dims of (N, C, d1, ..., dK) inputs,
K = 1, 2, 3: modes 'nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear', 'area'
(adaptive average pooling, as PyTorch's), and 'bicubic' (K = 2).

Composed of existing differentiable ops, one spatial dim at a time:

    nearest:  y = index_select(x, d, src)                          (src: int64 positions)
    linear:   y = index_select(x, d, i0) * w0 + index_select(x, d, i1) * w1
    bicubic:  y = sum_k index_select(x, d, i_k) * w_k, k = 0..3    (width first, as PyTorch)

so every backend and every order of gradient comes with the parts (the backward of
index_select is an index_add of the gradient at the source positions, PyTorch's
upsample_*_backward). Source positions and weights are computed on the host exactly as
PyTorch's kernels do (``area_pixel_compute_source_index``, ``nearest_idx``,
``nearest_exact_idx``, ``guard_index_and_lambda``, the cubic convolution with A = -0.75 and
clamped taps), in PyTorch's precision: float32 for the nearest modes, the op-math type (float64
for double inputs, float32 otherwise) for linear and cubic.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from ._common import Tensor, check_tensor, xp_of
from .indexing.gather_scatter import IndexSelect

__all__ = ["interpolate"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}
_DIM_NAMES = {1: "W", 2: "HW", 3: "DHW"}


def _is_integer(v) -> bool:
    if isinstance(v, bool):
        return True  # PyTorch's _is_integer accepts bools (they are ints)
    if isinstance(v, Tensor):
        return v._data.dtype.kind in "iub" and v._data.ndim == 0
    try:
        operator.index(v)
    except TypeError:
        return False
    return True


def _compute_scale(scale, in_size: int, out_size: int, dtype):
    """PyTorch's compute_scales_value: 1 / scale_factor when one is given (> 0), else in / out,
    in ``dtype``."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(in_size) / dtype(out_size)


def _frozen(*arrays):
    """Cached arrays are shared by every call: make them read-only."""
    for a in arrays:
        a.flags.writeable = False
    return arrays if len(arrays) > 1 else arrays[0]


# Both index builders are cached: an upsampling layer asks for the same sizes every step, and
# the formulas cost more host time than the gathers they feed on a GPU.
@functools.lru_cache(maxsize=256)
def _nearest_index(in_size: int, out_size: int, scale, exact: bool, shortcuts: bool):
    """PyTorch's nearest_idx / nearest_exact_idx (float32 math, as its kernels). Its CPU kernel
    for 2-D 'nearest' takes nearest_idx's shortcuts (out == in: copy; out == 2 * in: i // 2)
    whatever the scale factor; its 1-D and 3-D kernels always use the scale."""
    dst = np.arange(out_size, dtype=np.int64)
    if shortcuts:
        if out_size == in_size:
            return _frozen(dst)
        if out_size == 2 * in_size:
            return _frozen(dst >> 1)
    s = _compute_scale(scale, in_size, out_size, np.float32)
    pos = dst.astype(np.float32)
    if exact:
        pos = pos + np.float32(0.5)
    src = np.floor(pos * s).astype(np.int64)
    return _frozen(np.minimum(src, in_size - 1))


@functools.lru_cache(maxsize=256)
def _linear_weights(in_size: int, out_size: int, scale, align_corners: bool, opmath):
    """PyTorch's area_pixel_compute_source_index + guard_index_and_lambda: the two source
    positions of each output position and their weights (w0 + w1 = 1), in ``opmath``."""
    if align_corners:
        s = opmath(in_size - 1) / opmath(out_size - 1) if out_size > 1 else opmath(0)
    else:
        s = _compute_scale(scale, in_size, out_size, opmath)
    dst = np.arange(out_size).astype(opmath)
    if align_corners:
        real = s * dst
    else:
        real = s * (dst + opmath(0.5)) - opmath(0.5)
        real = np.where(real < 0, opmath(0), real)
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    lam1 = np.clip(real - i0.astype(opmath), 0, 1).astype(opmath)
    lam0 = (opmath(1) - lam1).astype(opmath)
    i1 = i0 + (i0 < in_size - 1)
    return _frozen(i0, i1, lam0, lam1)


_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution parameter


@functools.lru_cache(maxsize=256)
def _cubic_weights(in_size: int, out_size: int, scale, align_corners: bool, opmath):
    """PyTorch's bicubic taps: source position ``real`` (not clamped at 0 for cubic), taps at
    floor(real) - 1 .. floor(real) + 2 clamped into the input, and the cubic convolution
    weights of t = real - floor(real), in ``opmath``: (4 index arrays, 4 weight arrays)."""
    if align_corners:
        s = opmath(in_size - 1) / opmath(out_size - 1) if out_size > 1 else opmath(0)
    else:
        s = _compute_scale(scale, in_size, out_size, opmath)
    dst = np.arange(out_size).astype(opmath)
    real = s * dst if align_corners else s * (dst + opmath(0.5)) - opmath(0.5)
    base = np.floor(real)
    t = (real - base).astype(opmath)
    a = opmath(_CUBIC_A)

    def near(x):  # |x| <= 1
        return ((a + opmath(2)) * x - (a + opmath(3))) * x * x + opmath(1)

    def far(x):  # 1 < |x| < 2
        return ((a * x - opmath(5) * a) * x + opmath(8) * a) * x - opmath(4) * a

    one, two = opmath(1), opmath(2)
    weights = [far(t + one), near(t), near(one - t), far(two - t)]
    first = base.astype(np.int64) - 1
    taps = [np.clip(first + k, 0, in_size - 1) for k in range(4)]
    return _frozen(*taps, *(w.astype(opmath) for w in weights))


def _index_tensor(xp, idx):
    return Tensor._make(xp.asarray(idx, dtype=np.int64))


def _weight_tensor(xp, w, dtype, trailing: int):
    return Tensor._make(xp.asarray(w.reshape((-1,) + (1,) * trailing), dtype=dtype))


def _check_sizes(input, out_sizes, k: int):
    in_sizes = list(input._data.shape[2:])
    if all(s > 0 for s in in_sizes) and all(s > 0 for s in out_sizes):
        return
    names = _DIM_NAMES[k]
    ins = ", ".join(f"{n}: {s}" for n, s in zip(names, in_sizes))
    outs = ", ".join(f"{n}: {s}" for n, s in zip(names, out_sizes))
    joint = " and" if k == 1 else ""  # PyTorch's messages, word for word
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                       f"({ins}){joint} output ({outs})")


def _dtype_name(input) -> str:
    return {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
            "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
            "bool": "Bool"}.get(input.dtype.name, input.dtype.name)


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial dims of ``input`` (N, C, d1[, d2[, d3]]) to ``size`` or by
    ``scale_factor``, with PyTorch's F.interpolate semantics."""
    check_tensor(input, "interpolate")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input._data.ndim
    k = nd - 2

    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != k:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(s) for s in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            out_sizes = [int(s) for s in size]
        else:
            out_sizes = [operator.index(size)] * max(k, 0)
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != k:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * max(k, 0)
        out_sizes = None
    else:
        raise ValueError("either size or scale_factor should be defined")

    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and nd == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")

    if mode in ("nearest", "nearest-exact", "area") and 1 <= k <= 3:
        pass
    elif mode in _LINEAR_DIMS and 1 <= k <= 3:
        want = _LINEAR_DIMS[mode]
        if want != k:
            raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {want + 2}D input")
    elif mode == "bicubic" and k == 2:
        pass
    elif mode == "lanczos" and 1 <= k <= 3:
        raise NotImplementedError("interpolate(): mode 'lanczos' is not supported by gradgpu")
    else:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the "
            f"modes: {_MODES} (got {mode})")
    if antialias:
        raise NotImplementedError("interpolate(): antialias=True is not supported by gradgpu "
                                  "(only antialias=False)")

    in_sizes = list(input._data.shape[2:])
    if out_sizes is None:
        # PyTorch's output size: int(in * scale) (truncating, as its static_cast / _sym_int)
        out_sizes = [int(i * s) for i, s in zip(in_sizes, scales)]
        if recompute_scale_factor:
            scales = None  # the kernels then use in / out, as PyTorch's
    _check_sizes(input, out_sizes, k)
    if scales is None:
        scales = [None] * k

    if mode == "area":  # PyTorch's area mode is adaptive average pooling
        from . import conv, pooling

        pool = {1: pooling.adaptive_avg_pool1d, 2: conv.adaptive_avg_pool2d,
                3: pooling.adaptive_avg_pool3d}[k]
        return pool(input, tuple(out_sizes) if k > 1 else out_sizes[0])
    kind = input._data.dtype.kind
    linear = mode in _LINEAR_DIMS
    if kind != "f" and (linear or mode == "bicubic" or input.dtype.name != "uint8"):
        fn = "linear" if linear else "cubic" if mode == "bicubic" else "nearest"
        raise NotImplementedError(f'"compute_indices_weights_{fn}" not implemented for '
                                  f"'{_dtype_name(input)}'")
    if mode == "bicubic":
        return _bicubic(input, in_sizes, out_sizes, scales, bool(align_corners))

    xp = xp_of(input)
    opmath = np.float64 if input._data.dtype == np.float64 else np.float32
    y = input
    for j in range(k):
        d = 2 + j
        n_in, n_out, s = in_sizes[j], out_sizes[j], scales[j]
        if not linear:
            idx = _nearest_index(n_in, n_out, s, exact=mode == "nearest-exact",
                                 shortcuts=k == 2)
            y = IndexSelect.apply(y, d, _index_tensor(xp, idx))
            continue
        if n_in == n_out:
            continue  # PyTorch's CPU kernel copies a dim whose size does not change
        i0, i1, w0, w1 = _linear_weights(n_in, n_out, s, bool(align_corners), opmath)
        trailing = nd - 1 - d
        x0 = IndexSelect.apply(y, d, _index_tensor(xp, i0))
        x1 = IndexSelect.apply(y, d, _index_tensor(xp, i1))
        dt = input._data.dtype
        y = (x0 * _weight_tensor(xp, w0, dt, trailing)
             + x1 * _weight_tensor(xp, w1, dt, trailing))
    if y is input:  # no size changed: a copy, as PyTorch returns
        y = IndexSelect.apply(input, 2, _index_tensor(xp, np.arange(in_sizes[0])))
    return y


def _bicubic(input, in_sizes, out_sizes, scales, align_corners: bool):
    """4-tap cubic convolution along the width, then along the height (PyTorch's order)."""
    xp = xp_of(input)
    dt = input._data.dtype
    opmath = np.float64 if dt == np.float64 else np.float32
    y = input
    for d in (3, 2):
        j = d - 2
        taps = _cubic_weights(in_sizes[j], out_sizes[j], scales[j], align_corners, opmath)
        trailing = 3 - d
        out = None
        for idx, w in zip(taps[:4], taps[4:]):
            term = IndexSelect.apply(y, d, _index_tensor(xp, idx)) * _weight_tensor(
                xp, w, dt, trailing)
            out = term if out is None else out + term
        y = out
    return y
