"""``Optimizer``: parameter groups, per-parameter state, ``step``/``zero_grad`` and state dicts.

The bookkeeping follows ``torch.optim.Optimizer``: ``param_groups`` is a list of dicts (each with
its own ``params`` and options), ``state`` maps a parameter to its dict of buffers, and
``state_dict()`` replaces parameters by their index in the order the groups list them.

The built-in optimizers share one step driver (:meth:`Optimizer._step_groups`): it evaluates the
closure, then, with grad mode off, collects each group's parameters that have a ``.grad``,
creates their state on first use (``_init_state``) and hands the whole group to
``_update_group``. There each optimizer hands the raw arrays of all the group's parameters that
share a backend (device) to that backend's fused step (``be.adam_step(...)``, see
gradgpu/backend/reference_optim.py): the NumPy backend loops over them with in-place array
math, the CUDA backend updates them all in one multi-tensor kernel launch per dtype.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from typing import Any

from .._grads import zero_grads
from .._hook_handles import _HookDict, _RemovableHandle
from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class _RequiredParameter:
    """Marks an option with no default: every param group must give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


# Group options PyTorch added over time: a state dict without them gets the defaults.
_LATER_FLAGS = frozenset({"maximize", "foreach", "capturable", "differentiable", "fused",
                          "decoupled_weight_decay"})


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return f"gradgpu.{type(obj).__name__}"
    return type(obj).__name__


def _with_step_hooks(step):
    """Wrap a ``step`` method to run the optimizer's step pre/post hooks around it (once,
    also when an overriding ``step`` calls ``super().step()``)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self._in_step:
            return step(self, *args, **kwargs)
        self._in_step = True
        try:
            for hook in list(self._optimizer_step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"{hook} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
                    args, kwargs = result
            out = step(self, *args, **kwargs)
            # read by the LR schedulers to warn about scheduler.step() before optimizer.step()
            self._opt_called = True
            for hook in list(self._optimizer_step_post_hooks.values()):
                hook(self, args, kwargs)
            return out
        finally:
            self._in_step = False

    wrapper._gradgpu_hooked = True
    return wrapper


class Optimizer:
    """Base class of all optimizers: holds ``param_groups`` and per-parameter ``state``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (param
    groups, each with ``"params"`` and its own options; missing options take ``defaults``).
    """

    _in_step = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_gradgpu_hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks = _HookDict()
        self._optimizer_step_post_hooks = _HookDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---- groups ---------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (the rest from ``defaults``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                UserWarning,
                stacklevel=3,
            )
        taken: set[int] = set()
        for group in self.param_groups:
            taken.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not taken.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients and steps --------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None (default) or to zeros in place."""
        zero_grads(chain.from_iterable(g["params"] for g in self.param_groups), set_to_none)

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step; ``closure`` re-evaluates the model, returns the loss.

        The built-in optimizers define ``_init_state`` and ``_update_group`` and share
        :meth:`_step_groups`; a subclass that does not must override ``step``."""
        if type(self)._update_group is Optimizer._update_group:
            raise NotImplementedError(f"{type(self).__name__} does not implement step()")
        return self._step_groups(closure)

    def _step_groups(self, closure):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                params, grads, states = [], [], []
                for p in group["params"]:
                    grad = p._grad
                    if grad is None:
                        continue
                    state = self.state.get(p)
                    if state is None:
                        state = self._init_state(p, group)
                        if state is not None:
                            self.state[p] = state
                    params.append(p)
                    grads.append(grad)
                    states.append(state)
                if params:
                    self._update_group(group, params, grads, states)
        return loss

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any] | None:
        """The state a parameter starts with (None: the optimizer keeps none for it)."""
        return None

    def _update_group(self, group, params, grads, states) -> None:
        """Update ``params`` (those of ``group`` with a gradient) in place, under no_grad.

        ``grads[i]`` and ``states[i]`` belong to ``params[i]``. The built-in optimizers call
        their backend's fused multi-tensor step here (see ``_update_helpers._batches``)."""
        raise NotImplementedError

    # ---- hooks ----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook) -> _RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each step; it may return new
        ``(args, kwargs)``. Returns a handle whose ``remove()`` unregisters it."""
        handle = _RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> _RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each step."""
        handle = _RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    # ---- state dicts ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are numbered in the order the groups list them; the state tensors are the
        optimizer's own (not copies), as in PyTorch."""
        index: dict[int, int] = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``: group options are replaced, state tensors are moved to each
        parameter's device (and cast to its dtype when floating); ``step`` counters stay on the
        CPU, where every step reads them. A state of another optimizer or of other parameter
        shapes is refused here, not at the next ``step()``."""
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict() expects the dict of "
                            f"state_dict() (keys 'state' and 'param_groups'), got "
                            f"{type(state_dict).__name__}")
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        for saved in saved_groups:
            for flag in _LATER_FLAGS & set(self.defaults):  # absent from older checkpoints
                saved.setdefault(flag, self.defaults[flag])
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(f"loaded state dict does not fit {type(self).__name__}: its "
                                 f"parameter groups lack {missing}")
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                if key == "step":
                    return value.to(device="cpu")
                if value.dim() and tuple(value.shape) != tuple(param.shape):
                    raise ValueError(f"loaded state '{key}' has shape {list(value.shape)}, but "
                                     f"its parameter has shape {list(param.shape)}")
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device)
                return value.to(device=param.device)
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        for group, new_group in zip(groups, saved_groups):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", _HookDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", _HookDict())

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"


Optimizer.step = _with_step_hooks(Optimizer.step)  # subclasses' steps: __init_subclass__
