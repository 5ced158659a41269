"""Host overhead: the cost of one tiny-tensor op, and of the autograd scheduler on a deep chain
and on a wide graph. The tensors are a few elements, so the array math is negligible and what is
timed is the Python/dispatch/graph bookkeeping around it. The raw rows are the same ufunc calls
on the same tiny arrays: the floor below which no Python library on these arrays can go."""

from __future__ import annotations

import numpy as np

from .base import Built, Context, Workload

TINY = 16  # elements per tensor in the per-op workloads
CHAIN = 1000
WIDE = 1000


def _per_op_inner(ctx: Context) -> int:
    return 200 if ctx.quick else 1000


def build_per_op_fwd(ctx: Context) -> Built:
    """``c = a * b`` on two 16-element float32 tensors, no grad: pure dispatch cost."""
    rng = ctx.rng()
    a_np, b_np = (rng.standard_normal(TINY).astype(np.float32) for _ in range(2))
    inner = _per_op_inner(ctx)
    impls = {}
    for name, lib in ctx.libs():
        a, b = ctx.tensor(lib, a_np), ctx.tensor(lib, b_np)

        def fwd(a=a, b=b):
            for _ in range(inner):
                c = a * b
            return c

        impls[name] = ctx.impl(name, fwd, inner)
    a, b = ctx.raw(a_np), ctx.raw(b_np)

    def raw_fwd():
        for _ in range(inner):
            c = a * b
        return c

    impls["raw"] = ctx.impl("raw", raw_fwd, inner)
    return Built(impls, label=f"a * b, {TINY} float32")


def build_per_op_fwd_bwd(ctx: Context) -> Built:
    """``(a * b).backward(g)`` with a, b leaves that require grad (their ``.grad`` reset to None
    first, as ``zero_grad`` does): graph recording, the engine, and gradient accumulation for one
    op. Raw: the forward ufunc and the two the backward needs (g * b, g * a)."""
    rng = ctx.rng()
    a_np, b_np, g_np = (rng.standard_normal(TINY).astype(np.float32) for _ in range(3))
    inner = _per_op_inner(ctx) // 2
    impls = {}
    for name, lib in ctx.libs():
        a, b = ctx.tensor(lib, a_np, True), ctx.tensor(lib, b_np, True)
        g = ctx.tensor(lib, g_np)

        def fwd_bwd(a=a, b=b, g=g):
            for _ in range(inner):
                a.grad = None
                b.grad = None
                (a * b).backward(g)
            return a.grad

        impls[name] = ctx.impl(name, fwd_bwd, inner)
    a, b, g = ctx.raw(a_np), ctx.raw(b_np), ctx.raw(g_np)

    def raw_fwd_bwd():
        for _ in range(inner):
            c = a * b  # noqa: F841 - the forward the autograd libraries compute
            ga = g * b
            gb = g * a  # noqa: F841
        return ga

    impls["raw"] = ctx.impl("raw", raw_fwd_bwd, inner)
    return Built(impls, label=f"(a * b).backward(g), {TINY} float32")


def build_chain(ctx: Context) -> Built:
    """A 1,000-node chain ``y = y * 0.999`` from one leaf, then ``y.backward(g)``: per-node cost
    of recording and of the backward scheduler. Raw: 1,000 multiplies forward, 1,000 back."""
    rng = ctx.rng()
    x_np, g_np = (rng.standard_normal(4).astype(np.float32) for _ in range(2))
    impls = {}
    for name, lib in ctx.libs():
        x, g = ctx.tensor(lib, x_np, True), ctx.tensor(lib, g_np)

        def chain(x=x, g=g):
            x.grad = None
            y = x
            for _ in range(CHAIN):
                y = y * 0.999
            y.backward(g)
            return x.grad

        impls[name] = ctx.impl(name, chain)
    x, g = ctx.raw(x_np), ctx.raw(g_np)

    def raw_chain():
        y = x
        for _ in range(CHAIN):
            y = y * 0.999
        gx = g
        for _ in range(CHAIN):
            gx = gx * 0.999
        return gx

    impls["raw"] = ctx.impl("raw", raw_chain)
    return Built(impls, label=f"{CHAIN} x (y * 0.999), backward")


def build_wide(ctx: Context) -> Built:
    """1,000 leaves, each scaled (1,000 independent nodes), stacked and summed, then backward:
    fan-in to one node and fan-out to 1,000 gradient accumulations. Raw: the same forward
    ufuncs, and the backward's 1,000 multiplies of the ones gradient."""
    rng = ctx.rng()
    leaves_np = rng.standard_normal((WIDE, 4)).astype(np.float32)
    impls = {}
    for name, lib in ctx.libs():
        leaves = [ctx.tensor(lib, row, True) for row in leaves_np]

        def wide(lib=lib, leaves=leaves):
            for leaf in leaves:
                leaf.grad = None
            lib.stack([leaf * 2.0 for leaf in leaves]).sum().backward()
            return leaves[0].grad

        impls[name] = ctx.impl(name, wide)
    xp = ctx.xp
    leaves = [ctx.raw(row) for row in leaves_np]

    def raw_wide():
        xp.stack([leaf * 2.0 for leaf in leaves]).sum()
        ones = xp.ones((WIDE, 4), dtype=xp.float32)
        return [ones[i] * 2.0 for i in range(WIDE)]

    impls["raw"] = ctx.impl("raw", raw_wide)
    return Built(impls, label=f"stack({WIDE} x leaf * 2).sum(), backward")


WORKLOADS = [
    Workload("per_op_fwd", "overhead", "us", "forward of one tiny-tensor op (µs per op)",
             build_per_op_fwd),
    Workload("per_op_fwd_bwd", "overhead", "us",
             "forward+backward of one tiny-tensor op (µs per op)", build_per_op_fwd_bwd,
             target=1.5),
    Workload("chain_1000", "overhead", "ms", "autograd: 1,000-node chain, build + backward",
             build_chain, target=1.5),
    Workload("wide_1000", "overhead", "ms", "autograd: 1,000 leaves stacked and summed, "
             "build + backward", build_wide),
]
