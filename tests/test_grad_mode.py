"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode — as context managers,
decorators (also of generator functions) and, for set_grad_enabled, a plain call; thread-local.
Behaviour checked against torch 2.x."""

from __future__ import annotations

import threading

import pytest

import gradgpu
from gradgpu import autograd


def _records(x):
    return (x * 2).requires_grad


@pytest.fixture
def x():
    return gradgpu.ones(2, requires_grad=True)


def test_no_grad_context_and_restore_on_exception(x):
    with gradgpu.no_grad():
        assert not gradgpu.is_grad_enabled() and not _records(x)
        y = x * 2
    assert y.grad_fn is None and y.is_leaf
    assert gradgpu.is_grad_enabled() and _records(x)
    with pytest.raises(ValueError), gradgpu.no_grad():
        raise ValueError
    assert gradgpu.is_grad_enabled()


def test_no_grad_decorator_with_and_without_parentheses(x):
    @gradgpu.no_grad()
    def f():
        return _records(x), gradgpu.is_grad_enabled()

    @gradgpu.no_grad
    def g():
        return _records(x)

    assert f() == (False, False) and g() is False
    assert f.__name__ == "f"
    assert gradgpu.is_grad_enabled()


def test_enable_grad_inside_no_grad(x):
    with gradgpu.no_grad():
        with gradgpu.enable_grad():
            assert _records(x) and gradgpu.is_grad_enabled()
        assert not _records(x)

    @gradgpu.enable_grad
    def f():
        return _records(x)

    with gradgpu.no_grad():
        assert f() is True
        assert not gradgpu.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator(x):
    gradgpu.set_grad_enabled(False)
    assert not gradgpu.is_grad_enabled() and not _records(x)
    gradgpu.set_grad_enabled(True)
    assert _records(x)

    with gradgpu.set_grad_enabled(False):
        assert not _records(x)
    assert _records(x)
    with gradgpu.no_grad(), gradgpu.set_grad_enabled(True):
        assert _records(x)

    @gradgpu.set_grad_enabled(False)
    def f():
        return _records(x)

    assert gradgpu.is_grad_enabled()  # decorating does not switch the mode
    assert f() is False and gradgpu.is_grad_enabled()


def test_set_grad_enabled_object_restores_mode_from_construction():
    mode = gradgpu.set_grad_enabled(False)
    assert not gradgpu.is_grad_enabled()
    with mode:
        pass
    assert gradgpu.is_grad_enabled()


def test_inference_mode(x):
    with gradgpu.inference_mode():
        assert gradgpu.is_inference_mode_enabled() and not gradgpu.is_grad_enabled()
        assert not _records(x)
        with gradgpu.enable_grad():  # nothing is recorded in inference mode, as in torch
            assert gradgpu.is_grad_enabled() and not _records(x)
        with gradgpu.inference_mode(False):  # leaves inference mode and enables grad
            assert not gradgpu.is_inference_mode_enabled() and _records(x)
        assert gradgpu.is_inference_mode_enabled()
    assert not gradgpu.is_inference_mode_enabled() and _records(x)
    with gradgpu.no_grad(), gradgpu.inference_mode(False):
        assert gradgpu.is_grad_enabled()


def test_inference_mode_decorators(x):
    @gradgpu.inference_mode
    def bare():
        return _records(x), gradgpu.is_inference_mode_enabled()

    @gradgpu.inference_mode()
    def called():
        return _records(x), gradgpu.is_inference_mode_enabled()

    @gradgpu.inference_mode(False)
    def off():
        return _records(x), gradgpu.is_inference_mode_enabled()

    assert bare() == (False, True) and called() == (False, True)
    with gradgpu.inference_mode():
        assert off() == (True, False)
    assert autograd.inference_mode is gradgpu.inference_mode


def test_decorated_generator_runs_in_the_mode_between_yields(x):
    @gradgpu.no_grad()
    def gen():
        yield gradgpu.is_grad_enabled()
        received = yield _records(x)
        yield received
        return "done"

    it = gen()
    assert next(it) is False
    assert gradgpu.is_grad_enabled()  # the caller's mode between steps
    assert next(it) is False
    assert it.send(41) == 41
    with pytest.raises(StopIteration) as stop:
        next(it)
    assert stop.value.value == "done"


def test_grad_mode_is_thread_local(x):
    seen = {}

    def worker():
        seen["enabled"] = gradgpu.is_grad_enabled()
        seen["records"] = _records(x)
        with gradgpu.no_grad():
            barrier.wait()  # main thread checks its own mode while this one is in no_grad
            barrier.wait()

    barrier = threading.Barrier(2)
    with gradgpu.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        barrier.wait()
    assert gradgpu.is_grad_enabled() and _records(x)  # unaffected by the worker's no_grad
    barrier.wait()
    t.join()
    assert seen == {"enabled": True, "records": True}  # new threads start with grad on


def test_backward_runs_without_recording_unless_create_graph():
    seen = []

    class Spy(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x._data.copy()

        @staticmethod
        def backward(ctx, g):
            seen.append(gradgpu.is_grad_enabled())
            return g

    x = gradgpu.ones(2, requires_grad=True)
    Spy.apply(x).sum().backward()
    autograd.grad(Spy.apply(x).sum(), x, create_graph=True)
    assert seen == [False, True]
    assert gradgpu.is_grad_enabled()
