"""``Module``'s full backward hooks (``register_full_backward_hook`` and
``register_full_backward_pre_hook``), as PyTorch's ``BackwardHook``.

A call of a module that has such hooks passes its tensor arguments, and then its tensor
outputs, through an identity node (``_HookIdentity``: the same arrays and version counters,
new autograd identities). In backward the output-side node runs first: it packs the gradients
w.r.t. the outputs (``grad_output``, None for outputs that got none), lets the pre-hooks
replace them and keeps them. The input-side node runs once the gradients w.r.t. the inputs
are known: the hooks get ``(module, grad_input, grad_output)`` and may replace ``grad_input``.
Each call gets its own ``_CallHooks``, so a module used twice in one graph is hooked twice.
"""

from __future__ import annotations

import warnings

from ...autograd import grad_mode
from ...autograd.function import Function
from ...ops.shape.views import _as_view
from ...tensor import Tensor

__all__ = []


class _HookIdentity(Function):
    """y_i = x_i (aliases of the arguments);  dx = on_backward(dy), which runs the hooks"""

    @classmethod
    def wrap(cls, on_backward, tensors) -> tuple:
        """The aliases, each a view of its tensor (PyTorch's BackwardHookFunction outputs are
        views): an in-place op on one (``nn.ReLU(inplace=True)`` on a hooked module's input, or
        on its output) then raises, as in PyTorch, instead of rewriting the values of a tensor
        whose recorded history the write bypasses (a silently wrong gradient)."""
        return tuple(alias if alias is t else _as_view(alias, t, always=True,
                                                        creator="a module's backward hooks")
                     for alias, t in zip(cls.apply(on_backward, *tensors), tensors))

    @staticmethod
    def forward(ctx, on_backward, *tensors):
        ctx.set_materialize_grads(False)  # the hooks see None for outputs without a gradient
        ctx.on_backward = on_backward
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors  # apply() gives each returned input its own identity

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.on_backward(grads))


def _pack(positions, grads, size: int) -> tuple:
    """The gradients of the tensors at ``positions`` spread over ``size`` slots (None elsewhere)."""
    out = [None] * size
    for pos, g in zip(positions, grads):
        out[pos] = g
    return tuple(out)


class _CallHooks:
    """The backward hooks of one module call: wraps its inputs and outputs, runs the hooks."""

    def __init__(self, module, hooks, pre_hooks) -> None:
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_inputs = 0
        self.input_positions = None  # None: no input requires grad (hooks run at the outputs)
        self.n_outputs = 0
        self.output_positions = ()
        self.grad_outputs = None

    def wrap_inputs(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not grad_mode.is_grad_enabled() or not any(args[i].requires_grad for i in positions):
            return args
        self.input_positions = positions
        wrapped = _HookIdentity.wrap(self._on_input_grads, [args[i] for i in positions])
        args = list(args)
        for pos, t in zip(positions, wrapped):
            args[pos] = t
        return tuple(args)

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        if not single and not isinstance(result, tuple):
            warnings.warn("For backward hooks to be called, module output should be a Tensor or "
                          f"a tuple of Tensors but received {type(result)}", stacklevel=3)
            return result
        items = (result,) if single else tuple(result)
        positions = [i for i, o in enumerate(items) if isinstance(o, Tensor)]
        if not grad_mode.is_grad_enabled() or not any(items[i].requires_grad for i in positions):
            return result
        self.n_outputs = len(items)
        self.output_positions = positions
        wrapped = _HookIdentity.wrap(self._on_output_grads, [items[i] for i in positions])
        if single:
            return wrapped[0]
        items = list(items)
        for pos, t in zip(positions, wrapped):
            items[pos] = t
        return type(result)(*items) if hasattr(result, "_fields") else tuple(items)

    # ---- backward ---------------------------------------------------------------------------
    def _on_output_grads(self, grads) -> tuple:
        grad_outputs = _pack(self.output_positions, grads, self.n_outputs)
        for hook in list(self.pre_hooks.values()):
            new = hook(self.module, grad_outputs)
            if new is None:
                continue
            new = _as_tuple(new)
            if len(new) != len(grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(new)}, but expected {len(grad_outputs)}")
            grad_outputs = new
        if self.input_positions is None:
            # no input needs a gradient: the input-side node does not exist, call the hooks now
            warnings.warn("Full backward hook is firing when gradients are computed with respect "
                          "to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in list(self.hooks.values()):
                res = hook(self.module, grad_inputs, grad_outputs)
                if res is not None and not all(r is None for r in _as_tuple(res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
        else:
            self.grad_outputs = grad_outputs
        return tuple(grad_outputs[pos] for pos in self.output_positions)

    def _on_input_grads(self, grads) -> tuple:
        if self.grad_outputs is None:  # the outputs got no gradient: nothing to report
            return grads
        grad_inputs = _pack(self.input_positions, grads, self.n_inputs)
        for hook in list(self.hooks.values()):
            new = hook(self.module, grad_inputs, self.grad_outputs)
            if new is None:
                continue
            new = _as_tuple(new)
            if len(new) != len(grad_inputs):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, got "
                                   f"{len(new)}, but expected {len(grad_inputs)}")
            grad_inputs = new
        self.grad_outputs = None
        return tuple(grad_inputs[pos] for pos in self.input_positions)


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)
