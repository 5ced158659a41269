"""Activation checkpointing (``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(fn, *args)`` returns what ``fn(*args)`` returns, but the graph of ``fn`` (and every
intermediate its ops saved for backward) is dropped once ``fn`` returns; backward runs ``fn``
again and backpropagates through that recomputation. One node (``CheckpointBackward``) stands
for the whole call. Its inputs are whatever the forward graph of ``fn`` reached outside ``fn``:
the tensor arguments, the parameters ``fn`` used (module weights are not arguments) and tensors
it captured; which of the reached nodes lie outside is told by what outlives the dropped graph
(a node made inside ``fn`` dies with it). So parameters get their gradients, ``autograd.grad``,
``backward(inputs=)`` and ``create_graph`` work, as with PyTorch's non-reentrant checkpoint.
An output ``fn`` did not make (an argument returned unchanged, a parameter) is returned as it
is; one it made shares the version counter (and, if from outside, the view base) of the tensor
it stands for, so in-place changes are tracked as on that tensor.
"""

from __future__ import annotations

import contextlib
import warnings
import weakref

import numpy as np

from .. import _random
from .._device import device
from ..autograd.function import AccumulateGrad, Function
from ..autograd.grad_mode import _state, enable_grad, no_grad
from ..autograd.recompute import CheckpointError, backprop_recomputed
from ..backend import backend_of, get_backend
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn"]


def noop_context_fn():
    """The default ``context_fn``: no context around the forward nor the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


_DETERMINISM_CHECKS = ("default", "none")


def _reentrant_default(use_reentrant, first_sentences: str) -> bool:
    """``use_reentrant`` as given, or True (PyTorch's default) with PyTorch's warning."""
    if use_reentrant is not None:
        return use_reentrant
    warnings.warn(first_sentences + " use_reentrant=False is recommended, but if you need to "
                  "preserve the current default behavior, you can pass use_reentrant=True. "
                  "Refer to docs for more details on the differences between the two variants.",
                  stacklevel=3)
    return True


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=noop_context_fn,
               determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, **kwargs):
    """out = function(*args, **kwargs) without keeping its intermediates; backward recomputes
    them by calling ``function`` again (with the RNG state of the forward unless
    ``preserve_rng_state=False``), so its dropout masks are the same."""
    use_reentrant = _reentrant_default(
        use_reentrant, "torch.utils.checkpoint: the use_reentrant parameter should be passed "
        "explicitly. Starting in PyTorch 2.9, calling checkpoint without use_reentrant will "
        "raise an exception.")
    preserve = kwargs.pop("preserve_rng_state", True)
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        if not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          stacklevel=2)
            with no_grad():  # the reentrant variant runs the forward under no_grad
                return function(*args)
        determinism_check = "none"  # the reentrant variant never checks
    else:
        if debug and context_fn is not noop_context_fn:
            raise ValueError("debug=True is incompatible with non-default context_fn")
        if determinism_check not in _DETERMINISM_CHECKS:
            raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_CHECKS)}, "
                             f"but got {determinism_check}")
    # early_stop: the whole function is always recomputed; debug: no operator trace
    if not _state.enabled:  # no graph is recorded: nothing to drop or recompute
        return function(*args, **kwargs)
    forward_ctx, recompute_ctx = context_fn()
    frame = _Frame(function, args, kwargs, preserve, recompute_ctx, determinism_check)
    with forward_ctx:
        template, outputs, edges, walked = _run_and_walk(frame, args)
    return _fill(template, _checkpointed(frame, outputs, edges, walked))


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,
                          **kwargs):
    """out = functions[-1](...functions[0](input)), run in ``segments`` chunks of which all
    but the last are checkpointed (``functions``: a Sequential or a list of callables)."""
    use_reentrant = _reentrant_default(
        use_reentrant, "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
        "parameter should be passed explicitly. In version 2.9 we will raise an exception if "
        "use_reentrant is not passed.")
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run(start: int, end: int):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)


class Checkpoint(Function):
    """outs = the outputs of the checkpointed function (computed before, passed in);
    d(inputs) = the gradients of a recomputation of the function (see ``backprop_recomputed``).
    ``inputs``: the parameters and outside tensors the function's graph reached."""

    @staticmethod
    def forward(ctx, frame, arrays, *inputs):
        ctx.frame = frame
        ctx.set_materialize_grads(False)  # an unused output: no backward through its graph
        ctx.save_for_backward(*frame.tensor_args)  # freed by backward; in-place edits caught
        frame.tensor_args = ()  # (held by the node only, so that backward frees them)
        return arrays

    @staticmethod
    def backward(ctx, *grads):
        frame = ctx.frame
        args = ctx.saved_tensors  # (raises if an argument was changed in place since)
        for i, (a, v) in enumerate(zip(args, frame.versions)):
            if a._version != v:  # the function itself changed it: its recomputation would too
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{a._data.dtype} {list(a.shape)}], which is tensor "
                    f"argument {i} of the checkpointed function, is at version {a._version}; "
                    f"expected version {v} instead (its version when the function was called).")
        outs = frame.recompute(args)
        return tuple(backprop_recomputed(ctx, outs, grads, frame.known, frame.limit))


