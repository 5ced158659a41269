"""The backward scheduler: runs graph nodes in dependency order, iteratively.

Data flow of one call (``backward`` or ``grad``):
1. Discover the nodes reachable from the roots' grad_fns (explicit stack, no recursion) and count,
   for each node, how many edges point at it.
2. With ``inputs`` given, keep only the nodes that lead to one of them.
3. Seed the roots' gradients into per-node buffers; a node whose count reaches zero is ready.
   Running a node: tensor pre-hooks and retain_grad on its outputs, ``backward`` (under
   ``create_graph`` grad mode), validation of the returned gradients against the inputs' shapes
   and dtypes, then each gradient is summed into the buffer of the node it flows to. The node's
   buffer is dropped and, unless ``retain_graph``, its saved tensors are released.
4. AccumulateGrad nodes write into ``leaf.grad`` (or, for ``grad()``, into the captured results).
"""

from __future__ import annotations

import sys

import numpy as np

from .. import tensor as _tensor_module  # Tensor is read at call time: no import cycle
from .._dtypes import from_numpy_dtype
from ..backend import backend_of
from . import anomaly_mode
from .anomaly_mode import state as _anomaly
from .function import _FREED_MESSAGE, AccumulateGrad
from .grad_mode import _state

_ndarray = np.ndarray


def _sum_to_shape(g, shape):
    """Reduce a gradient produced for a broadcast shape back to ``shape`` (differentiably)."""
    from ..ops.shape import sum_to_shape

    return sum_to_shape(g, shape)


def _validate(node, grads, Tensor):
    """Check a node's returned gradients against its inputs (count, shape, dtype, device)."""
    if not isinstance(grads, tuple):
        grads = (grads,)
    edges = node.next_functions
    if len(grads) > len(edges) and all(g is None for g in grads[len(edges):]):
        grads = grads[:len(edges)]  # extra trailing Nones are allowed, as in PyTorch
    if len(grads) != len(edges):
        raise RuntimeError(
            f"function {type(node).__name__} returned an incorrect number of gradients "
            f"(expected {len(edges)}, got {len(grads)})"
        )
    meta = node._input_meta
    out = []
    for i, g in enumerate(grads):
        if g is None or edges[i] is None:
            out.append(None)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(
                f"function {type(node).__name__} returned a gradient of type "
                f"{type(g).__name__} at index {i}; expected a Tensor or None"
            )
        shape, dtype, on_host = meta[i]
        if g._data.shape != shape:
            try:
                g = _sum_to_shape(g, shape)
            except ValueError:
                raise RuntimeError(
                    f"Function {type(node).__name__} returned an invalid gradient at index {i} - "
                    f"got {list(g.shape)} but expected shape compatible with {list(shape)}"
                ) from None
        if on_host and type(g._data) is not _ndarray:
            g = g.cpu()  # a CPU 0-d operand of a CUDA op (PyTorch's scalar rule): back to the CPU
        if g._data.dtype != dtype:
            g = g.to(from_numpy_dtype(dtype))
        out.append(g)
    return out


