"""The backward scheduler: iterative, dependency-counted, frees what it has used, and leaves no
reference cycles (graphs die by reference counting alone)."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

import gradgpu
from gradgpu import autograd
from gradgpu.autograd import Function


def _leaf(values, dtype=None):
    return gradgpu.tensor(values, dtype=dtype, requires_grad=True)


class Counted(Function):
    """y = x;  dx = g — records each backward call (name, incoming gradient) in ``log``."""

    log: list = []

    @staticmethod
    def forward(ctx, x, name):
        ctx.name = name
        return x._data.copy()

    @staticmethod
    def backward(ctx, g):
        Counted.log.append((ctx.name, g.tolist()))
        return g * 1, None


@pytest.fixture(autouse=True)
def _clear_log():
    Counted.log = []
    yield
    Counted.log = []


@pytest.fixture
def no_gc():
    """Only reference counting may free objects while the test runs."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ---- iterative scheduling -------------------------------------------------------------------
def test_long_chain_backprops_without_recursion_error(no_gc):
    # gc off: the collector's passes over 100k live nodes are not what this test measures,
    # and the chain must then be freed by reference counting alone
    n = 100_000
    assert n > sys.getrecursionlimit() * 10
    x = _leaf(1.0, dtype=gradgpu.float64)
    y = x
    for i in range(n):
        y = y * 1.0
        if i == n // 2:
            middle = weakref.ref(y.grad_fn)
    y.backward()
    assert x.grad.item() == 1.0
    assert middle() is not None
    del y  # tearing the chain down must not recurse either
    assert middle() is None


def test_diamond_runs_each_node_once_after_summing_its_gradients():
    x = _leaf([1.0, 2.0])
    a = Counted.apply(x, "a")
    b = Counted.apply(a * 2, "b")
    c = Counted.apply(a * 3, "c")
    (b + c).sum().backward()
    names = [name for name, _ in Counted.log]
    assert sorted(names) == ["a", "b", "c"]  # each node ran exactly once
    assert names[-1] == "a"  # a ran only after both of its consumers
    assert dict(Counted.log)["a"] == [5.0, 5.0]  # the summed gradient 2 + 3
    assert x.grad.tolist() == [5.0, 5.0]


def test_deep_diamonds_are_linear_not_exponential():
    depth = 40  # 2**40 paths: any path-by-path traversal would never finish
    x = _leaf(1.0, dtype=gradgpu.float64)
    y = x
    for i in range(depth):
        z = Counted.apply(y, i)
        y = z + z
    y.backward()
    assert len(Counted.log) == depth
    assert x.grad.item() == 2.0 ** depth


def test_shared_input_used_many_times():
    x = _leaf(3.0)
    a = Counted.apply(x, "a")
    (a * a * a).backward()  # d(a^3)/da = 27 at a = 3
    assert Counted.log == [("a", 27.0)]
    assert x.grad.item() == 27.0


def test_several_roots_share_one_pass():
    x = _leaf(2.0)
    a = Counted.apply(x, "a")
    y1, y2 = a * 3, a * a
    autograd.backward([y1, y2])
    assert Counted.log == [("a", 7.0)] and x.grad.item() == 7.0


def test_root_that_feeds_another_root():
    x = _leaf(2.0)
    y = x * 3
    z = y * y
    autograd.backward([y, z], [gradgpu.tensor(1.0), gradgpu.tensor(1.0)])
    assert x.grad.item() == 3.0 + 2 * 6.0 * 3.0


