"""GPU-only workloads: how close gradgpu gets to the hardware, next to PyTorch and raw CuPy.

- ``gpu_copy``: ``x.clone()`` of a 256 MB array; the raw row, a device-to-device
  ``cudaMemcpyAsync``, is the measured copy bandwidth that the bandwidth-bound rows are
  expressed against (bytes moved / time / copy bandwidth).
- ``gpu_elementwise`` (``a + b``), ``gpu_elementwise_fwd_bwd`` (``tanh`` forward and backward)
  and ``gpu_reduction`` (``x.sum()``): bandwidth-bound.
- ``gpu_matmul``: 4096 x 4096 float32, against CuPy's ``@`` (cuBLAS); TFLOP/s.
- ``gpu_softmax_ce``: ``cross_entropy(logits, y)`` forward + backward on 8192 x 8192 logits
  (our fused kernels), and ``gpu_softmax_ce_composed``: the same math from separate ops.
- ``gpu_adam_step``: one Adam step over 8 x 4M float32 parameters.

Cross-entropy and Adam run gradgpu's fused kernels from ``kernels/``, with PyTorch's
fused/foreach implementations and the raw-CuPy sequence of the same math beside them. Inputs
are far larger than the 50 MB L2.

CuPy is reached through ``ctx.xp`` (``gradgpu.backend.cuda``'s module), never imported here, so
these modules load on a machine without a GPU; there the workloads are skipped by the runner.
On the CPU they can still be built at toy sizes (``ctx.device == "cpu"``) so that tests check
that the code runs.
"""

from __future__ import annotations

import numpy as np

from .base import Built, Context, RawAdam, Workload


def _big(ctx: Context, gpu_size: int, cpu_size: int) -> int:
    return gpu_size if ctx.device == "cuda" else cpu_size


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:.0f} MiB" if nbytes >= 2**20 else f"{nbytes / 2**10:.0f} KiB"


