"""Runs every op in the registry (tests/op_db): forward vs NumPy float64, gradcheck,
gradgradcheck, on every available device."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import gradcheck, gradgradcheck
from gradgpu.backend import cuda as _cuda

from .op_db import Const, all_ops

OPS = all_ops()
_CUDA_REASON = _cuda.unavailable_reason()


def _cases():
    for info in OPS:
        for i, sample in enumerate(info.samples(np.random.default_rng(1234))):
            yield pytest.param(info, i, id=f"{info.name}-{sample.desc or i}")


CASES = list(_cases())


def _to_tensor(x, device, dtype, requires_grad):
    arr = np.asarray(x)
    if arr.dtype.kind == "f":
        arr = arr.astype(dtype)  # astype keeps a transposed layout (order='K')
    t = gradgpu.from_numpy(arr) if arr.flags.writeable else gradgpu.from_numpy(arr.copy())
    if device != "cpu":
        t = _to_device_keeping_layout(arr, device)
    if requires_grad and arr.dtype.kind == "f":
        t.requires_grad_(True)
    return t


def _to_device_keeping_layout(arr, device):
    """``arr`` on ``device`` with its memory order: the samples' non-contiguous inputs are
    permuted (transposed) arrays, so copy the C-contiguous permutation and permute it back."""
    if arr.ndim < 2 or arr.flags.c_contiguous:
        return gradgpu.from_numpy(arr.copy(order="C")).to(device)  # (0-d stays 0-d)
    perm = tuple(int(d) for d in np.argsort([-abs(s) for s in arr.strides], kind="stable"))
    inverse = tuple(int(d) for d in np.argsort(perm))
    dense = gradgpu.from_numpy(arr.transpose(perm).copy(order="C")).to(device)
    return dense.permute(inverse).detach()


def _inputs(sample, device, dtype, requires_grad=True):
    out = []
    for a in sample.args:
        if isinstance(a, Const):
            out.append(_to_tensor(np.array(a.array, copy=True), device, dtype, False))
        elif isinstance(a, (np.ndarray, np.generic)):  # numpy scalars are 0-d tensors
            out.append(_to_tensor(np.array(a, copy=True, order="K"), device, dtype,
                                  requires_grad))
        elif isinstance(a, list) and a and all(isinstance(x, np.ndarray) for x in a):
            out.append([_to_tensor(x.copy(order="K"), device, dtype, requires_grad) for x in a])
        else:
            out.append(a)
    return out


def _ref_args(sample, dtype):
    """Reference inputs: the test's values rounded to ``dtype``, then computed in float64."""
    out = []
    for a in sample.args:
        if isinstance(a, Const):
            a = a.array
        if isinstance(a, (np.ndarray, np.generic)) and a.dtype.kind == "f":
            a = np.asarray(a).astype(dtype).astype(np.float64)
        elif isinstance(a, list) and a and all(isinstance(x, np.ndarray) for x in a):
            a = [x.astype(dtype).astype(np.float64) for x in a]
        out.append(a)
    return out


def _outputs(info, result):
    if info.outputs is not None:
        result = info.outputs(result)
    return result if isinstance(result, tuple) else (result,)


def _flat_inputs(inputs):
    """Tensors in args (lists of tensors, as for cat/stack, are flattened)."""
    flat = []
    for a in inputs:
        if isinstance(a, list):
            flat.extend(a)
        else:
            flat.append(a)
    return flat


def _rebuild(inputs, flat):
    """Inverse of _flat_inputs: put tensors from flat back into the args structure."""
    it = iter(flat)
    out = []
    for a in inputs:
        if isinstance(a, list):
            out.append([next(it) for _ in a])
        else:
            out.append(next(it))
    return out


