"""tril/triu_indices, addmv/addr/addbmm, cross, index_fill(_), channel and alpha dropout,
bilinear: values, gradients and errors against PyTorch's (2.x, CPU), written out."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F
from gradgpu import autograd, nn

f64 = gradgpu.float64
nan = math.nan


def _t(v, device="cpu", **kw):
    return gradgpu.tensor(v, dtype=f64, device=device, **kw)


def _close(t, expected):
    np.testing.assert_allclose(t.cpu().numpy(), np.asarray(expected, dtype=float), rtol=1e-12,
                               atol=1e-12)


def _rand(*shape, device="cpu", seed=0):
    rng = np.random.default_rng(seed)
    return gradgpu.tensor(rng.standard_normal(shape), dtype=f64, device=device,
                          requires_grad=True)


def _check_grads(fn, *inputs):
    assert autograd.gradcheck(fn, inputs)
    assert autograd.gradgradcheck(fn, inputs)


# ---- tril_indices / triu_indices ------------------------------------------------------------
def test_tri_indices_values(device):
    t = gradgpu.tril_indices(3, 4, 1, device=device)
    assert t.dtype == gradgpu.int64 and t.device.type == gradgpu.device(device).type
    assert t.tolist() == [[0, 0, 1, 1, 1, 2, 2, 2, 2], [0, 1, 0, 1, 2, 0, 1, 2, 3]]
    assert gradgpu.triu_indices(4, 3, -1, device=device).tolist() == [
        [0, 0, 0, 1, 1, 1, 2, 2, 3], [0, 1, 2, 0, 1, 2, 1, 2, 2]]
    t32 = gradgpu.triu_indices(3, 3, dtype=gradgpu.int32)
    assert t32.dtype == gradgpu.int32 and t32.tolist() == [[0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]]
    for t in (gradgpu.tril_indices(0, 3), gradgpu.tril_indices(3, 3, -5),
              gradgpu.triu_indices(3, 3, 7)):
        assert tuple(t.shape) == (2, 0)


def test_tri_indices_errors():
    with pytest.raises(RuntimeError, match="row must be non-negative, got-1"):
        gradgpu.tril_indices(-1, 3)
    with pytest.raises(RuntimeError, match="col must be non-negative, got-1"):
        gradgpu.triu_indices(3, -1)
    with pytest.raises(NotImplementedError, match="\"triu_indices\" not implemented for 'Float'"):
        gradgpu.triu_indices(3, 3, dtype=gradgpu.float32)


# ---- addmv / addr / addbmm -------------------------------------------------------------------
M = [[1., 2, 3], [4, 5, 6]]


def test_addmv_values(device):
    mat, vec = _t(M, device), _t([1., -1, 2], device)
    _close(gradgpu.addmv(_t([0.5, nan], device), mat, vec, beta=0, alpha=2), [10, 22])
    _close(gradgpu.addmv(_t(1., device), mat, vec, beta=3), [8, 14])
    _close(_t([1., 2], device).addmv(mat, vec), [6, 13])
    i64 = gradgpu.int64
    out = gradgpu.addmv(gradgpu.ones(2, dtype=i64, device=device), mat.long(), vec.long(),
                        beta=2, alpha=3)
    assert out.dtype == i64 and out.tolist() == [17, 35]


def test_addmv_errors():
    mat, vec = _t(M), _t([1., -1, 2])
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(3\), mat \(2x3\), "
                                           r"vec \(3\)"):
        gradgpu.addmv(_t([1., 1, 1]), mat, vec)
    with pytest.raises(RuntimeError, match="vector \\+ matrix @ vector expected, got 1, 2, 2"):
        gradgpu.addmv(_t([1., 1]), mat, mat)
    with pytest.raises(RuntimeError, match="vector \\+ matrix @ vector expected, got 2, 2, 1"):
        gradgpu.addmv(_t([[1., 1]]), mat, vec)
    with pytest.raises(RuntimeError, match="must have the same dtype, but got Float, Double, "
                                           "and Double"):
        gradgpu.addmv(gradgpu.ones(2), mat, vec)


def test_addr_values(device):
    a, b = _t([1., 2], device), _t([3., -1, 0.5], device)
    _close(gradgpu.addr(gradgpu.full((2, 3), nan, dtype=f64, device=device), a, b, beta=0,
                        alpha=0.5), [[1.5, -0.5, 0.25], [3, -1, 0.5]])
    _close(gradgpu.addr(_t([1., 1, 1], device), a, b, beta=2), [[5, 1, 2.5], [8, 0, 3]])
    _close(gradgpu.ones(2, 3, dtype=f64, device=device).addr(a, b), [[4, 0, 1.5], [7, -1, 2]])


def test_addr_errors():
    a, b = _t([1., 2]), _t([3., -1, 0.5])
    with pytest.raises(RuntimeError, match="The expanded size of the tensor \\(3\\) must match "
                                           "the existing size \\(2\\)"):
        gradgpu.addr(_t([1., 1]), a, b)
    with pytest.raises(RuntimeError, match="addr: Expected 1-D argument vec1, but got 2-D"):
        gradgpu.addr(gradgpu.ones(2, 3, dtype=f64), _t(M), b)
    with pytest.raises(RuntimeError, match="For integral input tensors, argument beta must not "
                                           "be a floating point number."):
        gradgpu.addr(gradgpu.ones(2, 3, dtype=gradgpu.int64), a.long(), b.long(), beta=2.5)


def test_addbmm_values(device):
    b1 = gradgpu.arange(12, dtype=f64, device=device).reshape(2, 2, 3) / 3
    b2 = gradgpu.arange(12, dtype=f64, device=device).reshape(2, 3, 2) - 4
    _close(gradgpu.addbmm(_t([[1., nan], [0, 2]], device), b1, b2, beta=0, alpha=-1),
           [[-28.666666666666668, -36.666666666666664], [-34.66666666666667, -48.666666666666664]])
    _close(_t([1., 2], device).addbmm(b1, b2, beta=0.5),
           [[29.166666666666668, 37.666666666666664], [35.16666666666667, 49.666666666666664]])


def test_addbmm_errors():
    b1 = gradgpu.ones(2, 2, 3, dtype=f64)
    b2 = gradgpu.ones(2, 3, 2, dtype=f64)
    with pytest.raises(RuntimeError, match="must have same number of batches, got 2 and 1"):
        gradgpu.addbmm(gradgpu.ones(2, 2, dtype=f64), b1, b2[:1])
    with pytest.raises(RuntimeError, match="The expanded size of the tensor \\(2\\)"):
        gradgpu.addbmm(gradgpu.ones(3, 3, dtype=f64), b1, b2)
    with pytest.raises(RuntimeError, match="3D"):
        gradgpu.addbmm(gradgpu.ones(2, 2, dtype=f64), _t(M), _t(M))


def test_add_products_gradients(device):
    _check_grads(lambda i, m, v: gradgpu.addmv(i, m, v, beta=0.5, alpha=-2),
                 _rand(2, device=device), _rand(2, 3, device=device, seed=1),
                 _rand(3, device=device, seed=2))
    _check_grads(lambda i, a, b: gradgpu.addr(i, a, b, beta=1.5, alpha=0.5),
                 _rand(3, device=device), _rand(2, device=device, seed=1),
                 _rand(3, device=device, seed=2))
    _check_grads(lambda i, a, b: gradgpu.addbmm(i, a, b, beta=2, alpha=3),
                 _rand(2, 1, device=device), _rand(2, 2, 3, device=device, seed=1),
                 _rand(2, 3, 2, device=device, seed=2))


# ---- cross -----------------------------------------------------------------------------------
X = [[1., 2, 3], [4, 5, 6]]
Y = [[-1., 0.5, 2], [3, -2, 1]]
XY = [[2.5, -5, 2.5], [17, 14, -23]]


def test_cross_values(device):
    x, y = _t(X, device), _t(Y, device)
    _close(gradgpu.cross(x, y, dim=1), XY)
    _close(gradgpu.cross(x, y, dim=-1), XY)
    _close(x.T.cross(y.T, dim=0), np.array(XY).T)
    _close(gradgpu.cross(x, y[:1], dim=1), [[2.5, -5, 2.5], [7, -14, 7]])
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg"):
        _close(gradgpu.cross(x.T, y.T), np.array(XY).T)
    ints = gradgpu.cross(gradgpu.tensor([1, 2, 3]), gradgpu.tensor([4, 5, 7]), dim=0)
    assert ints.dtype == gradgpu.int64 and ints.tolist() == [-1, 5, -3]


def test_cross_errors():
    x, y = _t(X), _t(Y)
    with pytest.raises(RuntimeError, match="linalg.cross: inputs dimension 0 must have length "
                                           "3. Got 2 and 2"):
        gradgpu.cross(x, y, dim=0)
    with pytest.raises(RuntimeError, match="no dimension of size 3 in input"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gradgpu.cross(gradgpu.ones(2, 2), gradgpu.ones(2, 2))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        gradgpu.cross(x, y.float(), dim=1)
    with pytest.raises(RuntimeError, match="inputs must have the same number of dimensions"):
        gradgpu.cross(gradgpu.ones(3, 2), gradgpu.ones(2), dim=0)
    with pytest.raises(IndexError):
        gradgpu.cross(x, y, dim=2)


def test_cross_gradients(device):
    _check_grads(lambda a, b: gradgpu.cross(a, b, dim=0), _rand(3, 2, device=device),
                 _rand(3, 1, device=device, seed=1))


# ---- index_fill --------------------------------------------------------------------------------
def test_index_fill_values(device):
    x = gradgpu.arange(12, dtype=f64, device=device).reshape(3, 4)
    idx = gradgpu.tensor([0, 2], device=device)
    _close(x.index_fill(1, idx, -1.5), [[-1.5, 1, -1.5, 3], [-1.5, 5, -1.5, 7],
                                        [-1.5, 9, -1.5, 11]])
    _close(gradgpu.index_fill(x, 0, gradgpu.tensor([-1], device=device), 7),
           [[0, 1, 2, 3], [4, 5, 6, 7], [7, 7, 7, 7]])
    _close(x.index_fill(1, gradgpu.tensor(1, device=device), 7),
           [[0, 7, 2, 3], [4, 7, 6, 7], [8, 7, 10, 11]])
    _close(x.index_fill(1, idx, _t(2., device)), [[2, 1, 2, 3], [2, 5, 2, 7], [2, 9, 2, 11]])
    _close(x.index_fill(1, gradgpu.tensor([], dtype=gradgpu.int64, device=device), 3),
           x.cpu().numpy())
    assert gradgpu.arange(4).index_fill(0, gradgpu.tensor([1]), 2.5).tolist() == [0, 2, 2, 3]
    assert gradgpu.index_fill(gradgpu.tensor(3.), 0, gradgpu.tensor([0]), 1.).item() == 1.0
    z = x.clone()
    assert z.index_fill_(1, gradgpu.tensor([3], device=device), 0.) is z
    _close(z, [[0, 1, 2, 0], [4, 5, 6, 0], [8, 9, 10, 0]])


def test_index_fill_errors():
    x = gradgpu.arange(12, dtype=f64).reshape(3, 4)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.index_fill(1, gradgpu.tensor([4]), 7)
    with pytest.raises(IndexError, match="index -5 is out of bounds"):
        x.index_fill(1, gradgpu.tensor([-5]), 7)
    with pytest.raises(IndexError, match="Expected dtype int64 for index"):
        x.index_fill(1, gradgpu.tensor([0], dtype=gradgpu.int32), 1)
    with pytest.raises(RuntimeError, match="Index has to be a vector/scalar"):
        x.index_fill(1, gradgpu.tensor([[0]]), 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.index_fill(2, gradgpu.tensor([0]), 1)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor, but got "
                                           "tensor with 1 dimension"):
        x.index_fill(1, gradgpu.tensor([0]), _t([1., 2]))
    with pytest.raises(TypeError):
        x.index_fill(1, gradgpu.tensor([0]), "a")


def test_index_fill_gradients(device):
    x = gradgpu.arange(12, dtype=f64, device=device).reshape(3, 4).requires_grad_()
    v = _t(2., device, requires_grad=True)
    x.index_fill(1, gradgpu.tensor([0, 2], device=device), v).backward(
        gradgpu.arange(12, dtype=f64, device=device).reshape(3, 4))
    _close(x.grad, [[0, 1, 0, 3], [0, 5, 0, 7], [0, 9, 0, 11]])
    assert v.grad.item() == 30.0
    idx = gradgpu.tensor([1, 1], device=device)
    _check_grads(lambda a, val: a.index_fill(0, idx, val), _rand(3, 2, device=device),
                 _t(0.5, device, requires_grad=True))


# ---- channel dropout -----------------------------------------------------------------------
def _channels_structure(out, x, p):
    """Every (n, c) channel is all zero or all x / (1 - p)."""
    o = out.detach().cpu().numpy()
    ref = x.detach().cpu().numpy() / (1 - p)
    flat_o = o.reshape(o.shape[0], o.shape[1], -1)
    flat_r = ref.reshape(o.shape[0], o.shape[1], -1)
    zero = (flat_o == 0).all(-1)
    kept = np.isclose(flat_o, flat_r, rtol=1e-12).all(-1)
    assert (zero | kept).all()
    return zero


@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (8, 16, 5)), (F.dropout2d, (8, 16, 3, 4)),
                                      (F.dropout3d, (4, 16, 2, 3, 2))])
def test_channel_dropout_structure(device, fn, shape):
    gradgpu.manual_seed(3)
    x = gradgpu.rand(*shape, dtype=f64).to(device) + 0.5
    out = fn(x, 0.4)
    zero = _channels_structure(out, x, 0.4)
    assert 0 < zero.sum() < zero.size
    gradgpu.manual_seed(3)
    np.testing.assert_array_equal(fn(x, 0.4).cpu().numpy(), out.cpu().numpy())
    assert fn(x, 0.4, training=False) is x
    assert fn(x, 0.0) is x
    assert (fn(x, 1.0).cpu().numpy() == 0).all()
    # gradient: the same channel mask and scale
    xg = x.detach().requires_grad_()
    gradgpu.manual_seed(5)
    y = fn(xg, 0.4)
    y.sum().backward()
    g = xg.grad.cpu().numpy()
    np.testing.assert_allclose(g * xg.detach().cpu().numpy(), y.detach().cpu().numpy(),
                               rtol=1e-12)


def test_channel_dropout_unbatched_and_shape_rules():
    gradgpu.manual_seed(0)
    x = gradgpu.ones(16, 5, dtype=f64)
    out = F.dropout1d(x, 0.5)
    assert tuple(out.shape) == (16, 5)
    rows = out.numpy()
    assert all(len(set(r)) == 1 for r in rows) and set(rows[:, 0]) <= {0.0, 2.0}
    out3 = F.dropout3d(gradgpu.ones(16, 2, 2, 2, dtype=f64), 0.5).numpy().reshape(16, -1)
    assert all(len(set(r)) == 1 for r in out3)
    for shape in [(4,), (1, 2, 3, 4)]:
        with pytest.raises(RuntimeError, match=f"dropout1d: Expected 2D or 3D input, but "
                                               f"received a {len(shape)}D input"):
            F.dropout1d(gradgpu.ones(*shape), 0.5)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d and assuming"):
        F.dropout2d(gradgpu.ones(2, 3, 4), 0.5)
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d, which is "
                                         "deprecated"):
        F.dropout2d(gradgpu.ones(1, 2, 3, 4, 5), 0.5)
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d, which is "
                                         "deprecated"):
        assert tuple(F.dropout3d(gradgpu.ones(2, 3, 4), 0.5).shape) == (2, 3, 4)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="Feature dropout "
                                                                      "requires at least 2"):
        F.dropout2d(gradgpu.ones(5), 0.5)
    for fn in (F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, "
                                             "but got 1.5"):
            fn(gradgpu.ones(2, 3, 4, 5), 1.5)
    assert tuple(F.dropout1d(gradgpu.ones(0, 3, 4), 0.5).shape) == (0, 3, 4)


def test_channel_dropout_inplace():
    gradgpu.manual_seed(1)
    x = gradgpu.ones(6, 4, 3, 3, dtype=f64)
    out = F.dropout2d(x, 0.5, inplace=True)
    assert out is x
    _channels_structure(x, gradgpu.ones(6, 4, 3, 3, dtype=f64), 0.5)


# ---- alpha dropout -------------------------------------------------------------------------
def test_alpha_dropout(device):
    p = 0.3
    a = 1 / math.sqrt((1.7580993408473766 ** 2 * p + 1) * (1 - p))
    kept, dropped = 2 * a + 1.7580993408473766 * a * p, 1.7580993408473766 * a * (p - 1)
    x = gradgpu.full((200,), 2.0, dtype=f64, device=device)
    assert F.alpha_dropout(x, p) is x  # training=False by default, as PyTorch's
    gradgpu.manual_seed(0)
    out = F.alpha_dropout(x, p, training=True).cpu().numpy()
    is_kept = np.isclose(out, kept, rtol=1e-12)
    assert (is_kept | np.isclose(out, dropped, rtol=1e-12)).all()
    assert 0 < is_kept.sum() < out.size
    gradgpu.manual_seed(0)
    np.testing.assert_array_equal(F.alpha_dropout(x, p, training=True).cpu().numpy(), out)
    assert (F.alpha_dropout(x, 1.0, training=True).cpu().numpy() == 0).all()
    assert F.alpha_dropout(x, 0.0, training=True) is x
    xg = x.detach().requires_grad_()
    gradgpu.manual_seed(0)
    F.alpha_dropout(xg, p, training=True).sum().backward()
    np.testing.assert_allclose(xg.grad.cpu().numpy(), np.where(is_kept, a, 0.0), rtol=1e-12)


def test_dropout_modules():
    assert repr(nn.Dropout1d()) == "Dropout1d(p=0.5, inplace=False)"
    assert repr(nn.Dropout2d(0.2, True)) == "Dropout2d(p=0.2, inplace=True)"
    assert repr(nn.Dropout3d()) == "Dropout3d(p=0.5, inplace=False)"
    assert repr(nn.AlphaDropout(0.1)) == "AlphaDropout(p=0.1, inplace=False)"
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="but got -1"):
        nn.AlphaDropout(-1)
    x = gradgpu.ones(4, 8, 3, 3, dtype=f64)
    for m, inp in [(nn.Dropout1d(0.5), gradgpu.ones(4, 8, 3, dtype=f64)), (nn.Dropout2d(0.5), x),
                   (nn.Dropout3d(0.5), gradgpu.ones(4, 8, 2, 2, 2, dtype=f64)),
                   (nn.AlphaDropout(0.5), x)]:
        gradgpu.manual_seed(2)
        assert (m(inp).numpy() != 1).any()
        m.eval()
        assert m(inp) is inp


# ---- bilinear --------------------------------------------------------------------------------
X1 = [[1., 2], [0.5, -1], [3, 0]]
X2 = [[1., 0, -1], [2, 1, 0], [0, 0, 1]]


def _weights(device):
    w = gradgpu.arange(12, dtype=f64, device=device).reshape(2, 2, 3) / 4
    return w, _t([0.5, -0.5], device)


def test_bilinear_values(device):
    x1, x2 = _t(X1, device), _t(X2, device)
    w, b = _weights(device)
    _close(F.bilinear(x1, x2, w, b), [[-1, -2], [-1.875, -5.125], [2, 5.5]])
    _close(F.bilinear(x1, x2, w), [[-1.5, -1.5], [-2.375, -4.625], [1.5, 6]])
    _close(gradgpu.bilinear(x1[0], x2[0], w, b), [-1, -2])
    assert tuple(F.bilinear(x1.reshape(3, 1, 2), x2.reshape(3, 1, 3), w, b).shape) == (3, 1, 2)


def test_bilinear_errors():
    x1, x2 = _t(X1), _t(X2)
    w, b = _weights("cpu")
    cases = [
        ((x1, x2[:2], w, b), "input batch dimensions do not match: got 3 and 2"),
        ((x1, x2, w[:, :1], b), "input1 size does not match weight size: got 2 but expected 1"),
        ((x1, x2, w, b[:1]), "bias size does not match weight size: got 1 but expected 2"),
        ((x1, x2[:, :2], w, b), "input2 size does not match weight size: got 2 but "
                                "expected 3"),
        ((x1.float(), x2, w, b), "All tensors must have the same dtype, got input1: float, "
                                 "input2: double, weight: double, bias: double"),
    ]
    for args, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            F.bilinear(*args)


def test_bilinear_gradients(device):
    _check_grads(F.bilinear, _rand(2, 2, device=device), _rand(2, 3, device=device, seed=1),
                 _rand(2, 2, 3, device=device, seed=2), _rand(2, device=device, seed=3))


def test_bilinear_module():
    m = nn.Bilinear(3, 4, 5)
    assert repr(m) == "Bilinear(in1_features=3, in2_features=4, out_features=5, bias=True)"
    assert repr(nn.Bilinear(3, 4, 5, bias=False)).endswith("bias=False)")
    assert nn.Bilinear(3, 4, 5, bias=False).bias is None
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [("weight", (5, 3, 4)),
                                                                       ("bias", (5,))]
    bound = 1 / math.sqrt(3)
    for p in m.parameters():
        assert p.abs().max().item() <= bound
    assert m.weight.abs().max().item() > bound / 2
    out = m(gradgpu.randn(2, 3), gradgpu.randn(2, 4))
    assert tuple(out.shape) == (2, 5)
    out.sum().backward()
    assert tuple(m.weight.grad.shape) == (5, 3, 4)
