"""Thread-local grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode."""

from __future__ import annotations

import functools
import threading


class _GradState(threading.local):
    # Class attributes are the defaults every new thread starts with.
    enabled = True
    inference = False


_state = _GradState()


def is_grad_enabled() -> bool:
    """Whether ops record a graph in this thread."""
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode()``."""
    return _state.inference


class _GradModeContext:
    """Base for the grad-mode context managers; each also works as a decorator."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return fn(*args, **kwargs)

        return wrapper

    _args: tuple = ()

    def __enter__(self):
        self._prev = (_state.enabled, _state.inference)
        self._set()
        return self

    def __exit__(self, *exc):
        _state.enabled, _state.inference = self._prev
        return False


class no_grad(_GradModeContext):
    """Context manager / decorator that disables graph recording in this thread."""

    def _set(self):
        _state.enabled = False


class enable_grad(_GradModeContext):
    """Context manager / decorator that enables graph recording in this thread."""

    def _set(self):
        _state.enabled = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; takes effect at once, and as a context manager it restores."""

    def __init__(self, mode: bool) -> None:
        self._args = (mode,)
        self._mode = bool(mode)
        self._prev = (_state.enabled, _state.inference)
        _state.enabled = self._mode

    def __enter__(self):
        return self  # the mode was already set by __init__; __exit__ restores _prev

    def __call__(self, fn):
        # Used as a decorator: undo the eager switch made by __init__.
        _state.enabled, _state.inference = self._prev
        return super().__call__(fn)

    def _set(self):
        _state.enabled = self._mode


class inference_mode(_GradModeContext):
    """Like no_grad (no graph is recorded); ``inference_mode(False)`` is a no-op, as in PyTorch."""

    def __init__(self, mode: bool = True) -> None:
        self._args = (mode,)
        self._mode = bool(mode)

    def __call__(self, fn=None):
        if isinstance(fn, bool):  # @inference_mode(False) used as a decorator factory
            return inference_mode(fn)
        return super().__call__(fn)

    def _set(self):
        if self._mode:
            _state.enabled = False
            _state.inference = True
