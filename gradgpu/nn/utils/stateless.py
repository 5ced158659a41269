"""``functional_call``: run a module with some of its parameters and buffers replaced by given
tensors for one call (``torch.func.functional_call``; ``nn.utils.stateless.functional_call``
is its deprecated alias)."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

from ..modules.module import Module

__all__ = ["functional_call"]


def _tied_names(module: Module) -> dict:
    """name -> every name (itself included) that refers to the same parameter or buffer."""
    groups: dict = {}
    members = list(module.named_parameters(remove_duplicate=False))
    members += list(module.named_buffers(remove_duplicate=False))
    for name, tensor in members:
        groups.setdefault(id(tensor), []).append(name)
    return {name: names for names in groups.values() for name in names}


def _untie(module: Module, values: dict, tie_weights: bool) -> dict:
    if not tie_weights:
        return dict(values)
    tied = _tied_names(module)
    out = dict(values)
    for name, value in values.items():
        for other in tied.get(name, ()):
            if other in values and values[other] is not value:
                keys = sorted(n for n in tied[name] if n in values)
                raise ValueError(f"functional_call got multiple values for keys {keys}, which "
                                 "are tied. Consider using tie_weights=False")
            out[other] = value
    return out


def _owner(module: Module, name: str) -> tuple[Module, str]:
    *path, leaf = name.split(".")
    for part in path:
        if not hasattr(module, part):
            raise AttributeError(f"{module._get_name()} has no attribute `{part}`")
        module = getattr(module, part)
    return module, leaf


@contextmanager
def _reparametrize(module: Module, values: dict):
    """Swap the tensors in for the call, restoring the module's own ones afterwards (even
    when the call raises). A name that is neither a parameter nor a buffer (a parametrized
    tensor's property, a plain attribute) is set with setattr and set back, as PyTorch's
    ``swap_tensor``."""
    restore = []
    try:
        for name, value in values.items():
            owner, leaf = _owner(module, name)
            for registry in (owner._parameters, owner._buffers):
                if leaf in registry:
                    restore.append((registry.__setitem__, leaf, registry[leaf]))
                    registry[leaf] = value  # bypass __setattr__: a plain tensor is allowed
                    break
            else:
                old = getattr(owner, leaf) if hasattr(owner, leaf) else _NONE
                setattr(owner, leaf, value)
                restore.append((owner, leaf, old))
        yield
    finally:
        for target, leaf, old in reversed(restore):
            if not isinstance(target, Module):
                target(leaf, old)
            elif old is _NONE:
                delattr(target, leaf)
            else:
                setattr(target, leaf, old)


_NONE = object()


def _check_strict(module: Module, values: dict) -> None:
    expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    missing = sorted(expected - set(values))
    unexpected = sorted(set(values) - expected)
    if missing or unexpected:
        lines = []
        if unexpected:
            lines.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
        if missing:
            lines.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
        raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                           + "\n\t".join(lines))


def _merge(parameter_and_buffer_dicts) -> dict:
    if isinstance(parameter_and_buffer_dicts, dict):
        return dict(parameter_and_buffer_dicts)
    merged: dict = {}
    for d in parameter_and_buffer_dicts:
        clash = [k for k in d if k in merged]
        if clash:
            raise ValueError(f"{clash} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        merged.update(d)
    return merged


def _functional_call(module: Module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced by the given
    tensors (a dict, or a sequence of dicts with distinct keys) for this call only; tied
    tensors follow each other unless ``tie_weights=False``."""
    values = _merge(parameter_and_buffer_dicts)
    if strict:
        _check_strict(module, values)
    values = _untie(module, values, tie_weights)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, values):
        return module(*args, **(kwargs or {}))


def functional_call(module: Module, parameters_and_buffers: dict, args=None,
                                kwargs=None, *, tie_weights: bool = True,
                                strict: bool = False):
    """Deprecated alias of ``gradgpu.func.functional_call`` (warns, as PyTorch does)."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                           tie_weights=tie_weights, strict=strict)
