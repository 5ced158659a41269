"""Recurrent layers ``RNN``, ``LSTM``, ``GRU`` (stacked, optionally bidirectional, packed
sequences) with PyTorch's parameter names, shapes, gate order and initialization; the
single-step cells are in ``rnn_cells.py``. The math lives in ``gradgpu.ops.rnn``."""

from __future__ import annotations

import math
import numbers
import warnings

from ... import _dtypes, _factories
from ...ops import rnn as _rnn
from ...ops.dropout import dropout as _dropout
from ...ops.indexing.gather_scatter import IndexSelect
from ...ops.shape import cat, stack
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _batch_sizes_on_host
from .module import Module

__all__ = ["RNN", "LSTM", "GRU"]

_NONLINEARITIES = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}


def _check_nonlinearity(nonlinearity) -> str:
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                         "'relu'.")
    return _NONLINEARITIES[nonlinearity]


def _reset_uniform(module: Module, hidden_size: int) -> None:
    """Every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
    stdv = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


class RNNBase(Module):
    """Shared body of ``RNN``/``LSTM``/``GRU``: ``num_layers`` stacked recurrences, each run
    forward (and, when ``bidirectional``, backward in time with its ``_reverse`` weights, the
    two outputs concatenated), dropout between layers in training mode.

    Shapes (D = 2 if bidirectional else 1): input (L, N, H_in) ((N, L, H_in) with
    ``batch_first``, or unbatched (L, H_in)); h_0 / c_0 (D * num_layers, N, H) (unbatched:
    (D * num_layers, H)); output (L, N, D * H); h_n / c_n like h_0.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", UserWarning,
                          stacklevel=3)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size:
            raise NotImplementedError("LSTM: proj_size > 0 is not supported")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _rnn.GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(_factories.empty(shape, **kw)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _reset_uniform(self, self.hidden_size)

    @property
    def all_weights(self) -> list:
        """[[weight_ih, weight_hh, (bias_ih, bias_hh)] per layer and direction]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _name(self) -> str:
        return "LSTM" if self.mode == "LSTM" else "GRU" if self.mode == "GRU" else "RNN"

    def _check_hidden(self, h, expected: tuple, label: str) -> None:
        if tuple(h.shape) != expected:
            raise RuntimeError(f"Expected {label} size {expected}, got {list(h.shape)}")

    def _states(self, input, hx, batch: int, is_batched: bool, packed: bool = False):
        """The initial state(s) as (num_layers * D, N, H) tensors (zeros when hx is None)."""
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, batch, self.hidden_size)
        lstm = self.mode == "LSTM"
        if hx is None:
            zeros = _factories.zeros(expected, dtype=input.dtype, device=input.device)
            return (zeros, zeros) if lstm else zeros
        parts = hx if lstm else (hx,)
        if lstm and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
        if not lstm and isinstance(hx, (tuple, list)):
            raise TypeError(f"{self._name}: hx must be a tensor, not a {type(hx).__name__}")
        want = 3 if is_batched else 2
        if not packed and any(p.dim() != want for p in parts):
            kind = "batched 3-D" if is_batched else "unbatched 2-D"
            dims = ", ".join(f"{p.dim()}-D" for p in parts)
            what = ("hx and cx should also be " + f"{want}-D but got ({dims}) tensors" if lstm
                    else f"hx should also be {want}-D but got {dims} tensor")
            raise RuntimeError(f"For {kind} input, {what}")
        if not is_batched:
            parts = tuple(p.unsqueeze(1) for p in parts)
        for i, p in enumerate(parts):
            self._check_hidden(p, expected, f"hidden[{i}]" if lstm else "hidden")
            if p.dtype != input.dtype:
                raise RuntimeError(f"{self._name}: hx must have the input's dtype {input.dtype}, "
                                   f"got {p.dtype}")
        return tuple(parts) if lstm else parts[0]

    def _check_input(self, input) -> None:
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        weight_dtype = getattr(self, self._flat_weights_names[0]).dtype
        if input.dtype != weight_dtype:
            raise RuntimeError(f"input must have the type {weight_dtype}, got type "
                               f"{input.dtype}")

    def forward(self, input, hx=None):
        """(output, h_n) for RNN/GRU, (output, (h_n, c_n)) for LSTM. A PackedSequence input
        gives a PackedSequence output, and h_n / c_n hold each sequence's state at its own
        last step."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.dim() not in (2, 3):
            raise ValueError(f"{self._name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             "instead")
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        self._check_input(input)
        if input.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        states = self._states(input, hx, input.shape[1], is_batched)
        output, finals = self._layers(input, states, None)
        if not is_batched:
            output = output.squeeze(1)
            finals = tuple(f.squeeze(1) for f in finals)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (finals if self.mode == "LSTM" else finals[0])

    def _forward_packed(self, sequence: PackedSequence, hx):
        """The layers run over packed data: the batch at step t is its first batch_sizes[t]
        sequences (sorted by decreasing length); hx and the final states are in the caller's
        batch order, permuted through sorted_indices / unsorted_indices."""
        data, batch_sizes, sorted_indices, unsorted_indices = sequence
        if data.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.dim()}")
        sizes = _batch_sizes_on_host(sequence, self._name)
        self._check_input(data)
        batch = int(sizes[0])
        for name, perm in (("sorted_indices", sorted_indices),
                           ("unsorted_indices", unsorted_indices)):
            if perm is not None and (tuple(perm.shape) != (batch,) or perm.dtype != _dtypes.int64):
                raise RuntimeError(f"{self._name}: PackedSequence.{name} must be an int64 "
                                   f"tensor of shape ({batch},), got {perm.dtype} of shape "
                                   f"{list(perm.shape)}")
        states = self._states(data, hx, batch, True, packed=True)
        lstm = self.mode == "LSTM"
        if hx is not None and sorted_indices is not None:
            # the permutation comes from pack_*; its values are not re-checked here (that
            # would cost a GPU sync per call), its shape and dtype were
            states = tuple(IndexSelect.apply(s, 1, sorted_indices)
                           for s in (states if lstm else (states,)))
            states = states if lstm else states[0]
        output, finals = self._layers(data, states, sizes.tolist())
        if unsorted_indices is not None:
            finals = tuple(IndexSelect.apply(f, 1, unsorted_indices) for f in finals)
        packed = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        return packed, (finals if lstm else finals[0])

    def _layers(self, input, states, batch_sizes):
        """All layers and directions over (T, N, I) input, or packed (sum, I) data when
        ``batch_sizes`` is given: (output, (h_n,) or (h_n, c_n))."""
        lstm = self.mode == "LSTM"
        directions = 2 if self.bidirectional else 1
        finals = []
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                weights = [getattr(self, n) for n in self._all_weights[index]]
                w_ih, w_hh = weights[:2]
                b_ih, b_hh = weights[2:] if self.bias else (None, None)
                h0 = (states[0][index], states[1][index]) if lstm else states[index]
                out, final = _rnn.recurrent_layer(self.mode, layer_input, h0, w_ih, w_hh, b_ih,
                                                  b_hh, reverse=direction == 1,
                                                  batch_sizes=batch_sizes)
                outputs.append(out)
                finals.append(final)
            layer_input = outputs[0] if directions == 1 else cat(outputs, -1)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout, training=True)
        if lstm:
            return layer_input, (stack([f[0] for f in finals], 0),
                                 stack([f[1] for f in finals], 0))
        return layer_input, (stack(finals, 0),)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (``nonlinearity``
    'tanh' or 'relu'). Positional order as PyTorch: (input_size, hidden_size, num_layers,
    nonlinearity, bias, batch_first, dropout, bidirectional)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        super().__init__(_check_nonlinearity(nonlinearity), *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM with gates (i, f, g, o): c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g),
    h_t = sigmoid(o) tanh(c_t). forward(input, (h_0, c_0)) -> (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """GRU with gates (r, z, n): n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h_t = (1 - z) n + z h_{t-1}."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---- cells ----------------------------------------------------------------------------------