def _vector(ctx: Context, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(n, dtype=np.float32)


def _bandwidth_built(ctx: Context, arrays: list[np.ndarray], op, raw_op, bytes_moved: int,
                     label: str) -> Built:
    impls = {}
    for name, lib in ctx.libs():
        tensors = [ctx.tensor(lib, a) for a in arrays]
        impls[name] = ctx.impl(name, lambda tensors=tensors: op(*tensors))
    raws = [ctx.raw(a) for a in arrays]
    impls["raw"] = ctx.impl("raw", lambda: raw_op(*raws))
    return Built(impls, extra={"bytes": bytes_moved}, label=label)


def build_copy(ctx: Context) -> Built:
    n = _big(ctx, 64 * 2**20, 4096)  # 256 MB of float32
    x = _vector(ctx, n, 0)
    return _bandwidth_built(ctx, [x], lambda t: t.clone(), _device_copy, 2 * x.nbytes,
                            f"clone(), {_mib(x.nbytes)} float32 (raw: cudaMemcpy)")


def _device_copy(a):
    """A copy of ``a`` by a device-to-device cudaMemcpyAsync: the copy bandwidth the other rows
    are expressed against. (CuPy's ``copy()`` is an elementwise kernel: on an H100 it moved
    1,580 GB/s where PyTorch's clone, a memcpy, moved 2,818.) NumPy arrays (the CPU toy build)
    are copied with ``copy()``."""
    out = a.copy() if isinstance(a, np.ndarray) else None
    if out is None:
        out = type(a)(a.shape, a.dtype)  # cupy.ndarray(shape, dtype): uninitialized
        out.data.copy_from_device_async(a.data, a.nbytes)
    return out


def build_elementwise(ctx: Context) -> Built:
    n = _big(ctx, 64 * 2**20, 4096)
    a, b = _vector(ctx, n, 0), _vector(ctx, n, 1)
    return _bandwidth_built(ctx, [a, b], lambda s, t: s + t, lambda s, t: s + t, 3 * a.nbytes,
                            f"a + b, {_mib(a.nbytes)} float32 each")


def build_elementwise_fwd_bwd(ctx: Context) -> Built:
    """``tanh`` forward and backward over 2^26 float32 (issue: >= 85% of copy bandwidth).
    Floor: read x, write y; read g and y, write dx (20 bytes per element). Raw: CuPy's tanh and
    the derivative as CuPy array expressions (temporaries included, as a user would write it)."""
    n = _big(ctx, 64 * 2**20, 4096)
    x_np, g_np = _vector(ctx, n, 0), _vector(ctx, n, 1)
    impls = {}
    for name, lib in ctx.libs():
        x, g = ctx.tensor(lib, x_np, True), ctx.tensor(lib, g_np)

        def fwd_bwd(x=x, g=g):
            x.grad = None
            y = x.tanh()
            y.backward(g)
            return y

        impls[name] = ctx.impl(name, fwd_bwd)
    xp = ctx.xp
    x, g = ctx.raw(x_np), ctx.raw(g_np)

    def raw_fwd_bwd():
        y = xp.tanh(x)
        return g * (1 - y * y)

    impls["raw"] = ctx.impl("raw", raw_fwd_bwd)
    return Built(impls, extra={"bytes": 20 * n},
                 label=f"tanh fwd+bwd, {_mib(4 * n)} float32")


def build_reduction(ctx: Context) -> Built:
    n = _big(ctx, 64 * 2**20, 4096)
    x = _vector(ctx, n, 0)
    return _bandwidth_built(ctx, [x], lambda t: t.sum(), lambda a: a.sum(), x.nbytes,
                            f"x.sum(), {_mib(x.nbytes)} float32")


def build_matmul(ctx: Context) -> Built:
    n = _big(ctx, 4096, 64)
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    built = _bandwidth_built(ctx, [a, b], lambda s, t: s @ t, lambda s, t: s @ t, 0,
                             f"{n}x{n} @ {n}x{n} float32 (raw: CuPy @, cuBLAS)")
    built.extra = {"flops": 2 * n**3}
    return built


def _raw_cross_entropy(ctx: Context, z_np, y_np):
    """Mean cross-entropy forward and backward by hand in raw CuPy (NumPy on the CPU)."""
    xp = ctx.xp
    rows = z_np.shape[0]
    z, y = ctx.raw(z_np), ctx.raw(y_np)
    idx = xp.arange(rows)

    def raw_ce():
        zmax = z.max(axis=1, keepdims=True)
        e = xp.exp(z - zmax)
        s = e.sum(axis=1, keepdims=True)
        loss = (xp.log(s[:, 0]) + zmax[:, 0] - z[idx, y]).mean()
        grad = e / s
        grad[idx, y] -= 1
        grad /= rows
        return loss

    return raw_ce


def _logits_and_targets(ctx: Context):
    """(N, C) float32 logits and N class indices: 8192 x 8192 on the GPU, toy-sized on the CPU."""
    rows, classes = (8192, 8192) if ctx.device == "cuda" else (64, 32)
    rng = np.random.default_rng(0)
    return rng.standard_normal((rows, classes)).astype(np.float32), rng.integers(0, classes, rows)


def _cross_entropy_built(ctx: Context, loss_of, label: str) -> Built:
    """Mean cross-entropy forward and backward to the logits, ``loss_of(lib, z, y)`` in each
    library, the raw version beside them. Floor: read the logits once, write their gradient
    once."""
    z_np, y_np = _logits_and_targets(ctx)
    rows, classes = z_np.shape
    impls = {}
    for name, lib in ctx.libs():
        z, y = ctx.tensor(lib, z_np, True), ctx.tensor(lib, y_np)

        def ce(lib=lib, z=z, y=y):
            z.grad = None
            loss = loss_of(lib, z, y)
            loss.backward()
            return loss

        impls[name] = ctx.impl(name, ce)
    impls["raw"] = ctx.impl("raw", _raw_cross_entropy(ctx, z_np, y_np))
    return Built(impls, check=True, extra={"bytes": 2 * z_np.nbytes},
                 label=f"cross_entropy {label}, {rows}x{classes} float32")


def build_softmax_ce(ctx: Context) -> Built:
    """``F.cross_entropy`` (gradgpu: the fused kernels). Raw: log-sum-exp forward and
    ``(softmax - onehot) / N`` backward by hand."""
    return _cross_entropy_built(ctx, lambda lib, z, y: lib.nn.functional.cross_entropy(z, y),
                                "fwd+bwd (fused kernels)")


def _composed_cross_entropy(lib, z, y):
    m = z.max(dim=1, keepdim=True)[0].detach()
    lse = (z - m).exp().sum(dim=1).log() + m[:, 0]
    return (lse - z.gather(1, y[:, None])[:, 0]).mean()


def build_softmax_ce_composed(ctx: Context) -> Built:
    """The same cross-entropy composed from separate ops (max, exp, sum, log, gather, mean) in
    each library: what the fused kernel is compared against."""
    return _cross_entropy_built(ctx, _composed_cross_entropy, "composed from ops")


def build_adam_step(ctx: Context) -> Built:
    """``optimizer.step()`` of Adam over fixed gradients. PyTorch runs its default CUDA
    implementation (foreach); raw CuPy runs the same math tensor by tensor. Floor: read p, g, m,
    v and write p, m, v once (28 bytes per float32 parameter)."""
    count, size = (8, 4 * 2**20) if ctx.device == "cuda" else (3, 100)
    rng = np.random.default_rng(0)
    params_np = [rng.standard_normal(size).astype(np.float32) for _ in range(count)]
    grads_np = [rng.standard_normal(size).astype(np.float32) for _ in range(count)]
    lr, (b1, b2), eps = 1e-3, (0.9, 0.999), 1e-8
    impls = {}
    for name, lib in ctx.libs():
        params = [lib.nn.Parameter(ctx.tensor(lib, p)) for p in params_np]
        for p, g in zip(params, grads_np):
            p.grad = ctx.tensor(lib, g)
        opt = lib.optim.Adam(params, lr=lr, betas=(b1, b2), eps=eps)
        impls[name] = ctx.impl(name, opt.step)
    xp = ctx.xp
    params = [ctx.raw(p).copy() for p in params_np]
    grads = [ctx.raw(g) for g in grads_np]
    raw = RawAdam(xp, params, lr, (b1, b2), eps)

    def raw_adam():
        raw.step(grads)

    impls["raw"] = ctx.impl("raw", raw_adam)
    n_params = count * size
    return Built(impls, extra={"bytes": 28 * n_params},
                 label=f"Adam over {count} x {size:,} float32 (gradgpu: one fused launch)")


_GPU = ("cuda",)
WORKLOADS = [
    Workload("gpu_copy", "gpu", "ms", "copy bandwidth reference: x.clone()", build_copy, _GPU),
    Workload("gpu_elementwise", "gpu", "ms", "elementwise a + b (bandwidth)", build_elementwise,
             _GPU),
    Workload("gpu_elementwise_fwd_bwd", "gpu", "ms", "elementwise tanh fwd+bwd (bandwidth)",
             build_elementwise_fwd_bwd, _GPU),
    Workload("gpu_reduction", "gpu", "ms", "reduction x.sum() (bandwidth)", build_reduction, _GPU),
    Workload("gpu_matmul", "gpu", "ms", "matmul vs cuBLAS (TFLOP/s)", build_matmul, _GPU),
    Workload("gpu_softmax_ce", "gpu", "ms", "softmax cross-entropy fwd+bwd", build_softmax_ce,
             _GPU),
    Workload("gpu_softmax_ce_composed", "gpu", "ms", "the same cross-entropy composed from ops",
             build_softmax_ce_composed, _GPU),
    Workload("gpu_adam_step", "gpu", "ms", "Adam optimizer step", build_adam_step, _GPU),
]
