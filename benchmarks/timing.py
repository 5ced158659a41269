"""Timing: warm-up, then interleaved rounds (each implementation of a workload in turn: settle
untimed, then a timed block of calls), reported as the median and interquartile range of the
time per iteration over all timed calls.

Round-robin matters on a shared machine: a burst of noise (another process, a thermal or
frequency change) then lands on gradgpu, PyTorch and the raw-array floor alike instead of on
whichever happened to run at the time, so the ratios stay meaningful even when the absolute
times drift. Blocks with a settle phase, rather than alternating single calls, keep one
library's spinning thread pool from slowing down the next one (see ``Plan``).

On the CPU a repeat is timed with ``time.perf_counter``. On the GPU it is bracketed with CUDA
events recorded on the stream the library launches on (CuPy's current stream for gradgpu and
raw CuPy, PyTorch's current stream for PyTorch) and read after a device synchronize. Host gaps
between kernels still count (the end event runs only after the host has queued it), so a
host-bound workload is measured as such.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Impl:
    """One implementation of a workload: ``fn()`` runs ``inner`` iterations (a single call of a
    tiny op is too short to time, so per-op workloads loop inside ``fn``)."""

    fn: Callable[[], object]
    inner: int = 1
    timer: str = "cpu"  # "cpu", "cupy" or "torch": how a repeat is timed


@dataclass
class Measurement:
    """Seconds per iteration, one per timed call (``times``), and summary statistics."""

    times: list[float] = field(default_factory=list)
    rounds: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def q1(self) -> float:
        return _quantile(self.times, 0.25)

    @property
    def q3(self) -> float:
        return _quantile(self.times, 0.75)

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    def as_dict(self) -> dict:
        return {"median_s": self.median, "q1_s": self.q1, "q3_s": self.q3, "iqr_s": self.iqr,
                "min_s": min(self.times), "samples": len(self.times), "rounds": self.rounds}


def _quantile(values: list[float], q: float) -> float:
    """Linear-interpolation quantile (NumPy's default), without NumPy."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


class _CpuClock:
    def time(self, fn: Callable[[], object]) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start


class _CupyClock:
    """CUDA events on CuPy's current stream (the stream gradgpu's CUDA backend launches on)."""

    def __init__(self) -> None:
        from gradgpu.backend import cuda

        self.cp = cuda.require_cuda("benchmarks (CUDA events)")
        self.start = self.cp.cuda.Event()
        self.end = self.cp.cuda.Event()

    def time(self, fn: Callable[[], object]) -> float:
        self.cp.cuda.get_current_stream().synchronize()
        self.start.record()
        fn()
        self.end.record()
        self.end.synchronize()
        return self.cp.cuda.get_elapsed_time(self.start, self.end) / 1e3


class _TorchClock:
    """CUDA events on PyTorch's current stream."""

    def __init__(self) -> None:
        import torch

        self.torch = torch
        self.start = torch.cuda.Event(enable_timing=True)
        self.end = torch.cuda.Event(enable_timing=True)

    def time(self, fn: Callable[[], object]) -> float:
        self.torch.cuda.current_stream().synchronize()
        self.start.record()
        fn()
        self.end.record()
        self.end.synchronize()
        return self.start.elapsed_time(self.end) / 1e3


def _clock(kind: str):
    if kind == "cpu":
        return _CpuClock()
    if kind == "cupy":
        return _CupyClock()
    if kind == "torch":
        return _TorchClock()
    raise ValueError(f"unknown timer {kind!r}")


@dataclass
class Plan:
    """How long to measure.

    Warm-up: at least ``warmup_calls`` calls and ``warmup_s`` seconds per implementation. Then
    rounds; in each round every implementation in turn first *settles* (runs untimed for
    ``settle_s``), then runs a timed *block* of about ``block_s`` (each call timed on its own).
    Rounds repeat until ``budget_s`` of timed blocks (all implementations together) is spent,
    clamped to [min_rounds, max_rounds].

    Why settle: after a call into a multi-threaded BLAS or OpenMP pool, its worker threads keep
    spinning for up to ~0.1 s. On a 2-core machine they steal the cores of whichever library runs
    next: PyTorch's MLP step measured right after NumPy's BLAS ran 2-3x slower than after itself.
    Settling lets the previous library's threads go idle before timing starts.
    """

    warmup_calls: int = 3
    warmup_s: float = 0.2
    budget_s: float = 10.0
    settle_s: float = 0.2
    block_s: float = 0.4
    min_rounds: int = 5
    max_rounds: int = 50
    max_block_calls: int = 200


def _run_for(fn: Callable[[], object], seconds: float) -> None:
    """Call fn untimed until ``seconds`` have passed (at least once when seconds > 0)."""
    if seconds <= 0:
        return
    end = time.perf_counter() + seconds
    fn()
    while time.perf_counter() < end:
        fn()


def measure(impls: dict[str, Impl], plan: Plan) -> dict[str, Measurement]:
    """Warm every implementation up, then time them in round-robin blocks; seconds per
    iteration (``fn``'s time / ``inner``), one sample per timed call."""
    clocks = {name: _clock(impl.timer) for name, impl in impls.items()}
    block_calls = {}
    for name, impl in impls.items():
        clock = clocks[name]
        warm: list[float] = []
        while len(warm) < plan.warmup_calls or sum(warm) < plan.warmup_s:
            warm.append(clock.time(impl.fn))
            if len(warm) >= 50 * plan.warmup_calls:  # a very fast fn: enough warm-up either way
                break
        # The median warm-up call (not the first: compilation, caches; not the last alone: it
        # may have caught a garbage-collector pause) sets how many calls fill a block.
        typical = statistics.median(warm[1:] or warm)
        block_calls[name] = max(1, min(plan.max_block_calls,
                                       int(plan.block_s / max(typical, 1e-9))))
    per_round = len(impls) * plan.block_s
    rounds = plan.min_rounds if per_round <= 0 else int(plan.budget_s / per_round)
    rounds = min(max(rounds, plan.min_rounds), plan.max_rounds)
    results = {name: Measurement(rounds=rounds) for name in impls}
    for _ in range(rounds):
        for name, impl in impls.items():
            _run_for(impl.fn, plan.settle_s)
            clock, times = clocks[name], results[name].times
            for _ in range(block_calls[name]):
                times.append(clock.time(impl.fn) / impl.inner)
    return results
