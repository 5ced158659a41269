"""nn.Transformer and its parts against PyTorch: state_dict keys, a small full model's outputs
and gradients (hard-coded from PyTorch 2.13 CPU runs), encoder and decoder layers against a
NumPy float64 re-implementation (norm_first, batch_first, activations, bool/float masks),
masks and causal hints, initialization, dropout, argument errors, and gradcheck."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F
from gradgpu.autograd import gradcheck

F64 = gradgpu.float64
_verf = np.vectorize(math.erf, otypes=[np.float64])
ACTS = {"relu": lambda x: np.maximum(x, 0.0),
        "gelu": lambda x: 0.5 * x * (1.0 + _verf(x / math.sqrt(2.0))),
        "tanh": np.tanh}


# ---- a NumPy float64 re-implementation (sequence-first (L, N, E)) ---------------------------
def _additive(mask):
    if mask is None:
        return 0.0
    return np.where(mask, -np.inf, 0.0) if mask.dtype == bool else mask


def _np_mha(p, pre, x, mem, nhead, attn_mask=None, kpm=None):
    e = x.shape[-1]
    w, b = p[pre + "in_proj_weight"], p.get(pre + "in_proj_bias", np.zeros(3 * e))
    q = x @ w[:e].T + b[:e]
    k = mem @ w[e:2 * e].T + b[e:2 * e]
    v = mem @ w[2 * e:].T + b[2 * e:]
    d = e // nhead

    def heads(t):  # (L, N, E) -> (N, H, L, d)
        return t.reshape(t.shape[0], t.shape[1], nhead, d).transpose(1, 2, 0, 3)

    s = heads(q) @ heads(k).transpose(0, 1, 3, 2) / math.sqrt(d) + _additive(attn_mask)
    if kpm is not None:
        s = s + _additive(kpm)[:, None, None, :]
    s = np.exp(s - s.max(-1, keepdims=True))
    o = (s / s.sum(-1, keepdims=True)) @ heads(v)  # (N, H, L, d)
    o = o.transpose(2, 0, 1, 3).reshape(x.shape)
    return o @ p[pre + "out_proj.weight"].T + p.get(pre + "out_proj.bias", 0.0)


def _np_ln(p, pre, x):
    m, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)  # eps: p["eps"], else 1e-5
    return (x - m) / np.sqrt(var + p.get("eps", 1e-5)) * p[pre + "weight"] + p.get(pre + "bias",
                                                                                    0.0)


def _np_ff(p, x, act):
    h = ACTS[act](x @ p["linear1.weight"].T + p.get("linear1.bias", 0.0))
    return h @ p["linear2.weight"].T + p.get("linear2.bias", 0.0)


def _np_encoder_layer(p, x, nhead, act, norm_first, mask=None, kpm=None):
    def sa(t):
        return _np_mha(p, "self_attn.", t, t, nhead, mask, kpm)

    if norm_first:
        x = x + sa(_np_ln(p, "norm1.", x))
        return x + _np_ff(p, _np_ln(p, "norm2.", x), act)
    x = _np_ln(p, "norm1.", x + sa(x))
    return _np_ln(p, "norm2.", x + _np_ff(p, x, act))


def _np_decoder_layer(p, x, mem, nhead, act, norm_first, masks):
    tm, mm, tk, mk = masks

    def sa(t):
        return _np_mha(p, "self_attn.", t, t, nhead, tm, tk)

    def ca(t):
        return _np_mha(p, "multihead_attn.", t, mem, nhead, mm, mk)

    if norm_first:
        x = x + sa(_np_ln(p, "norm1.", x))
        x = x + ca(_np_ln(p, "norm2.", x))
        return x + _np_ff(p, _np_ln(p, "norm3.", x), act)
    x = _np_ln(p, "norm1.", x + sa(x))
    x = _np_ln(p, "norm2.", x + ca(x))
    return _np_ln(p, "norm3.", x + _np_ff(p, x, act))


def _randomize(module, rng, device):
    """Random float64 values in every parameter (through load_state_dict); returns them."""
    p = {}
    for k, v in module.state_dict().items():
        a = rng.standard_normal(tuple(v.shape)) * 0.5
        p[k] = a + 1.0 if ".norm" in "." + k and k.endswith("weight") else a
    module.load_state_dict({k: gradgpu.tensor(v, dtype=F64, device=device) for k, v in p.items()})
    return p


def _np(t):
    return t.detach().cpu().numpy()


# ---- structure: PyTorch's submodule names, so state_dicts load key for key ------------------
ENCODER_KEYS = [
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
    "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
DECODER_KEYS = ENCODER_KEYS[:4] + [k.replace("self_attn", "multihead_attn")
                                   for k in ENCODER_KEYS[:4]] + ENCODER_KEYS[4:] + [
    "norm3.weight", "norm3.bias"]


def test_state_dict_keys_are_pytorchs():
    assert list(nn.TransformerEncoderLayer(4, 2, 6).state_dict()) == ENCODER_KEYS
    assert list(nn.TransformerDecoderLayer(4, 2, 6).state_dict()) == DECODER_KEYS
    keys = list(nn.Transformer(4, 2, 2, 1, 6).state_dict())
    assert keys == ([f"encoder.layers.{i}.{k}" for i in (0, 1) for k in ENCODER_KEYS]
                    + ["encoder.norm.weight", "encoder.norm.bias"]
                    + [f"decoder.layers.0.{k}" for k in DECODER_KEYS]
                    + ["decoder.norm.weight", "decoder.norm.bias"])
    no_bias = nn.TransformerEncoderLayer(4, 2, 6, bias=False).state_dict()
    assert list(no_bias) == [k for k in ENCODER_KEYS if not k.endswith("bias")]
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.25)
    assert [type(layer.dropout), layer.dropout1.p, layer.dropout2.p] == [nn.Dropout, 0.25, 0.25]


# ---- one full model against PyTorch's numbers ------------------------------------------------
def _fill(sd):
    """A deterministic value for every parameter (the same formula filled PyTorch's model)."""
    out = {}
    for i, (k, v) in enumerate(sd.items()):
        a = 0.4 * np.sin(0.37 * np.arange(v.numel()) + 1.3 * i)
        out[k] = a.reshape(tuple(v.shape)) + (1.0 if "norm" in k and k.endswith("weight") else 0)
    return out


TORCH_OUT = [[[0.18580898401904108, 0.3216017640478874, -0.15914420479373734, -0.986973236083828],
              [-1.3428640300335475, 0.46558264609128935, 0.31686758226813216,
               -0.3124446270927208]],
             [[-0.27539227288215556, 0.43459654624584126, 0.11907041156884804,
               -0.9891056701291548],
              [0.00352962259858651, 0.4885804702143437, -0.2129798789466296,
               -0.9378402263762837]]]
TORCH_TGT_GRAD = [[[0.5385807766478561, -0.13402284212618185, -0.39718640288514995,
                    0.12984218958494678],
                   [-0.01613749838914188, -0.38649594404709936, 0.429375382803051,
                    0.1444677739538553]],
                  [[-0.7040577279874896, 0.0028421345186337276, 0.5024674132726885,
                    0.1371916461826137],
                   [1.8278175147034093, -0.6143982777370769, -1.016987624118017,
                    0.12901947167799502]]]
TORCH_SRC_GRAD_0 = [[0.012653535136935928, 0.0038979741996703374, -0.005747274882940758,
                     -0.006520710325683587],
                    [-0.006402858688425475, 0.022641244198930693, 0.014262212584788467,
                     -0.035559555385769256]]
# sum(grad * cos(0.3 k)) over each parameter's elements k, in PyTorch's run
TORCH_PARAM_GRAD_SUMS = {
    "encoder.layers.0.self_attn.in_proj_weight": -0.016882198811175007,
    "encoder.layers.0.self_attn.out_proj.bias": 0.017245937464782875,
    "encoder.layers.0.linear1.weight": 0.006429140648750071,
    "encoder.layers.0.norm2.bias": 0.004182838617517633,
    "encoder.norm.bias": 0.35879721170201356,
    "decoder.layers.0.self_attn.in_proj_bias": -3.3555757844632574,
    "decoder.layers.0.multihead_attn.in_proj_weight": -0.4038038047314531,
    "decoder.layers.0.multihead_attn.out_proj.weight": -0.19171623292145507,
    "decoder.layers.0.linear2.weight": 0.4632969933133997,
    "decoder.layers.0.norm3.weight": 0.039510546412275416,
    "decoder.norm.weight": 2.9587790924113895,
}


def test_full_transformer_matches_pytorch_values_and_gradients(device):
    m = nn.Transformer(4, 2, 1, 1, 6, 0.0, dtype=F64, device=device)
    values = _fill(m.state_dict())
    m.load_state_dict({k: gradgpu.tensor(v, device=device) for k, v in values.items()})
    src = gradgpu.tensor(np.sin(np.arange(24) * 0.9).reshape(3, 2, 4), device=device,
                         requires_grad=True)
    tgt = gradgpu.tensor(np.cos(np.arange(16) * 0.7).reshape(2, 2, 4), device=device,
                         requires_grad=True)
    kpm = gradgpu.tensor([[False, False, True], [False, False, False]], device=device)
    causal = nn.Transformer.generate_square_subsequent_mask(2, device=device, dtype=F64)
    out = m(src, tgt, tgt_mask=causal, src_key_padding_mask=kpm, memory_key_padding_mask=kpm)
    (out * gradgpu.tensor(np.cos(np.arange(16) * 1.1).reshape(2, 2, 4), device=device)).sum() \
        .backward()
    np.testing.assert_allclose(_np(out), TORCH_OUT, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(tgt.grad), TORCH_TGT_GRAD, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_np(src.grad)[0], TORCH_SRC_GRAD_0, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(_np(src.grad)[2, 0], 0.0)  # a padded source position
    params = dict(m.named_parameters())
    for name, want in TORCH_PARAM_GRAD_SUMS.items():
        g = _np(params[name].grad)
        got = (g * np.cos(np.arange(g.size) * 0.3).reshape(g.shape)).sum()
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), name


# ---- layers against the NumPy re-implementation ----------------------------------------------
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("act", ["relu", "gelu", "tanh"])
def test_encoder_layer_matches_numpy(norm_first, batch_first, act, device):
    rng = np.random.default_rng(0)
    layer = nn.TransformerEncoderLayer(8, 2, 12, 0.0, gradgpu.tanh if act == "tanh" else act,
                                       batch_first=batch_first, norm_first=norm_first,
                                       dtype=F64, device=device)
    p = _randomize(layer, rng, device)
    x = rng.standard_normal((5, 3, 8))
    mask = np.triu(rng.random((5, 5)) < 0.4, 1)
    kpm = np.zeros((3, 5), bool)
    kpm[0, -2:] = True
    xin = x.transpose(1, 0, 2) if batch_first else x
    out = layer(gradgpu.tensor(xin, device=device), src_mask=gradgpu.tensor(mask, device=device),
                src_key_padding_mask=gradgpu.tensor(kpm, device=device))
    want = _np_encoder_layer(p, x, 2, act, norm_first, mask, kpm)
    np.testing.assert_allclose(_np(out), want.transpose(1, 0, 2) if batch_first else want,
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer_matches_numpy(norm_first, batch_first, device):
    rng = np.random.default_rng(1)
    layer = nn.TransformerDecoderLayer(8, 4, 12, 0.0, "gelu", 1e-3, batch_first, norm_first,
                                       bias=False, dtype=F64, device=device)
    p = _randomize(layer, rng, device)
    x, mem = rng.standard_normal((4, 2, 8)), rng.standard_normal((6, 2, 8))
    # self-attention masks bool, cross-attention masks float (one dtype per attention call)
    masks = (np.triu(np.ones((4, 4), bool), 1), rng.standard_normal((4, 6)),
             np.array([[False] * 4, [False, False, False, True]]),
             np.array([[0.0] * 5 + [-np.inf], [0.0] * 6]))

    def t(a):
        return gradgpu.tensor(a.transpose(1, 0, 2) if batch_first else a, device=device)

    out = layer(t(x), t(mem), *(gradgpu.tensor(m, device=device) for m in masks))
    want = _np_decoder_layer({**p, "eps": 1e-3}, x, mem, 4, "gelu", norm_first, masks)
    np.testing.assert_allclose(_np(out), want.transpose(1, 0, 2) if batch_first else want,
                               rtol=1e-10, atol=1e-12)


def test_encoder_stack_applies_each_layer_then_the_final_norm(device):
    rng = np.random.default_rng(2)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 12, 0.0, dtype=F64,
                                                           device=device), 2,
                                norm=nn.LayerNorm(8, dtype=F64, device=device))
    p = _randomize(enc, rng, device)
    x = rng.standard_normal((4, 2, 8))
    want = x
    for i in range(2):
        sub = {k[len(f"layers.{i}."):]: v for k, v in p.items() if k.startswith(f"layers.{i}.")}
        want = _np_encoder_layer(sub, want, 2, "relu", False)
    want = _np_ln(p, "norm.", want)
    np.testing.assert_allclose(_np(enc(gradgpu.tensor(x, device=device))), want, rtol=1e-10,
                               atol=1e-12)


