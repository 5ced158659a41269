"""Graph nodes and ``autograd.Function``: how one op application is recorded for backward.

Every differentiable op, built-in or user-defined, is a ``Function`` subclass with static
``forward(ctx, *args)`` and ``backward(ctx, *grads)``. ``Function.apply`` runs forward with grad
recording off, then, if any input requires grad, turns ``ctx`` into a graph node: an instance of
the generated ``<Name>Backward`` class that holds the edges to the inputs' nodes and the saved
tensors. A node never holds its own outputs (that would be a reference cycle); an output saved
for backward is stored as its array and re-wrapped on unpack.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from .._hook_handles import _HookDict, _RemovableHandle
from . import grad_mode
from .anomaly_mode import record_forward_trace
from .anomaly_mode import state as _anomaly
from .grad_mode import _state

_ndarray = np.ndarray

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)

_Tensor = None  # gradgpu.tensor.Tensor, bound by gradgpu/__init__ to avoid an import cycle


def _bind_tensor_class(cls) -> None:
    global _Tensor
    _Tensor = cls


class _SavedTensor:
    """A tensor saved for backward, with the version it had when saved."""

    __slots__ = ("tensor", "data", "version", "counter", "output_nr", "requires_grad", "is_output")

    def __init__(self, t, is_output: bool) -> None:
        self.counter = t._version_counter
        self.version = self.counter[0]
        self.is_output = is_output
        if is_output:  # keep the array, not the tensor: the tensor holds this node (cycle)
            self.tensor = None
            self.data = t._data
            self.output_nr = t._output_nr
            self.requires_grad = t._requires_grad
        else:
            self.tensor = t

    def unpack(self, node):
        if self.counter[0] != self.version:
            t = self.tensor
            desc = (
                f"output {self.output_nr} of {type(node).__name__}"
                if self.is_output
                else (
                    f"output {t._output_nr} of {type(t._grad_fn).__name__}"
                    if t._grad_fn is not None
                    else "a leaf tensor"
                )
            )
            data = self.data if self.is_output else t._data
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{data.dtype} {list(data.shape)}], which is {desc}, is at "
                f"version {self.counter[0]}; expected version {self.version} instead "
                f"(saved by {type(node).__name__})."
            )
        if not self.is_output:
            return self.tensor
        out = _Tensor._make(self.data, self.requires_grad)
        out._version_counter = self.counter
        if self.requires_grad:
            out._grad_fn = node
            out._output_nr = self.output_nr
        return out


class Node:
    """Base of every graph node (the ``grad_fn`` of a non-leaf tensor)."""

    # Set per instance by Function.apply; class defaults keep plain attribute reads cheap.
    next_functions: tuple = ()
    _saved = None  # tuple of _SavedTensor, () when nothing was saved, None once released
    _pre_hooks = None  # {output_nr: [hook, ...]} from Tensor.register_hook on outputs
    _retained = None  # {output_nr: weakref to the tensor} from Tensor.retain_grad
    _node_pre_hooks = None  # register_prehook: hook(grad_outputs), before backward
    _node_hooks = None  # register_hook: hook(grad_inputs, grad_outputs), after backward
    _metadata = None

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def metadata(self) -> dict:
        """A dict for the user's own data about this node."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def register_hook(self, hook):
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward (None for inputs
        that need no gradient); a returned tuple replaces ``grad_inputs``. Returns a handle
        with ``remove()``."""
        if self._node_hooks is None:
            self._node_hooks = _HookDict()
        return _add_hook(self._node_hooks, hook)

    def register_prehook(self, hook):
        """Call ``hook(grad_outputs)`` before this node's backward (after the tensor hooks of
        its outputs); a returned tuple replaces ``grad_outputs``. Returns a handle with
        ``remove()``."""
        if self._node_pre_hooks is None:
            self._node_pre_hooks = _HookDict()
        return _add_hook(self._node_pre_hooks, hook)

    def _release(self) -> None:
        # Only saved tensors are freed: a node that saved none can run again, as in PyTorch
        # ((x + 2).sum().backward() twice works there too).
        if self._saved:
            self._saved = None


def _add_hook(hooks, hook):
    handle = _RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


class AccumulateGrad(Node):
    """The node that ends every path at a leaf: sums gradients into ``leaf.grad``."""

    def __init__(self, variable) -> None:
        self.variable = variable

    @staticmethod
    def for_leaf(t) -> AccumulateGrad:
        """The leaf's accumulator, shared by every graph that currently uses the leaf."""
        ref = t._grad_accumulator
        acc = ref() if ref is not None else None
        if acc is None:
            acc = AccumulateGrad(t)
            t._grad_accumulator = weakref.ref(acc)
        return acc


