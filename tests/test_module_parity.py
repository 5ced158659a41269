"""PyTorch parity of the Module API, containers, nn.init and utils.data; every expected value
below was read off PyTorch 2.x (the tests do not import torch)."""

from __future__ import annotations

import collections
import copy
from collections import OrderedDict

import numpy as np
import pytest

import gradgpu
from gradgpu import nn
from gradgpu.utils import data


# ---- default_collate ------------------------------------------------------------------------
def test_collate_string_field_of_tuple_samples_is_a_tuple():
    # torch: [tensor([1, 2]), ('a', 'b')] -- the field keeps zip's tuple
    out = data.default_collate([(1, "a"), (2, "b")])
    assert out[1] == ("a", "b")
    assert out[0].tolist() == [1, 2]
    assert data.default_collate([[1, "a"], [2, "b"]])[1] == ("a", "b")
    nested = data.default_collate([((1, "a"),), ((2, "b"),)])
    assert nested[0][1] == ("a", "b")


def test_collate_string_field_of_namedtuple_is_a_tuple():
    P = collections.namedtuple("P", "a b")
    out = data.default_collate([P(1, "x"), P(2, "y")])
    assert type(out) is P and out.b == ("x", "y")


def test_collate_keeps_list_subclass():
    class MyList(list):
        pass

    out = data.default_collate([MyList([1, 2]), MyList([3, 4])])
    assert type(out) is MyList
    assert [t.tolist() for t in out] == [[1, 3], [2, 4]]
    # tuples still become lists (PyTorch's backwards-compatible rule)
    assert type(data.default_collate([(1, 2), (3, 4)])) is list


def test_dataloader_string_labels_batch_as_tuple():
    samples = [(gradgpu.ones(2), "cat"), (gradgpu.zeros(2), "dog"), (gradgpu.ones(2), "eel")]
    batches = list(data.DataLoader(samples, batch_size=2))
    assert batches[0][1] == ("cat", "dog")
    assert batches[1][1] == ("eel",)


# ---- DataLoader iterator ----------------------------------------------------------------
def test_dataloader_iterator_has_len():
    loader = data.DataLoader(list(range(5)), batch_size=2)
    it = iter(loader)
    assert len(it) == 3
    assert [b.tolist() for b in it] == [[0, 1], [2, 3], [4]]
    assert len(iter(data.DataLoader(list(range(5)), batch_size=2, drop_last=True))) == 2


# ---- random_split -------------------------------------------------------------------------
def test_random_split_accepts_numpy_integer_lengths():
    parts = data.random_split(range(10), [np.int64(3), np.int32(7)],
                              generator=gradgpu.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    with pytest.raises(ValueError):
        data.random_split(range(2), [True, True])


# ---- Parameter deepcopy -------------------------------------------------------------------
def test_parameter_deepcopy_leaves_the_gradient_behind():
    lin = nn.Linear(2, 2)
    lin.weight.grad = gradgpu.ones(2, 2)
    clone = copy.deepcopy(lin)
    assert clone.weight.grad is None  # torch: None
    assert type(clone.weight) is nn.Parameter and clone.weight.requires_grad
    assert clone.weight is not lin.weight
    assert bool((clone.weight == lin.weight).all())
    assert lin.weight.grad is not None


# ---- ParameterList ------------------------------------------------------------------------
def _plist():
    return nn.ParameterList([nn.Parameter(gradgpu.ones(2)), gradgpu.zeros(3), 5])


def test_parameter_list_registers_and_wraps_tensors():
    pl = _plist()
    assert len(pl) == 3
    assert [type(x).__name__ for x in pl] == ["Parameter", "Parameter", "int"]
    assert pl[1].requires_grad and pl[-1] == 5
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    assert list(pl.state_dict()) == ["0", "1"]
    m = nn.Module()
    m.p = pl
    assert [n for n, _ in m.named_parameters()] == ["p.0", "p.1"]


def test_parameter_list_repr():
    assert repr(_plist()) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [gradgpu.float32 of size 2]\n"
        "    (1): Parameter containing: [gradgpu.float32 of size 3]\n"
        "    (2): Object of type: int\n)"
    )
    assert repr(nn.ParameterList()) == "ParameterList()"


