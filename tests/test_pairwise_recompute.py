"""pdist/cdist in row blocks (``Recompute``): under create_graph the recomputation in backward
stops at the block's inputs, so their hooks see the whole gradient, once."""

from __future__ import annotations

import numpy as np

import gradgpu
import gradgpu.nn.functional as F
import gradgpu.ops.reduction.pairwise as pw
import gradgpu.ops.sampling_extra as se


def test_create_graph_runs_the_input_hooks_once(monkeypatch, device):
    monkeypatch.setattr(se, "_PDIST_BLOCK", 7)  # one row of pairs a block: 4 blocks
    monkeypatch.setattr(pw, "_CDIST_BLOCK", 12)  # one row of x1 a block: 5 blocks
    x = gradgpu.randn(5, 3, dtype=gradgpu.float64, device=device, requires_grad=True)
    h = x * 1
    seen = []
    h.register_hook(seen.append)
    loss = (F.pdist(h) ** 2).sum() + (gradgpu.cdist(h, x.detach()) ** 2).sum()
    (g,) = gradgpu.autograd.grad(loss, x, create_graph=True)
    # d/dh_i: sum_{j != i} 2 (h_i - h_j) from pdist, sum_k 2 (h_i - x_k) from cdist
    xs = x.detach().cpu().numpy()
    want = 2 * (5 * xs - xs.sum(0)) + 2 * (5 * xs - xs.sum(0))
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0].detach().cpu().numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(g.detach().cpu().numpy(), want, rtol=1e-12)
    assert g.requires_grad  # still differentiable through the recomputation
