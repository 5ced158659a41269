"""NumPy's floating-point warnings stay inside gradgpu's ops: PyTorch computes inf * 0 = NaN and
overflows to inf silently (gradgpu/backend/float_warnings.py)."""

import subprocess
import sys
import warnings

import numpy as np

import gradgpu
from gradgpu.backend.float_warnings import silence_float_warnings

INF = float("inf")


def test_ops_do_not_warn_on_inf_times_zero_or_overflow():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")  # pytest's warnings-as-errors replaced for this block
        silence_float_warnings()
        x = gradgpu.tensor([INF, 1.0], requires_grad=True)
        y = x * gradgpu.tensor([0.0, 1.0]) + (x - x) + gradgpu.tensor([3e38]) * 10
        y.sum().backward()
        np.array([INF]) * 0  # user code: still warned
        warnings.warn_explicit("overflow is coming", RuntimeWarning, "gradgpu/x.py", 1,
                               module="gradgpu.x")  # not NumPy's message: kept
    assert np.isnan(y.tolist()[0]) and y.tolist()[1] == INF
    assert x.grad.tolist() == [0.0, 1.0]
    assert [str(w.message) for w in seen] == ["invalid value encountered in multiply",
                                              "overflow is coming"]


def test_python_dash_w_error_runs_what_pytorch_runs():
    code = ("import gradgpu as g\n"
            "x = g.tensor([float('inf'), 1.0])\n"
            "print((x * 0).tolist(), (g.tensor([1e30]) * g.tensor([1e30])).tolist())\n")
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[nan, 0.0] [inf]"
