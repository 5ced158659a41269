"""nn.utils.rnn (PackedSequence, pack/pad/unpad) and RNN/LSTM/GRU on packed input: values
copied from PyTorch 2.13 runs, gradients by gradcheck, and packed runs against the same module
run on each sequence separately (which must agree to rounding)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import nn
from gradgpu.autograd import gradcheck, gradgradcheck
from gradgpu.nn.utils.rnn import (
    PackedSequence,
    invert_permutation,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)


def _t(a, device="cpu", requires_grad=False):
    return gradgpu.tensor(np.asarray(a, dtype=np.float64), device=device,
                          requires_grad=requires_grad)


def _np(t):
    return t.detach().cpu().numpy()


# ---- packing and padding ------------------------------------------------------------------
def test_pack_padded_unsorted_and_back(device):
    x = _t(np.arange(12.0).reshape(4, 3, 1), device)
    p = pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
    assert isinstance(p, PackedSequence) and isinstance(p, tuple)
    np.testing.assert_array_equal(_np(p.data).ravel(), [1, 0, 2, 4, 3, 7, 10])
    assert p.batch_sizes.tolist() == [3, 2, 1, 1]
    assert p.batch_sizes.dtype == gradgpu.int64 and p.batch_sizes.device.type == "cpu"
    assert p.sorted_indices.tolist() == [1, 0, 2] and p.unsorted_indices.tolist() == [1, 0, 2]
    assert p.sorted_indices.device == x.device and p.is_cuda == (device == "cuda")
    padded, lengths = pad_packed_sequence(p, batch_first=True, padding_value=-1.0)
    np.testing.assert_array_equal(_np(padded)[..., 0], [[0, 3, -1, -1], [1, 4, 7, 10],
                                                        [2, -1, -1, -1]])
    assert lengths.tolist() == [2, 4, 1] and lengths.device.type == "cpu"
    padded, _ = pad_packed_sequence(p, total_length=6)
    assert tuple(padded.shape) == (6, 3, 1)
    np.testing.assert_array_equal(_np(padded)[4:], 0.0)


def test_pack_padded_sorted_batch_first(device):
    x = _t(np.arange(12.0).reshape(3, 4, 1), device)  # (B, T, 1)
    p = pack_padded_sequence(x, gradgpu.tensor([4.0, 2.0, 2.0]), batch_first=True)
    np.testing.assert_array_equal(_np(p.data).ravel(), [0, 4, 8, 1, 5, 9, 2, 3])
    assert p.batch_sizes.tolist() == [3, 3, 1, 1]
    assert p.sorted_indices is None and p.unsorted_indices is None


def test_pad_sequence_sides(device):
    a, b, c = _t([1.0, 2.0], device), _t([3.0, 4.0, 5.0], device), _t([6.0], device)
    np.testing.assert_array_equal(_np(pad_sequence([a, b, c])),
                                  [[1, 3, 6], [2, 4, 0], [0, 5, 0]])
    left = pad_sequence([a, b, c], batch_first=True, padding_value=9, padding_side="left")
    np.testing.assert_array_equal(_np(left), [[9, 1, 2], [3, 4, 5], [9, 9, 6]])
    ints = pad_sequence([gradgpu.ones(2, dtype=gradgpu.int64), gradgpu.ones(3)], padding_value=7)
    assert ints.dtype == gradgpu.int64 and ints.tolist() == [[1, 1], [1, 1], [7, 1]]
    assert tuple(pad_sequence(gradgpu.ones(3, 2, 4)).shape) == (2, 3, 4)  # rows are sequences


def test_pack_sequence_unpack_unpad_round_trip(device):
    rng = np.random.default_rng(0)
    seqs = [_t(rng.standard_normal((n, 2)), device) for n in (2, 5, 1, 5)]
    p = pack_sequence(seqs, enforce_sorted=False)
    assert p.batch_sizes.tolist() == [4, 3, 2, 2, 2]
    assert p.sorted_indices.tolist() == [1, 3, 0, 2]  # equal lengths keep their order
    for got, want in zip(unpack_sequence(p), seqs):
        np.testing.assert_array_equal(_np(got), _np(want))
    padded = pad_sequence(seqs)
    for got, want in zip(unpad_sequence(padded, gradgpu.tensor([2, 5, 1, 5])), seqs):
        np.testing.assert_array_equal(_np(got), _np(want))
    assert tuple(padded.shape) == (5, 4, 2)  # unpad_sequence leaves its input as it was


def test_gradients_flow_through_packing(device):
    rng = np.random.default_rng(1)
    x = _t(rng.standard_normal((4, 3, 2)), device, requires_grad=True)
    seqs = [_t(rng.standard_normal((n, 2)), device, requires_grad=True) for n in (1, 3, 2)]

    def round_trip(x):
        p = pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        return pad_packed_sequence(p, batch_first=True, padding_value=0.5, total_length=5)[0]

    assert gradcheck(round_trip, (x,))
    assert gradgradcheck(round_trip, (x,))
    assert gradcheck(lambda *s: pad_sequence(s, padding_value=-1.0, padding_side="left"), seqs)
    assert gradcheck(lambda *s: pack_sequence(s, enforce_sorted=False).data, seqs)
    round_trip(x).sum().backward()  # padding is a constant: only the packed rows get 1
    mask = np.arange(4)[:, None] < np.array([2, 4, 1])[None, :]
    np.testing.assert_array_equal(_np(x.grad), np.broadcast_to(mask[..., None], (4, 3, 2)))


def test_packed_sequence_methods():
    p = pack_sequence([gradgpu.ones(3, 2), gradgpu.ones(1, 2)])
    assert p.to(gradgpu.float32) is p and p.float() is p
    assert p.double().data.dtype == gradgpu.float64 and p.long().data.dtype == gradgpu.int64
    assert p.double().batch_sizes is p.batch_sizes
    q = pack_sequence([gradgpu.ones(1), gradgpu.ones(2)], enforce_sorted=False).double()
    assert q.sorted_indices.tolist() == [1, 0] and q.unsorted_indices.tolist() == [1, 0]
    r = PackedSequence((p.data, p.batch_sizes))
    assert r.batch_sizes is p.batch_sizes and r.sorted_indices is None
    s = PackedSequence(p.data, p.batch_sizes, gradgpu.tensor([2, 0, 1]))
    assert s.unsorted_indices.tolist() == [1, 2, 0]
    assert invert_permutation(gradgpu.tensor([3, 0, 2, 1])).tolist() == [1, 3, 2, 0]
    assert invert_permutation(None) is None


@pytest.mark.parametrize("call, error, match", [
    (lambda x: pack_padded_sequence(x, [2, 3, 1]), RuntimeError,
     "must be sorted in decreasing order when `enforce_sorted` is True"),
    (lambda x: pack_padded_sequence(x, [3, 0, 2], enforce_sorted=False), RuntimeError,
     "Length of all samples has to be greater than 0"),
    (lambda x: pack_padded_sequence(x, [3, 2]), RuntimeError,
     r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 \(batch_size=3\)"),
    (lambda x: pack_padded_sequence(x, [[3, 2, 1]]), RuntimeError,
     "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Long tensor"),
    (lambda x: pack_padded_sequence(x, [5, 2, 1]), RuntimeError,
     r"sequence length 5 exceeds the padded length 4 of input of shape \[4, 3, 2\]"),
    (lambda x: pack_padded_sequence(x[:0], [1, 1, 1]), RuntimeError,
     "Cannot pack empty tensors"),
    (lambda x: pack_padded_sequence(x[0, 0], [2]), IndexError, "at least 2 dimensions"),
    (lambda x: pad_packed_sequence(pack_padded_sequence(x, [3, 2, 1]), total_length=2),
     ValueError, "total_length=2 and max sequence length being 3"),
    (lambda x: pad_sequence([]), RuntimeError, "received an empty list of sequences"),
    (lambda x: pad_sequence(3), RuntimeError, "Expected iterable for input sequences"),
    (lambda x: pad_sequence([x[0], x[0]], padding_side="middle"), RuntimeError,
     "Expected padding_side to be one of left or right, but got middle"),
    (lambda x: pad_sequence([x[0], x[0, :, :1]]), RuntimeError,
     r"same trailing dimensions, got \[3, 2\] \(sequence 0\) and \[3, 1\] \(sequence 1\)"),
])
def test_packing_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(gradgpu.randn(4, 3, 2))


def test_packed_data_must_match_batch_sizes():
    with pytest.raises(AssertionError, match="list or tuple of length 2"):
        PackedSequence(gradgpu.ones(3))
    p = PackedSequence(gradgpu.ones(5, 2), gradgpu.tensor([3, 1]))
    with pytest.raises(RuntimeError, match=r"data of shape \[5, 2\] does not hold "
                                           r"sum\(batch_sizes\) = 4 rows"):
        pad_packed_sequence(p)
    p = PackedSequence(gradgpu.ones(4, 2), gradgpu.tensor([1, 3]))
    with pytest.raises(RuntimeError, match="positive and non-increasing, got \\[1, 3\\]"):
        pad_packed_sequence(p)


def test_lengths_and_batch_sizes_device_rules(device):
    if device == "cpu":
        pytest.skip("the rule concerns tensors on a GPU")
    x = gradgpu.randn(4, 3, 2, device=device)
    with pytest.raises(RuntimeError, match="should be a 1D CPU int64 tensor, but got 1D cuda"):
        pack_padded_sequence(x, gradgpu.tensor([3, 2, 1], device=device))
    with pytest.raises(ValueError, match="batch_sizes should always be on CPU"):
        PackedSequence(x[0], gradgpu.tensor([2, 1], device=device))


# ---- recurrent modules on packed input ----------------------------------------------------
def test_packed_gru_matches_pytorch_values(device):
    m = nn.GRU(2, 2, bidirectional=True, dtype=gradgpu.float64)
    with gradgpu.no_grad():
        for i, (_, w) in enumerate(m.named_parameters()):
            ramp = np.linspace(-0.5, 0.5, w.numel()).reshape(tuple(w.shape)) * (1 + 0.1 * i)
            w.copy_(_t(ramp))
    m.to(device)
    seqs = [_t([[0.5, -1.0], [1.0, 0.25]], device),
            _t([[-0.75, 0.5], [0.2, 0.3], [1.5, -0.5]], device)]
    out, h_n = m(pack_sequence(seqs, enforce_sorted=False))
    assert isinstance(out, PackedSequence) and out.batch_sizes.tolist() == [2, 2, 1]
    assert out.sorted_indices.tolist() == [1, 0]
    np.testing.assert_allclose(_np(out.data), [  # PyTorch 2.13, same weights
        [0.2277853641, 0.2777749169, 0.526246028, 0.6490480791],
        [0.1409320323, 0.2236140953, 0.3547900626, 0.4695357006],
        [0.401393269, 0.4888884183, 0.5492831252, 0.5656455263],
        [0.4312825483, 0.4866824356, 0.4664208838, 0.3661779859],
        [0.4888809215, 0.6300762438, 0.4177947179, 0.3757801399]], atol=1e-9)
    np.testing.assert_allclose(_np(h_n), [
        [[0.4312825483, 0.4866824356], [0.4888809215, 0.6300762438]],
        [[0.3547900626, 0.4695357006], [0.526246028, 0.6490480791]]], atol=1e-9)


CONFIGS = [
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"bidirectional": True, "batch_first": True, "bias": False}),
]


@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_packed_run_equals_each_sequence_alone(device, name, kwargs, with_hx):
    """Outputs, final states and every gradient of one packed run equal those of the same
    module run on each sequence by itself (its own rows of h_0, no padding anywhere)."""
    rng = np.random.default_rng(2)
    m = getattr(nn, name)(3, 4, dtype=gradgpu.float64, **kwargs).to(device)
    lstm, bf = name == "LSTM", kwargs.get("batch_first", False)
    lengths = [2, 4, 1, 4]
    seqs = [_t(rng.standard_normal((n, 3)), device, requires_grad=True) for n in lengths]
    layers = m.num_layers * (2 if m.bidirectional else 1)
    hx = [_t(rng.standard_normal((layers, 4, 4)), device, requires_grad=True)
          for _ in range(2 if lstm else 1)] if with_hx else []
    w_out = _t(rng.standard_normal((4, 4, 4 * (2 if m.bidirectional else 1))), device)  # (T, B)
    w_fin = [_t(rng.standard_normal((layers, 4, 4)), device) for _ in range(2 if lstm else 1)]
    inputs = seqs + hx + list(m.parameters())

    out, fin = m(pack_sequence(seqs, enforce_sorted=False),
                 (tuple(hx) if lstm else hx[0]) if with_hx else None)
    fin = list(fin) if lstm else [fin]
    padded, lens = pad_packed_sequence(out, batch_first=bf)
    assert lens.tolist() == lengths
    loss = (padded * (w_out.transpose(0, 1) if bf else w_out)).sum()
    loss = loss + sum((f * w).sum() for f, w in zip(fin, w_fin))
    grads = gradgpu.autograd.grad(loss, inputs)

    alone_loss = 0
    for b, seq in enumerate(seqs):
        h_b = [h[:, b] for h in hx]
        o_b, f_b = m(seq, (tuple(h_b) if lstm else h_b[0]) if with_hx else None)
        f_b = list(f_b) if lstm else [f_b]
        np.testing.assert_allclose(_np(padded[b] if bf else padded[:, b])[:lengths[b]],
                                   _np(o_b), rtol=1e-12, atol=1e-12)
        for f, g in zip(fin, f_b):
            np.testing.assert_allclose(_np(f[:, b]), _np(g), rtol=1e-12, atol=1e-12)
        alone_loss = alone_loss + (o_b * w_out[:lengths[b], b]).sum()
        alone_loss = alone_loss + sum((g * w[:, b]).sum() for g, w in zip(f_b, w_fin))
    np.testing.assert_array_equal(_np(padded[0, 2:] if bf else padded[2:, 0]), 0.0)  # padding
    for got, want in zip(grads, gradgpu.autograd.grad(alone_loss, inputs)):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-10, atol=1e-12)


def test_packed_lstm_gradcheck(device):
    rng = np.random.default_rng(3)
    m = nn.LSTM(2, 2, bidirectional=True, dtype=gradgpu.float64).to(device)
    x = _t(rng.standard_normal((3, 3, 2)), device, requires_grad=True)
    h0 = _t(rng.standard_normal((2, 3, 2)), device, requires_grad=True)
    c0 = _t(rng.standard_normal((2, 3, 2)), device, requires_grad=True)

    def run(x, h0, c0):
        out, (h, c) = m(pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False), (h0, c0))
        return out.data, h, c

    assert gradcheck(run, (x, h0, c0))


@pytest.mark.parametrize("call, match", [
    (lambda m, p: m(p, gradgpu.zeros(1, 2, 4, dtype=gradgpu.float64)),
     r"Expected hidden size \(1, 3, 4\), got \[1, 2, 4\]"),
    (lambda m, p: m(PackedSequence(p.data.unsqueeze(-1), p.batch_sizes)),
     "input must have 2 dimensions, got 3"),
    (lambda m, p: m(PackedSequence(p.data[:, :2], p.batch_sizes)),
     "input.size\\(-1\\) must be equal to input_size. Expected 3, got 2"),
    (lambda m, p: m(PackedSequence(p.data[:4], p.batch_sizes)),
     r"GRU\(\): data of shape \[4, 3\] does not hold sum\(batch_sizes\) = 6 rows"),
])
def test_packed_module_errors(call, match):
    m = nn.GRU(3, 4, dtype=gradgpu.float64)
    p = pack_sequence([gradgpu.ones(3, 3, dtype=gradgpu.float64),
                       gradgpu.ones(2, 3, dtype=gradgpu.float64),
                       gradgpu.ones(1, 3, dtype=gradgpu.float64)])
    with pytest.raises(RuntimeError, match=match):
        call(m, p)