class _Frame:
    """What the recomputation needs: the function, its arguments (tensor arguments are saved
    on the node instead), the RNG states of the forward and the forward outputs' metadata."""

    known = ()  # nodes the forward walked that outlived it (captured or kept-alive tensors')
    limit = None  # how many nodes the forward walked: a recomputation with more left the function
    meta: tuple = ()  # (shape, dtype, device) of each output that requires grad
    made: tuple = ()  # which of those the function made (the checkpoint node's outputs)

    def __init__(self, function, args, kwargs, preserve, recompute_ctx, determinism_check):
        self.function = function
        self.kwargs = kwargs
        self.is_tensor = tuple(isinstance(a, Tensor) for a in args)
        self.args = tuple(None if t else a for a, t in zip(args, self.is_tensor))
        self.tensor_args = tuple(a for a in args if isinstance(a, Tensor))
        self.versions = tuple(a._version for a in self.tensor_args)
        self.recompute_ctx = recompute_ctx
        self.check = determinism_check != "none"
        self.rng = _rng_states([*_tensors_in(args), *_tensors_in(kwargs)]) if preserve else None

    def recompute(self, tensor_args) -> list:
        """The outputs the function made (those of the checkpoint node), computed again under
        grad mode."""
        it = iter(tensor_args)
        args = tuple(next(it) if t else a for a, t in zip(self.args, self.is_tensor))
        with _forked_rng(self.rng), self.recompute_ctx, enable_grad():
            out = self.function(*args, **self.kwargs)
        tensors: list = []
        _template(out, tensors)
        if len(tensors) != len(self.meta):
            raise CheckpointError(
                f"torch.utils.checkpoint: the recomputation returned {len(tensors)} tensors "
                f"that require grad where the forward returned {len(self.meta)}: the "
                "checkpointed function must compute the same thing both times.")
        if self.check:
            for i, (t, m) in enumerate(zip(tensors, self.meta)):
                got = _meta(t)
                if got != m:
                    raise CheckpointError(
                        "torch.utils.checkpoint: Recomputed values for the following tensors "
                        "have different metadata than during the forward pass.\n"
                        f"tensor at position {i}:\nsaved metadata: {_meta_str(m)}\n"
                        f"recomputed metadata: {_meta_str(got)}\n")
        return [tensors[i] for i in self.made]


def _run_and_walk(frame, args):
    """Run the function under grad mode and walk its graph: the outputs' template, the outputs
    that require grad (weak reference, array, version counter, view base and generation,
    retain_grad) and every edge of the graph, all with weak references, so that the graph dies
    when this returns and what outlives it tells which tensors and nodes were there before."""
    out = frame.function(*args, **frame.kwargs)
    tensors: list = []
    template = _template(out, tensors)
    del out
    frame.meta = tuple(_meta(t) for t in tensors)
    # (a leaf holds no graph: it is kept, and so returned as it is)
    outputs = [(t if t._grad_fn is None else weakref.ref(t), t._data, t._version_counter,
                None if t._base is None else weakref.ref(t._base), t._view_of, t._retains_grad)
               for t in tensors]
    stop = {t._grad_fn for t in (*_tensors_in(args), *_tensors_in(frame.kwargs))
            if t._grad_fn is not None}  # the arguments' history is outside: not walked
    edges: list = []  # (parent ref or None, always an input?, target ref, output_nr, meta)
    walked: list = []
    seen: set = set()
    stack: list = []

    def add(parent, child, nr, meta):
        if isinstance(child, AccumulateGrad):  # a leaf: a parameter (or an argument)
            edges.append((parent, True, weakref.ref(child.variable), 0, None))
            return
        edges.append((parent, parent is None or child in stop, weakref.ref(child), nr, meta))
        if child not in stop and id(child) not in seen:
            seen.add(id(child))
            stack.append(child)

    for t in tensors:
        if t._grad_fn is not None:  # (a leaf output is returned as it is)
            d = t._data
            add(None, t._grad_fn, t._output_nr, (d.shape, d.dtype, type(d) is np.ndarray))
    while stack:
        node = stack.pop()
        ref = weakref.ref(node)
        walked.append(ref)
        for j, edge in enumerate(node.next_functions):
            if edge is not None:
                add(ref, edge[0], edge[1], node._input_meta[j])
    return template, outputs, edges, walked


