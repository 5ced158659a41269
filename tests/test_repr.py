"""Tensor ``repr`` in PyTorch's style. Each expected string is what torch 2.x prints for the same
construction, with ``torch.`` replaced by ``gradgpu.`` and ``Backward0`` by ``Backward``."""

from __future__ import annotations

import pytest

import gradgpu

CASES = [
    ('gradgpu.tensor([1, 2, 3])',
     'tensor([1, 2, 3])'),
    ('gradgpu.tensor([-1, 200, 3])',
     'tensor([ -1, 200,   3])'),
    ('gradgpu.tensor([1.5, 2.25])',
     'tensor([1.5000, 2.2500])'),
    ('gradgpu.tensor([1., 2.])',
     'tensor([1., 2.])'),
    ('gradgpu.tensor([1., -2.])',
     'tensor([ 1., -2.])'),
    ('gradgpu.tensor([1e-5, 1.0])',
     'tensor([1.0000e-05, 1.0000e+00])'),
    ('gradgpu.tensor([1e10, 1.0])',
     'tensor([1.0000e+10, 1.0000e+00])'),
    ('gradgpu.tensor([0.1, 1000.5])',
     'tensor([1.0000e-01, 1.0005e+03])'),
    ('gradgpu.tensor(3.5)',
     'tensor(3.5000)'),
    ('gradgpu.tensor(3.)',
     'tensor(3.)'),
    ('gradgpu.tensor(7)',
     'tensor(7)'),
    ('gradgpu.tensor(True)',
     'tensor(True)'),
    ('gradgpu.tensor([True, False])',
     'tensor([ True, False])'),
    ('gradgpu.tensor([])',
     'tensor([])'),
    ('gradgpu.zeros(0, 3)',
     'tensor([], size=(0, 3))'),
    ('gradgpu.tensor([], dtype=gradgpu.int64)',
     'tensor([], dtype=gradgpu.int64)'),
    ('gradgpu.zeros(2, 0, dtype=gradgpu.float64)',
     'tensor([], size=(2, 0), dtype=gradgpu.float64)'),
    ('gradgpu.tensor([[1.5, 2.], [3., 4.]])',
     ('tensor([[1.5000, 2.0000],\n'
      '        [3.0000, 4.0000]])')),
    ('gradgpu.tensor([[1, 2], [3, 40]])',
     ('tensor([[ 1,  2],\n'
      '        [ 3, 40]])')),
    ('gradgpu.tensor([[[1., 2.], [3., 4.]], [[5., 6.], [7., 8.]]])',
     ('tensor([[[1., 2.],\n'
      '         [3., 4.]],\n'
      '\n'
      '        [[5., 6.],\n'
      '         [7., 8.]]])')),
    ('gradgpu.tensor([1.5, 2.], requires_grad=True)',
     'tensor([1.5000, 2.0000], requires_grad=True)'),
    ('gradgpu.tensor([1.5, 2.], dtype=gradgpu.float64)',
     'tensor([1.5000, 2.0000], dtype=gradgpu.float64)'),
    ('gradgpu.tensor([1, 2], dtype=gradgpu.int32)',
     'tensor([1, 2], dtype=gradgpu.int32)'),
    ('gradgpu.tensor([1., 2.], dtype=gradgpu.float16, requires_grad=True)',
     'tensor([1., 2.], dtype=gradgpu.float16, requires_grad=True)'),
    ("gradgpu.tensor([float('nan'), 1.5, float('inf')])",
     'tensor([   nan, 1.5000,    inf])'),
    ("gradgpu.tensor([float('nan'), 1., float('-inf')])",
     'tensor([nan, 1., -inf])'),
    ('gradgpu.tensor([0., 0.])',
     'tensor([0., 0.])'),
    ('gradgpu.tensor([-0.5, 0.25])',
     'tensor([-0.5000,  0.2500])'),
    ('gradgpu.tensor([1e-10, 1e-12])',
     'tensor([1.0000e-10, 1.0000e-12])'),
    ('gradgpu.tensor([100000000.])',
     'tensor([100000000.])'),
    ('gradgpu.tensor([1000000000.])',
     'tensor([1.0000e+09])'),
    ('gradgpu.full((2, 12), 0.1)',
     ('tensor([[0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000,\n'
      '         0.1000, 0.1000, 0.1000],\n'
      '        [0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000,\n'
      '         0.1000, 0.1000, 0.1000]])')),
    ('gradgpu.arange(2000)',
     'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'),
    ('gradgpu.arange(12.).reshape(3, 4).T',
     ('tensor([[ 0.,  4.,  8.],\n'
      '        [ 1.,  5.,  9.],\n'
      '        [ 2.,  6., 10.],\n'
      '        [ 3.,  7., 11.]])')),
    ('gradgpu.tensor([[1.123456, 2.0]] * 3, dtype=gradgpu.float64, requires_grad=True)',
     ('tensor([[1.1235, 2.0000],\n'
      '        [1.1235, 2.0000],\n'
      '        [1.1235, 2.0000]], dtype=gradgpu.float64, requires_grad=True)')),
    ('gradgpu.full((20,), 0.1, dtype=gradgpu.float64, requires_grad=True)',
     ('tensor([0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000,\n'
      '        0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000,\n'
      '        0.1000, 0.1000], dtype=gradgpu.float64, requires_grad=True)')),
    ('gradgpu.tensor([1.5, 2.], requires_grad=True) * 2',
     'tensor([3., 4.], grad_fn=<MulBackward>)'),
    ('gradgpu.tensor(2.5, requires_grad=True).sum()',
     'tensor(2.5000, grad_fn=<SumBackward>)'),
    ('gradgpu.arange(1100.).reshape(100, 11)',
     ('tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 8.0000e+00, 9.0000e+00,\n'
      '         1.0000e+01],\n'
      '        [1.1000e+01, 1.2000e+01, 1.3000e+01,  ..., 1.9000e+01, 2.0000e+01,\n'
      '         2.1000e+01],\n'
      '        [2.2000e+01, 2.3000e+01, 2.4000e+01,  ..., 3.0000e+01, 3.1000e+01,\n'
      '         3.2000e+01],\n'
      '        ...,\n'
      '        [1.0670e+03, 1.0680e+03, 1.0690e+03,  ..., 1.0750e+03, 1.0760e+03,\n'
      '         1.0770e+03],\n'
      '        [1.0780e+03, 1.0790e+03, 1.0800e+03,  ..., 1.0860e+03, 1.0870e+03,\n'
      '         1.0880e+03],\n'
      '        [1.0890e+03, 1.0900e+03, 1.0910e+03,  ..., 1.0970e+03, 1.0980e+03,\n'
      '         1.0990e+03]])')),
    ('gradgpu.tensor([True] * 30)',
     ('tensor([True, True, True, True, True, True, True, True, True, True, True, True,\n'
      '        True, True, True, True, True, True, True, True, True, True, True, True,\n'
      '        True, True, True, True, True, True])')),
]


@pytest.mark.parametrize("source, expected", CASES, ids=[c[0] for c in CASES])
def test_repr_matches_pytorch(source, expected):
    assert repr(eval(source, {"gradgpu": gradgpu})) == expected


def test_repr_non_default_float_dtype_follows_default_dtype():
    gradgpu.set_default_dtype(gradgpu.float64)
    assert repr(gradgpu.tensor([1.5])) == "tensor([1.5000])"
    assert repr(gradgpu.tensor([1.5], dtype=gradgpu.float32)) == (
        "tensor([1.5000], dtype=gradgpu.float32)"
    )


def test_str_and_format():
    t = gradgpu.tensor([1.0, 2.0])
    assert str(t) == repr(t)
    assert f"{gradgpu.tensor(2.5):.2f}" == "2.50"


def test_size_and_device_repr():
    assert repr(gradgpu.ones(2, 3).shape) == "gradgpu.Size([2, 3])"
    assert repr(gradgpu.device("cpu")) == "device(type='cpu')"
    assert repr(gradgpu.device("cuda:1")) == "device(type='cuda', index=1)"

