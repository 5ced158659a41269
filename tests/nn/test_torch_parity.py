"""Comparison with PyTorch (skipped where torch is not installed, e.g. CI): same weights give
the same outputs and gradients; reprs and state_dict keys are identical."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu

torch = pytest.importorskip("torch")


def _build(nn):
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, stride=2, padding="valid", groups=2, bias=False), nn.GELU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(4), nn.Dropout(0.2),
        nn.Linear(4, 5), nn.SiLU(), nn.ModuleList([nn.Linear(5, 5)]),
        nn.ModuleDict({"head": nn.Linear(5, 3)}), nn.Embedding(7, 3, padding_idx=0),
    )


class _Net:
    """Run the layers of _build as a forward pass (the containers hold layers in it)."""

    @staticmethod
    def forward(m, x):
        for layer in list(m)[:11]:
            x = layer(x)
        x = m[11][0](x)
        return m[12]["head"](x)


def _copy_weights(src, dst):
    sd = {k: torch.tensor(v.numpy()) for k, v in src.state_dict().items()}
    dst.load_state_dict(sd)


def test_same_weights_same_outputs_and_grads():
    g = _build(gradgpu.nn).double().eval()
    t = _build(torch.nn).double().eval()
    assert list(g.state_dict()) == list(t.state_dict())
    _copy_weights(g, t)
    x = np.random.default_rng(0).standard_normal((2, 2, 9, 9))
    y = np.array([0, 2])
    gl = gradgpu.nn.CrossEntropyLoss(label_smoothing=0.1)(
        _Net.forward(g, gradgpu.tensor(x)), gradgpu.tensor(y))
    tl = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(
        _Net.forward(t, torch.tensor(x)), torch.tensor(y))
    gl.backward()
    tl.backward()
    np.testing.assert_allclose(gl.item(), tl.item(), rtol=1e-10)
    for (name, gp), (_, tp) in zip(g.named_parameters(), t.named_parameters()):
        if tp.grad is None:
            assert gp.grad is None, name
            continue
        np.testing.assert_allclose(gp.grad.numpy(), tp.grad.numpy(), rtol=1e-8, atol=1e-12,
                                   err_msg=name)


def test_repr_matches_torch():
    assert repr(_build(gradgpu.nn)) == repr(_build(torch.nn))
    for name in ["CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss", "Tanh", "Sigmoid",
                 "Identity", "ReLU6", "Mish", "LogSigmoid"]:
        assert repr(getattr(gradgpu.nn, name)()) == repr(getattr(torch.nn, name)())
    pairs = [
        lambda nn: nn.Softplus(2.0, 3.0), lambda nn: nn.ELU(0.3, True),
        lambda nn: nn.LeakyReLU(0.1), lambda nn: nn.Softmax(-1), lambda nn: nn.LogSoftmax(1),
        lambda nn: nn.Hardtanh(-2.0, 2.0), lambda nn: nn.AvgPool2d(3, 1, 1),
        lambda nn: nn.MaxPool2d((2, 3), ceil_mode=True), lambda nn: nn.Unflatten(1, (2, 3)),
        lambda nn: nn.Embedding(5, 2, max_norm=1.0, norm_type=1.0),
        lambda nn: nn.LayerNorm([2, 3], bias=False),
        lambda nn: nn.Conv2d(2, 4, (1, 3), stride=(2, 1), padding=(0, 1), dilation=(1, 2)),
    ]
    for make in pairs:
        assert repr(make(gradgpu.nn)) == repr(make(torch.nn))


def test_module_semantics_match_torch():
    g, t = _build(gradgpu.nn), _build(torch.nn)
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    sd = t.state_dict()
    del sd["0.bias"]
    sd["zz"] = torch.zeros(1)
    gsd = {k: gradgpu.tensor(v.numpy()) for k, v in sd.items()}
    assert tuple(g.load_state_dict(gsd, strict=False)) == tuple(t.load_state_dict(sd,
                                                                                 strict=False))
    with pytest.raises(RuntimeError) as ge:
        g.load_state_dict(gsd)
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict(sd)
    assert str(ge.value) == str(te.value)


def test_default_init_distribution_matches_torch():
    # Different random streams, same distributions: compare the extreme values and spreads.
    gradgpu.manual_seed(0)
    torch.manual_seed(0)
    g = gradgpu.nn.Conv2d(16, 32, 3)
    t = torch.nn.Conv2d(16, 32, 3)
    gw, tw = g.weight.detach().numpy(), t.weight.detach().numpy()
    assert abs(np.abs(gw).max() - np.abs(tw).max()) < 1e-3
    assert gw.std() == pytest.approx(tw.std(), rel=0.05)