def run_backward(roots, root_grads, retain_graph, create_graph, inputs=None, accumulate=True):
    """Backpropagate ``root_grads`` from ``roots``.

    ``inputs`` (a list of tensors) restricts the work to paths that reach them. With
    ``accumulate=False`` (``autograd.grad``), the gradients flowing into ``inputs`` are returned
    instead of being accumulated into ``.grad``.
    """
    Tensor = _tensor_module.Tensor

    # Where to capture: (node, output_nr) for every requested input.
    captures = None
    results = None
    if inputs is not None:
        captures = {}
        for idx, t in enumerate(inputs):
            if t._grad_fn is None:
                if not t._requires_grad:
                    raise RuntimeError("One of the differentiated Tensors does not require grad")
                key = (AccumulateGrad.for_leaf(t), 0)
            else:
                key = (t._grad_fn, t._output_nr)
            captures.setdefault(key, []).append(idx)
        results = [None] * len(inputs)

    # 1. discover reachable nodes and count incoming edges
    root_edges = []
    for t in roots:
        fn = t._grad_fn
        root_edges.append((AccumulateGrad.for_leaf(t), 0) if fn is None else (fn, t._output_nr))
    deps = {}
    seen = set()
    stack = [n for n, _ in root_edges]
    order = []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        for edge in node.next_functions:
            if edge is not None:
                child = edge[0]
                deps[child] = deps.get(child, 0) + 1
                if child not in seen:
                    stack.append(child)

    # 2. with inputs, only nodes on a path to a captured node are needed
    needed = None
    if captures is not None:
        needed = _nodes_leading_to(order, deps, {n for n, _ in captures})
        deps = {}
        for node in needed:
            for edge in node.next_functions:
                if edge is not None and edge[0] in needed:
                    deps[edge[0]] = deps.get(edge[0], 0) + 1

    # 3. seed the roots
    buffers = {}
    for (node, nr), g in zip(root_edges, root_grads):
        if needed is None or node in needed:
            _add_to_buffer(buffers, node, nr, g, create_graph, Tensor)
    ready = [n for n in buffers if deps.get(n, 0) == 0]

    prev_enabled = _state.enabled
    _state.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if isinstance(node, AccumulateGrad):
                g = _leaf_hooks(node.variable, grads[0])
                grads = None  # drop the buffer's reference: _store_grad counts references
                if node._node_pre_hooks:
                    (g,) = _call_node_pre_hooks(node, (g,))
                if captures is None:
                    _store_grad(node.variable, g, create_graph, Tensor)
                    if node.variable._post_accumulate_hooks:
                        run_post_accumulate_hooks(node.variable)
                elif (node, 0) in captures:
                    for i in captures[(node, 0)]:
                        results[i] = g
                if node._node_hooks:
                    _call_node_hooks(node, (), (g,), Tensor)
                continue
            if node._pre_hooks or node._retained:
                grads = _run_output_hooks(node, grads, create_graph, Tensor)
            if captures is not None:
                for nr, g in enumerate(grads):
                    for i in captures.get((node, nr), ()):
                        results[i] = g
                if not any(e is not None and e[0] in needed for e in node.next_functions):
                    if not retain_graph:
                        node._release()
                    continue
            if node._saved is None:
                raise RuntimeError(_FREED_MESSAGE)
            if node.materialize_grads:
                for g in grads:
                    if g is None:
                        grads = _materialize(node, grads, Tensor)
                        break
            if node._node_pre_hooks:
                grads = _call_node_pre_hooks(node, tuple(grads))
            if _anomaly.enabled:
                in_grads = _backward_reporting_anomalies(node, grads, Tensor)
            else:
                in_grads = _validate(node, node.apply(*grads), Tensor)
            if node._node_hooks:
                in_grads = _call_node_hooks(node, in_grads, tuple(grads), Tensor)
            del grads
            if not retain_graph:
                node._release()
            for edge, g in zip(node.next_functions, in_grads):
                if edge is None:
                    continue
                child, nr = edge
                if needed is not None and child not in needed:
                    continue
                if g is not None:
                    _add_to_buffer(buffers, child, nr, g, create_graph, Tensor)
                left = deps[child] - 1
                deps[child] = left
                if left == 0:
                    if child in buffers:
                        ready.append(child)
                    else:  # nothing flowed to it: its subgraph gets no gradient from it
                        _skip(child, deps, needed, retain_graph, buffers, ready)
            in_grads = g = None  # hold no gradient past its hand-over (see _store_grad)
    finally:
        _state.enabled = prev_enabled
    return results


def _backward_reporting_anomalies(node, grads, Tensor):
    """``node``'s backward in anomaly mode: a failure or a NaN gradient is reported with the
    forward call that recorded the node (``anomaly_mode``)."""
    try:
        in_grads = _validate(node, node.apply(*grads), Tensor)
    except Exception:
        anomaly_mode.warn_forward_trace(node)
        raise
    anomaly_mode.check_nan(node, in_grads)
    return in_grads


def _add_to_buffer(buffers, node, nr, g, create_graph, Tensor):
    buf = buffers.get(node)
    if buf is None:
        meta = getattr(node, "_output_meta", None)
        buf = buffers[node] = [None] * (1 if meta is None else len(meta))
    old = buf[nr]
    if old is None:
        buf[nr] = g
    elif create_graph:
        buf[nr] = old + g
    else:  # a fresh array: never write into a gradient another node may still hold
        buf[nr] = Tensor._make(old._data + g._data)


def _skip(start, deps, needed, retain_graph, buffers, ready):
    """Walk past a node that received no gradient, releasing counts of its children. A child
    whose last pending edge is released here but that did receive a gradient along another
    path (y = 3x feeding both a used output and an unused one) becomes ready, not skipped."""
    stack = [start]
    while stack:
        node = stack.pop()
        if not retain_graph and not isinstance(node, AccumulateGrad):
            node._release()
        for edge in node.next_functions:
            if edge is None or (needed is not None and edge[0] not in needed):
                continue
            child = edge[0]
            deps[child] -= 1
            if deps[child] == 0:
                (ready if child in buffers else stack).append(child)


def _nodes_leading_to(order, deps, targets):
    """Nodes from which some target is reachable (targets included), without recursion."""
    # Kahn's algorithm gives a topological order (parents before children); walk it backwards.
    remaining = dict(deps)
    topo = []
    frontier = [n for n in order if remaining.get(n, 0) == 0]
    while frontier:
        node = frontier.pop()
        topo.append(node)
        for edge in node.next_functions:
            if edge is not None:
                child = edge[0]
                remaining[child] -= 1
                if remaining[child] == 0:
                    frontier.append(child)
    needed = set()
    for node in reversed(topo):
        if node in targets or any(
            e is not None and e[0] in needed for e in node.next_functions
        ):
            needed.add(node)
    return needed


