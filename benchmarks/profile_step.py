"""Where gradgpu's host time goes in one workload: a cProfile of its gradgpu implementation.

    python -m benchmarks.profile_step [--device cpu|cuda] [--workload NAME ...] [--calls N]

The workload is the suite's own (same model, data and step as in the table). After a warm-up,
``--calls`` calls run under cProfile, with a device synchronize after each on CUDA so that the
profile's total is the step's wall time; the functions with the most own time and the most
cumulative time are printed. On a GPU a step is bound by the host (Python, then CuPy's launch
path) far more than by the kernels, so this is what the next change should be chosen from.
``benchmarks/gpu_check.sh`` runs it for the char-transformer step and the per-op
forward+backward.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"  # noqa: A001

from benchmarks.run import make_context  # noqa: E402
from benchmarks.workloads import BY_NAME  # noqa: E402


def profile_workload(device: str, name: str, calls: int, top: int = 25) -> str:
    """The report: the step's median wall time, then the top ``top`` functions by own and by
    cumulative time over ``calls`` profiled calls."""
    ctx = make_context(device, quick=True, torch=None, torch_reason="not profiled")
    fn = BY_NAME[name].build(ctx).impls["gradgpu"].fn
    sync = ctx.xp.cuda.Device().synchronize if device == "cuda" else (lambda: None)
    for _ in range(5):
        fn()
    sync()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    times.sort()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        fn()
        sync()
    profiler.disable()
    out = io.StringIO()
    out.write(f"{name} on {device}: median {times[len(times) // 2] * 1e3:.3f} ms per call "
              f"({calls} calls, unprofiled)\n")
    for key in ("tottime", "cumulative"):
        out.write(f"\n---- by {key} ----\n")
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_step",
                                description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--workload", action="append", choices=sorted(BY_NAME),
                   help="repeatable (default: char_transformer_step)")
    p.add_argument("--calls", type=int, default=20)
    args = p.parse_args(argv)
    if args.device == "cuda":
        from gradgpu.backend import cuda

        reason = cuda.unavailable_reason()
        if reason is not None:
            print(f"--device cuda: CUDA is not available: {reason}", file=sys.stderr)
            return 2
    for name in args.workload or ["char_transformer_step"]:
        print(profile_workload(args.device, name, args.calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
