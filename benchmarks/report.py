"""Reporting: machine and version facts, the results table, the JSON file and the PNG chart.

``python -m benchmarks.report RESULTS.json`` prints the table of a saved run again.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

LIBS = ("gradgpu", "torch", "raw")
UNITS = {"us": ("µs", 1e6), "ms": ("ms", 1e3)}
ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
            "MKL_NUM_THREADS", "CUDA_VISIBLE_DEVICES", "CUPY_TF32", "GRADGPU_HOST_KERNELS")


# ------------------------------------------------------------------------------- the machine


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _git_commit() -> str | None:
    """The checked-out commit (read-only git query), '+dirty' when the tree has changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=10, check=True).stdout
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return head.strip() + ("+dirty" if dirty.strip() else "")


def _numpy_blas() -> dict:
    import numpy as np

    info: dict = {}
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info = {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas}
    except Exception as exc:  # older NumPy has no mode='dicts'
        info = {"error": f"{type(exc).__name__}: {exc}"}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info["threadpools"] = "threadpoolctl not installed"
    else:
        info["threadpools"] = [{k: p.get(k) for k in ("user_api", "internal_api", "version",
                                                        "num_threads", "architecture")}
                               for p in threadpool_info()]
    return info


def _gpu_info(torch) -> dict:
    from gradgpu.backend import cuda

    reason = cuda.unavailable_reason()
    if reason is not None:
        return {"available": False, "reason": reason}
    cp = cuda.require_cuda("benchmarks")
    try:
        props = cp.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        info = {
            "available": True,
            "name": name.decode() if isinstance(name, bytes) else str(name),
            "memory_gib": round(props["totalGlobalMem"] / 2**30, 1),
            "l2_cache_mib": round(props.get("l2CacheSize", 0) / 2**20, 1),
            "cupy": cp.__version__,
            "cuda_runtime": cp.cuda.runtime.runtimeGetVersion(),
            "cuda_driver": cp.cuda.runtime.driverGetVersion(),
        }
    except Exception as exc:  # a facts query must never cost the run
        info = {"available": True, "name": "?", "cupy": getattr(cp, "__version__", "?"),
                "cuda_runtime": "?", "error": f"{type(exc).__name__}: {exc}"}
    if torch is not None:
        info["torch_cuda"] = torch.version.cuda
        info["torch_allow_tf32_matmul"] = torch.backends.cuda.matmul.allow_tf32
    return info


def _host_kernels_status() -> str:
    """Whether the NumPy backend's compiled float32 kernels ran, or why not (its timings differ
    by ~1.5x on a transformer step: gradgpu/backend/host_kernels.py)."""
    from gradgpu.backend import host_kernels

    host_kernels.library()  # built or loaded now, so the status is final (and no run pays it)
    return host_kernels.status()


def machine_info(device: str, torch, torch_reason: str | None) -> dict:
    """Everything needed to tell two runs apart: machine, CPU, versions, threads, environment."""
    import numpy as np

    import gradgpu

    info = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": _memory_gib(),
        "loadavg_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numpy_blas": _numpy_blas(),
        "gradgpu": getattr(gradgpu, "__version__", None),
        "gradgpu_commit": _git_commit(),
        "gradgpu_host_kernels": _host_kernels_status(),
        "torch": torch.__version__ if torch is not None else None,
        "torch_reason": torch_reason,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "torch_interop_threads": (torch.get_num_interop_threads() if torch is not None
                                  else None),
        "env": {k: os.environ.get(k) for k in ENV_VARS},
    }
    if device == "cuda":
        info["gpu"] = _gpu_info(torch)
    return info


# ------------------------------------------------------------------------------ the numbers


def ratio(num: dict | None, den: dict | None) -> float | None:
    """median(num) / median(den), or None when either side was not measured."""
    if not num or not den or "median_s" not in num or "median_s" not in den:
        return None
    return num["median_s"] / den["median_s"]


def derive(entry: dict, copy_bandwidth: float | None) -> dict:
    """Bandwidth (and its fraction of the measured copy bandwidth) or TFLOP/s per library."""
    extra, out = entry.get("extra", {}), {}
    for lib, res in entry["results"].items():
        if "median_s" not in res:
            continue
        if extra.get("bytes"):
            gbps = extra["bytes"] / res["median_s"] / 1e9
            out.setdefault("GB/s", {})[lib] = gbps
            if copy_bandwidth:
                out.setdefault("of_copy_bw", {})[lib] = gbps / copy_bandwidth
        if extra.get("flops"):
            out.setdefault("TFLOP/s", {})[lib] = extra["flops"] / res["median_s"] / 1e12
    return out


def _fmt_time(res: dict, unit: str) -> str:
    if "median_s" not in res:
        return res.get("na", "n/a").split(":")[0].split(" (")[0]  # the short reason
    name, scale = UNITS[unit]
    med = res["median_s"] * scale
    spread = 100 * res["iqr_s"] / res["median_s"] if res["median_s"] else 0.0
    digits = 2 if med < 10 else 1 if med < 100 else 0
    return f"{med:.{digits}f} [{spread:.0f}%]"


