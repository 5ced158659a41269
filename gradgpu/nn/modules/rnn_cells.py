"""The single-step recurrent cells ``RNNCell``, ``LSTMCell``, ``GRUCell`` with PyTorch's
parameter names, shapes, gate order and initialization (the math is ``gradgpu.ops.rnn``'s)."""

from __future__ import annotations

from ... import _factories
from ...ops import rnn as _rnn
from ..parameter import Parameter
from .module import Module
from .rnn import _check_nonlinearity, _reset_uniform

__all__ = ["RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """Parameters of one recurrent step: weight_ih (G * H, I), weight_hh (G * H, H),
    bias_ih / bias_hh (G * H), all ~ U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(_factories.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(_factories.empty((num_chunks * hidden_size, hidden_size),
                                                    **kw))
        if bias:
            self.bias_ih = Parameter(_factories.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(_factories.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare(self, input, hx: tuple, name: str):
        """Batched (N, I) input and (N, H) states; the states default to zeros."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        for h in hx:
            if h is not None and h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.dim()}D "
                                 "instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        batch = input.shape[0]
        states = []
        for i, h in enumerate(hx):
            if h is None:
                h = _factories.zeros((batch, self.hidden_size), dtype=input.dtype,
                                     device=input.device)
            else:
                if (h.dim() == 2) != is_batched:
                    raise RuntimeError(f"{name}: input is {'2' if is_batched else '1'}-D, so "
                                       f"hidden{i} must be too, got {h.dim()}-D")
                if not is_batched:
                    h = h.unsqueeze(0)
                if h.shape[0] != batch:
                    raise RuntimeError(f"Input batch size {batch} doesn't match hidden{i} "
                                       f"batch size {h.shape[0]}")
                if h.shape[1] != self.hidden_size:
                    raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got "
                                       f"{h.shape[1]}, expected {self.hidden_size}")
            states.append(h)
        return input, states, is_batched


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        mode = _check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity
        self._mode = mode

    def forward(self, input, hx=None):
        input, (h,), batched = self._prepare(input, (hx,), "RNNCell")
        cell = _rnn.rnn_tanh_cell if self._mode == "RNN_TANH" else _rnn.rnn_relu_cell
        out = cell(input, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: (h', c') from x and (h, c), gates (i, f, g, o)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0) of two tensors")
        input, (h, c), batched = self._prepare(input, (None, None) if hx is None else hx,
                                               "LSTMCell")
        h, c = _rnn.lstm_cell(input, (h, c), self.weight_ih, self.weight_hh, self.bias_ih,
                              self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step, gates (r, z, n): h' = (1 - z) n + z h."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, (h,), batched = self._prepare(input, (hx,), "GRUCell")
        out = _rnn.gru_cell(input, h, self.weight_ih, self.weight_hh, self.bias_ih,
                            self.bias_hh)
        return out if batched else out.squeeze(0)
