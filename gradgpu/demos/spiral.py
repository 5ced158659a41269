"""Train a two-layer MLP on a synthetic 3-class spiral with gradgpu's autograd and plain SGD.

Written with tensors, autograd and ``nn.functional`` only (modules and optimizers come later),
so it shows the core loop: forward, ``loss.backward()``, update under ``no_grad``, zero grads.
"""

from __future__ import annotations

import argparse
import math
import time

import gradgpu
import gradgpu.nn.functional as F


def make_spiral(points_per_class: int, classes: int, generator: gradgpu.Generator):
    """Interleaved noisy spiral arms in 2-D, one arm per class."""
    n = points_per_class * classes
    t = gradgpu.linspace(0.0, 1.0, points_per_class).repeat(classes)
    labels = gradgpu.arange(classes).repeat_interleave(points_per_class)
    angle = labels * (2 * math.pi / classes) + t * 4.0
    angle = angle + gradgpu.randn(n, generator=generator) * 0.2
    x = gradgpu.stack([t * gradgpu.sin(angle), t * gradgpu.cos(angle)], dim=1)
    return x, labels


def init_linear(fan_in: int, fan_out: int, generator):
    """PyTorch's default Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1 / math.sqrt(fan_in)
    w = (gradgpu.rand(fan_in, fan_out, generator=generator) * 2 - 1) * bound
    b = (gradgpu.rand(fan_out, generator=generator) * 2 - 1) * bound
    return w.requires_grad_(), b.requires_grad_()


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(prog="python -m gradgpu.demos spiral", description=__doc__)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args(argv)

    gen = gradgpu.Generator().manual_seed(args.seed)
    x, y = make_spiral(100, 3, gen)
    x, y = x.to(args.device), y.to(args.device)
    w1, b1 = init_linear(2, args.hidden, gen)
    w2, b2 = init_linear(args.hidden, 3, gen)
    params = [p.to(args.device).detach().requires_grad_() for p in (w1, b1, w2, b2)]
    w1, b1, w2, b2 = params

    print(f"gradgpu spiral demo: {x.shape[0]} points, 3 classes, MLP 2-{args.hidden}-3, "
          f"{args.steps} steps of SGD (lr={args.lr}) on {x.device}")
    start = time.perf_counter()
    for step in range(args.steps + 1):
        logits = gradgpu.tanh(x @ w1 + b1) @ w2 + b2
        loss = F.cross_entropy(logits, y)
        if step % max(1, args.steps // 10) == 0:
            accuracy = (logits.argmax(dim=1) == y).float().mean().item()
            print(f"step {step:4d}  loss {loss.item():.4f}  accuracy {accuracy:.1%}")
        if step == args.steps:
            break
        loss.backward()
        with gradgpu.no_grad():
            for p in params:
                p -= args.lr * p.grad
                p.grad = None
    print(f"done in {time.perf_counter() - start:.1f} s")
    return loss.item()


if __name__ == "__main__":
    main()
