"""The per-element table (gradgpu/backend/elementwise_spec.py) itself: consistent entries, a C++
function for each, dtype-preserving references, and the NumPy backend's ``ew`` (no nvcc
needed; test_host_math.py runs the C++ against these references)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import gradgpu
from gradgpu.backend import NUMPY
from gradgpu.backend.elementwise_spec import ELEMENTWISE

from .nvcc import KERNEL_DIR

_NAMES = sorted(ELEMENTWISE)
_CUPY_RESERVED = re.compile(r"^(i|n|_.*)$")  # ElementwiseKernel's own names


def _args(entry, dtype, shapes=None, rng=None):
    rng = rng or np.random.default_rng(0)
    shapes = shapes or [(3, 4)] * len(entry.inputs)
    lo_hi = entry.domain or ((-2.0, 2.0),)
    arrays = [rng.uniform(*lo_hi[min(i, len(lo_hi) - 1)], shape).astype(dtype)
              for i, shape in enumerate(shapes)]
    return arrays, entry.examples[0]


def _outputs(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("name", _NAMES)
def test_entry_is_consistent(name):
    entry = ELEMENTWISE[name]
    assert entry.name == name
    params = entry.inputs + entry.scalars + entry.outputs
    assert len(set(params)) == len(params), "parameter names must be distinct"
    assert not [p for p in params if _CUPY_RESERVED.match(p)], "CuPy reserves i, n and _*"
    assert entry.examples and all(len(ex) == len(entry.scalars) for ex in entry.examples)
    assert not entry.domain or len(entry.domain) <= len(entry.inputs)


def test_every_entry_has_a_cxx_function():
    """Each name is defined as a template in kernels/*.cuh (the host test compiles and runs
    them; this catches a missing one even where nvcc is absent)."""
    text = "\n".join(p.read_text() for p in KERNEL_DIR.glob("*.cuh"))
    defined = set(re.findall(r"template <typename T> GG_HD \w+ (\w+)\(", text))
    assert not sorted(set(ELEMENTWISE) - defined)
    assert '#include "unary.cuh"' in (KERNEL_DIR / "elementwise.cuh").read_text()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", _NAMES)
def test_reference_keeps_the_dtype_and_broadcasts(name, dtype):
    entry = ELEMENTWISE[name]
    k = len(entry.inputs)
    shapes = [(3, 1), (1, 4), (4,), (3, 4)][:k] if k > 1 else [(3, 4)]
    for scalars in entry.examples:
        arrays, _ = _args(entry, dtype, shapes)
        outs = _outputs(NUMPY.ew(name, *arrays, *scalars))
        assert len(outs) == len(entry.outputs)
        for out in outs:
            assert out.dtype == dtype, f"{name} gave {out.dtype} for {np.dtype(dtype)}"
            assert out.shape == (3, 4)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("name", [n for n in _NAMES if ELEMENTWISE[n].integer_ok])
def test_integer_entries_keep_integer_dtypes(name, dtype):
    x = np.array([-3, 0, 2, 7], dtype=dtype)
    out = NUMPY.ew(name, x)
    assert out.dtype == dtype and out is not x and not np.shares_memory(out, x)


def test_float32_scalar_results_stay_float32():
    """0-d inputs give NumPy scalars inside the formulas; the result keeps the dtype."""
    x = np.array(0.3, dtype=np.float32)
    for name in ("gelu_fwd", "erf_fwd", "softplus_fwd", "sigmoid_fwd"):
        entry = ELEMENTWISE[name]
        out = NUMPY.ew(name, x, *entry.examples[0])
        assert np.asarray(out).dtype == np.float32, name


def test_ew_is_quiet_and_ieee():
    """log(0), 0/0 and overflow give IEEE values without NumPy warnings (errors in tests)."""
    x = np.array([0.0, -1.0, np.inf, np.nan, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log = NUMPY.ew("log_fwd", x)
        exp = NUMPY.ew("exp_fwd", x)
        da, db = NUMPY.ew("div_bwd", np.ones(5), x, np.zeros(5))
    np.testing.assert_array_equal(log, [-np.inf, np.nan, np.inf, np.nan, np.log(1000.0)])
    np.testing.assert_array_equal(exp, [1.0, np.exp(-1.0), np.inf, np.nan, np.inf])
    assert np.isinf(da).all()


@pytest.mark.parametrize("x, want", [
    (np.array([np.nan, -0.0, -2.0, 3.0]), [np.nan, 0.0, 0.0, 3.0]),
])
def test_relu_propagates_nan_as_numpy(x, want):
    out = NUMPY.ew("relu_fwd", x)
    np.testing.assert_array_equal(out, want)
    assert not np.signbit(out[1])


def test_rounding_keeps_integer_dtype_through_ops():
    """floor/ceil/round/trunc of an integer tensor keep its dtype (as PyTorch)."""
    t = gradgpu.tensor([1, -2, 3])
    for fn in (gradgpu.floor, gradgpu.ceil, gradgpu.round, gradgpu.trunc):
        out = fn(t)
        assert out.dtype == gradgpu.int64
        assert out.tolist() == [1, -2, 3]


@pytest.mark.parametrize("op, kernel", [
    (gradgpu.tanh, "tanh_bwd"), (gradgpu.sigmoid, "sigmoid_bwd"), (gradgpu.relu, "relu_bwd"),
    (gradgpu.nn.functional.gelu, "gelu_bwd"), (gradgpu.nn.functional.silu, "silu_bwd"),
])
def test_backward_without_graph_uses_the_fused_kernel(op, kernel, monkeypatch):
    """First-order backward calls ``ew("<op>_bwd")`` once; with create_graph it builds the
    composed (differentiable) formula instead, whose gradient matches."""
    calls = []
    real = type(NUMPY).ew

    def spy(self, name, *args):
        calls.append(name)
        return real(self, name, *args)

    monkeypatch.setattr(type(NUMPY), "ew", spy)
    x = gradgpu.tensor([-1.5, -0.2, 0.3, 2.0], dtype=gradgpu.float64, requires_grad=True)
    (g1,) = gradgpu.autograd.grad(op(x).sum(), x)
    assert kernel in calls
    calls.clear()
    (g2,) = gradgpu.autograd.grad(op(x).sum(), x, create_graph=True)
    assert kernel not in calls
    assert g2.requires_grad or op is gradgpu.relu  # relu'' = 0: nothing to record
    np.testing.assert_allclose(g1.numpy(), g2.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_gelu_backward_survives_in_place_change_of_its_output():
    """gelu's fused backward reads Phi(x) = y / x from its output; once y is modified in place
    it recomputes from x (PyTorch's gelu saves only x, so this is legal)."""
    F = gradgpu.nn.functional
    x_np = np.array([-2.0, -0.5, 1e-40, 0.0, 0.7, 3.0])
    x = gradgpu.tensor(x_np, requires_grad=True)
    y = F.gelu(x)
    y.mul_(2.0)
    y.sum().backward()
    x2 = gradgpu.tensor(x_np, requires_grad=True)
    (F.gelu(x2) * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-14)
    assert x.grad.numpy()[3] == 1.0 and x.grad.numpy()[2] == 1.0  # 2 * Phi(0) with Phi = 0.5
