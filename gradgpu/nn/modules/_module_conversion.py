"""``Module``'s conversions: ``to`` / ``cuda`` / ``cpu`` / ``type`` / ``float`` / ``double`` /
``half``, all through ``_apply``, which converts every parameter, gradient and buffer.

``ModuleConversion`` is a mixin of ``nn.Module`` (see ``module.py``); it exports nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...autograd.grad_mode import no_grad
from ...ops.conversion import parse_to_args

if TYPE_CHECKING:
    from .module import Module

__all__ = []


class ModuleConversion:
    """Mixin of ``Module``: moving and casting parameters and buffers."""

    def _apply(self, fn) -> Module:
        """Convert every parameter, gradient and buffer with ``fn``.

        Parameters keep their identity: the converted array replaces ``param.data`` (PyTorch's
        default), so optimizers built before ``.to()`` still hold the live parameters.
        """
        for module in self.children():
            module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                converted = fn(param)
            param._data = converted._data
            if param._grad is not None:
                with no_grad():
                    grad = fn(param._grad)
                param._grad._data = grad._data
        for key, buf in self._buffers.items():
            if buf is not None:
                with no_grad():
                    self._buffers[key] = fn(buf)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Move and/or cast parameters and buffers: ``to(device)``, ``to(dtype)``,
        ``to(device, dtype)``, ``to(tensor)``. Only floating tensors change dtype."""
        device, dtype = _parse_module_to(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                "nn.Module.to only accepts floating point or complex dtypes, but got desired "
                f"dtype={dtype}"
            )

        def convert(t):
            return t.to(device=device, dtype=dtype if t.is_floating_point() else None)

        return self._apply(convert)

    def cuda(self, device=None) -> Module:
        """Move every parameter and buffer to a CUDA device."""
        return self._apply(lambda t: t.cuda(device))

    def cpu(self) -> Module:
        """Move every parameter and buffer to host memory."""
        return self._apply(lambda t: t.cpu())

    def type(self, dst_type) -> Module:
        """Cast every parameter and buffer to ``dst_type``."""
        return self._apply(lambda t: t.type(dst_type))

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32."""
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64."""
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self) -> Module:
        """Cast floating parameters and buffers to float16."""
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)


def _parse_module_to(args, kwargs):
    """``Module.to`` arguments -> (device or None, dtype or None): Tensor.to's parser (a copy
    flag means nothing for a module)."""
    device, dtype, _ = parse_to_args(args, kwargs)
    return device, dtype
