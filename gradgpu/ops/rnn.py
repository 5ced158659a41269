"""Recurrent cell math (Elman RNN, LSTM, GRU) with PyTorch's gate layouts, and one layer of a
recurrence run over a whole sequence. Composed from linear/sigmoid/tanh/chunk, so every
order of gradient comes from those ops.

Gate rows of the weights, as in PyTorch: LSTM (i, f, g, o); GRU (r, z, n).
"""

from __future__ import annotations

from . import elementwise as ew
from ._common import check_tensor
from .layers import linear
from .shape import stack

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ---- one time step, given the input projection gi = x W_ih^T + b_ih ------------------------
def _rnn_step(gi, h, w_hh, b_hh, relu: bool):
    pre = gi + linear(h, w_hh, b_hh)
    return ew.relu(pre) if relu else ew.tanh(pre)


def _lstm_step(gi, state, w_hh, b_hh):
    h, c = state
    i, f, g, o = (gi + linear(h, w_hh, b_hh)).chunk(4, -1)
    c = ew.sigmoid(f) * c + ew.sigmoid(i) * ew.tanh(g)
    return ew.sigmoid(o) * ew.tanh(c), c


def _gru_step(gi, h, w_hh, b_hh):
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, -1)
    r = ew.sigmoid(i_r + h_r)
    z = ew.sigmoid(i_z + h_z)
    n = ew.tanh(i_n + r * h_n)
    return n + z * (h - n)  # (1 - z) * n + z * h


def _step(mode: str, gi, state, w_hh, b_hh):
    if mode == "LSTM":
        return _lstm_step(gi, state, w_hh, b_hh)
    if mode == "GRU":
        return _gru_step(gi, state, w_hh, b_hh)
    return _rnn_step(gi, state, w_hh, b_hh, mode == "RNN_RELU")


# ---- public cells (torch.rnn_tanh_cell & co.) -----------------------------------------------
def _check_cell(op: str, input, hx, w_ih, w_hh) -> None:
    check_tensor(input, op)
    for h in hx if isinstance(hx, tuple) else (hx,):
        check_tensor(h, op, "hx")
    check_tensor(w_ih, op, "w_ih")
    check_tensor(w_hh, op, "w_hh")


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    _check_cell("rnn_tanh_cell", input, hx, w_ih, w_hh)
    return _rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, relu=False)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    _check_cell("rnn_relu_cell", input, hx, w_ih, w_hh)
    return _rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, relu=True)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """(h', c') of an LSTM step, hx = (h, c): with (i, f, g, o) = x W_ih^T + b_ih + h W_hh^T
    + b_hh split in four, c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c')."""
    if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise TypeError("lstm_cell(): hx must be a tuple (h, c) of two tensors")
    hx = tuple(hx)
    _check_cell("lstm_cell", input, hx, w_ih, w_hh)
    return _lstm_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = (1 - z) n + z h with r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r (W_hn h + b_hn))."""
    _check_cell("gru_cell", input, hx, w_ih, w_hh)
    return _gru_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh)


# ---- a whole sequence -----------------------------------------------------------------------
def recurrent_layer(mode: str, input, hx, w_ih, w_hh, b_ih=None, b_hh=None,
                    reverse: bool = False):
    """One layer, one direction, over a (T, N, I) sequence: returns (output (T, N, H), final
    state) where the state is h (N, H), or (h, c) for LSTM. ``reverse`` runs from t = T-1
    down to 0 (output stays in time order). The input projection of all steps is one matmul;
    the loop carries only the hidden-to-hidden product."""
    if mode not in MODES:
        raise ValueError(f"recurrent_layer(): unknown mode '{mode}', expected one of {MODES}")
    steps = linear(input, w_ih, b_ih).unbind(0)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    outputs = [None] * len(steps)
    state = hx
    for t in order:
        state = _step(mode, steps[t], state, w_hh, b_hh)
        outputs[t] = state[0] if mode == "LSTM" else state
    return stack(outputs, 0), state


TENSOR_METHODS: dict = {}
FUNCTIONS = {
    "rnn_tanh_cell": rnn_tanh_cell,
    "rnn_relu_cell": rnn_relu_cell,
    "lstm_cell": lstm_cell,
    "gru_cell": gru_cell,
}
