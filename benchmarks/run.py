"""Run the benchmark suite: ``python -m benchmarks [--device cpu|cuda] [--only NAME] [--quick]``
(or ``python benchmarks/run.py ...``).

Every workload is timed for gradgpu, PyTorch (when installed) and, where written, the same math
in raw NumPy/CuPy, interleaved, after warm-up; the table goes to stdout and the JSON and PNG to
``benchmarks/results/`` (``--out``).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"  # noqa: A001

from benchmarks import report  # noqa: E402
from benchmarks.timing import Plan, measure  # noqa: E402
from benchmarks.workloads import ALL, LIBS, Context  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"

FULL = Plan(warmup_calls=3, warmup_s=0.3, budget_s=10.0, settle_s=0.2, block_s=0.4,
            min_rounds=5, max_rounds=50)
QUICK = Plan(warmup_calls=1, warmup_s=0.02, budget_s=1.0, settle_s=0.05, block_s=0.1,
             min_rounds=2, max_rounds=5)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="workloads: " + ", ".join(w.name for w in ALL))
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run only this workload or family (overhead, model, gpu); repeatable, "
                        "or comma-separated")
    p.add_argument("--quick", action="store_true",
                   help="few repeats and short warm-up: a smoke run, not numbers to quote")
    p.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                   help="timed seconds per workload, all libraries together (default: "
                        f"{FULL.budget_s:g}, quick {QUICK.budget_s:g})")
    p.add_argument("--no-torch", action="store_true",
                   help="leave PyTorch out even when it is installed")
    p.add_argument("--out", type=Path, default=RESULTS_DIR,
                   help="folder for the JSON, the chart and the text table "
                        "(default: benchmarks/results)")
    p.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    return p.parse_args(argv)


def load_torch(device: str, disabled: bool):
    """(torch module or None, why not)."""
    if disabled:
        return None, "disabled (--no-torch)"
    try:
        import torch
    except ImportError:
        return None, ("not installed (pip install 'gradgpu[bench]'; CPU wheel: pip install torch "
                      "--index-url https://download.pytorch.org/whl/cpu)")
    if device == "cuda" and not torch.cuda.is_available():
        return None, f"no CUDA in this PyTorch ({torch.__version__})"
    return torch, None


def make_context(device: str, quick: bool, torch, torch_reason) -> Context:
    import numpy as np

    import gradgpu

    xp = np
    if device == "cuda":
        from gradgpu.backend import cuda

        xp = cuda.require_cuda("python -m benchmarks --device cuda")
    return Context(device=device, quick=quick, gradgpu=gradgpu, torch=torch,
                   torch_reason=torch_reason, xp=xp)


def select(only: list[str]):
    names = {n.strip() for item in only for n in item.split(",") if n.strip()}
    if not names:
        return list(ALL)
    known = {w.name for w in ALL} | {w.family for w in ALL}
    unknown = names - known
    if unknown:
        raise SystemExit(f"unknown workload(s) {sorted(unknown)}; known: {sorted(known)}")
    return [w for w in ALL if w.name in names or w.family in names]


def _free_device_memory(ctx: Context) -> None:
    gc.collect()
    if ctx.device == "cuda":
        ctx.xp.get_default_memory_pool().free_all_blocks()
        if ctx.torch is not None:
            ctx.torch.cuda.empty_cache()


def _scalar(value) -> float:
    """A loss (tensor of either library, or raw 0-d array) as a Python float."""
    if hasattr(value, "detach"):
        value = value.detach()
    return float(value)


def run_workload(workload, ctx: Context, plan: Plan) -> dict:
    """Build, check and time one workload; its JSON entry."""
    entry = {"name": workload.name, "family": workload.family, "unit": workload.unit,
             "description": workload.description, "target": workload.target}
    if ctx.device not in workload.devices:
        entry.update(status="skipped", reason=f"runs on {'/'.join(workload.devices)} only "
                                              f"(this run: --device {ctx.device})")
        return entry
    built = workload.build(ctx)
    entry.update(status="ok", label=built.label, extra=built.extra)
    impls = {k: v for k, v in built.impls.items() if not isinstance(v, str)}
    results = {k: {"na": v} for k, v in built.impls.items() if isinstance(v, str)}
    if "torch" not in built.impls:
        results["torch"] = {"na": ctx.torch_reason or "PyTorch not available"}
    if built.check:
        # The first call of each starts from the same weights and data: compare the losses.
        losses = {k: _scalar(impl.fn()) for k, impl in impls.items()}
        ref = losses["gradgpu"]
        entry["losses"] = losses
        entry["agreement"] = {k: abs(v - ref) / max(abs(ref), 1e-12)
                              for k, v in losses.items() if k != "gradgpu"}
    plan = dataclasses.replace(plan, budget_s=plan.budget_s * workload.budget_scale)
    start = time.perf_counter()
    for name, meas in measure(impls, plan).items():
        results[name] = {**meas.as_dict(), "inner": impls[name].inner}
    entry["seconds"] = round(time.perf_counter() - start, 2)
    entry["results"] = {k: results[k] for k in LIBS if k in results}
    g = entry["results"].get("gradgpu")
    entry["ratios"] = {f"gradgpu/{k}": report.ratio(g, entry["results"].get(k))
                       for k in ("torch", "raw")}
    del built, impls
    _free_device_memory(ctx)
    return entry


def run_suite(device: str = "cpu", only: list[str] | None = None, quick: bool = False,
              no_torch: bool = False, budget_s: float | None = None, progress=None,
              after_each=None) -> dict:
    """Run the selected workloads; the results document (what the JSON file holds).
    ``after_each(doc)`` is called with the document so far after every workload."""
    torch, torch_reason = load_torch(device, no_torch)
    ctx = make_context(device, quick, torch, torch_reason)
    plan = QUICK if quick else FULL
    if budget_s is not None:
        plan = dataclasses.replace(plan, budget_s=budget_s)
    doc = {"schema": 1, "created": report.timestamp(), "device": device, "quick": quick,
           "plan": vars(plan), "machine": report.machine_info(device, torch, torch_reason),
           "workloads": []}
    copy_bw = None
    for workload in select(only or []):
        if progress:
            progress(f"{workload.name} ...")
        entry = run_workload(workload, ctx, plan)
        if entry["status"] == "ok":
            if workload.name == "gpu_copy":
                raw = entry["results"].get("raw", {})
                if "median_s" in raw:
                    copy_bw = entry["extra"]["bytes"] / raw["median_s"] / 1e9
            entry["derived"] = report.derive(entry, copy_bw)
        doc["workloads"].append(entry)
        if progress:
            progress(f"{workload.name} done" + (f" in {entry['seconds']} s"
                                                if "seconds" in entry else ": skipped"))
        if after_each:
            after_each(doc)
    doc["copy_bandwidth_gbps"] = copy_bw
    doc["machine"]["loadavg_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    return doc


def save(doc: dict, out: Path, chart: bool = True) -> dict[str, Path]:
    """Write ``<device>-<time>.json``, ``.txt`` (the table) and ``.png`` (the chart) to ``out``."""
    stem = f"{doc['device']}{'-quick' if doc['quick'] else ''}-" + doc["created"].replace(":", "")
    paths = {"json": report.write_json(doc, out / f"{stem}.json")}
    (out / f"{stem}.txt").write_text(report.format_table(doc) + "\n")
    paths["txt"] = out / f"{stem}.txt"
    if chart and (png := report.write_chart(doc, out / f"{stem}.png")) is not None:
        paths["png"] = png
    return paths


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for w in ALL:
            print(f"{w.name:24} {w.family:9} {'/'.join(w.devices):9} {w.description}")
        return 0
    if args.device == "cuda":
        from gradgpu.backend import cuda

        reason = cuda.unavailable_reason()
        if reason is not None:
            print(f"--device cuda: CUDA is not available: {reason}", file=sys.stderr)
            return 2
    # the table and JSON so far are rewritten after each workload: a run stopped by a time
    # limit (a lent GPU's minutes) still leaves the rows it finished
    doc = run_suite(args.device, args.only, args.quick, args.no_torch, args.budget,
                    progress=lambda msg: print(msg, file=sys.stderr, flush=True),
                    after_each=lambda partial: save(partial, args.out, chart=False))
    paths = save(doc, args.out, chart=not args.no_chart)
    print(report.format_table(doc))
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
