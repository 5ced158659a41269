"""max_unpool1d/2d/3d: the partial inverse of max_pool*d, as PyTorch's.

y = zeros(N, C, *output_size) with y.flatten(2)[n, c, indices[n, c, k]] = x[n, c, k] (indices
from max_pool*d(return_indices=True), flat over the spatial dims); dx = gather(dy, indices).
Composed from ``scatter`` along the flattened spatial dim, so it runs on every backend and
supports create_graph.
"""

from __future__ import annotations

import math

from .. import _factories
from ._common import Tensor, check_tensor, index_bounds, same_device
from .indexing import scatter
from .shape import reshape


def _ntuple(value, n: int, name: str) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return tuple(value) * n
        if len(value) != n:
            raise ValueError(f"max_unpool{n}d(): {name} must be an int or a tuple of {n} ints, "
                             f"got {value}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _output_size(in_sizes, kernel, stride, padding, output_size, n: int) -> tuple:
    """PyTorch's _unpool_output_size: the default (in - 1) * stride + kernel - 2 * padding, or
    ``output_size`` (n or n + 2 entries) when it lies strictly within one stride of it."""
    default = [(s - 1) * st + k - 2 * p for s, k, st, p in zip(in_sizes, kernel, stride, padding)]
    if output_size is None:
        ret = default
    else:
        output_size = [int(v) for v in output_size]
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d in range(n):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be '
                                 f"between {lo} and {hi})")
        ret = output_size
    for d in range(n):
        if ret[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={ret[d]}")
    return tuple(ret)


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, n: int):
    op = f"max_unpool{n}d"
    check_tensor(input, op)
    check_tensor(indices, op, "indices")
    same_device(op, input, indices)
    nd = input._data.ndim
    if nd not in (n + 1, n + 2):
        raise RuntimeError(f"Input to max_unpooling{n}d should be a {n + 1}d or {n + 2}d "
                           f"Tensor, but got a tensor with {nd} dimensions.")
    if indices._data.dtype.kind not in "iu" or indices._data.dtype.itemsize != 8:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    kernel = _ntuple(kernel_size, n, "kernel_size")
    stride = kernel if stride is None else _ntuple(stride, n, "stride")
    padding = _ntuple(padding, n, "padding")
    out_sp = _output_size(input.shape[-n:], kernel, stride, padding, output_size, n)
    volume = math.prod(out_sp)
    lead = tuple(input.shape[:-n])
    idx = indices._data.reshape(lead + (-1,))
    if idx.size:
        lo, hi = index_bounds(idx)  # one device-to-host copy, as PyTorch's check
        if lo < 0 or hi >= volume:
            bad = lo if lo < 0 else hi
            raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                               f"{'x'.join(str(s) for s in out_sp)})")
    out = _factories.zeros(lead + (volume,), dtype=input.dtype, device=input.device)
    out = scatter(out, len(lead), Tensor._make(idx), reshape(input, lead + (-1,)))
    return reshape(out, lead + out_sp)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Place each value of (N, C, L) or (C, L) ``input`` at its max_pool1d index in zeros of
    length output_size; dx = dy gathered at the indices."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Place each value of (N, C, H, W) or (C, H, W) ``input`` at its max_pool2d flat index
    (over H_out * W_out) in zeros; dx = dy gathered at the indices."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Place each value of (N, C, D, H, W) or (C, D, H, W) ``input`` at its max_pool3d flat
    index in zeros; dx = dy gathered at the indices."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)


TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
