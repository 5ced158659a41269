"""nn.utils.parametrize, nn.utils.parametrizations (orthogonal, weight_norm, spectral_norm) and
the older weight_norm / spectral_norm hooks: values vs NumPy float64 references, state-dict
keys, gradients, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu import nn
from gradgpu.autograd import gradcheck
from gradgpu.nn.utils import parametrizations as P
from gradgpu.nn.utils import parametrize

F64 = gradgpu.float64


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


class Scale(nn.Module):
    def forward(self, x):
        return 2 * x

    def right_inverse(self, y):
        return y / 2


class SumOfTwo(nn.Module):
    """weight = a + b, from two originals (right_inverse returns a pair)."""

    def forward(self, a, b):
        return a + b

    def right_inverse(self, w):
        return w / 2, w / 2


def _linear(n_in, n_out, device="cpu"):
    return nn.Linear(n_in, n_out, device=device).double()


def _np(t):
    return t.detach().cpu().numpy()


# ---- parametrize ------------------------------------------------------------------------

def test_register_moves_original_and_swaps_class(device):
    m = _linear(3, 3, device)
    w = _np(m.weight).copy()
    bias = m.bias
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]
    # the original went through right_inverse (upper triangle kept)
    np.testing.assert_array_equal(_np(m.parametrizations.weight.original), np.triu(w))
    np.testing.assert_array_equal(_np(m.weight), np.triu(w) + np.triu(w, 1).T)
    assert m.bias is bias


def test_gradient_reaches_original(device):
    m = _linear(3, 3, device)
    parametrize.register_parametrization(m, "weight", Symmetric())
    m(gradgpu.ones(2, 3, dtype=F64, device=device)).sum().backward()
    # d/dX sum(Y x) with Y = triu(X) + triu(X, 1)^T: each row of Y gets 2 (batch of 2 ones)
    expected = np.triu(np.full((3, 3), 2.0)) + np.triu(np.full((3, 3), 2.0), 1)
    np.testing.assert_allclose(_np(m.parametrizations.weight.original.grad), expected)


def test_assignment_goes_through_right_inverse_and_chaining(device):
    m = _linear(2, 2, device)
    parametrize.register_parametrization(m, "weight", Symmetric())
    parametrize.register_parametrization(m, "weight", Scale())
    assert len(m.parametrizations.weight) == 2
    original = m.parametrizations.weight.original
    target = gradgpu.tensor([[2.0, 4.0], [4.0, 6.0]], dtype=F64, device=device)
    m.weight = target
    assert m.parametrizations.weight.original is original  # updated in place
    np.testing.assert_allclose(_np(original), [[1.0, 2.0], [0.0, 3.0]])
    np.testing.assert_allclose(_np(m.weight), _np(target))


def test_assignment_of_another_shape_replaces_the_original_not_broadcasts():
    # PyTorch sets original to the assigned value (original.set_(value)); copy_ broadcast a
    # (4,) value into the (3, 4) original, or raised for a (2, 2) one
    lin = nn.Linear(4, 3)
    parametrize.register_parametrization(lin, "weight", Scale())
    original = lin.parametrizations.weight.original
    lin.weight = gradgpu.ones(4)
    assert lin.parametrizations.weight.original is original
    assert original.shape == (4,) and lin.weight.shape == (4,)
    np.testing.assert_allclose(lin.weight.detach().numpy(), np.full(4, 1.0))
    lin.weight = gradgpu.ones(2, 2)
    assert lin.weight.shape == (2, 2)


def test_cached_computes_once():
    m = _linear(2, 2)
    parametrize.register_parametrization(m, "weight", Scale())
    assert m.weight is not m.weight
    with parametrize.cached():
        first = m.weight
        assert m.weight is first
    assert m.weight is not first


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    m = _linear(2, 2)
    w = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", Scale())
    original = m.parametrizations.weight.original
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=leave)
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    assert isinstance(m.weight, nn.Parameter) and m.weight is original
    np.testing.assert_allclose(_np(m.weight), 2 * w / 2 if leave else w / 2)
    assert list(m.state_dict()) == ["bias", "weight"]  # re-registered last, as in PyTorch


def test_several_originals():
    m = _linear(2, 3)
    w = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", SumOfTwo())
    names = list(m.state_dict())
    assert names == ["bias", "parametrizations.weight.original0",
                     "parametrizations.weight.original1"]
    np.testing.assert_allclose(_np(m.weight), w)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    parametrize.remove_parametrizations(m, "weight")
    np.testing.assert_allclose(_np(m.weight), w)


def test_buffer_parametrization():
    m = nn.BatchNorm1d(3).double()
    parametrize.register_parametrization(m, "running_var", Scale())
    assert "parametrizations.running_var.original" in m.state_dict()
    np.testing.assert_allclose(_np(m.running_var), np.ones(3))


def test_parametrize_errors():
    m = _linear(2, 3)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'x'"):
        parametrize.register_parametrization(m, "x", Scale())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(m, "weight")

    class Flatten(nn.Module):
        def forward(self, x):
            return x.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(m, "weight", Flatten())
    parametrize.register_parametrization(m, "weight", Flatten(), unsafe=True)
    assert m.weight.shape == (6,)


# ---- orthogonal --------------------------------------------------------------------------

def _q_positive_r(a):
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diag(r))


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_maps(device, orthogonal_map, shape):
    m = _linear(shape[1], shape[0], device)
    w = _np(m.weight).copy()
    P.orthogonal(m, orthogonal_map=orthogonal_map)
    q = _np(m.weight)
    small = min(shape)
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    # the initial value is W's own orthogonal factor (QR with R's diagonal > 0)
    expected = _q_positive_r(w) if shape[0] >= shape[1] else _q_positive_r(w.T).T
    np.testing.assert_allclose(q, expected, atol=1e-12)
    # a gradient step on the original keeps the weight orthogonal, and moves it
    original = m.parametrizations.weight.original
    (m.weight * gradgpu.arange(q.size, dtype=F64, device=device).reshape(shape)).sum().backward()
    with gradgpu.no_grad():
        original -= 0.1 * original.grad
    q2 = _np(m.weight)
    gram2 = q2.T @ q2 if shape[0] >= shape[1] else q2 @ q2.T
    np.testing.assert_allclose(gram2, np.eye(small), atol=1e-12)
    assert np.abs(q2 - q).max() > 1e-3


def test_orthogonal_default_map_assignment_and_state_dict():
    m = _linear(3, 3)
    P.orthogonal(m)
    assert m.parametrizations.weight[0].orthogonal_map == "matrix_exp"
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original",
                                    "parametrizations.weight.0.base"]
    tall = _linear(3, 5)
    P.orthogonal(tall)
    assert tall.parametrizations.weight[0].orthogonal_map == "householder"
    assert tall.parametrizations.weight[0].base.shape == (5, 5)
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    m.weight = gradgpu.tensor(rot, dtype=F64)
    np.testing.assert_allclose(_np(m.weight), rot, atol=1e-12)


def test_orthogonal_gradcheck_matrix_exp_and_householder():
    for orthogonal_map in ("matrix_exp", "householder"):
        orth = P._Orthogonal(gradgpu.zeros(4, 3, dtype=F64), orthogonal_map,
                             use_trivialization=False)
        x = gradgpu.randn(4, 3, dtype=F64, requires_grad=True)
        assert gradcheck(orth, (x,))


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'foo'"):
        P.orthogonal(_linear(5, 3), "foo")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor "
                                         "of 1 dimensions."):
        P.orthogonal(_linear(5, 3), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", '
                                         '"cayley", "householder". Got: qr'):
        P.orthogonal(_linear(3, 3), orthogonal_map="qr")
    m = P.orthogonal(_linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        m.weight = gradgpu.eye(3, dtype=F64)


# ---- weight_norm -------------------------------------------------------------------------

@pytest.mark.parametrize("dim, g_shape", [(0, (3, 1)), (1, (1, 5)), (None, ()), (-1, ())])
def test_weight_norm_parametrization(device, dim, g_shape):
    m = _linear(5, 3, device)
    w = _np(m.weight).copy()
    P.weight_norm(m, dim=dim)
    g = _np(m.parametrizations.weight.original0)
    assert g.shape == g_shape
    axis = {0: 1, 1: 0}.get(dim)
    ref = np.linalg.norm(w, axis=axis, keepdims=True) if axis is not None else np.linalg.norm(w)
    np.testing.assert_allclose(g, ref.reshape(g_shape))
    np.testing.assert_allclose(_np(m.weight), w)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0",
                                    "parametrizations.weight.original1"]


def test_weight_norm_gradcheck():
    wn = P._WeightNorm(0)
    g = gradgpu.rand(3, 1, dtype=F64, requires_grad=True)
    v = gradgpu.randn(3, 4, dtype=F64, requires_grad=True)
    assert gradcheck(wn, (g, v))


def test_legacy_weight_norm_and_remove():
    m = _linear(5, 3)
    w = _np(m.weight).copy()
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
        nn.utils.weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert m.weight_g.shape == (3, 1)
    np.testing.assert_allclose(_np(m.weight_g), np.linalg.norm(w, axis=1, keepdims=True))
    with gradgpu.no_grad():
        m.weight_g.mul_(2.0)
    m(gradgpu.ones(1, 5, dtype=F64))  # the pre-hook recomputes weight
    np.testing.assert_allclose(_np(m.weight), 2 * w)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"), \
            pytest.warns(FutureWarning):
        nn.utils.weight_norm(m)
    nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), 2 * w)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in Linear"):
        nn.utils.remove_weight_norm(m)


# ---- spectral_norm -----------------------------------------------------------------------

def _normalize(x):
    return x / max(np.linalg.norm(x), 1e-12)


def test_spectral_norm_parametrization_power_iteration(device):
    m = _linear(4, 3, device)
    P.spectral_norm(m)
    sn = m.parametrizations.weight[0]
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original",
                                    "parametrizations.weight.0._u",
                                    "parametrizations.weight.0._v"]
    w = _np(m.parametrizations.weight.original)
    u0, v0 = _np(sn._u).copy(), _np(sn._v).copy()
    out = _np(m.weight)  # training: one step u <- Wv, v <- W^T u, then W / (u . W v)
    u1 = _normalize(w @ v0)
    v1 = _normalize(w.T @ u1)
    np.testing.assert_allclose(_np(sn._u), u1, atol=1e-12)
    np.testing.assert_allclose(_np(sn._v), v1, atol=1e-12)
    np.testing.assert_allclose(out, w / (u1 @ w @ v1), atol=1e-12)
    # the 15 steps at registration converge (error ~ (s2/s1)^30) to the largest singular value
    s1 = np.linalg.svd(w, compute_uv=False)[0]
    assert abs(u0 @ w @ v0 - s1) < 1e-3 * s1
    m.eval()
    before = _np(sn._u).copy()
    _ = m.weight
    np.testing.assert_array_equal(_np(sn._u), before)  # eval mode does not iterate


def test_spectral_norm_conv_transpose_dim_and_errors():
    m = P.spectral_norm(nn.ConvTranspose2d(2, 5, 3).double())
    assert m.parametrizations.weight[0]._u.shape == (5,)  # dim 1: out channels
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\] but got 3\)"):
        P.spectral_norm(_linear(5, 3), dim=3)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got "
                                         "n_power_iterations=0"):
        P.spectral_norm(_linear(5, 3), n_power_iterations=0)


def test_legacy_spectral_norm():
    m = _linear(4, 3)
    w = _np(m.weight).copy()
    nn.utils.spectral_norm(m, n_power_iterations=2)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    u, v = _np(m.weight_u).copy(), _np(m.weight_v).copy()
    m(gradgpu.ones(1, 4, dtype=F64))
    for _ in range(2):  # legacy order: v first, then u
        v = _normalize(w.T @ u)
        u = _normalize(w @ v)
    np.testing.assert_allclose(_np(m.weight_u), u, atol=1e-12)
    np.testing.assert_allclose(_np(m.weight), w / (u @ w @ v), atol=1e-12)
    m.eval()
    m(gradgpu.ones(1, 4, dtype=F64))
    np.testing.assert_allclose(_np(m.weight_u), u, atol=1e-12)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the "
                                           "same parameter weight"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), w / (u @ w @ v), atol=1e-12)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in Linear"):
        nn.utils.remove_spectral_norm(m)


def test_deepcopy_and_pickle_of_parametrized_module():
    import copy
    import pickle

    m = P.orthogonal(_linear(3, 3))
    clone = copy.deepcopy(m)
    assert type(clone).__name__ == "ParametrizedLinear"
    assert clone.parametrizations.weight.original is not m.parametrizations.weight.original
    np.testing.assert_array_equal(_np(clone.weight), _np(m.weight))
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(m)
    fresh = P.orthogonal(_linear(3, 3))
    fresh.load_state_dict(m.state_dict())
    np.testing.assert_allclose(_np(fresh.weight), _np(m.weight), atol=1e-15)
