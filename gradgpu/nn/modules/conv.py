"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d`` (cross-correlation) and
``ConvTranspose1d``, ``ConvTranspose2d``, ``ConvTranspose3d`` (their input-gradient maps), with
PyTorch's parameter shapes, default init and repr."""

from __future__ import annotations

from ... import _factories
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_STRINGS = ("same", "valid")
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n: int, name: str, cls: str) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) == 1:  # PyTorch accepts (k,) for every dim
            value = tuple(value) * n
        if len(value) != n:
            what = "a pair of ints" if n == 2 else f"a tuple of {n} ints"
            raise ValueError(f"{cls}: {name} must be an int or {what}, got {value}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


class _ConvNd(Module):
    """Shared constructor, init and repr of the convolution layers (PyTorch's _ConvNd).

    Weight (out_channels, in_channels / groups, *kernel_size), or (in_channels,
    out_channels / groups, *kernel_size) when transposed. Default init as PyTorch:
    W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in =
    W.shape[1] * prod(kernel_size), and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    Only ``padding_mode='zeros'`` is supported.
    """

    _nsp = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None, output_padding=0) -> None:
        super().__init__()
        cls, n = type(self).__name__, self._nsp
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size = _ntuple(kernel_size, n, "kernel_size", cls)
        stride = _ntuple(stride, n, "stride", cls)
        dilation = _ntuple(dilation, n, "dilation", cls)
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"{cls}: padding must be an int or a tuple of ints, got "
                                 f"{padding!r} ('same'/'valid' are for convolutions only)")
            if padding not in _PADDING_STRINGS:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{set(_PADDING_STRINGS)}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, n, "padding", cls)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        if padding_mode != "zeros":
            if self._transposed:
                raise ValueError(f'Only "zeros" padding mode is supported for {cls}')
            raise NotImplementedError(
                f"{cls}: padding_mode='{padding_mode}' is not supported; only 'zeros' is")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = _ntuple(output_padding, n, "output_padding", cls)
        self.groups = groups
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(_factories.empty((*shape, *kernel_size), device=device,
                                                 dtype=dtype))
        if bias:
            self.bias = Parameter(_factories.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight and bias with PyTorch's default distributions."""
        init._default_layer_init_(self.weight, self.bias)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """y[n, o] = b[o] + sum_c W[o, c] (*) x[n, g(o) * C/groups + c] (1-D cross-correlation) with
    W (out_channels, in_channels / groups, k); input (N, C, L) or (C, L)."""

    _nsp = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class Conv2d(_ConvNd):
    """y[n, o] = b[o] + sum_c W[o, c] (*) x[n, g(o) * C/groups + c] (cross-correlation) with
    W (out_channels, in_channels / groups, kh, kw); input (N, C, H, W) or (C, H, W)."""

    _nsp = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class Conv3d(_ConvNd):
    """y[n, o] = b[o] + sum_c W[o, c] (*) x[n, g(o) * C/groups + c] (3-D cross-correlation)
    with W (out_channels, in_channels / groups, kd, kh, kw); input (N, C, D, H, W) or
    (C, D, H, W)."""

    _nsp = 3

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return F.conv3d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)

    def _output_padding(self, input, output_size) -> tuple:
        """output_padding giving ``output_size`` (spatial sizes, optionally with the leading
        batch/channel sizes), checked against the sizes this layer can produce."""
        if output_size is None:
            return self.output_padding
        n = self._nsp
        lead = 2 if input.dim() == n + 2 else 1
        output_size = list(output_size)
        if len(output_size) == lead + n:
            output_size = output_size[lead:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must "
                             f"have {n} or {lead + n} elements (got {len(output_size)})")
        spatial = input.shape[lead:]
        min_sizes = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
                     + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, low, high in zip(output_size, min_sizes, max_sizes):
            if size < low or size > high:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {min_sizes} to {max_sizes} (for an input of "
                                 f"{list(spatial)})")
        return tuple(int(size) - low for size, low in zip(output_size, min_sizes))


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution (conv1d's input gradient) with W (in_channels,
    out_channels / groups, k); input (N, C_in, L) or (C_in, L); ``output_size`` in forward picks
    the output length among the ones the stride allows."""

    _nsp = 1

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution (conv2d's input gradient) with W (in_channels,
    out_channels / groups, kh, kw); input (N, C_in, H, W) or (C_in, H, W); ``output_size`` in
    forward picks the output size among the ones the stride allows."""

    _nsp = 2

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution (conv3d's input gradient) with W (in_channels,
    out_channels / groups, kd, kh, kw); input (N, C_in, D, H, W) or (C_in, D, H, W);
    ``output_size`` in forward picks the output size among the ones the stride allows."""

    _nsp = 3

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)
