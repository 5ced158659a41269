"""``Module``'s hooks: registering forward (pre-)hooks and full backward (pre-)hooks
(``RemovableHandle``) and running them around ``forward`` in ``__call__`` (the backward side is
in ``_module_backward_hooks``).

``ModuleHooks`` is a mixin of ``nn.Module`` (see ``module.py``); it exports nothing.
"""

from __future__ import annotations

import itertools
import warnings
import weakref
from collections import OrderedDict

from . import _global_hooks
from ._module_backward_hooks import _CallHooks

__all__ = []


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook.

    The handle holds weak references to the hook dicts, so a handle kept around does not keep
    its module alive. ``extra_dict``: dicts of flags keyed by the same id (with_kwargs...).
    """

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        if extra_dict is None:
            extra_dict = ()
        elif isinstance(extra_dict, dict):
            extra_dict = (extra_dict,)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        extra = tuple(ref() for ref in self.extra_dict_ref)
        return (self.hooks_dict_ref(), self.id, extra)

    def __setstate__(self, state) -> None:
        hooks, self.id, extra = state
        self.hooks_dict_ref = weakref.ref(hooks if hooks is not None else OrderedDict())
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra if d is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class ModuleHooks:
    """Mixin of ``Module``: ``__call__`` with hook dispatch and the ``register_*_hook`` methods."""

    def __call__(self, *args, **kwargs):
        """Run forward pre-hooks, ``forward``, then forward hooks (each may replace values);
        the global hooks (``_global_hooks``) before the module's own."""
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
                or self._backward_pre_hooks or _global_hooks.any_set()):
            return self.forward(*args, **kwargs)
        pre_hooks = _global_hooks.merged(_global_hooks.forward_pre_hooks, self._forward_pre_hooks)
        for hook_id, hook in list(pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {result}."
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hooks = None
        full_hooks = _global_hooks.merged(_global_hooks.backward_hooks, self._backward_hooks)
        full_pre_hooks = _global_hooks.merged(_global_hooks.backward_pre_hooks,
                                              self._backward_pre_hooks)
        if full_hooks or full_pre_hooks:
            backward_hooks = _CallHooks(self, full_hooks, full_pre_hooks)
            args = backward_hooks.wrap_inputs(args)
        forward_hooks = _global_hooks.merged(_global_hooks.forward_hooks, self._forward_hooks)
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            self._run_always_called_hooks(forward_hooks, args, kwargs)
            raise
        for hook_id, hook in list(forward_hooks.items()):
            if hook_id in self._forward_hooks_with_kwargs \
                    or hook_id in _global_hooks.forward_hooks_with_kwargs:
                result = hook(self, args, kwargs, output)
            else:
                result = hook(self, args, output)
            if result is not None:
                output = result
        if backward_hooks is not None:
            output = backward_hooks.wrap_outputs(output)
        return output

    def _run_always_called_hooks(self, forward_hooks, args, kwargs) -> None:
        """After forward raised: run the ``always_call`` forward hooks (output None); their own
        errors are reported as warnings so that forward's error is the one raised."""
        for hook_id, hook in list(forward_hooks.items()):
            if hook_id not in self._forward_hooks_always_called \
                    and hook_id not in _global_hooks.forward_hooks_always_called:
                continue
            try:
                if hook_id in self._forward_hooks_with_kwargs \
                        or hook_id in _global_hooks.forward_hooks_with_kwargs:
                    hook(self, args, kwargs, None)
                else:
                    hook(self, args, None)
            except Exception as e:  # noqa: BLE001 - forward's exception wins
                warnings.warn("forward hook with ``always_call=True`` raised an exception that "
                              f"was silenced as another error was raised in forward: {e}",
                              stacklevel=3)

    # ---- hooks --------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before forward (``hook(module, args, kwargs)`` with
        ``with_kwargs``); a returned value replaces the inputs."""
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after forward (``hook(module, args, kwargs,
        output)`` with ``with_kwargs``); a returned value replaces the output."""
        handle = RemovableHandle(self._forward_hooks, extra_dict=(
            self._forward_hooks_with_kwargs, self._forward_hooks_always_called))
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients w.r.t. the module's outputs are
        known, before those w.r.t. its inputs are computed; a returned tuple replaces
        ``grad_output``."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients w.r.t. the module's
        positional inputs have been computed (None for non-tensor inputs and inputs that need
        none); a returned tuple replaces ``grad_input``."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook):
        """PyTorch's deprecated non-full backward hook (it reports the gradients of the last
        operation inside the module, not of the module): not supported."""
        raise NotImplementedError(
            f"{type(self).__name__}.register_backward_hook (deprecated in PyTorch) is not "
            "supported: use register_full_backward_hook")
