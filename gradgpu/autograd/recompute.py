"""Backpropagation through a recomputed graph (``gradgpu.utils.checkpoint``'s node).

A checkpoint node keeps the tensors its function used from outside, not the graph the
function built. Its backward runs the function again under grad mode and calls
``backprop_recomputed``: the fresh graph's edges into tensors from outside the function (the
node's own inputs: arguments, parameters, captured tensors) are cut there for the first-order
pass, so the gradient reaching them is returned by the node (and the engine sends it on)
instead of flowing past it; the edges are restored afterwards, so that under ``create_graph``
the higher-order graph still reaches the real inputs.
"""

from __future__ import annotations

import numpy as np

from . import engine as _engine
from .function import AccumulateGrad
from .grad_mode import _state

__all__ = ["CheckpointError", "backprop_recomputed"]

_HOLDER_DATA = np.zeros(())  # never read: a holder leaf only marks where gradients are captured


class CheckpointError(RuntimeError):
    """The recomputation in backward did not retrace the forward (``torch.utils.checkpoint``'s
    error type)."""


def backprop_recomputed(node, outputs, grad_outputs, known=(), limit=None) -> list:
    """Gradients w.r.t. ``node``'s inputs (one per entry of ``node.next_functions``, None where
    nothing flows) of ``outputs``, recomputed under grad mode, given ``grad_outputs``.

    ``node`` is the recomputing node whose backward is running: its edges are the frontier
    between the recomputed graph and the rest. Reaching any other node that existed before the
    recomputation would send gradients past ``node`` into the outer graph (and run, and free,
    the outer graph's nodes here): ``known`` (nodes of the forward that are not on the
    frontier) are refused, and so is a recomputed graph of more than ``limit`` nodes (the
    forward's count: what the walk would find beyond it is not the function's).
    Under ``create_graph`` (grad mode on in backward) the results are differentiable.
    """
    from ..tensor import Tensor

    # (a recomputing node inside another's recomputation has its edges cut by that one)
    own = getattr(node, "_uncut_edges", node.next_functions)
    frontier = {edge: i for i, edge in enumerate(own) if edge is not None}
    frontier_nodes = {edge[0] for edge in frontier}
    roots = [o for o, g in zip(outputs, grad_outputs) if g is not None]  # (an unused output)
    root_grads = [g for g in grad_outputs if g is not None]
    holders: dict = {}  # input index -> leaf that captures the gradient of that edge
    rewired = []  # (node, its original edges)
    try:
        seen = set()
        stack = [o._grad_fn for o in roots]
        while stack:  # the recomputed nodes: everything reachable short of the frontier
            n = stack.pop()
            if n in seen:
                continue
            if n is None or n in frontier_nodes or n in known or len(seen) == limit:
                raise _not_retraced(n, limit if len(seen) == limit else None)
            seen.add(n)
            edges = n.next_functions
            new = None
            for j, edge in enumerate(edges):
                if edge is None:
                    continue
                i = frontier.get(edge)
                if i is not None:
                    h = holders.get(i)
                    if h is None:
                        h = holders[i] = Tensor._make(_HOLDER_DATA, True)
                    if new is None:
                        new = list(edges)
                    new[j] = (AccumulateGrad.for_leaf(h), 0)
                elif not isinstance(edge[0], AccumulateGrad):
                    stack.append(edge[0])  # (a leaf made inside the function gets no gradient)
            if new is not None:
                rewired.append((n, edges))
                n._uncut_edges = edges
                n.next_functions = tuple(new)
        order = sorted(holders)
        create = _state.enabled  # backward(create_graph=True)
        got = (_engine.run_backward(roots, root_grads, create, create,
                                    [holders[i] for i in order], accumulate=False)
               if roots and order else [])
    finally:
        for n, edges in rewired:  # the higher-order graph runs through the real edges
            n.next_functions = edges
            del n._uncut_edges
    results: list = [None] * len(node.next_functions)
    for i, g in zip(order, got):
        results[i] = g
    return results


def _not_retraced(n, limit) -> CheckpointError:
    what = (f"more operations than the {limit} of the forward" if limit is not None
            else "a leaf" if n is None
            else f"{type(n).__name__}, a node from outside the checkpointed function")
    return CheckpointError(
        f"torch.utils.checkpoint: the recomputation in backward did not retrace the forward (it "
        f"reached {what}). Either the function is not deterministic, or a tensor computed "
        "inside it was kept alive outside it and is the only path to a captured tensor with a "
        "history (keep a detached copy instead).")
