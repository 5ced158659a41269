"""What a workload is, and the context it is built in (device, libraries, quick mode)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..timing import Impl

LIBS = ("gradgpu", "torch", "raw")


@dataclass
class Context:
    """Where and how a workload runs.

    ``gradgpu`` is the gradgpu module; ``torch`` is PyTorch or None (not installed, disabled, or
    no CUDA in this build); ``torch_reason`` says why it is None. ``xp`` is the raw-array
    namespace of the device (NumPy on the CPU, CuPy on the GPU).
    """

    device: str
    quick: bool
    gradgpu: object
    torch: object | None
    torch_reason: str | None
    xp: object
    seed: int = 0

    @property
    def timer(self) -> str:
        """The clock for gradgpu and raw-array implementations."""
        return "cupy" if self.device == "cuda" else "cpu"

    @property
    def torch_timer(self) -> str:
        return "torch" if self.device == "cuda" else "cpu"

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def libs(self) -> list[tuple[str, object]]:
        """The autograd libraries to build for: gradgpu, and PyTorch when available."""
        out = [("gradgpu", self.gradgpu)]
        if self.torch is not None:
            out.append(("torch", self.torch))
        return out

    def tensor(self, lib, array: np.ndarray, requires_grad: bool = False):
        """A tensor of ``lib`` on this device holding a copy of a NumPy array."""
        t = lib.tensor(array, device=self.device)
        return t.requires_grad_() if requires_grad else t

    def raw(self, array: np.ndarray):
        """A NumPy array as a raw array of this device (a copy on the GPU, as-is on the CPU)."""
        return self.xp.asarray(array) if self.device == "cuda" else array

    def impl(self, lib_name: str, fn: Callable[[], object], inner: int = 1) -> Impl:
        timer = self.torch_timer if lib_name == "torch" else self.timer
        return Impl(fn=fn, inner=inner, timer=timer)


@dataclass
class Built:
    """A workload ready to time: one ``Impl`` per library, or a string saying why there is none.

    ``check``: the first call of every implementation returns a loss (same initial weights and
    data), and the run reports how far each is from gradgpu's, so "the same work" is verified,
    not assumed. ``extra``: workload-specific sizes for derived numbers (``bytes`` moved per
    iteration for a bandwidth, ``flops`` for a throughput).
    """

    impls: dict[str, Impl | str]
    check: bool = False
    extra: dict = field(default_factory=dict)
    label: str = ""


@dataclass
class Workload:
    """A named benchmark. ``build(ctx)`` returns a ``Built``; ``unit`` is how times are shown
    ("us" per op or "ms" per step); ``target`` is the CPU goal for gradgpu/PyTorch, if any."""

    name: str
    family: str
    unit: str
    description: str
    build: Callable[[Context], Built]
    devices: tuple[str, ...] = ("cpu", "cuda")
    target: float | None = None
    budget_scale: float = 1.0  # share of the per-workload time budget


class RawAdam:
    """Adam over raw arrays, as ``torch.optim.Adam`` (bias-corrected, eps outside the sqrt):
    the floor the raw baselines use for an optimizer step."""

    def __init__(self, xp, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        self.xp, self.params, self.lr, self.eps = xp, params, lr, eps
        self.b1, self.b2 = betas
        self.m = [xp.zeros_like(p) for p in params]
        self.v = [xp.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads) -> None:
        b1, b2 = self.b1, self.b2
        self.t += 1
        step_size = self.lr / (1 - b1 ** self.t)
        bc2_sqrt = (1 - b2 ** self.t) ** 0.5
        for p, g, mi, vi in zip(self.params, grads, self.m, self.v):
            mi *= b1
            mi += (1 - b1) * g
            vi *= b2
            vi += (1 - b2) * g * g
            p -= step_size * mi / (self.xp.sqrt(vi) / bc2_sqrt + self.eps)

