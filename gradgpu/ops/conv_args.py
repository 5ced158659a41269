"""Argument checks shared by the convolutions (conv1d/2d/3d, conv_transpose1d/2d) for any number
of spatial dims: PyTorch's rules, with messages naming the op, the shapes and the dtypes."""

from __future__ import annotations

import operator

from ._common import check_tensor, same_device
from .shape import unsqueeze


def conv_tuple(value, n: int, name: str, op: str) -> tuple:
    """``value`` as n ints: an int, or a sequence of 1 or n ints (PyTorch's expand_param)."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(f"{op}(): expected {name} to be a single integer value or a list "
                               f"of {n} values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def batched(input, nsp: int, op: str):
    """(input with a batch dim, whether it had none): (C, *S) or (N, C, *S) with nsp dims S."""
    check_tensor(input, op)
    nd = input._data.ndim
    if nd not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"{op}(): Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) "
                           f"input to {op}, but got input of size: {list(input.shape)}")
    return (unsqueeze(input, 0), True) if nd == nsp + 1 else (input, False)


def _check_operands(op, input, weight, bias, nsp, weight_layout):
    check_tensor(weight, op, "weight")
    if bias is not None:
        check_tensor(bias, op, "bias")
    same_device(op, input, weight, bias)
    if weight._data.ndim != nsp + 2:
        raise RuntimeError(f"{op}(): weight must be {nsp + 2}-D ({weight_layout}, "
                           f"*kernel_size), got weight of size {list(weight.shape)}")
    if input._data.dtype != weight._data.dtype or (
            bias is not None and bias._data.dtype != input._data.dtype):
        raise RuntimeError(f"{op}(): Input type ({input.dtype.name}), weight type "
                           f"({weight.dtype.name})"
                           + (f" and bias type ({bias.dtype.name})" if bias is not None else "")
                           + " should be the same")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")


def _check_positive(op, groups, stride, dilation):
    if groups <= 0:
        raise RuntimeError(f"{op}(): non-positive groups is not supported (got {groups})")
    if min(stride) <= 0:
        raise RuntimeError(f"{op}(): non-positive stride is not supported (got {stride})")
    if min(dilation) <= 0:
        raise RuntimeError(f"{op}(): dilation should be greater than zero (got {dilation})")


def _check_groups(op, weight, x, channels, groups, transposed):
    if weight.shape[0] % groups:
        raise RuntimeError(f"{op}(): Given groups={groups}, expected weight to be divisible "
                           f"by {groups} at dimension 0, but got weight of size "
                           f"{list(weight.shape)} instead")
    if x.shape[1] != channels:
        given = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"{op}(): Given {given}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {channels} channels, but "
                           f"got {x.shape[1]} channels instead")


def _check_bias(op, bias, weight, out_channels):
    if bias is not None and tuple(bias._data.shape) != (out_channels,):
        raise RuntimeError(f"{op}(): Given weight of size {list(weight.shape)}, expected bias "
                           f"to be 1-dimensional with {out_channels} elements, but got bias of "
                           f"size {list(bias.shape)} instead")


def conv_setup(op: str, input, weight, bias, stride, padding, dilation, groups: int, nsp: int):
    """Validated (x (N, C, *S), unbatched, stride, dilation, pads ((lo, hi) per spatial dim))
    for a convolution with nsp spatial dims; padding 'same' puts the odd extra on the high
    side, as PyTorch."""
    x, unbatched = batched(input, nsp, op)
    _check_operands(op, input, weight, bias, nsp, "out_channels, in_channels / groups")
    kernel = weight.shape[2:]
    stride = conv_tuple(stride, nsp, "stride", op)
    dilation = conv_tuple(dilation, nsp, "dilation", op)
    _check_positive(op, groups, stride, dilation)
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nsp
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}(): padding='same' is not supported for strided "
                                 f"convolutions")
            totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
            pads = tuple((t // 2, t - t // 2) for t in totals)
        else:
            raise ValueError(f"{op}(): Invalid padding string '{padding}', should be one of "
                             f"'valid' or 'same'")
    else:
        pad = conv_tuple(padding, nsp, "padding", op)
        if min(pad) < 0:
            raise RuntimeError(f"{op}(): negative padding is not supported (got {pad})")
        pads = tuple((p, p) for p in pad)
    _check_groups(op, weight, x, weight.shape[1] * groups, groups, False)
    _check_bias(op, bias, weight, weight.shape[0])
    padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads)]
    effective = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < e for p, e in zip(padded, effective)):
        raise RuntimeError(f"{op}(): Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, effective))}). Kernel size can't be greater "
                           f"than actual input size (input {list(input.shape)}, weight "
                           f"{list(weight.shape)})")
    return x, unbatched, stride, dilation, pads


def conv_transpose_setup(op: str, input, weight, bias, stride, padding, output_padding,
                         groups: int, dilation, nsp: int):
    """Validated (x (N, C_in, *S), unbatched, stride, padding, output_padding, dilation,
    output sizes (S - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1)."""
    x, unbatched = batched(input, nsp, op)
    _check_operands(op, input, weight, bias, nsp, "in_channels, out_channels / groups")
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    stride = conv_tuple(stride, nsp, "stride", op)
    padding = conv_tuple(padding, nsp, "padding", op)
    output_padding = conv_tuple(output_padding, nsp, "output_padding", op)
    dilation = conv_tuple(dilation, nsp, "dilation", op)
    _check_positive(op, groups, stride, dilation)
    if min(padding) < 0:
        raise RuntimeError(f"{op}(): negative padding is not supported (got {padding})")
    if min(output_padding) < 0:
        raise RuntimeError(f"{op}(): negative output_padding is not supported (got "
                           f"{output_padding})")
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"{op}(): output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={output_padding}, stride={stride}, "
                           f"dilation={dilation}")
    _check_groups(op, weight, x, weight.shape[0], groups, True)
    _check_bias(op, bias, weight, weight.shape[1] * groups)
    kernel = weight.shape[2:]
    sizes = tuple((s - 1) * st - 2 * p + d * (k - 1) + o + 1 for s, st, p, d, k, o in
                  zip(x.shape[2:], stride, padding, dilation, kernel, output_padding))
    if min(sizes) < 1:
        raise RuntimeError(f"{op}(): Given input size per channel: "
                           f"({' x '.join(map(str, x.shape[2:]))}). Calculated output size per "
                           f"channel: ({' x '.join(map(str, sizes))}). Output size is too small")
    return x, unbatched, stride, padding, output_padding, dilation, sizes


def divisor_override_arg(divisor_override, op: str):
    """avg_pool's ``divisor_override``: None, or a non-zero int (PyTorch's signature; int(2.5)
    would silently truncate)."""
    if divisor_override is None:
        return None
    try:
        if isinstance(divisor_override, bool):
            raise TypeError
        divisor = operator.index(divisor_override)
    except TypeError:
        raise TypeError(f"{op}(): argument 'divisor_override' must be int, not "
                        f"{type(divisor_override).__name__}") from None
    if divisor == 0:
        raise RuntimeError(f"{op}(): divisor must be not zero")
    return divisor
