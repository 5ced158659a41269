"""autograd.detect_anomaly / set_detect_anomaly: failures and NaN gradients in backward are
reported with the forward call that recorded the node (PyTorch's messages)."""

import warnings

import pytest

import gradgpu
from gradgpu.autograd import Function, detect_anomaly, set_detect_anomaly


def test_a_nan_gradient_raises_and_shows_the_forward_call(device):
    z = gradgpu.tensor([-1.0, 1.0], device=device, requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = detect_anomaly()
    with ctx:
        y = z.sqrt()  # the line the report points at
        with pytest.warns(UserWarning, match=r"(?s)Error detected in SqrtBackward\. Traceback "
                                             r"of forward call.*test_anomaly_mode\.py"):
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward' returned nan "
                                                   "values in its 0th output"):
                y.sum().backward()
    assert not gradgpu.is_anomaly_enabled()


def test_infinite_gradients_and_unchecked_modes_pass():
    x = gradgpu.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with detect_anomaly():
            x.sqrt().sum().backward()  # inf, not NaN
    assert x.grad.tolist()[0] == float("inf")
    z = gradgpu.tensor([-1.0], requires_grad=True)
    with set_detect_anomaly(True, check_nan=False):
        assert gradgpu.is_anomaly_enabled() and not gradgpu.is_anomaly_check_nan_enabled()
        z.sqrt().sum().backward()
    z.grad = None
    z.sqrt().sum().backward()  # off: NaN flows silently, as in PyTorch
    assert z.grad.isnan().all()
    assert not gradgpu.is_anomaly_enabled() and gradgpu.is_anomaly_check_nan_enabled()


class _Broken(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        raise ValueError("backward failed")


def test_a_failing_backward_is_reported_and_its_error_raised():
    x = gradgpu.ones(2, requires_grad=True)
    outside = _Broken.apply(x)  # recorded before anomaly mode: no forward information
    set_detect_anomaly(True)
    try:
        inside = _Broken.apply(x)
        with pytest.warns(UserWarning, match="(?s)Error detected in _BrokenBackward.*"
                                             "inside = _Broken.apply"):
            with pytest.raises(ValueError, match="backward failed"):
                inside.sum().backward()
        with pytest.warns(UserWarning, match="No forward pass information available"):
            with pytest.raises(ValueError, match="backward failed"):
                outside.sum().backward()
    finally:
        set_detect_anomaly(False)
    assert not gradgpu.is_anomaly_enabled()