def _fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def _notes(entry: dict) -> str:
    parts = []
    d = entry.get("derived", {})
    if "of_copy_bw" in d:
        parts.append("copy BW: " + " ".join(f"{k} {100 * v:.0f}%"
                                            for k, v in d["of_copy_bw"].items()))
    elif "GB/s" in d:
        parts.append("GB/s: " + " ".join(f"{k} {v:.0f}" for k, v in d["GB/s"].items()))
    if "TFLOP/s" in d:
        parts.append("TFLOP/s: " + " ".join(f"{k} {v:.1f}" for k, v in d["TFLOP/s"].items()))
    agree = entry.get("agreement")
    if agree:
        parts.append("loss rel.diff " + " ".join(f"{k} {v:.0e}" for k, v in agree.items()))
    return "; ".join(parts)


def format_table(doc: dict) -> str:
    """The results as a plain-text table, with a header naming the machine."""
    m = doc["machine"]
    torch_txt = (f"torch {m['torch']} ({m['torch_threads']} threads)" if m["torch"]
                 else f"torch not installed/unavailable ({m.get('torch_reason')})")
    lines = [
        f"gradgpu benchmarks  device={doc['device']}{'  (quick)' if doc['quick'] else ''}  "
        f"{doc['created']}",
        f"machine: {m['cpu_model']}, {m['cpu_count']} cores, Python {m['python']}, "
        f"NumPy {m['numpy']}, {torch_txt}, gradgpu {m['gradgpu']} {m['gradgpu_commit'] or ''}",
    ]
    if doc["device"] == "cuda" and m.get("gpu", {}).get("available"):
        g = m["gpu"]
        lines.append(f"gpu: {g['name']}, CuPy {g['cupy']}, CUDA runtime {g['cuda_runtime']}")
    if m.get("gradgpu_host_kernels"):
        lines.append(f"gradgpu host kernels: {m['gradgpu_host_kernels']}")
    env = {k: v for k, v in m["env"].items() if v is not None}
    if env:
        lines.append("env: " + " ".join(f"{k}={v}" for k, v in env.items()))
    header = ["workload", "unit", "gradgpu", "torch", "raw", "g/torch", "g/raw", "target",
              "notes"]
    rows = []
    skipped = []
    for e in doc["workloads"]:
        if e["status"] != "ok":
            skipped.append(f"  {e['name']}: {e['reason']}")
            continue
        res = e["results"]
        unit = UNITS[e["unit"]][0] + ("/op" if e["unit"] == "us" else "/step")
        target = "-"
        r_torch = e["ratios"].get("gradgpu/torch")
        if e.get("target") and doc["device"] == "cpu":
            met = "" if r_torch is None else (" ok" if r_torch <= e["target"] else " MISS")
            target = f"<={e['target']}x{met}"
        cells = [_fmt_time(res[k], e["unit"]) if k in res else "-" for k in LIBS]
        rows.append([e["name"], unit, *cells,
                     _fmt_ratio(r_torch), _fmt_ratio(e["ratios"].get("gradgpu/raw")), target,
                     _notes(e)])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines.append("")
    lines.append(fmt.format(*header).rstrip())
    lines.append(fmt.format(*("-" * w for w in widths)).rstrip())
    lines += [fmt.format(*r).rstrip() for r in rows]
    lines.append("")
    lines.append("times: median per op/step [interquartile range as % of the median]; "
                 "g/torch, g/raw: gradgpu's median / theirs (lower is better)")
    if skipped:
        lines.append("skipped:")
        lines += skipped
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- outputs


def timestamp() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_json(doc: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
    return path


def write_chart(doc: dict, path: Path) -> Path | None:
    """A horizontal bar chart of gradgpu/PyTorch and gradgpu/raw per workload (log scale), with
    the CPU targets marked. None when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    entries = [e for e in doc["workloads"] if e["status"] == "ok"]
    if not entries:
        return None
    names = [e["name"] for e in entries]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(entries) + 1.6))
    ys = range(len(entries))
    h = 0.38
    for offset, key, color in ((-h / 2, "gradgpu/torch", "tab:blue"),
                               (h / 2, "gradgpu/raw", "tab:orange")):
        vals = [e["ratios"].get(key) for e in entries]
        # Bars grow from 1 (parity): right of it gradgpu is slower, left of it faster.
        ax.barh([y + offset for y, v in zip(ys, vals) if v is not None],
                [v - 1 for v in vals if v is not None], left=1, height=h, color=color,
                label=key)
        for y, v in zip(ys, vals):
            if v is None:
                ax.text(1.02, y + offset, "n/a", va="center", fontsize=7, color=color)
    if doc["device"] == "cpu":
        marks = [(y, e["target"]) for y, e in zip(ys, entries) if e.get("target")]
        if marks:
            ax.scatter([t for _, t in marks], [y - h / 2 for y, _ in marks], marker="|",
                       s=300, color="black", zorder=3, label="target (vs torch)")
    ax.axvline(1.0, color="grey", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlabel("gradgpu time / other time (log scale, lower is better)")
    ax.set_title(f"gradgpu benchmarks, {doc['device']}, {doc['created']}", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    """Print the table of a saved results JSON file."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.report RESULTS.json", file=sys.stderr)
        return 2
    print(format_table(json.loads(Path(args[0]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
