"""Handles of registered hooks (tensors, modules, optimizers): ``remove()`` unregisters one."""

from __future__ import annotations

import weakref


class _RemovableHandle:
    """Returned by register_hook; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks_ref = weakref.ref(hooks) if hooks is not None else None
        _RemovableHandle._next_id += 1
        self.id = _RemovableHandle._next_id

    def remove(self) -> None:
        hooks = self._hooks_ref() if self._hooks_ref is not None else None
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(dict):
    """A dict that can be weakly referenced (by hook handles)."""