# ---- masks and causal hints ------------------------------------------------------------------
def _layer(cls=nn.TransformerEncoderLayer, **kw):
    gradgpu.manual_seed(0)
    return cls(8, 2, 12, 0.0, dtype=F64, **kw)


def test_bool_and_float_masks_agree_and_unbatched_matches_a_batch_of_one():
    layer = _layer()
    x = gradgpu.randn(5, 1, 8, dtype=F64)
    bool_mask = gradgpu.tensor(np.triu(np.ones((5, 5), bool), 1))
    float_mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=F64)
    kpm = gradgpu.tensor([[False, False, False, False, True]])
    a = layer(x, src_mask=bool_mask, src_key_padding_mask=kpm)
    float_kpm = gradgpu.where(kpm, -math.inf, 0.0).double()
    b = layer(x, src_mask=float_mask, src_key_padding_mask=float_kpm)
    c = layer(x[:, 0], src_mask=bool_mask, src_key_padding_mask=kpm[0])
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(_np(a)[:, 0], _np(c), rtol=1e-13, atol=1e-14)
    assert c.shape == (5, 8)


def test_the_causal_hint_gives_the_masked_result():
    enc = nn.TransformerEncoder(_layer(), 2, enable_nested_tensor=False)
    dec = nn.TransformerDecoder(_layer(nn.TransformerDecoderLayer), 1)
    x, mem = gradgpu.randn(4, 2, 8, dtype=F64), gradgpu.randn(3, 2, 8, dtype=F64)
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=F64)
    np.testing.assert_allclose(_np(enc(x, causal, is_causal=True)), _np(enc(x, causal)),
                               rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(_np(dec(x, mem, causal, tgt_is_causal=True)),
                               _np(dec(x, mem, causal)), rtol=1e-13, atol=1e-14)
    assert not np.allclose(_np(enc(x, causal)), _np(enc(x)))  # the mask matters
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        enc(x, is_causal=True)


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype == gradgpu.float32 and m.shape == (3, 3)
    np.testing.assert_array_equal(m.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=F64).dtype == F64


def test_mask_type_errors_and_mismatch_warnings():
    layer, x = _layer(), gradgpu.randn(3, 2, 8, dtype=F64)
    bool_mask = gradgpu.zeros(3, 3, dtype=gradgpu.bool)
    float_kpm = gradgpu.zeros(2, 3, dtype=F64)
    with pytest.warns(UserWarning, match="^Support for mismatched src_key_padding_mask and "
                                         "src_mask is deprecated. Use same type for both"):
        layer(x, src_mask=bool_mask, src_key_padding_mask=float_kpm)
    enc = nn.TransformerEncoder(layer, 1)
    with pytest.warns(UserWarning, match="^Support for mismatched src_key_padding_mask and mask "
                                         "is deprecated"):
        enc(x, mask=bool_mask, src_key_padding_mask=float_kpm)
    with pytest.raises(AssertionError, match="only bool and floating types of src_mask are "
                                             "supported"):
        layer(x, src_mask=gradgpu.zeros(3, 3, dtype=gradgpu.int64))


# ---- construction: activations, copies, initialization ----------------------------------------
def test_activation_choices():
    assert nn.TransformerEncoderLayer(4, 2).activation is F.relu
    assert nn.TransformerEncoderLayer(4, 2, activation="gelu").activation is F.gelu
    assert [nn.TransformerEncoderLayer(4, 2, activation=a).activation_relu_or_gelu
            for a in ("relu", "gelu", nn.ReLU(), nn.GELU(), gradgpu.tanh)] == [1, 2, 1, 2, 0]
    with_module = nn.TransformerDecoderLayer(4, 2, activation=nn.GELU())
    assert "activation" in dict(with_module.named_children())
    assert list(with_module.state_dict()) == DECODER_KEYS  # no parameters of its own
    for cls in (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer):
        with pytest.raises(RuntimeError, match="^activation should be relu/gelu, not tanh$"):
            cls(4, 2, activation="tanh")


def test_defaults_and_stored_arguments():
    layer = nn.TransformerEncoderLayer(4, 2)
    assert (layer.linear1.out_features, layer.dropout.p, layer.norm1.eps, layer.norm_first,
            layer.self_attn.batch_first) == (2048, 0.1, 1e-5, False, False)
    enc = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False, mask_check=False)
    assert (enc.num_layers, enc.norm, enc.enable_nested_tensor, enc.mask_check) == \
        (3, None, False, False)
    t = nn.Transformer(8, 2, 1, 2, 16, batch_first=True, norm_first=True, layer_norm_eps=1e-3)
    assert (t.d_model, t.nhead, t.batch_first, len(t.decoder.layers)) == (8, 2, True, 2)
    assert t.decoder.layers[1].norm_first and t.encoder.norm.eps == 1e-3
    assert t.encoder.layers[0].self_attn.batch_first


