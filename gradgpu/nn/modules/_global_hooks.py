"""Hooks for every module: ``nn.modules.module.register_module_forward_pre_hook``,
``register_module_forward_hook``, ``register_module_full_backward_pre_hook`` and
``register_module_full_backward_hook``, as PyTorch's. They run for every ``Module.__call__``,
before the module's own hooks of the same kind (``_module_hooks.ModuleHooks.__call__``).
"""

from __future__ import annotations

from collections import OrderedDict

# _module_hooks imports this module: its RemovableHandle is read at call time
from . import _module_hooks

forward_pre_hooks: OrderedDict = OrderedDict()
forward_hooks: OrderedDict = OrderedDict()
forward_hooks_with_kwargs: OrderedDict = OrderedDict()
forward_hooks_always_called: OrderedDict = OrderedDict()
backward_pre_hooks: OrderedDict = OrderedDict()
backward_hooks: OrderedDict = OrderedDict()


def any_set() -> bool:
    """Whether any global hook is registered (``Module.__call__``'s fast path checks this)."""
    return bool(forward_pre_hooks or forward_hooks or backward_pre_hooks or backward_hooks)


def register_module_forward_pre_hook(hook) -> _module_hooks.RemovableHandle:
    """Call ``hook(module, args)`` before every module's forward; a returned value replaces the
    inputs (a tuple, or one value)."""
    handle = _module_hooks.RemovableHandle(forward_pre_hooks)
    forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> _module_hooks.RemovableHandle:
    """Call ``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
    ``with_kwargs``) after every module's forward; a returned value replaces the output.
    ``always_call``: also after a forward that raised (output None)."""
    handle = _module_hooks.RemovableHandle(forward_hooks,
                             extra_dict=(forward_hooks_with_kwargs, forward_hooks_always_called))
    forward_hooks[handle.id] = hook
    if with_kwargs:
        forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook) -> _module_hooks.RemovableHandle:
    """Call ``hook(module, grad_output)`` for every module, as its own full backward pre-hooks
    are called; a returned tuple replaces ``grad_output``."""
    handle = _module_hooks.RemovableHandle(backward_pre_hooks)
    backward_pre_hooks[handle.id] = hook
    return handle


def register_module_full_backward_hook(hook) -> _module_hooks.RemovableHandle:
    """Call ``hook(module, grad_input, grad_output)`` for every module, as its own full backward
    hooks are called; a returned tuple replaces ``grad_input``."""
    handle = _module_hooks.RemovableHandle(backward_hooks)
    backward_hooks[handle.id] = hook
    return handle


def merged(global_hooks: OrderedDict, own: OrderedDict) -> OrderedDict:
    """The global hooks then the module's own, one dict (ids never collide: one counter)."""
    if not global_hooks:
        return own
    out = OrderedDict(global_hooks)
    out.update(own)
    return out
