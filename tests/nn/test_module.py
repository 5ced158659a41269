"""nn.Module semantics: registration, iteration, state dicts, modes, hooks, repr, conversions."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import gradgpu
from gradgpu import nn


class Leaf(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.w = nn.Parameter(gradgpu.arange(float(n)))
        self.register_buffer("running", gradgpu.zeros(n))
        self.register_buffer("scratch", gradgpu.ones(1), persistent=False)

    def forward(self, x):
        return x * self.w


class Tree(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Leaf()
        self.b = Leaf()
        self.b.w = self.a.w  # tied
        self.head = nn.Linear(3, 2)

    def forward(self, x):
        return self.head(self.b(self.a(x)))


# ---- registration ---------------------------------------------------------------------------
def test_attribute_registration_goes_to_the_right_registry():
    m = Leaf()
    assert list(m._parameters) == ["w"]
    assert list(m._buffers) == ["running", "scratch"]
    assert m._non_persistent_buffers_set == {"scratch"}
    m.sub = nn.ReLU()
    m.plain = 5
    assert "sub" in m._modules and "plain" not in m._modules and m.plain == 5
    assert m.sub is m._modules["sub"] and m.w is m._parameters["w"]
    # reassigning a name to another kind moves it between registries
    m.sub = nn.Parameter(gradgpu.zeros(2))
    assert "sub" not in m._modules and "sub" in m._parameters
    del m.sub
    assert "sub" not in m._parameters
    with pytest.raises(AttributeError, match="'Leaf' object has no attribute 'sub'"):
        _ = m.sub


def test_assigning_wrong_types_to_registered_names_raises():
    m = Leaf()
    with pytest.raises(TypeError, match="cannot assign .* as parameter 'w'"):
        m.w = gradgpu.zeros(3)
    with pytest.raises(TypeError, match="cannot assign .* as buffer 'running'"):
        m.running = 3.0
    m.running = gradgpu.ones(3)  # a tensor keeps it a buffer
    assert m.running is m._buffers["running"]
    m.w = None
    assert m._parameters["w"] is None and list(m.parameters()) == []


def test_register_errors():
    m = Leaf()
    with pytest.raises(KeyError, match="attribute 'w' already exists"):
        m.register_buffer("w", gradgpu.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", nn.Parameter(gradgpu.zeros(1)))
    with pytest.raises(KeyError, match="empty string"):
        m.add_module("", nn.ReLU())
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="parameter 'p'"):
        m.register_parameter("p", gradgpu.zeros(1))
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("q", _nonleaf())

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gradgpu.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def _nonleaf():
    x = nn.Parameter(gradgpu.zeros(2))
    p = nn.Parameter(gradgpu.zeros(2))
    p._grad_fn = (x * 2).grad_fn  # a Parameter carrying history: not a valid parameter
    return p


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required '
                                                  r'"forward" function'):
        nn.Module()(1)


# ---- iteration ------------------------------------------------------------------------------
def test_tied_parameters_appear_once():
    t = Tree()
    names = [n for n, _ in t.named_parameters()]
    assert names == ["a.w", "head.weight", "head.bias"]
    assert len(list(t.parameters())) == 3
    all_names = [n for n, _ in t.named_parameters(remove_duplicate=False)]
    assert all_names == ["a.w", "b.w", "head.weight", "head.bias"]
    assert [n for n, _ in t.named_parameters(prefix="model")][0] == "model.a.w"
    assert list(t.parameters(recurse=False)) == []


def test_buffers_children_modules():
    t = Tree()
    assert [n for n, _ in t.named_buffers()] == ["a.running", "a.scratch", "b.running",
                                                 "b.scratch"]
    assert [n for n, _ in t.named_children()] == ["a", "b", "head"]
    assert [n for n, _ in t.named_modules()] == ["", "a", "b", "head"]
    assert list(t.modules())[0] is t
    shared = nn.ReLU()
    s = nn.Sequential(shared, shared)
    assert len(list(s.children())) == 1 and len(list(s.modules())) == 2
    assert len(list(s.named_modules(remove_duplicate=False))) == 3


def test_get_submodule_and_parameter():
    t = Tree()
    assert t.get_submodule("a") is t.a and t.get_submodule("") is t
    assert t.get_parameter("head.weight") is t.head.weight
    assert t.get_buffer("a.running") is t.a.running
    with pytest.raises(AttributeError, match="has no attribute `zz`"):
        t.get_submodule("a.zz")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        t.get_parameter("a.running")


# ---- modes ---------------------------------------------------------------------------------
def test_train_eval_propagate():
    t = Tree()
    assert all(m.training for m in t.modules())
    assert t.eval() is t
    assert not any(m.training for m in t.modules())
    t.train()
    assert all(m.training for m in t.modules())
    with pytest.raises(ValueError, match="boolean"):
        t.train("no")


def test_requires_grad_and_zero_grad():
    t = Tree()
    t(gradgpu.ones(1, 3)).sum().backward()
    assert all(p.grad is not None for p in t.parameters())
    t.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0.0 for p in t.parameters())
    t.zero_grad()
    assert all(p.grad is None for p in t.parameters())
    t.requires_grad_(False)
    assert not any(p.requires_grad for p in t.parameters())


def test_apply_visits_children_first():
    t = Tree()
    seen = []
    assert t.apply(lambda m: seen.append(type(m).__name__)) is t
    assert seen == ["Leaf", "Leaf", "Linear", "Tree"]


# ---- state dict ------------------------------------------------------------------------------
def test_state_dict_keys_order_and_detached():
    t = Tree()
    sd = t.state_dict()
    assert isinstance(sd, OrderedDict)
    # parameters then persistent buffers per module; tied parameters keep both names
    assert list(sd) == ["a.w", "a.running", "b.w", "b.running", "head.weight", "head.bias"]
    assert not sd["a.w"].requires_grad and not isinstance(sd["a.w"], nn.Parameter)
    sd["a.w"][0] = 42.0  # shares memory with the parameter
    assert t.a.w[0].item() == 42.0
    assert t.state_dict(keep_vars=True)["a.w"] is t.a.w
    assert list(t.state_dict(prefix="m."))[0] == "m.a.w"


def test_state_dict_round_trip():
    src, dst = Tree(), Tree()
    with gradgpu.no_grad():
        src.a.running.fill_(7.0)
    w_before = dst.head.weight
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert dst.head.weight is w_before  # copied in place
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    assert dst.head.weight.requires_grad


def test_load_state_dict_strict_errors():
    t = Tree()
    sd = t.state_dict()
    del sd["head.bias"]
    sd["head.extra"] = gradgpu.zeros(1)
    with pytest.raises(RuntimeError) as info:
        t.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Tree:")
    assert 'Missing key(s) in state_dict: "head.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "head.extra"' in msg
    result = t.load_state_dict(sd, strict=False)
    assert result == (["head.bias"], ["head.extra"])
    sd = t.state_dict()
    sd["head.weight"] = gradgpu.zeros(3, 3)
    with pytest.raises(RuntimeError, match=r"size mismatch for head.weight: copying a param "
                                           r"with shape .*\[3, 3\].*current model is .*\[2, 3\]"):
        t.load_state_dict(sd, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        t.load_state_dict([1, 2])


def test_load_state_dict_assign():
    t = Leaf()
    new = gradgpu.full((3,), 5.0)
    t.load_state_dict({"w": new, "running": gradgpu.ones(3)}, assign=True)
    assert isinstance(t.w, nn.Parameter) and t.w.requires_grad
    assert t.w.data_ptr() == new.data_ptr()


def test_non_persistent_buffer_not_in_state_dict():
    assert "scratch" not in Leaf().state_dict()


# ---- hooks -----------------------------------------------------------------------------------
def test_forward_pre_hook_and_hook_modify_values():
    m = Leaf()
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 10)
    h3 = m.register_forward_hook(lambda mod, args, out: calls.append(args[0].tolist()))
    x = gradgpu.ones(3)
    assert m(x).tolist() == [0.0, 20.0, 40.0]  # (1 + 1) * w * 10
    assert calls == [[2.0, 2.0, 2.0]]  # hooks see the modified inputs
    h1.remove()
    h2.remove()
    h3.remove()
    assert m(x).tolist() == [0.0, 1.0, 2.0]
    h = m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 3,), kwargs),
                                    with_kwargs=True)
    assert m(x).tolist() == [0.0, 3.0, 6.0]
    h.remove()
    order = []
    m.register_forward_hook(lambda *a: order.append("first"))
    m.register_forward_hook(lambda *a: order.append("prepended"), prepend=True)
    m(x)
    assert order == ["prepended", "first"]


def test_bad_kwargs_pre_hook_result():
    m = Leaf()
    m.register_forward_pre_hook(lambda mod, a, k: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m(gradgpu.ones(3))


# ---- repr / dir ------------------------------------------------------------------------------
def test_repr_nested():
    m = nn.Sequential(nn.Linear(4, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1, bias=False)))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=3, out_features=1, bias=False)\n"
        "  )\n"
        ")"
    )

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Identity()

        def extra_repr(self):
            return "k=1"

    assert repr(WithExtra()) == "WithExtra(\n  k=1\n  (inner): Identity()\n)"


def test_dir_lists_registered_names():
    d = dir(Tree())
    assert {"a", "b", "head", "forward", "training"} <= set(d)
    assert "w" in dir(Leaf()) and "running" in dir(Leaf())
    assert "0" not in dir(nn.Sequential(nn.ReLU()))


# ---- conversions -----------------------------------------------------------------------------
def test_to_dtype_keeps_parameter_identity_and_moves_grads():
    t = Tree()
    t(gradgpu.ones(1, 3)).sum().backward()
    params = list(t.parameters())
    assert t.double() is t
    assert [id(p) for p in t.parameters()] == [id(p) for p in params]
    assert all(p.dtype is gradgpu.float64 and p.grad.dtype is gradgpu.float64 for p in params)
    assert t.a.running.dtype is gradgpu.float64
    t.to(gradgpu.float32)
    assert all(p.dtype is gradgpu.float32 for p in params)
    t.half()
    assert t.head.weight.dtype is gradgpu.float16
    t.float().to("cpu").cpu()
    assert t.head.weight.device.type == "cpu" and t.head.weight.dtype is gradgpu.float32
    t.to(gradgpu.zeros(1, dtype=gradgpu.float64))
    assert t.head.weight.dtype is gradgpu.float64


def test_to_leaves_integer_buffers_and_rejects_integer_dtypes():
    m = nn.Module()
    m.register_buffer("count", gradgpu.tensor([1, 2]))
    m.double()
    assert m.count.dtype is gradgpu.int64
    with pytest.raises(TypeError, match="only accepts floating point"):
        m.to(gradgpu.int32)


def test_deepcopy_and_pickle_keep_ties():
    t = Tree()
    for clone in (copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert clone.a.w is clone.b.w and clone.a.w is not t.a.w
        assert isinstance(clone.a.w, nn.Parameter) and clone.a.w.requires_grad
        np.testing.assert_array_equal(clone.head.weight.detach().numpy(),
                                      t.head.weight.detach().numpy())
        assert clone.a._non_persistent_buffers_set == {"scratch"}
        x = gradgpu.ones(2, 3)
        np.testing.assert_allclose(clone(x).detach().numpy(), t(x).detach().numpy())


def test_always_call_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    seen = []
    h = m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("not always"))
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert seen == [None]
    h.remove()
    assert h.id not in m._forward_hooks_always_called


def test_cuda_without_gpu_raises_clearly():
    from gradgpu.backend import cuda

    if cuda.unavailable_reason() is None:
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError):
        nn.Linear(2, 2).cuda()
    with pytest.raises(RuntimeError):
        nn.Linear(2, 2).to("cuda")
