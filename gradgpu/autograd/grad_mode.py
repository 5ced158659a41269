"""Thread-local grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode.

``_state.enabled`` is what every op reads: whether to record a graph. It is the user's grad
mode, except inside ``inference_mode`` where nothing is recorded even under ``enable_grad``
(PyTorch's rule); ``_state.requested`` remembers that grad mode was asked for there, so that
``is_grad_enabled()`` still answers as PyTorch does.
"""

from __future__ import annotations

import functools
import inspect
import threading


class _GradState(threading.local):
    # Class attributes are the defaults every new thread starts with.
    enabled = True  # record a graph (read by Function.apply)
    inference = False  # inside inference_mode()
    requested = False  # grad mode asked for inside inference_mode (recording stays off)


_state = _GradState()


def is_grad_enabled() -> bool:
    """Whether grad mode is on in this thread."""
    return _state.enabled or _state.requested


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode()``."""
    return _state.inference


def _set_grad_mode(mode: bool) -> None:
    if _state.inference:
        _state.requested = mode
    else:
        _state.enabled = mode


class _GradModeContext:
    """Base for the grad-mode context managers; each also works as a decorator (of functions
    and of generator functions, whose body then runs in the mode between every ``yield``)."""

    _args: tuple = ()

    def _clone(self):
        return self.__class__(*self._args)

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with self._clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self._clone():
                            gen.close()
                        raise
                    except BaseException as exc:  # forward throw() into the wrapped generator
                        with self._clone():
                            response = gen.throw(exc)
                    else:
                        with self._clone():
                            response = gen.send(request)
            except StopIteration as stop:  # the wrapped generator returned
                return stop.value

        return wrapper

    def __enter__(self):
        self._prev = (_state.enabled, _state.inference, _state.requested)
        self._set()
        return self

    def __exit__(self, *exc):
        _state.enabled, _state.inference, _state.requested = self._prev
        return False

    def _set(self) -> None:
        raise NotImplementedError


class _NoArgContext(_GradModeContext):
    """A context manager without arguments, usable as ``@ctx()`` and as a bare ``@ctx``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoArgContext):
    """Context manager / decorator that disables graph recording in this thread."""

    def _set(self):
        _set_grad_mode(False)


class enable_grad(_NoArgContext):
    """Context manager / decorator that enables graph recording in this thread (except inside
    ``inference_mode``, where nothing is recorded)."""

    def _set(self):
        _set_grad_mode(True)


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; takes effect at once, and as a context manager it restores."""

    def __init__(self, mode: bool) -> None:
        self._args = (mode,)
        self._mode = bool(mode)
        self._prev = (_state.enabled, _state.inference, _state.requested)
        _set_grad_mode(self._mode)

    def __enter__(self):
        return self  # the mode was already set by __init__; __exit__ restores _prev

    def __call__(self, fn):
        # Used as a decorator: undo the eager switch made by __init__.
        _state.enabled, _state.inference, _state.requested = self._prev
        return super().__call__(fn)

    def _clone(self):
        # A fresh set_grad_enabled switches at construction; __enter__ is then a no-op.
        return set_grad_enabled(self._mode)

    def _set(self):
        _set_grad_mode(self._mode)

    def __repr__(self) -> str:
        return f"gradgpu.set_grad_enabled(mode={self._mode})"


class inference_mode(_GradModeContext):
    """Like no_grad, for inference: nothing is recorded, even under ``enable_grad``.

    ``inference_mode(False)`` leaves inference mode and turns grad mode on, as in PyTorch.
    Usable as ``@inference_mode``, ``@inference_mode()`` and ``@inference_mode(False)``.
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare decorator: ``mode`` is the decorated function

    def __init__(self, mode: bool = True) -> None:
        self._args = (mode,)
        self._mode = mode

    def _set(self):
        _state.inference = self._mode
        _state.enabled = not self._mode
        _state.requested = False
