"""RNN / LSTM / GRU and their cells: parameters as PyTorch, forward against hand-run NumPy
recurrences with the same weights, dropout between layers, gradients, argument errors, and
(when torch is installed) outputs and gradients against torch."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import nn
from gradgpu.autograd import gradcheck, gradgradcheck


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_step(mode, x, state, w_ih, w_hh, b_ih, b_hh):
    """One step of the PyTorch recurrences, written out gate by gate."""
    H = w_hh.shape[1]
    gi = x @ w_ih.T + (b_ih if b_ih is not None else 0.0)
    if mode == "LSTM":
        h, c = state
        gates = gi + h @ w_hh.T + (b_hh if b_hh is not None else 0.0)
        i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        return _sig(o) * np.tanh(c), c
    gh = state @ w_hh.T + (b_hh if b_hh is not None else 0.0)
    if mode == "GRU":
        r = _sig(gi[:, :H] + gh[:, :H])
        z = _sig(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1 - z) * n + z * state
    pre = gi + gh
    return np.maximum(pre, 0.0) if mode == "RNN_RELU" else np.tanh(pre)


def _np_rnn(module, mode, x, h0=None, c0=None):
    """Multi-layer (bi)directional recurrence in NumPy; x is (T, N, I) (seq-first)."""
    T, N, _ = x.shape
    D = 2 if module.bidirectional else 1
    H = module.hidden_size
    h0 = np.zeros((module.num_layers * D, N, H)) if h0 is None else h0
    c0 = np.zeros_like(h0) if c0 is None else c0
    layer_in = x
    h_n, c_n = [], []
    for layer in range(module.num_layers):
        outs = []
        for d in range(D):
            sfx = "_reverse" if d else ""

            def p(name, layer=layer, sfx=sfx):
                t = getattr(module, f"{name}_l{layer}{sfx}", None)
                return None if t is None else t.detach().numpy().astype(np.float64)

            idx = layer * D + d
            state = (h0[idx], c0[idx]) if mode == "LSTM" else h0[idx]
            out = np.zeros((T, N, H))
            for t in (range(T - 1, -1, -1) if d else range(T)):
                state = _np_step(mode, layer_in[t], state, p("weight_ih"), p("weight_hh"),
                                 p("bias_ih"), p("bias_hh"))
                out[t] = state[0] if mode == "LSTM" else state
            outs.append(out)
            h_n.append(state[0] if mode == "LSTM" else state)
            if mode == "LSTM":
                c_n.append(state[1])
        layer_in = np.concatenate(outs, -1)
    return layer_in, np.stack(h_n), (np.stack(c_n) if mode == "LSTM" else None)


def _t(a, requires_grad=False):
    return gradgpu.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


MODELS = [
    ("RNN", "RNN_TANH", {}),
    ("RNN", "RNN_RELU", {"nonlinearity": "relu", "num_layers": 2}),
    ("LSTM", "LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", "GRU", {"bidirectional": True, "bias": False}),
    ("LSTM", "LSTM", {"batch_first": True}),
    ("GRU", "GRU", {"num_layers": 2, "batch_first": True}),
]


# ---- parameters ---------------------------------------------------------------------------
def test_parameter_names_shapes_and_order_match_pytorch():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    got = [(n, tuple(p.shape)) for n, p in lstm.named_parameters()]
    want = []
    for layer, in_size in ((0, 3), (1, 8)):
        for sfx in ("", "_reverse"):
            want += [(f"weight_ih_l{layer}{sfx}", (16, in_size)),
                     (f"weight_hh_l{layer}{sfx}", (16, 4)),
                     (f"bias_ih_l{layer}{sfx}", (16,)), (f"bias_hh_l{layer}{sfx}", (16,))]
    assert got == want
    gru = nn.GRU(3, 5, bias=False)
    assert [(n, tuple(p.shape)) for n, p in gru.named_parameters()] == [
        ("weight_ih_l0", (15, 3)), ("weight_hh_l0", (15, 5))]
    assert [tuple(p.shape) for p in nn.RNN(2, 6).parameters()] == [(6, 2), (6, 6), (6,), (6,)]
    assert len(lstm.all_weights) == 4 and lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse
    cell = nn.LSTMCell(3, 4)
    assert [(n, tuple(p.shape)) for n, p in cell.named_parameters()] == [
        ("weight_ih", (16, 3)), ("weight_hh", (16, 4)), ("bias_ih", (16,)), ("bias_hh", (16,))]
    assert [tuple(p.shape) for p in nn.GRUCell(3, 4, bias=False).parameters()] == [(12, 3),
                                                                                  (12, 4)]


def test_init_is_uniform_within_one_over_sqrt_hidden():
    gradgpu.manual_seed(3)
    for module in (nn.LSTM(5, 16, num_layers=2), nn.GRUCell(4, 16), nn.RNN(3, 16)):
        values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
        bound = 1 / np.sqrt(16)
        assert np.all(np.abs(values) <= bound)
        # a U(-b, b) sample of this size spreads over the whole interval
        assert values.min() < -0.9 * bound and values.max() > 0.9 * bound
        assert abs(values.mean()) < 0.2 * bound


def test_repr_matches_pytorch():
    assert repr(nn.LSTM(3, 4, num_layers=2, bidirectional=True)) == (
        "LSTM(3, 4, num_layers=2, bidirectional=True)")
    assert repr(nn.GRU(3, 4, batch_first=True, dropout=0.5, num_layers=2)) == (
        "GRU(3, 4, num_layers=2, batch_first=True, dropout=0.5)")
    assert repr(nn.RNN(3, 4, nonlinearity="relu", bias=False)) == "RNN(3, 4, bias=False)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


# ---- forward vs NumPy ---------------------------------------------------------------------
@pytest.mark.parametrize("cls,mode,kw", MODELS, ids=[f"{m}-{i}" for i, (_, m, _) in
                                                    enumerate(MODELS)])
def test_forward_matches_numpy_recurrence(cls, mode, kw):
    rng = np.random.default_rng(0)
    module = getattr(nn, cls)(3, 4, **kw).double()
    D = 2 if module.bidirectional else 1
    x = rng.standard_normal((5, 2, 3))  # (T, N, I)
    h0 = rng.standard_normal((module.num_layers * D, 2, 4))
    c0 = rng.standard_normal(h0.shape)
    want_out, want_h, want_c = _np_rnn(module, mode, x, h0, c0)
    xin = x.transpose(1, 0, 2) if module.batch_first else x
    hx = (_t(h0), _t(c0)) if mode == "LSTM" else _t(h0)
    out, state = module(_t(xin), hx)
    got_out = out.detach().numpy()
    if module.batch_first:
        got_out = got_out.transpose(1, 0, 2)
    np.testing.assert_allclose(got_out, want_out, atol=1e-12)
    h_n = state[0] if mode == "LSTM" else state
    np.testing.assert_allclose(h_n.detach().numpy(), want_h, atol=1e-12)
    if mode == "LSTM":
        np.testing.assert_allclose(state[1].detach().numpy(), want_c, atol=1e-12)
    # no hx means zero initial states
    out0, _ = module(_t(xin))
    want0, _, _ = _np_rnn(module, mode, x)
    got0 = out0.detach().numpy()
    np.testing.assert_allclose(got0.transpose(1, 0, 2) if module.batch_first else got0, want0,
                               atol=1e-12)


def test_unbatched_input_gives_unbatched_outputs():
    rng = np.random.default_rng(1)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    x = rng.standard_normal((6, 3))
    h0, c0 = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    out, (h, c) = lstm(_t(x), (_t(h0), _t(c0)))
    assert tuple(out.shape) == (6, 8) and tuple(h.shape) == (4, 4) and tuple(c.shape) == (4, 4)
    want_out, want_h, want_c = _np_rnn(lstm, "LSTM", x[:, None], h0[:, None], c0[:, None])
    np.testing.assert_allclose(out.detach().numpy(), want_out[:, 0], atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), want_c[:, 0], atol=1e-12)
    gru = nn.GRU(3, 4, batch_first=True).double()  # batch_first does not apply unbatched
    out, h = gru(_t(x))
    assert tuple(out.shape) == (6, 4) and tuple(h.shape) == (1, 4)
    np.testing.assert_allclose(out.detach().numpy(), _np_rnn(gru, "GRU", x[:, None])[0][:, 0],
                               atol=1e-12)


def test_output_shapes_batch_first_bidirectional():
    gru = nn.GRU(3, 4, num_layers=3, batch_first=True, bidirectional=True)
    out, h = gru(gradgpu.randn(2, 7, 3))
    assert tuple(out.shape) == (2, 7, 8) and tuple(h.shape) == (6, 2, 4)
    # the last step of the forward direction is h_n of the top layer's forward direction
    np.testing.assert_allclose(out[:, -1, :4].detach().numpy(), h[4].detach().numpy())
    np.testing.assert_allclose(out[:, 0, 4:].detach().numpy(), h[5].detach().numpy())
    out, h = gru(gradgpu.randn(0, 7, 3))  # an empty batch is fine
    assert tuple(out.shape) == (0, 7, 8) and tuple(h.shape) == (6, 0, 4)


@pytest.mark.parametrize("cls,mode", [("RNNCell", "RNN_TANH"), ("LSTMCell", "LSTM"),
                                      ("GRUCell", "GRU")])
def test_cells_match_numpy_step(cls, mode):
    rng = np.random.default_rng(2)
    cell = getattr(nn, cls)(3, 4).double()
    x, h, c = (rng.standard_normal((2, 3)), rng.standard_normal((2, 4)),
               rng.standard_normal((2, 4)))
    ws = [p.detach().numpy() for p in cell.parameters()]
    want = _np_step(mode, x, (h, c) if mode == "LSTM" else h, *ws)
    got = cell(_t(x), (_t(h), _t(c)) if mode == "LSTM" else _t(h))
    if mode == "LSTM":
        np.testing.assert_allclose(got[0].detach().numpy(), want[0], atol=1e-12)
        np.testing.assert_allclose(got[1].detach().numpy(), want[1], atol=1e-12)
    else:
        np.testing.assert_allclose(got.detach().numpy(), want, atol=1e-12)
    # unbatched (1-D) input, default zero state
    zero = np.zeros((1, 4))
    want1 = _np_step(mode, x[:1], (zero, zero) if mode == "LSTM" else zero, *ws)
    got1 = cell(_t(x[0]))
    if mode == "LSTM":
        assert tuple(got1[1].shape) == (4,)
        got1, want1 = got1[0], want1[0]
    assert tuple(got1.shape) == (4,)
    np.testing.assert_allclose(got1.detach().numpy(), want1[0], atol=1e-12)


def test_relu_cell_and_functional_cells():
    rng = np.random.default_rng(3)
    cell = nn.RNNCell(3, 4, nonlinearity="relu", bias=False).double()
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    want = np.maximum(x @ cell.weight_ih.detach().numpy().T
                      + h @ cell.weight_hh.detach().numpy().T, 0)
    np.testing.assert_allclose(cell(_t(x), _t(h)).detach().numpy(), want, atol=1e-12)
    w_ih, w_hh, b = (rng.standard_normal((8, 3)), rng.standard_normal((8, 2)),
                     rng.standard_normal(8))
    x2, h2 = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    h_new, c_new = gradgpu.lstm_cell(_t(x2), (_t(h2), _t(h2)), _t(w_ih), _t(w_hh), _t(b), None)
    want_h, want_c = _np_step("LSTM", x2, (h2, h2), w_ih, w_hh, b, None)
    np.testing.assert_allclose(h_new.detach().numpy(), want_h, atol=1e-12)
    np.testing.assert_allclose(c_new.detach().numpy(), want_c, atol=1e-12)


# ---- dropout between layers ---------------------------------------------------------------
def test_dropout_applies_between_layers_in_training_only():
    rng = np.random.default_rng(4)
    gru = nn.GRU(3, 4, num_layers=2, dropout=1.0).double()
    x = rng.standard_normal((5, 2, 3))
    out, h = gru(_t(x))
    # p = 1 zeroes the first layer's output: the second layer sees a zero input sequence
    first, _, _ = _np_rnn(_Layer(gru, 0), "GRU", x)
    second, h2, _ = _np_rnn(_Layer(gru, 1), "GRU", np.zeros_like(first))
    np.testing.assert_allclose(out.detach().numpy(), second, atol=1e-12)
    np.testing.assert_allclose(h[1].detach().numpy(), h2[0], atol=1e-12)
    gru.eval()
    out_eval, _ = gru(_t(x))
    want_eval, _, _ = _np_rnn(_Layer(gru, 1), "GRU", first)
    np.testing.assert_allclose(out_eval.detach().numpy(), want_eval, atol=1e-12)


class _Layer:
    """View of one layer of a module as a one-layer module (for the NumPy reference)."""

    def __init__(self, module, layer):
        self.bidirectional, self.hidden_size, self.num_layers = (module.bidirectional,
                                                                 module.hidden_size, 1)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            setattr(self, f"{name}_l0", getattr(module, f"{name}_l{layer}"))


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.3)


# ---- gradients ----------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kw", [("LSTM", {"bidirectional": True}),
                                    ("GRU", {"num_layers": 2}),
                                    ("RNN", {"nonlinearity": "tanh"})])
def test_gradcheck_inputs_states_and_weights(cls, kw):
    rng = np.random.default_rng(5)
    module = getattr(nn, cls)(2, 2, **kw).double()
    D = 2 if module.bidirectional else 1
    x = _t(rng.standard_normal((3, 1, 2)), True)
    h0 = _t(rng.standard_normal((module.num_layers * D, 1, 2)), True)
    w = module.weight_hh_l0

    def fn(x, h0):
        out, state = module(x, (h0, h0 * 0.5) if cls == "LSTM" else h0)
        return out, state[0] if cls == "LSTM" else state

    assert gradcheck(fn, (x, h0))
    # gradient w.r.t. a weight: compare the autograd gradient with central differences
    out, _ = module(x.detach(), (h0.detach(), h0.detach() * 0.5) if cls == "LSTM"
                    else h0.detach())
    out.sum().backward()
    analytic = w.grad.numpy().copy()
    numeric = np.zeros_like(analytic)
    base = w.detach().numpy().copy()
    for idx in np.ndindex(base.shape):
        vals = []
        for delta in (1e-6, -1e-6):
            arr = base.copy()
            arr[idx] += delta
            with gradgpu.no_grad():
                w.copy_(_t(arr))
                o, _ = module(x.detach(), (h0.detach(), h0.detach() * 0.5) if cls == "LSTM"
                              else h0.detach())
            vals.append(o.sum().item())
        numeric[idx] = (vals[0] - vals[1]) / 2e-6
    np.testing.assert_allclose(analytic, numeric, atol=1e-6)


def test_cell_ops_are_twice_differentiable():
    rng = np.random.default_rng(6)
    x = _t(rng.standard_normal((2, 2)), True)
    h = _t(rng.standard_normal((2, 2)), True)
    w_ih = _t(rng.standard_normal((6, 2)), True)
    w_hh = _t(rng.standard_normal((6, 2)), True)
    b = _t(rng.standard_normal(6), True)
    assert gradgradcheck(lambda *a: gradgpu.gru_cell(*a, None), (x, h, w_ih, w_hh, b))
    c = _t(rng.standard_normal((2, 2)), True)
    w4 = _t(rng.standard_normal((8, 2)), True)
    assert gradgradcheck(lambda x, h, c, w: gradgpu.lstm_cell(x, (h, c), w, w), (x, h, c, w4))


# ---- errors -------------------------------------------------------------------------------
def test_constructor_errors():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'foo'"):
        nn.RNN(3, 4, nonlinearity="foo")
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        nn.GRU(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.LSTM(3, 0)
    with pytest.raises(TypeError, match="hidden_size should be of type int"):
        nn.LSTM(3, 4.0)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)


def test_forward_errors():
    lstm = nn.LSTM(3, 4, num_layers=2)
    gru = nn.GRU(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 3, got 4"):
        lstm(gradgpu.randn(5, 2, 4))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D"):
        lstm(gradgpu.randn(5, 2, 3, 1))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 4\), got "
                                           r"\[1, 2, 4\]"):
        lstm(gradgpu.randn(5, 2, 3), (gradgpu.zeros(1, 2, 4), gradgpu.zeros(2, 2, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size"):
        lstm(gradgpu.randn(5, 2, 3), (gradgpu.zeros(2, 2, 4), gradgpu.zeros(2, 3, 4)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx and cx should also be "
                                           "2-D but got \\(3-D, 3-D\\) tensors"):
        lstm(gradgpu.randn(5, 3), (gradgpu.zeros(2, 2, 4), gradgpu.zeros(2, 2, 4)))
    with pytest.raises(TypeError, match="hx must be a tuple"):
        lstm(gradgpu.randn(5, 2, 3), gradgpu.zeros(2, 2, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 2, 4\), got \[1, 2, 4\]"):
        gru(gradgpu.randn(5, 2, 3), gradgpu.zeros(1, 2, 4))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but "
                                           "got 2-D tensor"):
        gru(gradgpu.randn(5, 2, 3), gradgpu.zeros(2, 4))
    with pytest.raises(TypeError, match="hx must be a tensor"):
        gru(gradgpu.randn(5, 2, 3), (gradgpu.zeros(2, 2, 4),))
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        gru(gradgpu.randn(0, 2, 3))
    with pytest.raises(RuntimeError, match="input must have the type"):
        gru(gradgpu.randn(5, 2, 3, dtype=gradgpu.float64))


def test_cell_errors():
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 3"):
        cell(gradgpu.randn(2, 5))
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D"):
        cell(gradgpu.randn(2, 3, 3))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch "
                                           "size 3"):
        cell(gradgpu.randn(2, 3), (gradgpu.zeros(3, 4), gradgpu.zeros(2, 4)))
    with pytest.raises(RuntimeError, match="hidden1 has inconsistent hidden_size: got 5, "
                                           "expected 4"):
        cell(gradgpu.randn(2, 3), (gradgpu.zeros(2, 4), gradgpu.zeros(2, 5)))
    with pytest.raises(RuntimeError, match="hidden0 must be too"):
        nn.GRUCell(3, 4)(gradgpu.randn(3), gradgpu.zeros(1, 4))
    with pytest.raises(TypeError, match="lstm_cell\\(\\): hx must be a tuple"):
        gradgpu.lstm_cell(gradgpu.randn(2, 3), gradgpu.zeros(2, 4), gradgpu.randn(16, 3),
                          gradgpu.randn(16, 4))


# ---- against torch ------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kw", [("LSTM", {"num_layers": 2, "bidirectional": True}),
                                    ("GRU", {"num_layers": 2, "batch_first": True}),
                                    ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
                                    ("LSTMCell", {}), ("GRUCell", {})])
def test_matches_torch_outputs_and_gradients(cls, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    theirs = getattr(torch.nn, cls)(3, 4, **kw).double()
    ours = getattr(nn, cls)(3, 4, **kw).double()
    ours.load_state_dict({k: _t(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((2, 3) if "Cell" in cls else (4, 2, 3))
    xg, xt = _t(x, True), torch.tensor(x, requires_grad=True)
    a, b = ours(xg), theirs(xt)

    def total(result, lib):
        parts = []
        stack = [result]
        while stack:
            r = stack.pop()
            if isinstance(r, tuple):
                stack.extend(r)
            else:
                parts.append(r)
        return sum(((p * p).sum() if i % 2 else p.sum()) for i, p in enumerate(parts))

    la, lb = total(a, gradgpu), total(b, torch)
    np.testing.assert_allclose(la.item(), lb.item(), rtol=1e-12)
    la.backward()
    lb.backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-12, err_msg=name)