def _checkpointed(frame, outputs, edges, walked) -> list:
    """The outputs that require grad, once the function's graph died. One that outlived it was
    not made by the function (an argument, a parameter, a captured tensor): it is returned as
    it is (PyTorch returns the function's own outputs). The others become the outputs of one
    checkpoint node, with the version counter (and the view base, if from outside, and
    retain_grad) of the tensor they stand for, so that in-place changes are seen as on it."""
    outs = [ref if isinstance(ref, Tensor) else ref() for ref, *_ in outputs]
    frame.made = tuple(i for i, o in enumerate(outs) if o is None)
    if not frame.made:
        return outs
    inputs, frame.known, frame.limit = _outside_inputs(edges, walked, outputs)
    made = Checkpoint.apply(frame, tuple(outputs[i][1] for i in frame.made), *inputs)
    for i, m in zip(frame.made, made):
        _, _, counter, base, view_of, retains = outputs[i]
        m._version_counter = counter
        base = None if base is None else base()
        if base is not None:
            m._base, m._view_of = base, view_of
            m._view_creator = "utils.checkpoint"
        if retains and m._requires_grad:  # (the function called retain_grad on it)
            m.retain_grad()
        outs[i] = m
    return outs


def _outside_inputs(edges, walked, outputs) -> tuple:
    """The inputs of the checkpoint node, from the walked edges once the forward graph died:
    every leaf reached, every argument's history, and every node that outlived the graph and
    was reached from a node that did not (the first node of a captured tensor's history);
    with the nodes that outlived it and the number of nodes walked."""
    leaves: dict = {}
    frontier: dict = {}
    for parent, always, ref, nr, meta in edges:
        target = ref()
        if target is None:
            continue
        if meta is None:
            leaves.setdefault(id(target), target)
        elif always or parent() is None:
            frontier.setdefault((id(target), nr), (target, nr, meta))
    known = weakref.WeakSet(n for n in (r() for r in walked) if n is not None)
    arrays = [o[1] for o in outputs]
    holders = [_edge_tensor(node, nr, meta, arrays) for node, nr, meta in frontier.values()]
    return [*leaves.values(), *holders], known, len(walked)


def _edge_tensor(node, nr, meta, arrays):
    """A tensor whose history is output ``nr`` of ``node`` (shape and dtype as the real one;
    a broadcast zero, no memory), so that the checkpoint node gets that edge as an input."""
    shape, dtype, on_host = meta
    if on_host:
        xp = np
    else:
        dev = next((a for a in arrays if type(a) is not np.ndarray), None)
        xp = (backend_of(dev) if dev is not None else get_backend(device("cuda"))).xp
    t = Tensor._make(xp.broadcast_to(xp.zeros((), dtype=dtype), shape))
    t._requires_grad = True
    t._grad_fn = node
    t._output_nr = nr
    return t


class _Slot:
    """Where the i-th output that requires grad sits in the function's output structure."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i


def _template(obj, tensors: list):
    """``obj`` with each tensor that requires grad (in tuples, lists, dicts) replaced by a
    _Slot, appended to ``tensors``; other objects are kept as they are."""
    if isinstance(obj, Tensor):
        if obj._requires_grad:
            tensors.append(obj)
            return _Slot(len(tensors) - 1)
        return obj
    kind = type(obj)
    if kind is tuple or kind is list:
        return kind(_template(o, tensors) for o in obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return kind(*(_template(o, tensors) for o in obj))
    if kind is dict:
        return {k: _template(v, tensors) for k, v in obj.items()}
    return obj


def _fill(template, outs):
    if isinstance(template, _Slot):
        return outs[template.i]
    kind = type(template)
    if kind is tuple or kind is list:
        return kind(_fill(o, outs) for o in template)
    if isinstance(template, tuple) and hasattr(template, "_fields"):
        return kind(*(_fill(o, outs) for o in template))
    if kind is dict:
        return {k: _fill(v, outs) for k, v in template.items()}
    return template


def _tensors_in(obj):
    """The tensors in ``obj`` and in the tuples, lists and dicts it nests."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


def _meta(t) -> tuple:
    return tuple(t._data.shape), t.dtype, t.device


def _meta_str(m) -> str:
    return f"{{'shape': {list(m[0])}, 'dtype': {m[1]}, 'device': {m[2]}}}"


def _rng_states(tensors) -> list:
    """(generator, state) of the CPU default generator and of the default generator of every
    other device the tensors are on (PyTorch's preserve_rng_state)."""
    cpu = device("cpu")
    devices = {t.device for t in tensors} - {cpu}
    gens = [_random.default_generator(cpu)] + [_random.default_generator(d) for d in devices]
    return [(g, g.get_state()) for g in gens]


@contextlib.contextmanager
def _forked_rng(states):
    """Run with the generators set to ``states``, then put back the states they had."""
    if states is None:
        yield
        return
    now = [(g, g.get_state()) for g, _ in states]
    for g, s in states:
        g.set_state(s)
    try:
        yield
    finally:
        for g, s in now:
            g.set_state(s)
