"""``gradgpu.autograd``: backward, grad, Function, grad modes, gradcheck, and the classic API."""

from __future__ import annotations

import warnings

from .. import tensor as _tensor_module  # Tensor is read at call time: no import cycle
from ..backend import backend_of
from . import anomaly_mode, functional
from . import engine as _engine
from . import function as _function
from .anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .batched_grad import batched_grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = [
    "backward", "grad", "Function", "FunctionCtx", "once_differentiable", "Variable",
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
    "is_inference_mode_enabled", "gradcheck", "gradgradcheck", "GradcheckError", "functional",
    "anomaly_mode", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
]


def _tensor_list(x, what: str) -> list:
    Tensor = _tensor_module.Tensor

    if isinstance(x, Tensor):
        x = [x]
    elif isinstance(x, (list, tuple)):
        for t in x:
            if not isinstance(t, Tensor):
                raise TypeError(f"{what}: expected a Tensor or a sequence of Tensors, got an "
                                f"element of type {type(t).__name__}")
    else:
        raise TypeError(f"{what}: expected a Tensor or a sequence of Tensors, got "
                        f"{type(x).__name__}")
    for t in x:  # a view whose base was written in place continues the base's new history
        if t._base is not None and t._view_of != t._base._history_gen:
            _function.refresh_stale_view(t, what)
    return list(x)


def _xp(t):
    return backend_of(t._data).xp


def _make_grads(outputs, grads, where: str) -> list:
    """Check or create (ones for scalars) the gradient of each output."""
    Tensor = _tensor_module.Tensor

    if grads is None:
        grads = [None] * len(outputs)
    elif isinstance(grads, Tensor):
        grads = [grads]
    else:
        grads = list(grads)
    if len(grads) != len(outputs):
        raise RuntimeError(f"{where}: got {len(grads)} gradients for {len(outputs)} outputs "
                           "(grad_tensors must match tensors)")
    out = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if not o._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if o._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._make(_xp(o).ones_like(o._data))
        elif not isinstance(g, Tensor):
            g = Tensor._make(_xp(o).full_like(o._data, g))
        else:
            if g._data.shape != o._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {o.shape}."
                )
            if g.device != o.device:
                raise RuntimeError(f"{where}: grad_output[{i}] is on {g.device} but output[{i}] "
                                   f"is on {o.device}")
            if g._data.dtype != o._data.dtype:
                g = g.to(o.dtype)
        out.append(g)
    return out


def _classic_args(kwargs: dict, where: str) -> dict:
    """The seed API's names (variables, grad_variables, retain_variables), with a warning."""
    mapping = {"variables": "tensors", "grad_variables": "grad_tensors",
               "retain_variables": "retain_graph"}
    unknown = set(kwargs) - set(mapping)
    if unknown:
        raise TypeError(f"{where}() got an unexpected keyword argument '{unknown.pop()}'")
    if kwargs:
        warnings.warn(
            f"{where}: 'variables', 'grad_variables' and 'retain_variables' are deprecated; use "
            "'tensors', 'grad_tensors' and 'retain_graph'",
            DeprecationWarning,
            stacklevel=3,
        )
    return {mapping[k]: v for k, v in kwargs.items()}


def backward(tensors=None, grad_tensors=None, retain_graph=None, create_graph=False,
             inputs=None, **classic) -> None:
    """Accumulate gradients of ``tensors`` w.r.t. graph leaves (or ``inputs``) into ``.grad``."""
    Tensor = _tensor_module.Tensor
    if classic:
        mapped = _classic_args(classic, "backward")
        tensors = mapped.get("tensors", tensors)
        grad_tensors = mapped.get("grad_tensors", grad_tensors)
        retain_graph = mapped.get("retain_graph", retain_graph)
    if tensors is None:
        raise TypeError("backward() missing required argument 'tensors'")
    outputs = _tensor_list(tensors, "backward")
    grads = _make_grads(outputs, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this "
            "function, make sure to reset the .grad fields of your parameters to None after use "
            "to break the cycle and avoid the leak.",
            UserWarning,
            stacklevel=2,
        )
    if inputs is not None:
        inputs = _tensor_list(inputs, "backward(inputs=)")
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            if t._grad_fn is not None:
                t.retain_grad()  # a non-leaf input gets .grad as PyTorch gives it: retained
    results = _engine.run_backward(outputs, grads, retain_graph, create_graph, inputs)
    if inputs is not None:
        stored = set()
        for t, g in zip(inputs, results):
            # leaves only (non-leaves were stored by their retain hook), each tensor once
            if g is not None and t._grad_fn is None and id(t) not in stored:
                stored.add(id(t))
                _engine._store_grad(t, g, create_graph, Tensor)
                if t._post_accumulate_hooks:
                    with set_grad_enabled(create_graph):
                        _engine.run_post_accumulate_hooks(t)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs`` (returned, not accumulated into ``.grad``).
    ``is_grads_batched``: the first dimension of each grad_output is a batch (``batched_grad``:
    one backward per row)."""
    outs = _tensor_list(outputs, "grad(outputs=)")
    ins = _tensor_list(inputs, "grad(inputs=)")
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads "
                         "is True")
    if is_grads_batched:
        return batched_grad(grad, outs, ins, grad_outputs, retain_graph, create_graph,
                            allow_unused, materialize_grads)
    grads = _make_grads(outs, grad_outputs, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    results = _engine.run_backward(outs, grads, retain_graph, create_graph, ins)
    final = []
    for t, g in zip(ins, results):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:  # zeros, whatever t holds (t * 0 would be NaN at an inf)
                from .._factories import zeros_like

                g = zeros_like(t)
        final.append(g)
    return tuple(final)