def test_stacks_hold_independent_deep_copies():
    layer = nn.TransformerEncoderLayer(4, 2, 6)
    enc = nn.TransformerEncoder(layer, 2)
    a, b = enc.layers[0].linear1.weight, enc.layers[1].linear1.weight
    assert a is not b and a is not layer.linear1.weight
    np.testing.assert_array_equal(_np(a), _np(b))  # PyTorch: all layers start equal


def test_transformer_applies_xavier_uniform_to_every_matrix():
    gradgpu.manual_seed(3)
    t = nn.Transformer(16, 2, 2, 2, 48)
    for name, p in t.named_parameters():
        v = _np(p)
        if p.dim() > 1:
            bound = math.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert np.abs(v).max() <= bound and np.abs(v).max() > 0.9 * bound, name
        elif "norm" in name and name.endswith("weight"):
            np.testing.assert_array_equal(v, 1.0)
        elif "in_proj_bias" in name or "norm" in name or "out_proj.bias" in name:
            np.testing.assert_array_equal(v, 0.0)
    enc = t.encoder.layers
    assert not np.array_equal(_np(enc[0].linear1.weight), _np(enc[1].linear1.weight))
    # a bare layer keeps Linear's own init: bound 1/sqrt(fan_in), below xavier's here
    w = _np(nn.TransformerEncoderLayer(16, 2, 48).linear2.weight)
    assert np.abs(w).max() <= 1 / math.sqrt(48)


