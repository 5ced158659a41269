"""MultiheadAttention and scaled_dot_product_attention: parameters and init as PyTorch,
forward against a per-head NumPy implementation with the same weights (masks, bias_kv,
zero_attn, kdim/vdim, batch_first, unbatched), gradients, errors, and (when installed)
outputs and gradients against torch."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F
from gradgpu import nn
from gradgpu.autograd import gradcheck


def _t(a, requires_grad=False):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        a = a.astype(np.float64)
    return gradgpu.tensor(a, requires_grad=requires_grad)


def _np(t):
    return None if t is None else t.detach().numpy()


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_mha(m, q, k, v, attn_mask=None, key_padding_mask=None):
    """Per-head attention in NumPy on seq-first (L, N, E) inputs; masks: True = blocked."""
    E, H = m.embed_dim, m.num_heads
    d = E // H
    if m._qkv_same_embed_dim:
        Wq, Wk, Wv = np.split(_np(m.in_proj_weight), 3)
    else:
        Wq, Wk, Wv = _np(m.q_proj_weight), _np(m.k_proj_weight), _np(m.v_proj_weight)
    bq, bk, bv = np.split(_np(m.in_proj_bias), 3) if m.in_proj_bias is not None else (0, 0, 0)
    Q, K, V = q @ Wq.T + bq, k @ Wk.T + bk, v @ Wv.T + bv
    L, N, _ = Q.shape
    add = np.zeros((N, L, K.shape[0]))
    if attn_mask is not None:
        add = add + (np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask)
    if key_padding_mask is not None:
        add = add + np.where(key_padding_mask, -np.inf, 0.0)[:, None, :]
    if m.bias_k is not None:
        K = np.concatenate([K, np.broadcast_to(_np(m.bias_k), (1, N, E))])
        V = np.concatenate([V, np.broadcast_to(_np(m.bias_v), (1, N, E))])
        add = np.concatenate([add, np.zeros((N, L, 1))], -1)
    if m.add_zero_attn:
        K = np.concatenate([K, np.zeros((1, N, E))])
        V = np.concatenate([V, np.zeros((1, N, E))])
        add = np.concatenate([add, np.zeros((N, L, 1))], -1)
    out = np.zeros((L, N, E))
    weights = np.zeros((N, H, L, K.shape[0]))
    for n in range(N):
        for h in range(H):
            sl = slice(h * d, (h + 1) * d)
            w = _softmax(Q[:, n, sl] @ K[:, n, sl].T / np.sqrt(d) + add[n])
            out[:, n, sl] = w @ V[:, n, sl]
            weights[n, h] = w
    bo = _np(m.out_proj.bias)
    out = out @ _np(m.out_proj.weight).T + (0 if bo is None else bo)
    return out, weights


# ---- parameters and init ------------------------------------------------------------------
def test_parameters_names_shapes_and_init():
    gradgpu.manual_seed(1)
    m = nn.MultiheadAttention(8, 2)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [
        ("in_proj_weight", (24, 8)), ("in_proj_bias", (24,)), ("out_proj.weight", (8, 8)),
        ("out_proj.bias", (8,))]
    assert m.q_proj_weight is None and m.bias_k is None
    np.testing.assert_array_equal(_np(m.in_proj_bias), np.zeros(24))
    np.testing.assert_array_equal(_np(m.out_proj.bias), np.zeros(8))
    bound = np.sqrt(6 / (8 + 24))  # xavier_uniform_: fan_in 8, fan_out 24
    w = _np(m.in_proj_weight)
    assert np.all(np.abs(w) <= bound) and w.max() > 0.8 * bound and w.min() < -0.8 * bound
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear("
                       "in_features=8, out_features=8, bias=True)\n)")
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False)
    assert [(n, tuple(p.shape)) for n, p in sep.named_parameters()] == [
        ("q_proj_weight", (8, 8)), ("k_proj_weight", (8, 3)), ("v_proj_weight", (8, 5)),
        ("bias_k", (1, 1, 8)), ("bias_v", (1, 1, 8)), ("out_proj.weight", (8, 8))]
    assert sep.in_proj_weight is None and sep.in_proj_bias is None
    assert np.abs(_np(sep.bias_k)).sum() > 0  # xavier_normal_, not left empty or zero


# ---- forward vs NumPy ---------------------------------------------------------------------
def _inputs(rng, L=3, S=4, N=2, E=8, kdim=None, vdim=None):
    return (rng.standard_normal((L, N, E)), rng.standard_normal((S, N, kdim or E)),
            rng.standard_normal((S, N, vdim or E)))


def test_forward_with_masks_matches_numpy_and_both_paths_agree():
    rng = np.random.default_rng(0)
    m = nn.MultiheadAttention(8, 2).double()
    q, k, v = _inputs(rng)
    attn_mask = rng.random((3, 4)) > 0.7
    kpm = np.array([[False, False, True, False], [False, True, False, True]])
    attn_mask[:, 0] = False
    want_out, want_w = _np_mha(m, q, k, v, attn_mask, kpm)
    out, w = m(_t(q), _t(k), _t(v), key_padding_mask=_t(kpm), attn_mask=_t(attn_mask))
    np.testing.assert_allclose(_np(out), want_out, atol=1e-12)
    np.testing.assert_allclose(_np(w), want_w.mean(1), atol=1e-12)
    out_h, w_h = m(_t(q), _t(k), _t(v), key_padding_mask=_t(kpm), attn_mask=_t(attn_mask),
                   average_attn_weights=False)
    np.testing.assert_allclose(_np(w_h), want_w, atol=1e-12)
    fast, none = m(_t(q), _t(k), _t(v), key_padding_mask=_t(kpm), attn_mask=_t(attn_mask),
                   need_weights=False)
    assert none is None
    np.testing.assert_allclose(_np(fast), want_out, atol=1e-12)
    # an additive float mask is used as is
    fmask = rng.standard_normal((3, 4))
    out, _ = m(_t(q), _t(k), _t(v), attn_mask=_t(fmask))
    np.testing.assert_allclose(_np(out), _np_mha(m, q, k, v, fmask)[0], atol=1e-12)


@pytest.mark.parametrize("kw", [{"kdim": 3, "vdim": 5}, {"add_bias_kv": True},
                                {"add_zero_attn": True, "bias": False},
                                {"add_bias_kv": True, "add_zero_attn": True, "kdim": 6}])
def test_variants_match_numpy(kw):
    rng = np.random.default_rng(1)
    m = nn.MultiheadAttention(8, 4, **kw).double()
    q, k, v = _inputs(rng, kdim=kw.get("kdim"), vdim=kw.get("vdim"))
    kpm = np.zeros((2, 4), dtype=bool)
    kpm[1, 2] = True
    want_out, want_w = _np_mha(m, q, k, v, key_padding_mask=kpm)
    for need in (True, False):
        out, w = m(_t(q), _t(k), _t(v), key_padding_mask=_t(kpm), need_weights=need)
        np.testing.assert_allclose(_np(out), want_out, atol=1e-12)
        if need:
            np.testing.assert_allclose(_np(w), want_w.mean(1), atol=1e-12)


def test_batch_first_and_unbatched_inputs():
    rng = np.random.default_rng(2)
    seq = nn.MultiheadAttention(8, 2).double()
    bf = nn.MultiheadAttention(8, 2, batch_first=True).double()
    bf.load_state_dict(seq.state_dict())
    x = rng.standard_normal((2, 5, 8))  # (N, L, E)
    xt = _t(x)
    out_bf, w_bf = bf(xt, xt, xt)
    want, want_w = _np_mha(seq, x.transpose(1, 0, 2), x.transpose(1, 0, 2),
                           x.transpose(1, 0, 2))
    assert tuple(out_bf.shape) == (2, 5, 8)
    np.testing.assert_allclose(_np(out_bf), want.transpose(1, 0, 2), atol=1e-12)
    np.testing.assert_allclose(_np(w_bf), want_w.mean(1), atol=1e-12)
    single = _t(x[0])  # unbatched (L, E): batch_first does not apply
    out, w = bf(single, single, single, key_padding_mask=_t(np.array([0, 0, 1, 0, 0], bool)))
    assert tuple(out.shape) == (5, 8) and tuple(w.shape) == (5, 5)
    kpm = np.array([[False, False, True, False, False]])
    np.testing.assert_allclose(_np(out), _np_mha(seq, x[0][:, None], x[0][:, None],
                                                 x[0][:, None], key_padding_mask=kpm)[0][:, 0],
                               atol=1e-12)


def test_is_causal_hint_and_causal_masking():
    rng = np.random.default_rng(3)
    m = nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = _t(rng.standard_normal((2, 4, 4)))
    causal = _t(np.triu(np.ones((4, 4), dtype=bool), 1))
    with_hint, _ = m(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)
    explicit, w = m(x, x, x, attn_mask=causal)
    np.testing.assert_allclose(_np(with_hint), _np(explicit), atol=1e-12)
    assert np.all(np.triu(_np(w), 1) == 0)  # no weight on future keys
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)


def test_dropout_only_in_training():
    rng = np.random.default_rng(4)
    m = nn.MultiheadAttention(4, 2, dropout=1.0).double()
    with gradgpu.no_grad():
        m.out_proj.bias.copy_(_t([1.0, 2.0, 3.0, 4.0]))
    q, k, v = _inputs(rng, E=4)
    # p = 1 drops every attention weight: the output is the output projection's bias
    out, w = m(_t(q), _t(k), _t(v))
    np.testing.assert_allclose(_np(out), np.broadcast_to([1.0, 2.0, 3.0, 4.0], (3, 2, 4)))
    np.testing.assert_array_equal(_np(w), 0.0)
    m.eval()
    out, _ = m(_t(q), _t(k), _t(v))
    np.testing.assert_allclose(_np(out), _np_mha(m, q, k, v)[0], atol=1e-12)


def test_gradcheck_through_both_attention_paths():
    rng = np.random.default_rng(5)
    m = nn.MultiheadAttention(4, 2, kdim=3).double()
    q = _t(rng.standard_normal((2, 1, 4)), True)
    k = _t(rng.standard_normal((3, 1, 3)), True)
    v = _t(rng.standard_normal((3, 1, 4)), True)
    mask = _t(np.array([[False, True, False], [False, False, False]]))
    assert gradcheck(lambda q, k, v: m(q, k, v, attn_mask=mask), (q, k, v))
    assert gradcheck(lambda q, k, v: m(q, k, v, attn_mask=mask, need_weights=False)[0],
                     (q, k, v))


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(0, 1)
    m = nn.MultiheadAttention(4, 2)
    x = gradgpu.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(3, 4\), but "
                                           r"should be \(3, 3\)"):
        m(x, x, x, attn_mask=gradgpu.zeros(3, 4))
    with pytest.raises(RuntimeError, match=r"The shape of the 3D attn_mask is"):
        m(x, x, x, attn_mask=gradgpu.zeros(2, 3, 3))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        m(x, x[0], x)
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D"):
        m(x[None], x[None], x[None])
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
        m(x, x, x, attn_mask=gradgpu.zeros(3, 3, dtype=gradgpu.int64))
    with pytest.raises(AssertionError, match="Expected key_padding_mask of shape"):
        m(x, x, x, key_padding_mask=gradgpu.zeros(2, 4, dtype=gradgpu.bool))
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 4"):
        m(gradgpu.randn(3, 2, 5), x, x)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        m(x, x, x, key_padding_mask=gradgpu.zeros(2, 3, dtype=gradgpu.bool),
          attn_mask=gradgpu.zeros(3, 3))


# ---- scaled_dot_product_attention semantics -------------------------------------------------
def test_sdpa_dropout():
    rng = np.random.default_rng(6)
    q, k, v = (_t(rng.standard_normal((2, 3, 4))) for _ in range(3))
    np.testing.assert_array_equal(_np(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)),
                                  0.0)
    gradgpu.manual_seed(11)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    gradgpu.manual_seed(11)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    plain = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(_np(a), _np(b))
    assert not np.allclose(_np(a), _np(plain))


def test_sdpa_fully_masked_rows_give_zero_output_and_gradient():
    rng = np.random.default_rng(7)
    q = _t(rng.standard_normal((3, 2)), True)
    k = _t(rng.standard_normal((4, 2)), True)
    v = _t(rng.standard_normal((4, 2)), True)
    mask = np.ones((3, 4), dtype=bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=_t(mask))
    np.testing.assert_array_equal(_np(out)[1], 0.0)
    out.sum().backward()
    np.testing.assert_array_equal(q.grad.numpy()[1], 0.0)
    assert np.all(np.isfinite(k.grad.numpy())) and np.abs(q.grad.numpy()[0]).sum() > 0


def test_sdpa_errors():
    q, k, v = gradgpu.randn(2, 3, 4), gradgpu.randn(2, 5, 4), gradgpu.randn(2, 5, 6)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when "
                                           "is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=gradgpu.ones(3, 5, dtype=gradgpu.bool),
                                       is_causal=True)
    with pytest.raises(RuntimeError, match="at least 2 dimensional"):
        F.scaled_dot_product_attention(q[0, 0], k[0], v[0])
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q, k.double(), v)
    with pytest.raises(RuntimeError, match="do not fit"):
        F.scaled_dot_product_attention(q, gradgpu.randn(2, 5, 3), v)
    with pytest.raises(RuntimeError, match="do not fit"):
        F.scaled_dot_product_attention(q, k, gradgpu.randn(2, 4, 6))
    with pytest.raises(RuntimeError, match="attn_mask dtype to be bool or float"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=gradgpu.ones(3, 5,
                                                                       dtype=gradgpu.int64))
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \[4, 5\] cannot be broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=gradgpu.ones(4, 5,
                                                                       dtype=gradgpu.bool))
    with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(RuntimeError, match="must divide the number of heads in query"):
        F.scaled_dot_product_attention(gradgpu.randn(1, 3, 2, 4), gradgpu.randn(1, 2, 5, 4),
                                       gradgpu.randn(1, 2, 5, 4), enable_gqa=True)


# ---- against torch ------------------------------------------------------------------------
@pytest.mark.parametrize("kw,call", [
    ({}, {"need_weights": True}),
    ({"batch_first": True}, {"need_weights": False, "causal": True}),
    ({"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"kpm": True}),
    ({"add_zero_attn": True, "bias": False}, {"kpm": True, "average_attn_weights": False}),
])
def test_mha_matches_torch(kw, call):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    theirs = torch.nn.MultiheadAttention(8, 2, **kw).double()
    ours = nn.MultiheadAttention(8, 2, **kw).double()
    ours.load_state_dict({k: _t(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    bf = kw.get("batch_first", False)
    L, S, N = 3, (3 if call.get("causal") else 4), 2
    shape = (lambda n, e: (N, n, e)) if bf else (lambda n, e: (n, N, e))
    arrays = [rng.standard_normal(shape(L, 8)), rng.standard_normal(shape(S, kw.get("kdim", 8))),
              rng.standard_normal(shape(S, kw.get("vdim", 8)))]
    ga, ta = {}, {}
    if call.get("kpm"):
        kpm = np.zeros((N, S), dtype=bool)
        kpm[0, 1] = True
        ga["key_padding_mask"], ta["key_padding_mask"] = _t(kpm), torch.tensor(kpm)
    if call.get("causal"):
        cm = np.triu(np.ones((L, S), dtype=bool), 1)
        ga.update(attn_mask=_t(cm), is_causal=True)
        ta.update(attn_mask=torch.tensor(cm), is_causal=True)
    for key in ("need_weights", "average_attn_weights"):
        if key in call:
            ga[key] = ta[key] = call[key]
    ours_in = [_t(a, True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    a, aw = ours(*ours_in, **ga)
    b, bw = theirs(*theirs_in, **ta)
    np.testing.assert_allclose(_np(a), b.detach().numpy(), atol=1e-12)
    assert (aw is None) == (bw is None)
    if aw is not None:
        np.testing.assert_allclose(_np(aw), bw.detach().numpy(), atol=1e-12)
    (a * a).sum().backward()
    (b * b).sum().backward()
    for x, y in zip(ours_in, theirs_in):
        np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), atol=1e-10)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-10, err_msg=name)


def test_sdpa_matches_torch_gradients_with_masks():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 2)))
    keep = rng.random((3, 5)) > 0.5
    keep[2] = False
    for mask in (keep, np.where(keep, 0.0, -np.inf)):
        ours = [_t(a, True) for a in (q, k, v)]
        theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
        a = F.scaled_dot_product_attention(*ours, attn_mask=_t(mask))
        b = torch.nn.functional.scaled_dot_product_attention(*theirs,
                                                             attn_mask=torch.tensor(mask))
        np.testing.assert_allclose(_np(a), b.detach().numpy(), atol=1e-12)
        (a * a).sum().backward()
        (b * b).sum().backward()
        for x, y in zip(ours, theirs):
            np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), atol=1e-12)
