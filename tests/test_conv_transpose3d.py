"""conv_transpose3d / ConvTranspose3d: conv3d's input gradient, gradchecked, against PyTorch."""

import numpy as np
import pytest

import gradgpu
import gradgpu.nn.functional as F
from gradgpu.autograd import gradcheck, gradgradcheck

F64 = gradgpu.float64
GEOMETRIES = {
    "plain": {},
    "strided": {"stride": 2},
    "uneven": {"stride": (2, 1, 3), "padding": (1, 0, 1), "output_padding": (1, 0, 2),
               "dilation": (1, 2, 1)},
    "groups": {"stride": 2, "padding": 1, "groups": 2},
    "dilated": {"dilation": 2, "padding": 2, "output_padding": 1, "stride": 2},
}


def _t(a, device, requires_grad=False):
    return gradgpu.tensor(a, dtype=F64, device=device, requires_grad=requires_grad)


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_is_conv3d_input_gradient(device, name):
    kw = GEOMETRIES[name]
    groups = kw.get("groups", 1)
    rng = np.random.default_rng(0)
    w = _t(rng.standard_normal((4, 3, 2, 3, 2)), device)  # (C_in, C_out / groups, k...)
    x = _t(rng.standard_normal((2, 4, 3, 4, 3)), device)
    y = F.conv_transpose3d(x, w, **kw)
    # <conv_transpose3d(x), g> = <x, conv3d(g)> with conv3d's weight (O, C / groups, k...)
    g = _t(rng.standard_normal(y.shape), device)
    conv_kw = {k: v for k, v in kw.items() if k != "output_padding"}
    back = F.conv3d(g, w, **conv_kw)
    np.testing.assert_allclose(float((y * g).sum()), float((x * back).sum()), rtol=1e-11)
    assert y.shape[1] == 3 * groups


@pytest.mark.parametrize("name", ["uneven", "groups"])
def test_gradcheck(device, name):
    kw = GEOMETRIES[name]
    rng = np.random.default_rng(1)
    x = _t(rng.standard_normal((1, 4, 2, 3, 2)), device, True)
    w = _t(rng.standard_normal((4, 2, 2, 2, 2)), device, True)
    b = _t(rng.standard_normal(2 * kw.get("groups", 1)), device, True)
    assert gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, **kw), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv_transpose3d(x, w, **kw), (x, w))


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    kw = GEOMETRIES[name]
    rng = np.random.default_rng(2)
    arrays = (rng.standard_normal((2, 4, 3, 4, 5)), rng.standard_normal((4, 3, 2, 3, 2)),
              rng.standard_normal(3 * kw.get("groups", 1)))

    def run(lib):
        x, w, b = (lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays)
        y = lib.nn.functional.conv_transpose3d(x, w, b, **kw)
        (y * y.detach().cos()).sum().backward()
        return [t.detach().numpy() for t in (y, x.grad, w.grad, b.grad)]

    for got, want in zip(run(gradgpu), run(torch)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_module_unbatched_input_output_size_and_errors():
    gradgpu.manual_seed(0)
    m = gradgpu.nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, groups=2)
    assert tuple(m.weight.shape) == (4, 3, 3, 3, 3) and tuple(m.bias.shape) == (6,)
    assert repr(m) == ("ConvTranspose3d(4, 6, kernel_size=(3, 3, 3), stride=(2, 2, 2), "
                       "padding=(1, 1, 1), groups=2)")
    x = gradgpu.randn(4, 3, 3, 3)
    assert m(x).shape == (6, 5, 5, 5)
    assert m(x, output_size=(6, 6, 6)).shape == (6, 6, 6, 6)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(x, output_size=(8, 6, 6))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose3d(x, m.weight, stride=1, output_padding=1)