def test_parameter_list_methods():
    pl = _plist()
    sub = pl[::2]
    assert type(sub) is nn.ParameterList and len(sub) == 2
    assert [n for n, _ in sub.named_parameters()] == ["0"]
    pl[-1] = gradgpu.ones(1)
    assert type(pl[2]) is nn.Parameter
    assert pl.append(gradgpu.ones(4)) is pl and len(pl) == 4
    pl += [gradgpu.ones(1)]
    assert len(pl) == 5
    with pytest.raises(IndexError, match="index 5 is out of range"):
        pl[5]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an "
                                        "iterable, but got Tensor"):
        pl.extend(gradgpu.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    first = pl[0]
    pl.double()
    assert pl[0] is first and pl[0].dtype == gradgpu.float64


# ---- ParameterDict ------------------------------------------------------------------------
def _pdict():
    return nn.ParameterDict({"b": nn.Parameter(gradgpu.ones(2)), "a": gradgpu.zeros(3),
                             "c": "s"})


def test_parameter_dict_plain_dict_is_sorted_and_wrapped():
    pd = _pdict()
    assert list(pd) == ["a", "b", "c"]  # torch sorts a plain dict's keys
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"]
    assert type(pd["a"]) is nn.Parameter and pd["c"] == "s"
    assert list(nn.ParameterDict(OrderedDict([("b", gradgpu.ones(1)),
                                              ("a", gradgpu.ones(1))]))) == ["b", "a"]
    assert list(nn.ParameterDict([("b", gradgpu.ones(1)), ("a", gradgpu.ones(1))])) == ["b", "a"]


def test_parameter_dict_repr():
    assert repr(_pdict()) == (
        "ParameterDict(\n"
        "    (a): Parameter containing: [gradgpu.FloatTensor of size 3]\n"
        "    (b): Parameter containing: [gradgpu.FloatTensor of size 2]\n"
        "    (c): Object of type: str\n)"
    )


def test_parameter_dict_methods():
    pd = _pdict()
    assert pd.get("z", 3) == 3 and "a" in pd and "z" not in pd
    k, v = pd.popitem()
    assert (k, v) == ("c", "s") and list(pd) == ["a", "b"]
    assert type(pd.pop("b")).__name__ == "Parameter" and list(pd) == ["a"]
    assert [n for n, _ in pd.named_parameters()] == ["a"]
    assert type(pd.setdefault("z", gradgpu.ones(1))) is nn.Parameter
    c = pd.copy()
    assert list(c) == ["a", "z"] and c["a"] is pd["a"]
    both = pd | nn.ParameterDict({"q": gradgpu.ones(1)})
    assert list(both) == ["a", "z", "q"]
    assert list(reversed(pd)) == ["z", "a"]
    pd.clear()
    assert len(pd) == 0 and list(pd.state_dict()) == []
    with pytest.raises(KeyError):
        pd.popitem()
    with pytest.raises(TypeError, match="not a string \\(type is 'int'\\)"):
        pd[1] = gradgpu.ones(1)
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        pd.update([("a", 1, 2)])
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        pd(1)


# ---- nn.init.dirac_ / sparse_ ---------------------------------------------------------------
def test_dirac_values():
    w = nn.init.dirac_(gradgpu.empty(2, 3, 3))
    assert w.tolist() == [[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                          [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]
    g = nn.init.dirac_(gradgpu.empty(4, 2, 3, 2), groups=2)
    assert [tuple(i) for i in np.argwhere(g.numpy())] == [(0, 0, 1, 1), (1, 1, 1, 1),
                                                          (2, 0, 1, 1), (3, 1, 1, 1)]
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    nn.init.dirac_(conv.weight)
    x = gradgpu.arange(27.0).reshape(1, 3, 3, 3)
    assert conv(x).tolist() == x.tolist()
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        nn.init.dirac_(gradgpu.empty(2, 3))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        nn.init.dirac_(gradgpu.empty(3, 3, 3), groups=2)


def test_sparse_zeros_per_column():
    gradgpu.manual_seed(0)
    w = nn.init.sparse_(gradgpu.empty(10, 40), 0.3, std=2.0)
    assert set((w == 0).sum(0).tolist()) == {3}  # ceil(0.3 * 10) per column
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        nn.init.sparse_(gradgpu.empty(3), 0.1)


# ---- WeightedRandomSampler -----------------------------------------------------------------
def test_weighted_random_sampler():
    gradgpu.manual_seed(0)
    s = data.WeightedRandomSampler([0.1, 0.0, 0.9], 20000)
    drawn = list(s)
    assert len(s) == 20000 and len(drawn) == 20000
    assert drawn.count(1) == 0 and abs(drawn.count(2) / 20000 - 0.9) < 0.02
    assert sorted(data.WeightedRandomSampler([1, 2, 3, 4], 4, replacement=False)) == [0, 1, 2, 3]
    assert data.WeightedRandomSampler([1, 2], 1).weights.dtype == gradgpu.float64
    g1, g2 = gradgpu.Generator().manual_seed(3), gradgpu.Generator().manual_seed(3)
    assert (list(data.WeightedRandomSampler([1, 2, 3], 10, generator=g1))
            == list(data.WeightedRandomSampler([1, 2, 3], 10, generator=g2)))
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but "
                                         "got num_samples=0"):
        data.WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        data.WeightedRandomSampler([1.0], 1, replacement=1)
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        data.WeightedRandomSampler([[1.0]], 1)
