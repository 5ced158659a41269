"""Flatten parameters into one vector and back."""

from __future__ import annotations

from ...ops.shape import cat
from ...tensor import Tensor


def _check_same_device(param, device):
    if device is None:
        return param.device
    if param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return device


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    device = None
    vec = []
    for param in parameters:
        device = _check_same_device(param, device)
        vec.append(param.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Point each parameter's data at its slice of ``vec`` (in ``parameters`` order); the
    parameters then share ``vec``'s memory, as in PyTorch."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected gradgpu.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() < total:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector of at least {total} "
                           f"elements (the parameters' total), got shape {list(vec.shape)}")
    for param in params:
        device = _check_same_device(param, device)
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