# ---- releasing what has been used -------------------------------------------------------------
class SaveInput(Function):
    """y = 2x;  dx = 2g — saves its input (only to test release)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x._data * 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        assert x is not None
        return g * 2


def test_saved_tensors_are_released_after_backward():
    x = _leaf([1.0, 2.0])
    h = x * 3
    y = SaveInput.apply(h)
    ref = weakref.ref(h)
    del h
    assert ref() is not None  # held by y's node for backward
    y.sum().backward()
    assert ref() is None  # released when the node ran, though y and its graph live on
    assert y.grad_fn is not None
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        _ = y.grad_fn.saved_tensors


def test_retain_graph_keeps_saved_tensors():
    x = _leaf([1.0, 2.0])
    h = x * 3
    y = SaveInput.apply(h)
    ref = weakref.ref(h)
    del h
    y.sum().backward(retain_graph=True)
    assert ref() is not None
    assert y.grad_fn.saved_tensors[0].tolist() == [3.0, 6.0]
    y.sum().backward()
    assert ref() is None and x.grad.tolist() == [12.0, 12.0]


class Probe(Function):
    """y = x;  dx = g — checks that gradients consumed by earlier nodes are already gone."""

    refs: list = []
    leaks: list = []

    @staticmethod
    def forward(ctx, x):
        return x._data.copy()

    @staticmethod
    def backward(ctx, g):
        Probe.leaks.append(sum(r() is not None for r in Probe.refs))
        Probe.refs.append(weakref.ref(g))
        return g * 1


def test_intermediate_gradients_are_dropped_once_consumed(no_gc):
    Probe.refs, Probe.leaks = [], []
    x = _leaf([1.0, 2.0])
    y = x
    for _ in range(6):
        y = Probe.apply(y)
    y.sum().backward()
    assert len(Probe.leaks) == 6
    assert Probe.leaks == [0] * 6  # no earlier node's incoming gradient was still alive
    assert x.grad.tolist() == [1.0, 1.0]


# ---- no reference cycles ----------------------------------------------------------------------
def _graph(x):
    h = x * 2
    y = h.exp()
    z = (y * h).sum()
    return h, y, z


def _refs(*objs):
    return [weakref.ref(o) for o in objs]


def _alive(refs):
    return [r() is not None for r in refs]


def test_graph_dies_when_dropped_without_backward(no_gc):
    x = _leaf([1.0, 2.0])
    h, y, z = _graph(x)
    refs = _refs(h, y, z, h.grad_fn, y.grad_fn, z.grad_fn)
    acc = weakref.ref(h.grad_fn.next_functions[0][0])
    del h, y, z
    assert not any(_alive(refs)) and acc() is None
    assert x.grad is None


def test_graph_dies_when_dropped_after_backward(no_gc):
    x = _leaf([1.0, 2.0])
    h, y, z = _graph(x)
    refs = _refs(h, y, z, h.grad_fn, y.grad_fn, z.grad_fn)
    z.backward()
    del h, y, z
    assert not any(_alive(refs))
    assert x.grad is not None


def test_graph_with_retain_grad_and_hooks_dies(no_gc):
    x = _leaf([1.0, 2.0])
    h, y, z = _graph(x)
    h.retain_grad()
    handle = y.register_hook(lambda g: g * 2)
    x.register_hook(lambda g: g + 1)
    refs = _refs(h, y, z, h.grad_fn, y.grad_fn, z.grad_fn)
    z.backward(retain_graph=True)
    del h, y, z
    assert not any(_alive(refs))
    assert handle is not None


def test_leaf_dies_with_its_graph(no_gc):
    x = _leaf([1.0, 2.0])
    ref = weakref.ref(x)
    y = (x * x).sum()
    y.backward()
    del x
    assert ref() is not None  # the graph's AccumulateGrad holds the leaf, as in torch
    del y
    assert ref() is None


def test_higher_order_graph_dies_when_grads_are_dropped(no_gc):
    x = _leaf([1.0, 2.0])
    h, y, z = _graph(x)
    refs = _refs(h, y, z, h.grad_fn, y.grad_fn, z.grad_fn)
    (g1,) = autograd.grad(z, x, create_graph=True)
    (g2,) = autograd.grad(g1.sum(), x, create_graph=True)
    refs += _refs(g1, g1.grad_fn, g2, g2.grad_fn)
    del h, y, z
    assert _alive(refs[-4:]) == [True] * 4
    del g1, g2
    assert not any(_alive(refs))


def test_backward_create_graph_cycle_is_broken_by_resetting_grad(no_gc):
    x = _leaf([1.0, 2.0])
    h, y, z = _graph(x)
    refs = _refs(h, y, z, h.grad_fn, y.grad_fn, z.grad_fn)
    with pytest.warns(UserWarning, match="reference cycle"):
        z.backward(create_graph=True)
    refs += _refs(x.grad, x.grad.grad_fn)
    del h, y, z
    assert _alive(refs[-2:]) == [True, True]
    x.grad = None
    assert not any(_alive(refs))


def test_custom_function_saving_its_output_leaves_no_cycle(no_gc):
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = gradgpu.Tensor._make(x._data.copy() * 0 + 2.0 ** x._data)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y * 0.6931471805599453

    x = _leaf([1.0, 2.0])
    y = Exp.apply(x)
    refs = _refs(y, y.grad_fn)
    y.sum().backward(retain_graph=True)
    assert x.grad.tolist() == pytest.approx([2 * 0.6931471805599453, 4 * 0.6931471805599453])
    del y
    assert not any(_alive(refs))


def test_first_gradient_is_taken_without_copy_only_when_nobody_else_holds_it():
    import numpy as np

    # one gradient array sent to two leaves: each leaf must get its own array
    a = gradgpu.randn(3, requires_grad=True)
    b = gradgpu.randn(3, requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1)
    np.testing.assert_allclose(b.grad.numpy(), np.ones(3))

    # a user's gradient for a leaf root is never aliased
    c = gradgpu.randn(3, requires_grad=True)
    user = gradgpu.ones(3)
    c.backward(user)
    assert not np.shares_memory(c.grad.numpy(), user.numpy())

    # a gradient a hook kept is not aliased either
    kept = []
    d = gradgpu.randn(3, requires_grad=True)
    d.register_hook(lambda g: kept.append(g))
    (d * 2).sum().backward()
    assert not np.shares_memory(d.grad.numpy(), kept[0].numpy())
    d.grad.zero_()
    np.testing.assert_allclose(kept[0].numpy(), np.full(3, 2.0))

    # accumulation on later calls is in place into the leaf's own array
    e = gradgpu.randn(2, 3, requires_grad=True)
    w = gradgpu.randn(3, 4)
    (e @ w).sum().backward()
    first = e.grad
    (e @ w).sum().backward()
    assert e.grad is first
    np.testing.assert_allclose(first.numpy(), 2 * np.tile(w.numpy().sum(1), (2, 1)), rtol=1e-6)


def test_a_node_reached_by_a_gradient_and_by_a_path_without_one_still_runs():
    # y feeds the used input of F and, through s, an input F gives no gradient: the walk past
    # s's subgraph must not swallow y, which did get a gradient (seen as x.grad = None before)
    class FirstOnly(gradgpu.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return g, None

    x = gradgpu.ones(2, requires_grad=True)
    y = x * 3
    s = y.sum()
    FirstOnly.apply(y, s).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
