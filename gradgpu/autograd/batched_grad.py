"""``autograd.grad(..., is_grads_batched=True)``: one backward pass per slice of the leading
(batch) dimension of ``grad_outputs``, results stacked along a new leading dimension.

PyTorch vectorizes this with vmap; here it is a loop over the batch, so it costs one backward
per row (a Jacobian of a 1000-element output: 1000 passes). The graph is kept until the last
row, then freed unless ``retain_graph``.
"""

from __future__ import annotations


def batched_grad(grad_fn, outputs: list, inputs: list, grad_outputs, retain_graph,
                 create_graph: bool, allow_unused: bool, materialize_grads: bool) -> tuple:
    """``grad_fn`` is ``autograd.grad``; the other arguments are its own."""
    from .._factories import zeros_like
    from ..ops.shape.joining import stack

    if grad_outputs is None:
        raise RuntimeError("grad(): is_grads_batched=True needs grad_outputs with a leading "
                           "batch dimension")
    rows = [grad_outputs] if not isinstance(grad_outputs, (list, tuple)) else list(grad_outputs)
    if len(rows) != len(outputs):
        raise RuntimeError(f"grad: got {len(rows)} gradients for {len(outputs)} outputs "
                           "(grad_outputs must match outputs)")
    sizes = set()
    for i, (g, o) in enumerate(zip(rows, outputs)):
        if g is None:
            continue
        if tuple(g.shape[1:]) != tuple(o.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a "
                f"shape of {o.shape}.")
        sizes.add(g.shape[0])
    if len(sizes) != 1:
        raise RuntimeError("grad(): is_grads_batched=True needs one batch size across "
                           f"grad_outputs, got {sorted(sizes)}")
    batch = sizes.pop()
    keep = create_graph if retain_graph is None else retain_graph
    per_row = [grad_fn(outputs, inputs, [None if g is None else g[b] for g in rows],
                       retain_graph=keep or b < batch - 1, create_graph=create_graph,
                       allow_unused=True)
               for b in range(batch)]
    results = []
    for j, t in enumerate(inputs):
        column = [row[j] for row in per_row]
        if all(c is None for c in column):
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
            results.append(stack([zeros_like(t)] * batch) if materialize_grads and batch
                           else None)
            continue
        results.append(stack([zeros_like(t) if c is None else c for c in column]))
    return tuple(results)
