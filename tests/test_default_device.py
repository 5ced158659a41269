"""set_default_device / get_default_device and ``with gradgpu.device(...)``: where factories
create tensors when given no device (PyTorch 2's default device)."""

import numpy as np
import pytest

import gradgpu
from gradgpu import nn


@pytest.fixture(autouse=True)
def _restore():
    yield
    gradgpu.set_default_device(None)


def _made_on(dev) -> list:
    return [gradgpu.zeros(2), gradgpu.ones(2, 3), gradgpu.randn(3), gradgpu.rand(2),
            gradgpu.arange(4), gradgpu.linspace(0, 1, 5), gradgpu.eye(2), gradgpu.full((2,), 3.0),
            gradgpu.tensor([1.0, 2.0]), gradgpu.tensor(np.ones(2)), gradgpu.as_tensor([1, 2]),
            nn.Linear(2, 3).weight, gradgpu.randint(0, 5, (3,)), gradgpu.empty(2)]


def test_set_default_device_moves_every_factory(device):
    assert gradgpu.get_default_device() == gradgpu.device("cpu")
    gradgpu.set_default_device(device)
    want = gradgpu.zeros(1, device=device).device
    assert all(t.device == want for t in _made_on(device))
    assert gradgpu.get_default_device() == gradgpu.device(device)
    assert gradgpu.zeros(1, device="cpu").device == gradgpu.device("cpu")  # explicit wins
    gradgpu.set_default_device(None)
    assert gradgpu.zeros(1).device == gradgpu.device("cpu")


def test_a_device_block_sets_the_default_inside_it_only(device):
    with gradgpu.device(device) as dev:
        assert dev == gradgpu.device(device)
        assert gradgpu.ones(2).device == gradgpu.zeros(1, device=device).device
        with gradgpu.device("cpu"):
            assert gradgpu.ones(2).device == gradgpu.device("cpu")
        assert gradgpu.get_default_device() == gradgpu.device(device)
    assert gradgpu.get_default_device() == gradgpu.device("cpu")


def test_without_a_default_tensor_keeps_the_datas_device(device):
    x = gradgpu.ones(2, device=device)
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        assert gradgpu.tensor(x).device == x.device
    assert gradgpu.as_tensor(x) is x