class FunctionCtx:
    """The ``ctx`` API that forward and backward see."""

    _to_save = ()
    _non_differentiable = None
    _dirty = None  # ids of inputs forward wrote in place (mark_dirty)
    _apply_state = None  # (args, grad mode) while forward runs: needs_input_grad in forward
    materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        """Save inputs or outputs of forward for use in backward (checked for in-place edits)."""
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Mark outputs that never require grad (indices, masks)."""
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """Whether backward gets zero tensors (True, default) or None for unused outputs."""
        self.materialize_grads = value

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that forward modified in place (and returns): they take over this
        node's history and their version counters are bumped, as an in-place op's would be."""
        self._dirty = {id(t) for t in tensors}

    def __getattr__(self, name):
        # Reached only for attributes never set. ``needs_input_grad`` (per forward argument:
        # whether its gradient is wanted) is a plain attribute once the node is connected, read
        # by every backward; inside forward, as in PyTorch, it comes from apply's arguments.
        if name == "needs_input_grad" and self._apply_state is not None:
            args, enabled = self._apply_state
            return tuple(enabled and isinstance(a, _Tensor) and a._requires_grad for a in args)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED_MESSAGE)
        return tuple(None if s is None else s.unpack(self) for s in saved)


class BackwardFunction(FunctionCtx, Node):
    """Base of the generated ``<Name>Backward`` node classes."""

    _forward_cls: type

    def apply(self, *grads):
        return self._forward_cls.backward(self, *grads)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardFunction,), {"_forward_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Base class for differentiable operations (``torch.autograd.Function``).

    Subclasses define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static
    methods and are called through ``apply``. ``backward`` returns one gradient (or None) per
    forward argument.
    """

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("You must implement the forward function for custom Function")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom Function")

    @classmethod
    def apply(cls, *args):
        Tensor = _Tensor
        needs_grad = False
        volatile = False
        enabled = _state.enabled
        for a in args:
            if isinstance(a, Tensor):
                if a._base is not None and enabled and a._view_of != a._base._history_gen:
                    refresh_stale_view(a, cls.__name__)  # (may give it a history)
                if a._requires_grad:
                    needs_grad = True
                if a._volatile:
                    volatile = True
        ctx = cls._backward_cls()
        ctx._apply_state = (args, enabled)  # for ctx.needs_input_grad inside forward
        if enabled:
            _state.enabled = False
            try:
                outputs = cls.forward(ctx, *args)
            finally:
                _state.enabled = True
        else:
            outputs = cls.forward(ctx, *args)

        dirty = ctx._dirty
        if dirty is not None:
            _bump_dirty(args, dirty)
        if type(outputs) is tuple:
            single = False
            outs = tuple([o if o is None or isinstance(o, Tensor) else Tensor._make(o)
                          for o in outputs])
        else:
            single = True
            outs = (outputs if isinstance(outputs, Tensor) else Tensor._make(outputs),)
        if volatile:
            for o in outs:
                if o is not None:
                    o._volatile = True
        elif needs_grad and enabled:
            outs = _connect(ctx, args, outs, Tensor)
            if _anomaly.enabled:
                record_forward_trace(ctx)
        return outs[0] if single else outs


_view_refresher = None  # ops.copy_slices.refresh_view, registered by the ops (a layer above)


def set_view_refresher(fn) -> None:
    """Register the function that makes a stale view continue its base's current history."""
    global _view_refresher
    _view_refresher = fn


def refresh_stale_view(view, where: str) -> None:
    """A view whose base took a new history after the view was taken (an in-place op on the
    base, or through another of its views): its values follow the base (shared memory) but its
    grad_fn still leads to the base's old history. As PyTorch does, it continues from the
    base's current history instead (a strided view of it). A view made by a node with a
    backward of its own (a hook function, a checkpoint) is refused: that backward would be
    bypassed (PyTorch refuses views made inside custom Functions)."""
    base = view._base
    if base is None or view._view_of == base._history_gen:
        return
    if view._view_creator is not None or _view_refresher is None:
        raise RuntimeError(
            f"{where}: an input is a view made by {view._view_creator or 'an op'} whose base "
            f"was modified in place after the view was taken (the base is now the output of "
            f"{type(base._grad_fn).__name__}); its history cannot be rebuilt without bypassing "
            "that node's backward. Take the view again after the in-place operation, or "
            "clone() it before.")
    _view_refresher(view)


def retarget_retain_grad(t, old_node, old_nr) -> None:
    """``t``'s history was replaced in place (``old_node`` output ``old_nr`` before): a
    ``retain_grad`` moves to its new node, so ``.grad`` is that of the new version, as in
    PyTorch (the old node would store the gradient of the overwritten values)."""
    if not t._retains_grad or old_node is None or old_node is t._grad_fn:
        return
    retained = old_node._retained
    if retained is not None:
        ref = retained.get(old_nr)
        if ref is not None and ref() is t:
            del retained[old_nr]
    t._retains_grad = False
    if t._grad_fn is not None:
        t.retain_grad()


def _bump_dirty(args, dirty) -> None:
    """ctx.mark_dirty: the marked inputs were written in place by forward."""
    for a in args:
        if isinstance(a, _Tensor) and id(a) in dirty:
            if _state.enabled and a._requires_grad and a._grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
            a._version_counter[0] += 1


def _is_one_of(obj, items) -> bool:
    """Identity membership (``in`` would call Tensor.__eq__, an elementwise op)."""
    for item in items:
        if item is obj:
            return True
    return False


def _connect(ctx, args, outs, Tensor) -> tuple:
    """Make ``ctx`` the grad_fn of ``outs``: edges to the inputs, saved tensors, output meta.

    Metadata is kept in tuples (not lists): tuples of shapes and dtypes are untracked by Python's
    cycle collector, which keeps its passes over a large live graph short. This runs once per
    recorded op, so it avoids building anything it does not keep.
    """
    edges = []
    needs = []
    meta = []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            fn = a._grad_fn
            if fn is None:
                ref = a._grad_accumulator
                fn = ref() if ref is not None else None
                edges.append((AccumulateGrad.for_leaf(a) if fn is None else fn, 0))
            else:
                edges.append((fn, a._output_nr))
            needs.append(True)
            data = a._data
            # (shape, dtype, in host memory): a CPU 0-d operand of a CUDA op gets its gradient
            # back on the CPU (engine._validate)
            meta.append((data.shape, data.dtype, type(data) is _ndarray))
        else:
            edges.append(None)
            needs.append(False)
            meta.append(None)
    ctx.next_functions = tuple(edges)
    ctx.needs_input_grad = tuple(needs)
    ctx._apply_state = None  # the node must not keep its inputs alive
    ctx._input_meta = tuple(meta)

    nondiff = ctx._non_differentiable
    dirty = ctx._dirty
    fresh = []  # outputs created by forward (not inputs returned as they are)
    out_meta = []
    for i, o in enumerate(outs):
        if o is None:
            out_meta.append(None)
            continue
        data = o._data
        out_meta.append((data.shape, data.dtype))
        differentiable = data.dtype.kind == "f" and (nondiff is None or id(o) not in nondiff)
        returned_input = o._grad_fn is not None
        replaced = None
        if dirty is not None and id(o) in dirty:
            returned_input = False  # written in place: the tensor itself takes this history
            o._history_gen += 1
            replaced = (o._grad_fn, o._output_nr)
        elif not returned_input:
            for a in args:
                if a is o:
                    returned_input = True
                    break
        if returned_input:
            # forward returned an input (or a tensor with history): give the output its own
            # identity, sharing the array, so the input's own grad_fn is left alone
            alias = Tensor._make(data)
            alias._version_counter = o._version_counter
            outs = outs[:i] + (alias,) + outs[i + 1:]
            o = alias
        else:
            fresh.append(o)
        if differentiable:
            o._requires_grad = True
            o._grad_fn = ctx
            o._output_nr = i
            if replaced is not None and o._retains_grad:
                retarget_retain_grad(o, *replaced)
    ctx._output_meta = tuple(out_meta)

    to_save = ctx._to_save
    if to_save:
        ctx._saved = tuple([
            None if t is None else _SavedTensor(t, _is_one_of(t, fresh)) for t in to_save
        ])
        ctx._to_save = ()
    else:
        ctx._saved = ()
    return outs


def once_differentiable(fn):
    """Decorator for a backward that is not itself differentiable: it runs without recording,
    and under create_graph its results come out of a node that raises if a second derivative
    ever reaches it (PyTorch's DelayedError), instead of silently contributing nothing."""

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            outputs = fn(ctx, *grads)
        if not (_state.enabled and any(isinstance(g, _Tensor) and g._requires_grad
                                       for g in grads)):
            return outputs
        single = not isinstance(outputs, tuple)
        wrapped = tuple(_DelayedError.apply(_fake_leaf(o)) if isinstance(o, _Tensor) else o
                        for o in ((outputs,) if single else outputs))
        return wrapped[0] if single else wrapped

    return wrapper


def _fake_leaf(t):
    """t's values as a leaf that requires grad, so the node after it is recorded."""
    leaf = _Tensor._make(t._data, True)
    leaf._version_counter = t._version_counter
    return leaf


class _DelayedError(Function):
    """y = x;  backward raises: x came from a backward marked @once_differentiable"""

    @staticmethod
    def forward(ctx, x):
        return _Tensor._make(x._data)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")
