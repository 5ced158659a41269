"""PyTorch model code runs unchanged with ``torch`` bound to gradgpu.

Three model files written against PyTorch's API (a GPT-style decoder, a CNN classifier, an LSTM
language model) are built by a function that takes the library as an argument. With gradgpu they
must train (loss falls); where PyTorch is installed (not in CI) they must also train to the same
losses as PyTorch from the same initial weights.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu


def gpt(torch):
    nn, F = torch.nn, torch.nn.functional

    class Block(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            T = x.size(1)
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            h = self.ln1(x)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self, vocab=11, d=16, heads=2, layers=2, block=8):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Parameter(torch.zeros(1, block, d))
            self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
            self.ln = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab)

        def forward(self, idx, targets):
            x = self.tok(idx) + self.pos[:, : idx.size(1)]
            for blk in self.blocks:
                x = blk(x)
            logits = self.head(self.ln(x))
            return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))

    return GPT()


def cnn(torch):
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.conv2 = nn.Conv2d(4, 8, 3, stride=2)
            self.fc = nn.Linear(8 * 2 * 2, 5)

        def forward(self, x, y):
            x = F.max_pool2d(F.relu(self.bn(self.conv1(x))), 2)  # (N, 4, 4, 4)
            x = F.relu(self.conv2(F.pad(x, (1, 1, 1, 1))))  # (N, 8, 2, 2)
            return F.cross_entropy(self.fc(torch.flatten(x, 1)), y)

    return Net()


def lstm_lm(torch):
    nn, F = torch.nn, torch.nn.functional

    class LM(nn.Module):
        def __init__(self, vocab=9, d=8, hidden=12):
            super().__init__()
            self.emb = nn.Embedding(vocab, d)
            self.rnn = nn.LSTM(d, hidden, num_layers=2, batch_first=True)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, idx, targets):
            h, _ = self.rnn(self.emb(idx))
            return F.cross_entropy(self.out(h).transpose(1, 2), targets)

    return LM()


def _data(name, rng):
    if name == "gpt":
        idx = rng.integers(0, 11, (4, 9))
        return idx[:, :-1], idx[:, 1:]
    if name == "cnn":
        return rng.standard_normal((6, 1, 8, 8)).astype(np.float32), rng.integers(0, 5, 6)
    idx = rng.integers(0, 9, (3, 7))
    return idx[:, :-1], idx[:, 1:]


MODELS = {"gpt": gpt, "cnn": cnn, "lstm": lstm_lm}


def _train(torch, model, data, steps=6):
    x, y = (torch.tensor(a) for a in data)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name", list(MODELS))
def test_pytorch_model_code_trains_with_gradgpu(name):
    gradgpu.manual_seed(0)
    model = MODELS[name](gradgpu)
    losses = _train(gradgpu, model, _data(name, np.random.default_rng(0)), steps=10)
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name", list(MODELS))
def test_same_initial_weights_give_the_same_losses_as_pytorch(name):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = MODELS[name](torch)
    ours = MODELS[name](gradgpu)
    state = {k: gradgpu.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    data = _data(name, np.random.default_rng(0))
    ours_losses = _train(gradgpu, ours, data)
    their_losses = _train(torch, theirs, data)
    np.testing.assert_allclose(ours_losses, their_losses, rtol=2e-4, atol=2e-5)
