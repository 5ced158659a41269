"""The CUDA backend's host-to-device conversion keeps a -0.0 (runs without a GPU: a stand-in
for CuPy 14's asarray, which on an H100 made every 0-d array from a host zero +0.0)."""

import numpy as np
import pytest

from gradgpu.backend.cuda.backend import _to_cupy


class _ZeroDimLosesSign:
    """CuPy's observed behaviour: 0-d arrays from host data lose the sign of zero, n-d arrays
    are copied bit for bit (arrays here stay NumPy arrays)."""

    ndarray = type(None)  # nothing passed in is a device array

    @staticmethod
    def asarray(data, dtype=None):
        out = np.array(data, dtype=dtype)
        if out.ndim == 0 and out == 0:
            out = np.zeros((), dtype=out.dtype)
        return out


@pytest.mark.parametrize("value", [-0.0, np.float32(-0.0), np.asarray(-0.0),
                                   np.asarray(-0.0, dtype=np.float32)])
def test_negative_zero_scalars_keep_their_sign(value):
    out = _to_cupy(_ZeroDimLosesSign, value, None)
    assert out.shape == () and out == 0 and np.signbit(out)


def test_other_scalars_and_arrays_convert_as_asarray_does():
    cp = _ZeroDimLosesSign
    assert _to_cupy(cp, -0.0, np.float32).dtype == np.float32
    assert _to_cupy(cp, 2.5, None) == 2.5 and _to_cupy(cp, 0.0, None) == 0.0
    assert _to_cupy(cp, 0, None).dtype.kind == "i"
    arr = np.array([-0.0, 1.0])
    assert np.signbit(_to_cupy(cp, arr, None)).tolist() == [True, False]
