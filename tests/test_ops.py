"""Runs every op in the registry (tests/op_db): forward vs NumPy float64, gradcheck,
gradgradcheck, on every available device."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import gradcheck, gradgradcheck

from .op_db import Const, all_ops

OPS = all_ops()


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
        t = t.to(device)
    if requires_grad and arr.dtype.kind == "f":
        t.requires_grad_(True)
    return t


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
