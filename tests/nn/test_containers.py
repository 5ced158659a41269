"""Sequential, ModuleList and ModuleDict."""

from __future__ import annotations

from collections import OrderedDict

import pytest

import gradgpu
from gradgpu import nn


def _layers(n):
    return [nn.Linear(i + 1, i + 2) for i in range(n)]


def test_sequential_indexing_slicing_len_iter():
    a, b, c = _layers(3)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert list(sub._modules) == ["1", "2"]  # slicing keeps the names
    with pytest.raises(IndexError, match="index 3 is out of range"):
        s[3]
    r = nn.ReLU()
    s[1] = r
    assert s[1] is r and s._modules["1"] is r
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[0] is r  # renumbered
    s.append(a)
    assert s[2] is a and len(s) == 3
    s.insert(0, b)
    assert list(s) == [b, r, c, a] and list(s._modules) == ["0", "1", "2", "3"]
    assert s.pop(1) is r and len(s) == 3
    s.extend([r])
    assert s[-1] is r
    assert len(s + nn.Sequential(r)) == 5


def test_sequential_from_ordered_dict_runs_in_order():
    s = nn.Sequential(OrderedDict([("scale", _Scale(2.0)), ("shift", _Shift(1.0))]))
    assert list(s._modules) == ["scale", "shift"] and s.scale.k == 2.0
    assert s(gradgpu.tensor([1.0, 3.0])).tolist() == [3.0, 7.0]  # (x * 2) + 1, not (x + 1) * 2


class _Scale(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x * self.k


class _Shift(_Scale):
    def forward(self, x):
        return x + self.k


def test_module_list():
    a, b, c = _layers(3)
    ml = nn.ModuleList([a, b])
    assert len(ml) == 2 and ml[0] is a and ml[-1] is b
    ml.append(c)
    ml.extend([nn.ReLU()])
    assert len(ml) == 4 and [n for n, _ in ml.named_children()] == ["0", "1", "2", "3"]
    ml.insert(1, nn.Tanh())
    assert isinstance(ml[1], nn.Tanh) and ml[2] is b and len(ml) == 5
    assert list(ml[1:3]) == [ml[1], b]
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"] and ml[1] is b
    ml += [nn.Sigmoid()]
    assert isinstance(ml[-1], nn.Sigmoid)
    assert ml.pop(0).__class__ is nn.Tanh
    assert len(list(ml.parameters())) == 4  # b and c
    with pytest.raises(TypeError, match="iterable"):
        ml.extend(3)
    with pytest.raises(IndexError):
        ml[10]


def test_module_list_repr_compresses_repeats():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    assert repr(ml) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3): ReLU()\n"
        ")"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_module_dict():
    d = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(1, 1)})
    assert list(d) == ["a", "b"] and len(d) == 2 and "a" in d
    d["c"] = nn.Tanh()
    assert list(d.keys()) == ["a", "b", "c"] and isinstance(d.c, nn.Tanh)
    d.update([("e", nn.Sigmoid())])
    assert isinstance(d.pop("e"), nn.Sigmoid) and "e" not in d
    assert [type(v).__name__ for v in d.values()] == ["ReLU", "Linear", "Tanh"]
    assert len(list(d.parameters())) == 2
    with pytest.raises(ValueError, match="has length 3"):
        d.update([("x", nn.ReLU(), 1)])
    d.clear()
    assert len(d) == 0


def test_containers_state_dict_keys():
    m = nn.Sequential(nn.Linear(2, 2), nn.ModuleList([nn.Linear(2, 1)]),
                      nn.ModuleDict({"h": nn.Linear(1, 1, bias=False)}))
    assert list(m.state_dict()) == ["0.weight", "0.bias", "1.0.weight", "1.0.bias",
                                    "2.h.weight"]
