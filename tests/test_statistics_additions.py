"""nansum/nanmean, nanmedian, mode, quantile, aminmax, std_mean/var_mean, cov/corrcoef, diff,
trapezoid, histc/histogram/bincount, cdist/dist/renorm: values, gradients and errors against
constants copied from PyTorch 2.13 runs (the op registry in tests/op_db/reduction_additions.py
checks values against NumPy and runs gradcheck)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import gradcheck, gradgradcheck

NAN = math.nan
F64 = gradgpu.float64


def t(data, device, dtype=gradgpu.float32, requires_grad=False):
    return gradgpu.tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def host(x):
    return x.detach().cpu().numpy()


def close(x, want, **kw):
    np.testing.assert_allclose(host(x), np.asarray(want, dtype=np.float64), equal_nan=True,
                               rtol=kw.get("rtol", 1e-6), atol=kw.get("atol", 1e-6))


# ---- nansum / nanmean ------------------------------------------------------------------------
def test_nanmean_values_and_gradient(device):
    x = t([[1.0, NAN, 3.0, 2.0], [NAN, NAN, 5.0, -1.0]], device, F64, requires_grad=True)
    y = gradgpu.nanmean(x, 1)
    y.backward(t([1.0, 2.0], device, F64))
    close(y, [2.0, 2.0])
    close(x.grad, [[1 / 3, 0, 1 / 3, 1 / 3], [0, 0, 1, 1]])


def test_nanmean_all_nan_slice_is_nan_with_nan_gradient(device):
    x = t([[NAN, NAN], [1.0, 2.0]], device, F64, requires_grad=True)
    y = gradgpu.nanmean(x, 1)
    y.sum().backward()
    close(y, [NAN, 1.5])
    close(x.grad, [[NAN, NAN], [0.5, 0.5]])  # PyTorch: g / 0 * 0


def test_nansum_dtypes_and_methods(device):
    assert gradgpu.nansum(t([1, 2, 3], device, gradgpu.int32)).dtype == gradgpu.int64
    assert gradgpu.nansum(t([True, True], device, gradgpu.bool)).item() == 2
    x = t([1.0, NAN, 2.5], device)
    assert x.nansum().item() == 3.5
    assert gradgpu.nansum(x, dtype=gradgpu.float64).dtype == F64
    assert x.nanmean(dtype=gradgpu.float64).item() == 1.75
    with pytest.raises(RuntimeError, match=r"nanmean\(\): expected input to have floating"):
        gradgpu.nanmean(t([1, 2], device, gradgpu.int64))


# ---- nanmedian / mode ------------------------------------------------------------------------
def test_nanmedian_along_dim(device):
    x = t([[1.0, NAN, 3.0, 2.0], [5.0, 1.0, 1.0, 5.0], [NAN, 1.0, NAN, 2.0]], device)
    values, indices = gradgpu.nanmedian(x, 1)
    close(values, [2.0, 1.0, 1.0])
    np.testing.assert_array_equal(host(indices), [3, 2, 1])
    out = x.nanmedian(-1, keepdim=True)
    assert tuple(out.values.shape) == (3, 1) and type(out).__name__ == "nanmedian"


def test_nanmedian_all_ties_share_gradient(device):
    x = t([3.0, 1.0, 3.0, NAN, 2.0, 3.0], device, requires_grad=True)
    y = gradgpu.nanmedian(x)
    y.backward()
    assert y.item() == 3.0
    close(x.grad, [1 / 3, 0, 1 / 3, 0, 0, 1 / 3])
    assert math.isnan(gradgpu.nanmedian(t([NAN, NAN], device)).item())
    assert math.isnan(gradgpu.nanmedian(t([], device)).item())


def test_nanmedian_errors(device):
    with pytest.raises(IndexError, match=r"nanmedian\(\): Expected reduction dim 1"):
        gradgpu.nanmedian(gradgpu.zeros(2, 0, device=device), 1)


def test_mode_values_indices_and_gradient(device):
    x = t([[1.0, 2.0, 2.0, 1.0, 3.0], [3.0, 3.0, 1.0, 1.0, 2.0]], device)
    values, indices = gradgpu.mode(x)
    close(values, [1.0, 1.0])  # the smallest of the most frequent, its last index
    np.testing.assert_array_equal(host(indices), [3, 3])
    m = gradgpu.mode(t([2, 5, 5, 2, 1, 2, 5], device, gradgpu.int64))
    assert (m.values.item(), m.indices.item()) == (2, 5)
    m = gradgpu.mode(t([1.0, NAN, NAN, 2.0], device))  # NaNs never count as equal
    assert (m.values.item(), m.indices.item()) == (1.0, 0)
    x = t([3.0, 1.0, 3.0, 5.0, 2.0, 3.0], device, requires_grad=True)
    x.mode().values.backward()
    close(x.grad, [0, 0, 0, 0, 0, 1])
    with pytest.raises(IndexError, match=r"mode\(\): Expected reduction dim 0"):
        gradgpu.mode(gradgpu.zeros(0, device=device))


# ---- quantile / nanquantile ------------------------------------------------------------------
# torch.quantile / nanquantile(x, [0.1, 0.5, 0.875], dim=1, interpolation=...).tolist()
_QUANTILES = {
    "linear": ([[-0.4, NAN], [2.0, NAN], [5.0, NAN]], [[-0.4, 0.3], [2.0, 1.5], [5.0, 3.25]]),
    "lower": ([[-1.0, NAN], [2.0, NAN], [3.0, NAN]], [[-1.0, 0.0], [2.0, 1.0], [3.0, 2.0]]),
    "higher": ([[0.5, NAN], [2.0, NAN], [7.0, NAN]], [[0.5, 1.0], [2.0, 2.0], [7.0, 4.0]]),
    "midpoint": ([[-0.25, NAN], [2.0, NAN], [5.0, NAN]], [[-0.25, 0.5], [2.0, 1.5], [5.0, 3.0]]),
    "nearest": ([[-1.0, NAN], [2.0, NAN], [7.0, NAN]], [[-1.0, 0.0], [2.0, 2.0], [7.0, 4.0]]),
}


@pytest.mark.parametrize("interpolation", sorted(_QUANTILES))
def test_quantile_interpolations_match_pytorch(device, interpolation):
    x = t([[0.5, 3.0, -1.0, 2.0, 7.0], [4.0, NAN, 1.0, 0.0, 2.0]], device, F64)
    q = t([0.1, 0.5, 0.875], device, F64)
    want, want_nan = _QUANTILES[interpolation]
    close(gradgpu.quantile(x, q, dim=1, interpolation=interpolation), want)
    close(x.nanquantile(q, 1, interpolation=interpolation), want_nan)


def test_quantile_gradient_reaches_input_and_q(device):
    x = t([0.5, 3.0, -1.0, 2.0, 7.0], device, F64, requires_grad=True)
    q = t([0.3, 0.6], device, F64, requires_grad=True)
    y = gradgpu.quantile(x, q)
    y.sum().backward()
    close(y, [0.8, 2.4])
    close(x.grad, [0.8, 0.4, 0.0, 0.8, 0.0])
    close(q.grad, [6.0, 4.0])
    xs = t([[0.5, 3.0, -1.0], [2.0, 7.0, 4.0]], device, F64, requires_grad=True)
    assert gradgradcheck(lambda a: gradgpu.quantile(a, 0.4, dim=0), (xs,))


def test_quantile_shapes(device):
    x = gradgpu.randn(3, 4, device=device)
    assert tuple(gradgpu.quantile(x, 0.5, keepdim=True).shape) == (1, 1)
    q = t([0.2, 0.5], device)
    assert tuple(gradgpu.quantile(x, q, keepdim=True).shape) == (2, 1, 1)
    assert tuple(gradgpu.quantile(x, q, dim=0, keepdim=True).shape) == (2, 1, 4)
    assert tuple(gradgpu.quantile(x, t(0.3, device)).shape) == ()
    assert gradgpu.quantile(t(2.0, device), 0.3, dim=0, keepdim=True).item() == 2.0


@pytest.mark.parametrize("args,kwargs,match", [
    ((t([1, 2], "cpu", gradgpu.int64), 0.3), {}, r"must be either float or double dtype"),
    ((t([1.0, 2.0], "cpu"), 1.3), {}, r"q must be in the range \[0, 1\] but got 1.3"),
    ((t([1.0, 2.0], "cpu"), t([1.3], "cpu")), {}, r"q values must be in the range \[0, 1\]"),
    ((t([1.0, 2.0], "cpu"), t([[0.3]], "cpu")), {}, r"q must be a scalar or 1D tensor"),
    ((t([1.0, 2.0], "cpu"), t([0.3], "cpu", F64)), {}, r"same dtype as the input tensor"),
    ((t([1.0, 2.0], "cpu"), 0.3), {"interpolation": "foo"}, r"interpolation must be one of"),
    ((gradgpu.zeros(0, 3), 0.3), {"dim": 0}, r"input tensor must be non-empty"),
])
def test_quantile_errors(args, kwargs, match):
    with pytest.raises(RuntimeError, match=r"quantile\(\) .*" + match):
        gradgpu.quantile(*args, **kwargs)


# ---- aminmax / std_mean / var_mean -----------------------------------------------------------
def test_aminmax(device):
    x = t([[1.0, 2.0], [3.0, 0.0]], device)
    out = gradgpu.aminmax(x)
    assert type(out).__name__ == "aminmax" and (out.min.item(), out.max.item()) == (0.0, 3.0)
    lo, hi = x.aminmax(dim=0, keepdim=True)
    close(lo, [[1.0, 0.0]])
    close(hi, [[3.0, 2.0]])
    assert tuple(gradgpu.aminmax(gradgpu.zeros(2, 0, device=device), dim=0).min.shape) == (0,)
    with pytest.raises(RuntimeError, match=r"aminmax\(\): cannot compute aminmax over an empty"):
        gradgpu.aminmax(gradgpu.zeros(0, device=device))
    with pytest.raises(IndexError, match=r"aminmax\(\): Expected reduction dim 1"):
        gradgpu.aminmax(gradgpu.zeros(2, 0, device=device), dim=1)


def test_std_mean_var_mean(device):
    x = t([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]], device)
    s, m = gradgpu.std_mean(x, 1, correction=0)
    close(s, [1.24721909, 2.49443817])
    close(m, [2.33333333, 5.66666667])
    v, m = gradgpu.var_mean(x, 0)
    close(v, [2.0, 4.5, 12.5])
    close(m, [2.0, 3.5, 6.5])
    v, _ = gradgpu.var_mean(x, 1, False, keepdim=True)  # legacy unbiased=False
    close(v, [[1.55555556], [6.22222222]])
    with pytest.raises(RuntimeError, match=r"var_mean only support floating point"):
        gradgpu.var_mean(t([1, 2], device, gradgpu.int64))


# ---- cov / corrcoef --------------------------------------------------------------------------
def test_cov_weights_and_corrcoef(device):
    x = t([[1.0, 2.0, 4.0, 0.5], [2.0, 1.0, 0.0, 3.0]], device)
    c = gradgpu.cov(x, fweights=t([1, 2, 1, 3], device, gradgpu.int64),
                    aweights=t([0.5, 1.0, 2.0, 1.5], device))
    close(c, [[2.30974269, -2.02389693], [-2.02389693, 1.88602948]], rtol=1e-5)
    close(gradgpu.cov(t([[1, 2, 4], [2, 1, 0]], device, gradgpu.int64)),
          [[2.33333333, -1.5], [-1.5, 1.0]], rtol=1e-5)
    assert tuple(gradgpu.cov(t([1.0, 2.0, 4.0], device)).shape) == ()
    r = t([[1.0, 2.0, 4.0, 0.5], [2.0, 1.0, 0.0, 3.0], [1.0, 1.5, 2.0, 3.0]], device)
    close(r.corrcoef(), [[1.0, -0.95916635, -0.14185987], [-0.95916635, 1.0, 0.37796444],
                         [-0.14185987, 0.37796444, 1.0]], rtol=1e-5)
    close(gradgpu.corrcoef(t([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]], device)),
          [[NAN, NAN], [NAN, 1.0]])


def test_cov_gradcheck_through_aweights(device):
    x = t(np.random.default_rng(3).standard_normal((2, 5)).tolist(), device, F64, True)
    aw = t([0.5, 1.0, 2.0, 1.5, 0.7], device, F64, True)
    assert gradcheck(lambda a, w: gradgpu.cov(a, aweights=w, correction=2), (x, aw))


def test_cov_dof_warning_and_errors(device):
    x = t([[1.0, 2.0, 4.0], [2.0, 1.0, 0.0]], device)
    with pytest.warns(UserWarning, match=r"cov\(\): degrees of freedom is <= 0"):
        c = gradgpu.cov(x, correction=4)
    close(c, [[math.inf, -math.inf], [-math.inf, math.inf]])
    with pytest.raises(RuntimeError, match=r"fweights to have integral dtype"):
        gradgpu.cov(x, fweights=t([1.0, 2.0, 1.0], device))
    with pytest.raises(RuntimeError, match=r"cov\(\): fweights cannot be negative"):
        gradgpu.cov(x, fweights=t([1, -2, 1], device, gradgpu.int64))
    with pytest.raises(RuntimeError, match=r"aweights to have the same numel .* 2 != 3"):
        gradgpu.cov(x, aweights=t([1.0, 2.0], device))
    with pytest.raises(RuntimeError, match=r"two or fewer dimensions .* 3 dimensions"):
        gradgpu.cov(gradgpu.zeros(2, 3, 4, device=device))
    for weights in ({"fweights": t([0, 0, 0], device, gradgpu.int64)},
                    {"aweights": t([0.0, 0.0, 0.0], device)},
                    {"fweights": t([0, 1, 0], device, gradgpu.int64),
                     "aweights": t([1.0, 0.0, 1.0], device), "correction": 0}):
        with pytest.raises(RuntimeError, match=r"cov\(\): weights sum to zero, can't be norm"):
            gradgpu.cov(x, **weights)


# ---- diff / trapezoid ------------------------------------------------------------------------
def test_diff(device):
    y = t([[1.0, 4.0, 9.0, 16.0], [2.0, 3.0, 5.0, 1.0]], device)
    close(y.diff(), [[3, 5, 7], [1, 2, -4]])
    assert tuple(gradgpu.diff(y, n=5).shape) == (2, 0)
    close(gradgpu.diff(y, prepend=gradgpu.zeros(2, 1, device=device),
                       append=gradgpu.ones(2, 2, device=device)),
          [[1, 3, 5, 7, -15, 0], [2, 1, 2, -4, 0, 0]])
    out = gradgpu.diff(t([True, False, False], device, gradgpu.bool))
    assert out.dtype == gradgpu.bool and host(out).tolist() == [True, False]
    with pytest.raises(RuntimeError, match=r"diff expects input to be at least one-dimensional"):
        gradgpu.diff(t(1.0, device))
    with pytest.raises(RuntimeError, match=r"order must be non-negative but got -1"):
        gradgpu.diff(y, n=-1)
    with pytest.raises(RuntimeError, match=r"input.size\(0\) = 2, but got tensor.size\(0\) = 1"):
        gradgpu.diff(y, prepend=gradgpu.zeros(1, 1, device=device))


def test_trapezoid_family(device):
    y = t([[1.0, 4.0, 9.0, 16.0], [2.0, 3.0, 5.0, 1.0]], device)
    x = t([0.0, 1.0, 3.0, 4.0], device)
    close(gradgpu.trapezoid(y, x), [28.0, 13.5])
    close(gradgpu.trapz(y, dx=2.0), [43.0, 19.0])
    close(gradgpu.cumulative_trapezoid(y, dx=0.5), [[1.25, 4.5, 10.75], [1.25, 3.25, 4.75]])
    assert gradgpu.trapezoid(t([1, 2, 3], device, gradgpu.int64)).item() == 4.0
    close(gradgpu.trapezoid(gradgpu.zeros(2, 0, device=device)), [0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"There must be one `x` value for each sample"):
        gradgpu.trapezoid(y, t([0.0, 1.0, 3.0], device))


# ---- histc / histogram / bincount ------------------------------------------------------------
def test_histc(device):
    x = t([1.0, 2.0, 1.0, 4.0, 2.5, NAN, -1.0], device, requires_grad=True)
    h = x.histc(bins=4, min=0, max=3)
    close(h, [0.0, 2.0, 1.0, 1.0])  # NaN and out-of-range elements are not counted
    assert not h.requires_grad and h.dtype == gradgpu.float32
    close(gradgpu.histc(t([2.0, 2.0], device), bins=4), [0, 0, 2, 0])  # range [1, 3]
    close(gradgpu.histc(t([[1.0, 2.0], [0.0, 3.0]], device), bins=3), [1, 1, 2])
    with pytest.raises(RuntimeError, match=r"histc\(\): range of \[nan, nan\] is not finite"):
        gradgpu.histc(x, bins=4)
    with pytest.raises(RuntimeError, match=r"histc\(\): max must be larger than min"):
        gradgpu.histc(x, bins=4, min=3, max=1)
    with pytest.raises(NotImplementedError, match=r"histc\(\): not implemented for"):
        gradgpu.histc(t([1, 2], device, gradgpu.int64))


def test_histogram(device):
    out = gradgpu.histogram(t([0.0, 0.1, 0.2, 0.3, 0.7, 1.0], device), bins=5)
    assert type(out).__name__ == "histogram"
    close(out.hist, [2, 2, 0, 1, 1])
    np.testing.assert_array_equal(host(out.bin_edges), np.array(
        [0.0, 0.2, 0.40000001, 0.60000002, 0.80000001, 1.0], dtype=np.float32))
    h, e = gradgpu.histogram(t([1.0, 2.0, 1.0, 4.0], device), bins=4, range=(0.0, 3.0),
                             density=True)
    close(h, [0.0, 0.88888889, 0.44444444, 0.0])
    h, e = t([1.0, 2.0, 1.0, 4.0], device).histogram(
        t([0.0, 1.5, 3.0, 5.0], device), weight=t([1.0, 2.0, 3.0, 4.0], device))
    close(h, [4.0, 2.0, 4.0])
    close(gradgpu.histogram(t([2.0, 2.0], device), bins=2).bin_edges, [1.5, 2.0, 2.5])
    with pytest.raises(RuntimeError, match=r"min should not exceed max"):
        gradgpu.histogram(t([1.0, 2.0], device), bins=2, range=(2.0, 1.0))


def test_histogram_is_not_differentiable(device):
    x = t([1.0, 2.0], device, requires_grad=True)
    hist, edges = gradgpu.histogram(x, bins=2)
    assert hist.requires_grad and edges.requires_grad  # as PyTorch: a NotImplemented grad_fn
    with pytest.raises(NotImplementedError, match=r"derivative for 'histogram'"):
        hist.sum().backward()


def test_bincount(device):
    i = t([1, 3, 1], device, gradgpu.int64)
    assert host(gradgpu.bincount(i)).tolist() == [0, 2, 0, 1]
    assert gradgpu.bincount(i).dtype == gradgpu.int64
    assert host(i.bincount(minlength=6)).tolist() == [0, 2, 0, 1, 0, 0]
    w = gradgpu.bincount(i, weights=t([0.5, 1.0, 2.0], device))
    assert w.dtype == gradgpu.float32 and host(w).tolist() == [0.0, 2.5, 0.0, 1.0]
    w = gradgpu.bincount(i, t([1, 1, 2], device, gradgpu.int64))
    assert w.dtype == F64 and host(w).tolist() == [0.0, 3.0, 0.0, 1.0]
    assert host(gradgpu.bincount(t([], device, gradgpu.int64), minlength=2)).tolist() == [0, 0]
    with pytest.raises(RuntimeError, match=r"bincount only supports 1-d non-negative integral"):
        gradgpu.bincount(t([1, -3, 1], device, gradgpu.int64))
    with pytest.raises(RuntimeError, match=r"weights should be 1-d and have the same length"):
        gradgpu.bincount(i, t([1.0], device))
    with pytest.raises(RuntimeError, match=r"minlength should be >= 0"):
        gradgpu.bincount(i, minlength=-1)


# ---- cdist / dist / renorm -------------------------------------------------------------------
def test_cdist_values_and_gradient_at_zero_distance(device):
    a = t([[0.0, 1.0], [2.0, 2.0]], device, requires_grad=True)
    b = t([[0.0, 1.0], [1.0, 1.0], [3.0, 0.0]], device, requires_grad=True)
    d = gradgpu.cdist(a, b)
    d.sum().backward()
    close(d, [[0.0, 1.0, 3.16227766], [2.23606798, 1.41421356, 2.23606798]])
    close(a.grad, [[-1.94868326, 0.31622776], [1.15432024, 2.04874754]])
    close(b.grad, [[-0.89442718, -0.44721359], [0.29289323, -0.70710677],
                   [1.39589691, -1.21065497]])
    close(gradgpu.cdist(a, b, p=0), [[0, 1, 2], [2, 2, 2]])


def test_cdist_inf_gives_each_tie_the_whole_gradient(device):
    a = t([[0.0, 1.0], [2.0, 2.0]], device, requires_grad=True)
    b = t([[0.0, 1.0], [1.0, 1.0], [3.0, 0.0]], device, requires_grad=True)
    d = gradgpu.cdist(a, b, p=math.inf)
    d.sum().backward()
    close(d, [[0.0, 1.0, 3.0], [2.0, 1.0, 2.0]])
    close(a.grad, [[-2.0, 0.0], [2.0, 2.0]])
    close(b.grad, [[-1.0, 0.0], [0.0, -1.0], [1.0, -1.0]])


def test_cdist_mm_path_gradgradcheck(device):
    rng = np.random.default_rng(5)
    a = t(rng.standard_normal((27, 3)).tolist(), device, F64, True)
    b = t(np.concatenate([host(a)[:2], rng.standard_normal((2, 3))]).tolist(), device, F64, True)
    d = gradgpu.cdist(a, b)  # more than 25 rows: the matrix-product form, as PyTorch
    close(d[:2, :2].diagonal(), [0.0, 0.0], atol=1e-7)  # up to the form's rounding
    d.sum().backward()
    assert np.isfinite(host(a.grad)).all()
    assert gradgradcheck(lambda x, y: gradgpu.cdist(x, y), (a[:3].detach().requires_grad_(),
                                                             b[2:].detach().requires_grad_()))


@pytest.mark.parametrize("p", [0.0, 1.0, 1.5, 2.0, 3.0, math.inf])
def test_cdist_in_row_blocks_matches_one_block(device, p, monkeypatch):
    import gradgpu.ops.reduction.pairwise as pw

    rng = np.random.default_rng(6)
    a = np.round(rng.standard_normal((2, 7, 3)), 1)
    b = np.round(rng.standard_normal((1, 5, 3)), 1)
    b[0, 2] = a[1, 4]  # a zero distance
    w = t(rng.standard_normal((2, 7, 5)).tolist(), device, F64)

    def run():
        x1, x2 = t(a.tolist(), device, F64, True), t(b.tolist(), device, F64, True)
        y = gradgpu.cdist(x1, x2, p, compute_mode="donot_use_mm_for_euclid_dist")
        g1, g2 = gradgpu.autograd.grad((y * w).sum(), (x1, x2), create_graph=True)
        if g1.requires_grad:
            g1, g2 = gradgpu.autograd.grad((g1 * g1).sum() + (g2 ** 3).sum(), (x1, x2))
        return [host(u) for u in (y, g1, g2)]

    whole = run()
    monkeypatch.setattr(pw, "_CDIST_BLOCK", 40)  # 2 rows of x1 a block (4 blocks)
    for u, v in zip(whole, run()):
        np.testing.assert_allclose(u, v, rtol=1e-13, atol=1e-15)


def test_cdist_peak_memory_is_bounded_by_the_block(monkeypatch):
    import tracemalloc

    import gradgpu.ops.reduction.pairwise as pw

    monkeypatch.setattr(pw, "_CDIST_BLOCK", 1 << 16)
    rng = np.random.default_rng(0)
    a = gradgpu.tensor(rng.standard_normal((300, 64)), requires_grad=True)
    b = gradgpu.tensor(rng.standard_normal((200, 64)), requires_grad=True)
    tracemalloc.start()
    try:
        gradgpu.cdist(a, b, p=1).sum().backward()  # all differences: 300 * 200 * 64 * 8 B = 31 MB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6e6, peak


def test_cdist_errors(device):
    a = gradgpu.zeros(2, 2, device=device)
    with pytest.raises(RuntimeError, match=r"cdist only supports at least 2D tensors, X1 got: 1D"):
        gradgpu.cdist(a[0], a)
    with pytest.raises(RuntimeError, match=r"X1 and X2 must have the same number of columns"):
        gradgpu.cdist(a, a[:, :1])
    with pytest.raises(RuntimeError, match=r"cdist only supports non-negative p values"):
        gradgpu.cdist(a, a, p=-1)
    with pytest.raises(ValueError, match=r"foo is not a valid value for compute_mode"):
        gradgpu.cdist(a, a, compute_mode="foo")
    assert tuple(gradgpu.cdist(gradgpu.zeros(2, 1, 3, 2, device=device),
                               gradgpu.zeros(4, 5, 2, device=device)).shape) == (2, 4, 3, 5)


def test_dist_and_renorm(device):
    a = t([[0.0, 1.0], [2.0, 2.0]], device)
    b = t([[0.0, 1.0], [1.0, 1.0]], device)
    close(gradgpu.dist(a, b, 0), 2.0)
    close(a.dist(b), math.sqrt(2.0))
    # one floating operand is enough (PyTorch promotes); two integer ones are refused
    ints = t([[0, 1], [1, 3]], device, gradgpu.int64)
    f = t([[0.0, 1.0], [2.0, 2.0]], device, requires_grad=True)
    d = gradgpu.dist(f, ints)
    d.backward()
    assert d.dtype == gradgpu.float32
    close(d, math.sqrt(2.0))
    close(f.grad, [[0.0, 0.0], [1 / math.sqrt(2.0), -1 / math.sqrt(2.0)]])
    close(gradgpu.dist(ints, f.detach()), math.sqrt(2.0))
    with pytest.raises(RuntimeError, match=r"floating point or complex"):
        gradgpu.dist(ints, ints)
    r = t([[1.0, 2.0, 3.0], [0.1, 0.1, 0.1], [3.0, 4.0, 0.0]], device, F64, requires_grad=True)
    out = r.renorm(2, 0, 1.0)
    out.backward(t([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.5, 0.5, 0.5]], device, F64))
    close(out, [[0.26726123, 0.53452247, 0.8017837], [0.1, 0.1, 0.1], [0.6, 0.8, 0.0]])
    close(r.grad, [[0.30544141, 0.07636035, -0.15272071], [2.0, 1.0, 0.0],
                   [0.016, -0.012, 0.1]])
    with pytest.raises(RuntimeError, match=r"renorm: non-positive-norm not supported"):
        gradgpu.renorm(r, 0, 1, 2.0)
    with pytest.raises(RuntimeError, match=r"renorm: expected maxnorm to be >= 0 but got -2"):
        gradgpu.renorm(r, 2, 1, -2.0)
