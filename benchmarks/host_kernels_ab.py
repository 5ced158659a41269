"""Per-op A/B of the NumPy backend's compiled host kernels against the NumPy code they replace,
at the char-transformer demo's sizes, in one process (median of 100 calls each, ms); prints a
Markdown table. From the repository root: ``python -m benchmarks.host_kernels_ab``."""

from __future__ import annotations

import time

import numpy as np

from gradgpu.backend import NUMPY
from gradgpu.backend import host_kernels as host
from gradgpu.backend.array_kernels import ArrayKernels as Ref
from gradgpu.backend.reference_optim import adam_arguments


def median_ms(fn, repeats: int = 100) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def cases():
    """(name, the NumPy code, the host kernel) at the demo GPT's sizes (batch 32, block 64,
    4 heads, 64-dim embeddings, MLP 256, a vocabulary of 103)."""
    rng = np.random.default_rng(0)

    def randn(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    act, g_act = randn(32, 64, 256), randn(32, 64, 256)
    gelu = host.gelu_fwd(act)
    scores, g_scores = randn(32, 4, 64, 64), randn(32, 4, 64, 64)
    weights = host.causal_softmax(scores)
    x, g_x = randn(32, 64, 64), randn(32, 64, 64)
    xhat, rstd = host.layer_norm_fwd(x, 64, 1e-5)
    logits, targets = randn(2048, 103), rng.integers(0, 103, 2048)
    g_loss = np.full(2048, 1 / 2048, np.float32)
    lse = host.cross_entropy_fwd(logits, targets, None, -100, 0.0, 1)[1]
    shapes = [(103, 64), (64, 64), (192, 64), (192,), (64, 64), (64,), (256, 64), (256,),
              (64, 256), (64,), (64,), (64,)] * 2
    params, grads = [randn(*s) for s in shapes], [randn(*s) for s in shapes]
    m, v = [np.zeros(s, np.float32) for s in shapes], [np.zeros(s, np.float32) for s in shapes]
    adam = dict(lr=3e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, amsgrad=False,
                maximize=False, decoupled_weight_decay=True, step=3)
    ce = (None, -100, 0.0, 1)
    return [
        ("GELU forward, 32x64x256", lambda: Ref.ew(NUMPY, "gelu_fwd", act),
         lambda: host.gelu_fwd(act)),
        ("GELU backward, 32x64x256", lambda: Ref.ew(NUMPY, "gelu_bwd", g_act, act, gelu),
         lambda: host.gelu_bwd(g_act, act, gelu)),
        ("causal softmax, 32x4x64x64", lambda: Ref.causal_softmax(NUMPY, scores),
         lambda: host.causal_softmax(scores)),
        ("softmax backward, 32x4x64x64", lambda: Ref.softmax_bwd(NUMPY, g_scores, weights, 3),
         lambda: host.softmax_bwd(g_scores, weights, 3)),
        ("layer norm forward, 2048x64", lambda: Ref.layer_norm_fwd(NUMPY, x, (2,), 1e-5),
         lambda: host.layer_norm_fwd(x, 64, 1e-5)),
        ("layer norm backward, 2048x64",
         lambda: Ref.layer_norm_bwd(NUMPY, g_x, xhat, rstd.reshape(32, 64, 1), (2,)),
         lambda: host.layer_norm_bwd(g_x, xhat, rstd, 64)),
        ("cross entropy forward, 2048x103",
         lambda: Ref.cross_entropy_fwd(NUMPY, logits, targets, *ce),
         lambda: host.cross_entropy_fwd(logits, targets, *ce)),
        ("cross entropy backward, 2048x103",
         lambda: Ref.cross_entropy_bwd(NUMPY, g_loss, logits, lse, targets, *ce),
         lambda: host.cross_entropy_bwd(g_loss, logits, lse, targets, *ce)),
        ("AdamW step, 24 tensors, 214k floats",
         lambda: Ref.adam_step(NUMPY, params, grads, m, v, None, **adam),
         lambda: host.adam_step(params, grads, m, v, None, adam_arguments(**adam))),
    ]


def main() -> None:
    library = host.library
    if library() is None:
        raise SystemExit(f"host kernels: {host.status()}")
    print("| op (float32) | NumPy code (ms) | host kernel (ms) |")
    print("|---|---|---|")
    for name, numpy_code, kernel in cases():
        host.library = lambda: None  # the NumPy code all the way down (NUMPY.erf, .softmax)
        try:
            reference = median_ms(numpy_code)
        finally:
            host.library = library
        print(f"| {name} | {reference:.3f} | {median_ms(kernel):.3f} |")


if __name__ == "__main__":
    main()