@pytest.mark.parametrize("info,idx", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_forward_matches_numpy_reference(info, idx, dtype, device):
    if info.random:
        pytest.skip("sampling op: checked by its own statistical test")
    sample = info.samples(np.random.default_rng(1234))[idx]
    inputs = _inputs(sample, device, dtype, requires_grad=False)
    got = _outputs(info, info.op(*inputs, **sample.kwargs))
    with np.errstate(all="ignore"):  # the reference may hit log(0) and the like, as we do
        want = info.ref(*_ref_args(sample, dtype), **sample.kwargs)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    atol, rtol = (info.atol, info.rtol) if dtype == np.float64 else (info.f32_atol, info.f32_rtol)
    for g, w in zip(got, want):
        w = np.asarray(w)
        host = g.cpu().detach().numpy()
        assert host.shape == w.shape, f"shape {host.shape} != reference {w.shape}"
        if w.dtype.kind == "f" and dtype == np.float32 and host.dtype.kind == "f":
            assert host.dtype == np.float32, f"float32 inputs gave {host.dtype}"
        if w.dtype.kind in "biu":
            np.testing.assert_array_equal(host, w)
        else:
            np.testing.assert_allclose(host, w, atol=atol, rtol=rtol, equal_nan=True)


def _grad_case(info, idx, device):
    sample = info.samples(np.random.default_rng(1234))[idx]
    if not sample.grad or not info.gradcheck:
        pytest.skip("forward-only sample" if not sample.grad else "op is not differentiable")
    inputs = _inputs(sample, device, np.float64)
    flat = _flat_inputs(inputs)
    if not any(isinstance(t, gradgpu.Tensor) and t.requires_grad for t in flat):
        pytest.skip("no differentiable input in this sample")

    def fn(*tensors):
        return _outputs(info, info.op(*_rebuild(inputs, tensors), **sample.kwargs))

    return fn, tuple(flat)


@pytest.mark.parametrize("info,idx", CASES)
def test_gradcheck(info, idx, device):
    fn, flat = _grad_case(info, idx, device)
    assert gradcheck(fn, flat)


@pytest.mark.parametrize("info,idx", CASES)
def test_gradgradcheck(info, idx, device):
    if not info.gradgradcheck:
        pytest.skip("op is not twice differentiable")
    fn, flat = _grad_case(info, idx, device)
    assert gradgradcheck(fn, flat)


# ---- CUDA vs NumPy (the NumPy path is the specification) --------------------------------------
def _float_grads(info, sample, device, dtype, seed=99):
    """Outputs, and gradients of the float inputs for one fixed random upstream gradient."""
    inputs = _inputs(sample, device, dtype, requires_grad=sample.grad and info.gradcheck)
    outs = _outputs(info, info.op(*inputs, **sample.kwargs))
    wrt = [t for t in _flat_inputs(inputs) if isinstance(t, gradgpu.Tensor) and t.requires_grad]
    diff = [o for o in outs if isinstance(o, gradgpu.Tensor) and o.requires_grad]
    if not wrt or not diff:
        return outs, []
    rng = np.random.default_rng(seed)
    ups = [gradgpu.from_numpy(rng.standard_normal(o.shape).astype(dtype)).to(device)
           for o in diff]
    grads = gradgpu.autograd.grad(diff, wrt, ups, allow_unused=True)
    return outs, list(grads)


@pytest.mark.cuda
@pytest.mark.skipif(_CUDA_REASON is not None, reason=f"no usable CUDA device: {_CUDA_REASON}")
@pytest.mark.parametrize("info,idx", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_cuda_matches_numpy_forward_and_backward(info, idx, dtype):
    if info.random:
        pytest.skip("sampling op: its streams differ by device; checked statistically")
    sample = info.samples(np.random.default_rng(1234))[idx]
    want_out, want_grads = _float_grads(info, sample, "cpu", dtype)
    got_out, got_grads = _float_grads(info, sample, "cuda", dtype)
    atol, rtol = (info.atol, info.rtol) if dtype == np.float64 else (info.f32_atol, info.f32_rtol)
    for kind, got, want in (("output", got_out, want_out), ("gradient", got_grads, want_grads)):
        assert len(got) == len(want)
        for k, (g, w) in enumerate(zip(got, want)):
            if w is None or g is None:
                assert g is None and w is None, f"{kind} {k}: None on one device only"
                continue
            assert g.device.type == "cuda", f"{kind} {k} left the GPU"
            host, ref = g.cpu().detach().numpy(), w.detach().numpy()
            assert host.dtype == ref.dtype and host.shape == ref.shape, f"{kind} {k}"
            if ref.dtype.kind in "biu":
                np.testing.assert_array_equal(host, ref, err_msg=f"{kind} {k}")
            else:
                np.testing.assert_allclose(host, ref, atol=atol, rtol=rtol, equal_nan=True,
                                           err_msg=f"{kind} {k}")


def test_the_cuda_parity_harness_runs_on_the_cpu(monkeypatch):
    """The GPU-only parity test above must not fail for its own reasons on the one GPU run: its
    harness (layout-keeping transfer, upstream gradients, gradient comparison) is run here with
    "cuda" standing for the CPU, on the first and the transposed samples of every op."""
    real_to = gradgpu.Tensor.to

    def to(self, *args, **kwargs):
        return real_to(self, *("cpu" if a == "cuda" else a for a in args), **kwargs)

    monkeypatch.setattr(gradgpu.Tensor, "to", to)
    checked = 0
    for info in OPS:
        if info.random:
            continue
        samples = info.samples(np.random.default_rng(1234))
        for sample in [samples[0]] + [s for s in samples[1:] if "transposed" in (s.desc or "")]:
            want_out, want_grads = _float_grads(info, sample, "cpu", np.float64)
            got_out, got_grads = _float_grads(info, sample, "cuda", np.float64)
            assert len(got_out) == len(want_out) and len(got_grads) == len(want_grads), info.name
            for g, w in zip(got_grads, want_grads):
                assert (g is None) == (w is None), info.name
                if g is not None:
                    np.testing.assert_array_equal(g.numpy(), w.numpy(), err_msg=info.name)
            checked += 1
    assert checked > 100
