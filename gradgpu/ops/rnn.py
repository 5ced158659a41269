"""Recurrent cell math (Elman RNN, LSTM, GRU) with PyTorch's gate layouts, and one layer of a
recurrence run over a whole sequence. Composed from linear/sigmoid/tanh/chunk, so every
order of gradient comes from those ops.

Gate rows of the weights, as in PyTorch: LSTM (i, f, g, o); GRU (r, z, n).
"""

from __future__ import annotations

from . import elementwise as ew
from ._common import check_tensor
from .layers import linear
from .shape import cat, split, stack

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
def _split_rows(state: tuple, keep: int) -> tuple:
    """Each state tensor split into its first ``keep`` rows and the rest (one op per tensor)."""
    parts = [split(s, [keep, s.shape[0] - keep], 0) for s in state]
    return tuple(p[0] for p in parts), tuple(p[1] for p in parts)


def _step_tuple(mode: str, gi, state: tuple, w_hh, b_hh) -> tuple:
    out = _step(mode, gi, state if mode == "LSTM" else state[0], w_hh, b_hh)
    return out if mode == "LSTM" else (out,)


def recurrent_layer(mode: str, input, hx, w_ih, w_hh, b_ih=None, b_hh=None,
                    reverse: bool = False, batch_sizes=None):
    """One layer, one direction, over a (T, N, I) sequence: returns (output (T, N, H), final
    state) where the state is h (N, H), or (h, c) for LSTM. ``reverse`` runs from t = T-1
    down to 0 (output stays in time order). The input projection of all steps is one matmul;
    the loop carries only the hidden-to-hidden product.

    With ``batch_sizes`` (non-increasing ints, as a PackedSequence's), ``input`` is packed data
    (sum(batch_sizes), I) whose step t holds the first batch_sizes[t] sequences, and the
    output is packed the same way. The running batch shrinks as sequences end (forward) or
    grows as they start (reverse), as PyTorch's packed CPU path does, so each sequence's
    final state is the one at its own last step and no padding enters any gradient."""
    if mode not in MODES:
        raise ValueError(f"recurrent_layer(): unknown mode '{mode}', expected one of {MODES}")
    gi = linear(input, w_ih, b_ih)
    steps = gi.unbind(0) if batch_sizes is None else split(gi, list(batch_sizes), 0)
    lstm = mode == "LSTM"
    init = state = tuple(hx) if lstm else (hx,)
    full = state[0].shape[0]
    sizes = [full] * len(steps) if batch_sizes is None else list(batch_sizes)
    outputs = [None] * len(steps)
    ended = []  # (h, c) rows of sequences that ended, in the order they ended
    if reverse:
        size = sizes[-1] if sizes else full
        if size < full:  # only the sequences that reach the last step start there
            state = tuple(h[:size] for h in init)
        for t in range(len(steps) - 1, -1, -1):
            if sizes[t] > size:  # sequences starting here join with their rows of hx
                state = tuple(cat([s, h[size:sizes[t]]], 0) for s, h in zip(state, init))
                size = sizes[t]
            state = _step_tuple(mode, steps[t], state, w_hh, b_hh)
            outputs[t] = state[0]
    else:
        size = full
        for t in range(len(steps)):
            if sizes[t] < size:  # the sequences past sizes[t] ended at t - 1
                state, done = _split_rows(state, sizes[t])
                ended.append(done)
                size = sizes[t]
            state = _step_tuple(mode, steps[t], state, w_hh, b_hh)
            outputs[t] = state[0]
        if ended:  # rows of longer (earlier) sequences first
            parts = [state] + ended[::-1]
            state = tuple(cat([p[k] for p in parts], 0) for k in range(len(state)))
    output = stack(outputs, 0) if batch_sizes is None else cat(outputs, 0)
    return output, (state if lstm else state[0])


TENSOR_METHODS: dict = {}
FUNCTIONS = {
    "rnn_tanh_cell": rnn_tanh_cell,
    "rnn_relu_cell": rnn_relu_cell,
    "lstm_cell": lstm_cell,
    "gru_cell": gru_cell,
}
