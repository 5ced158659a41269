"""embedding_bag / EmbeddingBag, max_unpool*d / MaxUnpool*d, pdist, gumbel_softmax and
feature_alpha_dropout / FeatureAlphaDropout: PyTorch-derived values, properties, modules and
error contracts (forward vs NumPy, gradcheck and gradgradcheck are in the op registry,
tests/op_db/nn_more_additions.py)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F

W = np.cos(np.arange(18) * 0.9).reshape(6, 3)
IDX = np.array([1, 2, 4, 5, 4, 3, 2, 0])
OFF = np.array([0, 3, 3, 5])
# torch.nn.functional.embedding_bag(IDX, W, OFF, **kwargs)
TORCH_BAGS = {
    "sum": ({"mode": "sum"}, [[-0.46370917, 0.75069656, 1.3969901], [0, 0, 0],
                              [0.40059076, 0.38777898, 0.08150381],
                              [1.39114872, 0.71033834, -0.50804193]]),
    "mean_pad": ({"mode": "mean", "padding_idx": 4},
                 [[-0.13468963, 0.05155011, 0.19877776], [0, 0, 0],
                  [0.59492066, -0.25981736, -0.91793078], [0.46371624, 0.23677945, -0.16934731]]),
    "max": ({"mode": "max"}, [[0.63469288, 0.99985864, 0.99943459], [0, 0, 0],
                              [0.59492066, 0.64759634, 0.99943459],
                              [1.0, 0.99985864, 0.60835131]]),
}


def _t(a, device, grad=False):
    return gradgpu.tensor(a, device=device, requires_grad=grad)


# ---- embedding_bag --------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(TORCH_BAGS))
def test_embedding_bag_matches_pytorch(case, device):
    kwargs, want = TORCH_BAGS[case]
    got = F.embedding_bag(_t(IDX, device), _t(W, device), _t(OFF, device), **kwargs)
    np.testing.assert_allclose(got.cpu().numpy(), want, atol=1e-8)


def test_embedding_bag_layouts_agree(device):
    w = _t(W, device)
    two_d = F.embedding_bag(_t(IDX.reshape(2, 4), device), w, mode="sum")
    flat = F.embedding_bag(_t(IDX, device), w, _t(np.array([0, 4]), device), mode="sum")
    last = F.embedding_bag(_t(IDX, device), w, _t(np.array([0, 4, 8]), device), mode="sum",
                           include_last_offset=True)
    np.testing.assert_allclose(two_d.cpu().numpy(), flat.cpu().numpy(), atol=1e-12)
    np.testing.assert_allclose(last.cpu().numpy(), flat.cpu().numpy(), atol=1e-12)


def test_embedding_bag_gradients(device):
    w = _t(W, device, grad=True)
    psw = _t(np.arange(1.0, 9.0), device, grad=True)
    F.embedding_bag(_t(IDX, device), w, _t(OFF, device), mode="sum",
                    per_sample_weights=psw).sum().backward()
    want_w = np.zeros_like(W)
    np.add.at(want_w, IDX, np.arange(1.0, 9.0)[:, None])
    np.testing.assert_allclose(w.grad.cpu().numpy(), want_w, atol=1e-12)
    np.testing.assert_allclose(psw.grad.cpu().numpy(), W[IDX].sum(1), atol=1e-12)


def test_embedding_bag_module_and_from_pretrained(device):
    gradgpu.manual_seed(0)
    bag = nn.EmbeddingBag(6, 3, mode="sum", padding_idx=2, device=device)
    assert repr(bag) == "EmbeddingBag(6, 3, mode='sum', padding_idx=2)"
    np.testing.assert_array_equal(bag.weight.detach().cpu().numpy()[2], 0.0)
    out = bag(_t(IDX, device), _t(OFF, device))
    assert tuple(out.shape) == (4, 3)
    frozen = nn.EmbeddingBag.from_pretrained(_t(W, device), mode="max")
    assert not frozen.weight.requires_grad
    np.testing.assert_allclose(frozen(_t(IDX, device), _t(OFF, device)).cpu().numpy(),
                               TORCH_BAGS["max"][1], atol=1e-8)
    assert nn.EmbeddingBag.from_pretrained(_t(W, device), freeze=False).weight.requires_grad


def test_embedding_bag_errors(device):
    w, idx, off = _t(W, device), _t(IDX, device), _t(OFF, device)
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(idx, w, off, mode="min")
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(idx, w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(_t(IDX.reshape(2, 4), device), w, off)
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(idx, w, _t(np.array([1, 4]), device))
    with pytest.raises(RuntimeError, match="offsets\\[-1\\] can not be greater than input's "
                                           "length 8 but got offsets\\[-1\\] of 9"):
        F.embedding_bag(idx, w, _t(np.array([0, 9]), device))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum' \\(got "
                                                  "mode='mean'\\)"):
        F.embedding_bag(idx, w, off, per_sample_weights=_t(np.ones(8), device))
    with pytest.raises(ValueError, match="must have the same shape as the input"):
        F.embedding_bag(idx, w, off, mode="sum", per_sample_weights=_t(np.ones(7), device))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar "
                                           "types: Long, Int"):
        F.embedding_bag(_t(IDX.reshape(2, 4) * 1.0, device), w)
    with pytest.raises(ValueError, match="input has to be 1D or 2D Tensor, but got Tensor of "
                                         "dimension 3"):
        F.embedding_bag(_t(IDX.reshape(1, 2, 4), device), w)


# ---- max_unpool -----------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3])
def test_max_unpool_inverts_max_pool(n, device):
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[n - 1]
    unpool = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[n - 1]
    x = _t(np.random.default_rng(n).permutation(2 * 3 * 5 ** n).reshape((2, 3) + (5,) * n)
           * 1.0, device, grad=True)
    y, idx = pool(x, 2, stride=2, return_indices=True)
    back = unpool(y, idx, 2, output_size=x.shape)
    assert tuple(back.shape) == tuple(x.shape)
    xs, bs = x.detach().cpu().numpy(), back.detach().cpu().numpy()
    kept = bs != 0
    assert kept.sum() == y.numel() - int((y.detach().cpu().numpy() == 0).sum())
    np.testing.assert_array_equal(bs[kept], xs[kept])  # each max back at its place
    # default size: (in - 1) * s + k
    assert tuple(unpool(y, idx * 0, 2).shape[2:]) == (4,) * n
    back.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), (bs != 0) * 1.0)


def test_max_unpool_modules_and_unbatched(device):
    x = _t(np.arange(16.0).reshape(1, 4, 4), device)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    mod = nn.MaxUnpool2d(2)
    assert repr(mod) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    np.testing.assert_array_equal(mod(y, idx).cpu().numpy(),
                                  np.where(np.arange(16).reshape(1, 4, 4) % 2 * (
                                      np.arange(16).reshape(1, 4, 4) // 4 % 2), x.cpu().numpy(),
                                      0.0))
    assert repr(nn.MaxUnpool1d(3, 2, 1)) == ("MaxUnpool1d(kernel_size=(3,), stride=(2,), "
                                             "padding=(1,))")
    assert repr(nn.MaxUnpool3d(2)).startswith("MaxUnpool3d(kernel_size=(2, 2, 2)")


def test_max_unpool_errors(device):
    x = _t(np.arange(32.0).reshape(1, 2, 4, 4), device)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    with pytest.raises(ValueError, match='invalid output_size "\\(7, 7\\)" \\(dim 0 must be '
                                         "between 2 and 6\\)"):
        F.max_unpool2d(y, idx, 2, output_size=(7, 7))
    with pytest.raises(ValueError, match="output_size should be a sequence containing 2 or 4 "
                                         "elements, but it has a length of '3'"):
        F.max_unpool2d(y, idx, 2, output_size=(1, 4, 4))
    with pytest.raises(RuntimeError, match="Found an invalid max index: 150 \\(output volumes "
                                           "are of size 4x4\\)"):
        F.max_unpool2d(y, idx * 10, 2)
    with pytest.raises(RuntimeError, match="should be a 3d or 4d Tensor, but got a tensor with "
                                           "2 dimensions"):
        F.max_unpool2d(y[0, 0], idx[0, 0], 2)
    with pytest.raises(RuntimeError, match="indices should be type int64 but got"):
        F.max_unpool2d(y, idx.float(), 2)
    with pytest.raises(RuntimeError, match="Expected shape of indices to be same as that of "
                                           "the input tensor"):
        F.max_unpool2d(y, idx[:, :1], 2)


# ---- pdist ----------------------------------------------------------------------------------
def test_pdist_matches_pytorch_and_zero_distance_grad(device):
    x = _t(np.cos(np.arange(12) * 1.3).reshape(4, 3), device)
    want = [2.52604159, 1.56822209, 1.00818306, 2.23116181, 1.8373576, 1.98825461]
    np.testing.assert_allclose(F.pdist(x).cpu().numpy(), want, atol=1e-8)
    same = _t(np.ones((3, 2)), device, grad=True)
    F.pdist(same).sum().backward()  # PyTorch: 0 gradient where rows coincide
    np.testing.assert_array_equal(same.grad.cpu().numpy(), 0.0)
    assert tuple(F.pdist(_t(np.ones((1, 2)), device)).shape) == (0,)
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 1D"):
        F.pdist(_t(np.ones(3), device))
    with pytest.raises(RuntimeError, match="pdist only supports non-negative p values"):
        F.pdist(x, -1.0)


def test_pdist_inf_gives_each_tie_the_whole_gradient_and_empty_columns(device):
    x = _t([[0.0, 0.0], [1.0, 1.0], [1.0, -1.0]], device, grad=True)
    y = F.pdist(x, float("inf"))
    np.testing.assert_array_equal(y.detach().cpu().numpy(), [1.0, 1.0, 2.0])
    y.backward(_t([1.0, 2.0, 3.0], device))
    # PyTorch's values: sign(diff) g at every coordinate where |diff| is the max
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [[-3.0, 1.0], [1.0, 4.0], [2.0, -5.0]])
    for p in (2.0, float("inf")):  # no columns: every distance 0, as PyTorch
        np.testing.assert_array_equal(F.pdist(_t(np.ones((3, 0)), device), p).cpu().numpy(),
                                      [0.0, 0.0, 0.0])


@pytest.mark.parametrize("p", [0.0, 1.0, 1.5, 2.0, 3.0, float("inf")])
def test_pdist_in_row_blocks_matches_one_block(device, p, monkeypatch):
    import gradgpu.ops.sampling_extra as se

    rng = np.random.default_rng(5)
    x = np.round(rng.standard_normal((9, 3)), 1)
    x[4] = x[1]  # a zero distance
    w = _t(rng.standard_normal(36), device)

    def run():
        xt = _t(x, device, grad=True)
        y = F.pdist(xt, p)
        (g,) = gradgpu.autograd.grad((y * w).sum(), xt, create_graph=True)
        (gg,) = gradgpu.autograd.grad((g * g).sum(), xt) if g.requires_grad else (g,)
        return [t.detach().cpu().numpy() for t in (y, g, gg)]

    whole = run()
    monkeypatch.setattr(se, "_PDIST_BLOCK", 7)  # one row of pairs a block
    for a, b in zip(whole, run()):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_pdist_peak_memory_is_bounded_by_the_block(monkeypatch):
    import tracemalloc

    import gradgpu.ops.sampling_extra as se

    monkeypatch.setattr(se, "_PDIST_BLOCK", 1 << 16)
    x = gradgpu.tensor(np.random.default_rng(0).standard_normal((400, 64)), requires_grad=True)
    tracemalloc.start()
    try:
        F.pdist(x).sum().backward()  # all pair differences at once: 79800 * 64 * 8 B = 41 MB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8e6, peak


# ---- gumbel_softmax -------------------------------------------------------------------------
def test_gumbel_softmax_soft_and_hard(device):
    logits = _t(np.random.default_rng(0).standard_normal((6, 5)), device, grad=True)
    gradgpu.manual_seed(3)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().cpu().numpy().sum(-1), 1.0, atol=1e-12)
    gradgpu.manual_seed(3)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    h, s = hard.detach().cpu().numpy(), soft.detach().cpu().numpy()
    np.testing.assert_array_equal(h, np.eye(5)[s.argmax(-1)])  # same noise: one-hot of argmax
    weights = _t(np.arange(30.0).reshape(6, 5), device)
    (hard * weights).sum().backward()
    g_hard = logits.grad.cpu().numpy()
    logits.grad = None
    (soft * weights).sum().backward()  # straight-through: the soft sample's gradient
    np.testing.assert_allclose(g_hard, logits.grad.cpu().numpy(), atol=1e-12)
    assert np.abs(g_hard).max() > 0


def test_gumbel_softmax_is_seeded_and_dim(device):
    logits = _t(np.zeros((3, 4)), device)
    gradgpu.manual_seed(5)
    a = F.gumbel_softmax(logits, dim=0).cpu().numpy()
    gradgpu.manual_seed(5)
    b = F.gumbel_softmax(logits, dim=0).cpu().numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.sum(0), 1.0, atol=1e-12)
    assert not np.allclose(a, 1 / 3)  # the noise is there
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-5)


# ---- feature_alpha_dropout ------------------------------------------------------------------
def test_feature_alpha_dropout_per_channel(device):
    x = _t(np.random.default_rng(0).standard_normal((4, 6, 5)), device)
    assert F.feature_alpha_dropout(x, 0.5, training=False) is x
    y = F.feature_alpha_dropout(x, 0.5, training=True).cpu().numpy()
    a = 1.0 / ((1.7580993408473766 ** 2 * 0.5 + 1) * 0.5) ** 0.5
    b = 1.7580993408473766 * a * 0.5
    xs = x.cpu().numpy()
    kept = np.isclose(y, xs * a + b).all(-1)
    dropped = np.isclose(y, -1.7580993408473766 * a + b).all(-1)
    assert (kept | dropped).all() and kept.any() and dropped.any()  # whole channels
    np.testing.assert_array_equal(F.feature_alpha_dropout(x, 1.0, True).cpu().numpy(), 0.0)


def test_feature_alpha_dropout_keeps_moments_and_module(device):
    gradgpu.manual_seed(1)
    x = gradgpu.randn(400, 300, 2, device=device)
    y = F.feature_alpha_dropout(x, 0.2, True).cpu().numpy()
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1.0) < 0.03
    mod = nn.FeatureAlphaDropout(0.2)
    assert repr(mod) == "FeatureAlphaDropout(p=0.2, inplace=False)"
    mod.eval()
    assert mod(x) is x
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        F.feature_alpha_dropout(gradgpu.ones(3, device=device), 0.5, True)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.feature_alpha_dropout(x, 1.5, True)


# ---- affine_grid / grid_sample --------------------------------------------------------------
_IMG = np.cos(np.arange(12) * 0.8).reshape(1, 1, 3, 4)
# torch grid_sample(_IMG, grid, 'bilinear', padding_mode, align_corners=False): values and
# d(out.sum())/d(grid), grid = sin(arange(8) * 1.7).reshape(1, 2, 2, 2) * scale + shift
TORCH_GRID = {
    "zeros": ((1.3, 0.0), [0.0153327863, 0.1453283792, -0.2957964833, 0.5406090902],
              [-0.0998907610, -0.3471384605, -0.1180789746, 1.1198553128, -0.5896489948,
               1.0016809896, 1.5892652623, 1.0204887184]),
    "border": ((1.3, 0.0), [0.2314256404, 0.7465702085, -0.6677873264, 1.0],
               [-1.5077026967, 0, -0.6065865813, 0, -1.3311859605, 0, 0, 0]),
    "reflection": ((1.6, 0.1), [-0.0335582286, 0.6297601160, -0.7057879385, 1.0],
                   [0.0769775730, -0.3232487528, -0.5133405883, 2.1399507283, 0,
                    2.3799883389, 0, 0]),
}


@pytest.mark.parametrize("padding_mode", sorted(TORCH_GRID))
def test_grid_sample_matches_pytorch(padding_mode, device):
    (scale, shift), want, want_grad = TORCH_GRID[padding_mode]
    grid = _t(np.sin(np.arange(8) * 1.7).reshape(1, 2, 2, 2) * scale + shift, device,
              grad=True)
    img = _t(_IMG, device, grad=True)
    out = F.grid_sample(img, grid, padding_mode=padding_mode, align_corners=False)
    np.testing.assert_allclose(out.detach().cpu().numpy().ravel(), want, atol=1e-9)
    out.sum().backward()
    np.testing.assert_allclose(grid.grad.cpu().numpy().ravel(), want_grad, atol=1e-9)
    assert img.grad.cpu().numpy().sum() > 0


def test_affine_grid_identity_round_trip(device):
    theta = _t(np.array([[[0.8, -0.3, 0.1], [0.2, 1.1, -0.4]]], dtype=np.float32), device)
    grid = F.affine_grid(theta, (1, 1, 2, 3), align_corners=False)
    want = [-0.2833333611, -1.0833333731, 0.25, -0.9500000477, 0.7833334208, -0.8166667223,
            -0.5833333731, 0.0166666806, -0.0500000045, 0.15, 0.4833333492, 0.2833333313]
    np.testing.assert_allclose(grid.cpu().numpy().ravel(), want, atol=1e-6)
    img = _t(_IMG, device)
    eye = _t(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]), device)
    for ac in (True, False):  # the identity transform reads every pixel back
        same = F.grid_sample(img, F.affine_grid(eye, (1, 1, 3, 4), align_corners=ac),
                             align_corners=ac)
        np.testing.assert_allclose(same.cpu().numpy(), _IMG, atol=1e-12)


def test_grid_sample_warnings_and_errors(device):
    img, grid = _t(_IMG, device), _t(np.zeros((1, 2, 2, 2)), device)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(img, grid)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(_t(np.zeros((1, 2, 3)), device), (1, 1, 2, 2))
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or "
                                         "'bicubic', but got: 'area'"):
        F.grid_sample(img, grid, mode="area", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border', or "
                                         "'reflection', but got: 'wrap'"):
        F.grid_sample(img, grid, padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match="expected grid to have size 2 in last dimension"):
        F.grid_sample(img, grid[..., :1], align_corners=False)
    with pytest.raises(RuntimeError, match="expected grid and input to have same batch size"):
        F.grid_sample(img, _t(np.zeros((2, 2, 2, 2)), device), align_corners=False)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.grid_sample(img, grid.float(), align_corners=False)
    with pytest.raises(ValueError, match="Expected a batch of 3D affine matrices of shape "
                                         "Nx3x4"):
        F.affine_grid(_t(np.zeros((1, 2, 3)), device), (1, 1, 2, 2, 2), align_corners=False)
    with pytest.raises(NotImplementedError, match="affine_grid only supports 4D and 5D sizes"):
        F.affine_grid(_t(np.zeros((1, 2, 3)), device), (1, 1, 2), align_corners=False)
    with pytest.raises(ValueError, match="Expected theta to have floating point type"):
        F.affine_grid(_t(np.zeros((1, 2, 3), dtype=np.int64), device), (1, 1, 2, 2),
                      align_corners=False)


# ---- lazy modules ---------------------------------------------------------------------------
def test_lazy_linear_materializes_in_place(device):
    m = nn.LazyLinear(4, device=device, dtype=gradgpu.float64)
    assert repr(m) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    assert m.has_uninitialized_params()
    weight = m.weight
    opt = gradgpu.optim.SGD(m.parameters(), lr=0.1)  # built before the sizes are known
    x = _t(np.ones((2, 3)), device)
    y = m(x)
    assert type(m) is nn.Linear and m.in_features == 3 and m.weight is weight
    assert tuple(weight.shape) == (4, 3) and weight.dtype == gradgpu.float64
    bound = 1 / np.sqrt(3)  # Linear's default init for in_features = 3
    assert np.abs(weight.detach().cpu().numpy()).max() <= bound
    np.testing.assert_allclose(y.detach().cpu().numpy(),
                               (x @ weight.T + m.bias).detach().cpu().numpy())
    before = weight.detach().cpu().numpy().copy()
    y.sum().backward()
    opt.step()
    np.testing.assert_allclose(weight.detach().cpu().numpy(), before - 0.1 * 2.0)


def test_lazy_conv2d(device):
    m = nn.LazyConv2d(4, 3, padding=1, groups=2, device=device)
    assert repr(m) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), " \
                      "groups=2)"
    out = m(gradgpu.randn(2, 6, 5, 5, device=device))
    assert type(m) is nn.Conv2d and tuple(m.weight.shape) == (4, 3, 3, 3)
    assert tuple(out.shape) == (2, 4, 5, 5)
    unbatched = nn.LazyConv2d(2, 3, device=device)
    assert tuple(unbatched(gradgpu.randn(3, 5, 5, device=device)).shape) == (2, 3, 3)
    assert unbatched.in_channels == 3
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(gradgpu.randn(3, 5, 5, device=device))


# torch.nn.functional.grid_sample(arange(12).reshape(1, 1, 3, 4), FAR, align_corners=False)
_FAR = np.array([[[[1e30, 0.0], [-1e20, 0.5], [0.5, 3e19], [0.2, 0.1], [3e9, 0.1],
                   [-4e9, 0.2]]]])
TORCH_FAR = {
    ("bilinear", "zeros"): ([0, 0, 0, 6.5, 0, 0], [0, 0, 0, 0, 0, 0, 2, 6, 0, 0, 0, 0]),
    ("bilinear", "border"): ([7, 7, 10.5, 6.5, 7.6, 5.2], [0, 6, 0, 6, 2, 0, 2, 6, 0, 6, 0, 6]),
    ("nearest", "zeros"): ([0, 0, 0, 6, 0, 0], [0] * 12),
    ("nearest", "border"): ([7, 8, 10, 6, 7, 4], [0] * 12),
}


@pytest.mark.parametrize("mode,padding_mode", sorted(TORCH_FAR))
def test_grid_sample_far_outside_and_non_finite_points(mode, padding_mode, device):
    # coordinates beyond the int64 range made the float -> int cast overflow (a NumPy
    # RuntimeWarning, garbage indices on other backends); PyTorch treats them as outside
    want, want_grad = TORCH_FAR[mode, padding_mode]
    img = _t(np.arange(12.0).reshape(1, 1, 3, 4), device, grad=True)
    grid = _t(_FAR, device, grad=True)
    out = F.grid_sample(img, grid, mode=mode, padding_mode=padding_mode, align_corners=False)
    np.testing.assert_allclose(out.detach().cpu().numpy().ravel(), want, atol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(grid.grad.cpu().numpy().ravel(), want_grad, atol=1e-12)
    # non-finite points sample as outside (PyTorch's safe_downgrade_to_int_range), no warning
    for pm in ("zeros", "border", "reflection"):
        bad = _t(np.array([[[[np.nan, 0.1], [np.inf, 0.2], [0.3, -np.inf]]]]), device,
                 grad=True)
        res = F.grid_sample(img, bad, mode=mode, padding_mode=pm, align_corners=True)
        res.sum().backward()
        assert np.isfinite(bad.grad.cpu().numpy()).all()
