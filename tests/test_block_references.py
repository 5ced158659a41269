"""The reference kernels behind the fused ops (cross entropy, layer-norm backward, pooling
backward) on their own, and the two backward paths of the fused ops: the fused kernel (no graph
being built) and the differentiable formula (create_graph=True) must give the same gradient."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F
from gradgpu.backend import NUMPY


def _grads_both_ways(make_loss, *inputs):
    """d loss / d inputs through the fused backward and through the create_graph formula."""
    out = []
    for create_graph in (False, True):
        ts = [gradgpu.tensor(a, requires_grad=True) for a in inputs]
        loss = make_loss(*ts)
        gs = gradgpu.autograd.grad(loss, ts, create_graph=create_graph)
        out.append([g.detach().numpy() for g in gs])
    return out


@pytest.mark.parametrize("kw", [
    {}, {"label_smoothing": 0.2}, {"reduction": "sum"}, {"reduction": "none"},
    {"weight": True, "label_smoothing": 0.3}, {"weight": True, "reduction": "none"},
])
def test_cross_entropy_fused_and_create_graph_backward_agree(kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3))
    t = gradgpu.tensor(rng.integers(0, 5, (2, 3)))
    t[0, 1] = -100
    kw = dict(kw)
    if kw.pop("weight", False):
        kw["weight"] = gradgpu.tensor(rng.uniform(0.5, 2.0, 5))

    upstream = gradgpu.tensor(rng.standard_normal((2, 3)))

    def loss(xt):
        out = F.cross_entropy(xt, t, **kw)
        return (out * upstream).sum() if out.ndim else out

    (fused,), (composed,) = _grads_both_ways(loss, x)
    np.testing.assert_allclose(fused, composed, rtol=1e-12, atol=1e-14)
    assert fused[0, :, 1].tolist() == [0.0] * 5  # the ignored target's column


def test_cross_entropy_reference_matches_log_softmax_and_gather():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6)) * 5
    t = np.array([0, 5, -100, 2])
    w = rng.uniform(0.5, 2.0, 6)
    loss, lse, wt = NUMPY.cross_entropy_fwd(x, t, w, -100, 0.1, 1)
    logp = NUMPY.log_softmax(x, 1)
    for i, k in enumerate(t):
        if k == -100:
            assert loss[i] == 0 and wt[i] == 0
            continue
        want = 0.9 * -w[k] * logp[i, k] + 0.1 / 6 * -(w * logp[i]).sum()
        assert loss[i] == pytest.approx(want, rel=1e-12)
        assert wt[i] == w[k]
    np.testing.assert_allclose(lse, np.log(np.exp(x).sum(1)), rtol=1e-12)


def test_cross_entropy_reference_float16_computes_in_float32():
    x = np.array([[10.0, 0.0, -10.0]], dtype=np.float16)
    loss, lse, wt = NUMPY.cross_entropy_fwd(x, np.array([1]), None, -100, 0.0, 1)
    assert loss.dtype == np.float16 and lse.dtype == np.float32 and wt.dtype == np.float16
    assert float(loss[0]) == pytest.approx(10.0000454, rel=1e-3)


def test_layer_norm_fused_and_create_graph_backward_agree():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((3, 4, 5)), rng.standard_normal(5), rng.standard_normal(5)
    g = gradgpu.tensor(rng.standard_normal((3, 4, 5)))
    fused, composed = _grads_both_ways(
        lambda xt, wt, bt: (F.layer_norm(xt, (5,), wt, bt) * g).sum(), x, w, b)
    for a, c in zip(fused, composed):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)


def test_max_pool_backward_disjoint_write_equals_scatter_add():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 6))
    geom = ((2, 2), (2, 2), (1, 1), (0, 0, 0, 0))
    _, idx = NUMPY.max_pool2d_fwd(x, *geom)
    g = rng.standard_normal(idx.shape)
    got = NUMPY.max_pool2d_bwd(g, idx, (6, 6), *geom)  # disjoint windows: the plain write
    plane = (np.arange(6) * 36).reshape(2, 3, 1, 1)
    want = NUMPY.scatter_add_flat(g, idx + plane, x.size).reshape(x.shape)
    np.testing.assert_array_equal(got, want)
    assert np.count_nonzero(got) == g.size


@pytest.mark.parametrize("include_pad,divisor", [(True, None), (False, None), (False, 3)])
def test_avg_pool_backward_is_the_adjoint_of_forward(include_pad, divisor):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 2, 5, 6))
    geom = ((3, 2), (2, 2), (1, 2, 1, 1), include_pad, divisor)  # padding, ceil-mode extra
    y = NUMPY.avg_pool2d_fwd(x, *geom)
    g = rng.standard_normal(y.shape)
    dx = NUMPY.avg_pool2d_bwd(g, (5, 6), *geom)
    assert dx.shape == x.shape
    assert (y * g).sum() == pytest.approx((x * dx).sum(), rel=1e-12)