def _materialize(node, grads, Tensor):
    """Replace missing output gradients by zeros (PyTorch's materialize_grads default)."""
    like = next(g for g in grads if g is not None)
    out = list(grads)
    for i, g in enumerate(out):
        if g is None and node._output_meta[i] is not None:
            shape, dtype = node._output_meta[i]
            out[i] = Tensor._make(backend_of(like._data).xp.zeros(shape, dtype))
    return out


def _call_pre_hooks(node, nr, g):
    for hook in list(node._pre_hooks.get(nr, {}).values()):
        new = hook(g)
        if new is not None:
            g = _checked_hook_result(hook, g, new)
    return g


def _checked_hook_result(hook, g, new):
    """A tensor hook's replacement gradient must look like the one it replaces (PyTorch's
    messages): a gradient of another shape, dtype or device would corrupt ``.grad``."""
    name = getattr(hook, "__name__", type(hook).__name__)
    Tensor = _tensor_module.Tensor
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable or None (got {type(new).__name__}) from hook "
                        f"'{name}'")
    if new._data.dtype != g._data.dtype or new.device != g.device:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.dtype} on "
                           f"{g.device} got {new.dtype} on {new.device})")
    if new._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (was "
                           f"{list(g.shape)} got {list(new.shape)})")
    return new


def _run_output_hooks(node, grads, create_graph, Tensor):
    grads = list(grads)
    for nr, g in enumerate(grads):
        if g is None:
            continue
        if node._pre_hooks and nr in node._pre_hooks:
            g = grads[nr] = _call_pre_hooks(node, nr, g)
        if node._retained and nr in node._retained:
            t = node._retained[nr]()
            if t is not None:
                _store_grad(t, g, create_graph, Tensor)
    return grads


def _call_node_pre_hooks(node, grad_outputs: tuple) -> tuple:
    """``node.register_prehook`` hooks: each may return new grad_outputs."""
    for hook in list(node._node_pre_hooks.values()):
        new = hook(grad_outputs)
        if new is not None:
            grad_outputs = _hook_result(hook, new, len(grad_outputs))
    return grad_outputs


def _call_node_hooks(node, grad_inputs, grad_outputs: tuple, Tensor):
    """``node.register_hook`` hooks: each may return new grad_inputs (validated as the node's
    own results are)."""
    grad_inputs = tuple(grad_inputs)
    for hook in list(node._node_hooks.values()):
        new = hook(grad_inputs, grad_outputs)
        if new is not None:
            grad_inputs = _hook_result(hook, new, len(grad_inputs))
            if grad_inputs:
                grad_inputs = tuple(_validate(node, grad_inputs, Tensor))
    return grad_inputs


def _hook_result(hook, new, expected: int) -> tuple:
    new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
    if len(new) != expected:
        name = getattr(hook, "__name__", repr(hook))
        raise RuntimeError(f"hook '{name}' has returned an incorrect number of values (got "
                           f"{len(new)}, but expected {expected})")
    return new


def run_post_accumulate_hooks(leaf) -> None:
    """The leaf's post-accumulate-grad hooks, after its ``.grad`` was updated (in the grad mode
    backward runs in: off unless create_graph). Like PyTorch's, a hook may return None or the
    leaf itself (``p.add_(...)`` does), nothing else."""
    for hook in list(leaf._post_accumulate_hooks.values()):
        out = hook(leaf)
        if out is None or out is leaf:
            continue
        if not isinstance(out, _tensor_module.Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(out).__name__}'")
        raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def _leaf_hooks(leaf, g):
    for hook in list(leaf._hooks.values()) if leaf._hooks else ():
        new = hook(g)
        if new is not None:
            g = _checked_hook_result(hook, g, new)
    return g


# References to a gradient that only the engine holds when it reaches _store_grad: the
# caller's local, this function's parameter, and getrefcount's own argument.
_ENGINE_REFS = 3


def _store_grad(t, g, create_graph, Tensor):
    """``t.grad += g`` with PyTorch's ownership rules (never alias a gradient someone holds).

    The first gradient becomes ``.grad`` without a copy when nothing but the engine holds it
    or its array (CPython reference counts, as PyTorch checks ``use_count``): a user's
    gradient, a tensor a hook kept, or one array sent to two leaves is copied instead."""
    old = t._grad
    if old is None:
        if create_graph:
            # a recorded copy, as PyTorch's: g may be a broadcast view, the caller's gradient or
            # one array sent to two leaves, and a later plain backward adds into .grad in place
            t._grad = g.clone()
            return
        arr = g._data
        if (sys.getrefcount(g) <= _ENGINE_REFS and sys.getrefcount(arr) <= 3
                and arr.flags.owndata and getattr(arr.flags, "writeable", True)):
            t._grad = Tensor._make(arr)  # arr: g's __dict__, the local above, getrefcount
        else:
            t._grad = Tensor._make(backend_of(arr).copy(arr))
    elif create_graph:
        t._grad = old + g
    else:  # in place even when .grad has a history (from create_graph), as PyTorch does
        old._data += g._data
        old._version_counter[0] += 1