def test_custom_encoder_and_decoder_are_used():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 6), 1)
    t = nn.Transformer(4, 2, custom_encoder=enc, custom_decoder=dec)
    assert t.encoder is enc and t.decoder is dec and enc.norm is None


# ---- errors -------------------------------------------------------------------------------------
def test_transformer_argument_errors():
    t = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="^the batch number of src and tgt must be equal$"):
        t(gradgpu.randn(3, 2, 8), gradgpu.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="^the feature number of src and tgt must be equal to "
                                           "d_model$"):
        t(gradgpu.randn(3, 2, 8), gradgpu.randn(4, 2, 6))
    tb = nn.Transformer(8, 2, 1, 1, 16, batch_first=True)
    with pytest.raises(RuntimeError, match="batch number of src and tgt must be equal"):
        tb(gradgpu.randn(2, 3, 8), gradgpu.randn(3, 3, 8))
    assert tb(gradgpu.randn(2, 3, 8), gradgpu.randn(2, 5, 8)).shape == (2, 5, 8)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerEncoderLayer(6, 4)


# ---- training: dropout and gradients ------------------------------------------------------------
def test_dropout_acts_in_training_only():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = gradgpu.randn(4, 2, 8)
    assert not np.allclose(_np(layer(x)), _np(layer(x)))
    layer.eval()
    np.testing.assert_array_equal(_np(layer(x)), _np(layer(x)))


def test_gradcheck_tiny_layers():
    enc = nn.TransformerEncoderLayer(4, 2, 6, 0.0, "gelu", dtype=F64)
    dec = nn.TransformerDecoderLayer(4, 2, 6, 0.0, norm_first=True, dtype=F64)
    x = gradgpu.randn(3, 2, 4, dtype=F64, requires_grad=True)
    mem = gradgpu.randn(2, 2, 4, dtype=F64, requires_grad=True)
    causal = nn.Transformer.generate_square_subsequent_mask(3, dtype=F64)
    assert gradcheck(lambda t: enc(t, src_mask=causal), (x,))
    assert gradcheck(lambda t, m: dec(t, m, tgt_mask=causal), (x, mem))
    (enc(x).sum() + dec(x, mem).pow(2).sum()).backward()
    for name, p in [*enc.named_parameters(), *dec.named_parameters()]:
        assert p.grad is not None and np.abs(_np(p.grad)).max() > 0, name
