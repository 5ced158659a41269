"""A training step of Linear -> ReLU -> Linear with cross-entropy, against the same math in
NumPy (forward, backward and the SGD update)."""

from __future__ import annotations

import numpy as np

import gradgpu
from gradgpu import nn


def _numpy_step(x, y, w1, b1, w2, b2, lr):
    n = x.shape[0]
    h_pre = x @ w1.T + b1
    h = np.maximum(h_pre, 0)
    logits = h @ w2.T + b2
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    dlogits = p.copy()
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    dw2 = dlogits.T @ h
    db2 = dlogits.sum(0)
    dh = dlogits @ w2 * (h_pre > 0)
    dw1 = dh.T @ x
    db1 = dh.sum(0)
    return loss, [w1 - lr * dw1, b1 - lr * db1, w2 - lr * dw2, b2 - lr * db2]


def test_training_step_matches_numpy():
    gradgpu.manual_seed(0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).double()
    x = rng.standard_normal((8, 4))
    y = rng.integers(0, 3, 8)
    lr = 0.1
    for _ in range(3):  # several steps: the updated weights feed the next step
        before = [p.detach().numpy().copy() for p in model.parameters()]
        ref_loss, ref_params = _numpy_step(x, y, *before, lr)
        loss = nn.CrossEntropyLoss()(model(gradgpu.tensor(x)), gradgpu.tensor(y))
        model.zero_grad()
        loss.backward()
        with gradgpu.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        np.testing.assert_allclose(loss.item(), ref_loss, rtol=1e-12)
        for p, ref in zip(model.parameters(), ref_params):
            np.testing.assert_allclose(p.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
