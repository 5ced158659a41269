"""gradgpu.backends.cudnn: PyTorch's flags, settable and restorable, honest that no cuDNN is
used."""

import gradgpu
from gradgpu.backends import cudnn


def test_flags_are_settable_and_flags_restores_them():
    saved = (cudnn.benchmark, cudnn.deterministic, cudnn.enabled, cudnn.allow_tf32)
    try:
        gradgpu.backends.cudnn.benchmark = True  # the line PyTorch training scripts carry
        gradgpu.backends.cudnn.deterministic = True
        with cudnn.flags(enabled=False, allow_tf32=False):
            assert (cudnn.enabled, cudnn.benchmark, cudnn.allow_tf32) == (False, False, False)
        assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (True, True, True)
    finally:
        cudnn.benchmark, cudnn.deterministic, cudnn.enabled, cudnn.allow_tf32 = saved


def test_no_cudnn_is_used():
    assert cudnn.is_available() is False and cudnn.version() is None
