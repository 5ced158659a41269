"""What every demo shares: command-line options, device choice, a progress bar, and the
outputs written to ``--out`` (metrics JSON, a PNG of the curves, a checkpoint to resume from)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import gradgpu
from gradgpu.backend import cuda as _cuda


def base_parser(prog: str, description: str, *, lr: float, batch_size: int,
                epochs: int | None = None, steps: int | None = None) -> argparse.ArgumentParser:
    """The options every demo takes (PyTorch-example style)."""
    parser = argparse.ArgumentParser(prog=f"python -m gradgpu.demos {prog}",
                                     description=description)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                        help="auto picks the GPU when CuPy sees one (default: auto)")
    if epochs is not None:
        parser.add_argument("--epochs", type=int, default=epochs)
    if steps is not None:
        parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs") / prog,
                        help="where metrics.json, curves.png and checkpoint.pt go")
    parser.add_argument("--resume", action="store_true",
                        help="continue from --out/checkpoint.pt if it exists")
    return parser


def pick_device(choice: str) -> str:
    """'cuda' when asked for (clear error if unusable) or when auto finds a GPU, else 'cpu'."""
    if choice == "cuda":
        _cuda.require_cuda("--device cuda")
        return "cuda"
    if choice == "auto" and _cuda.is_available():
        return "cuda"
    return "cpu"


class Progress:
    """A one-line progress bar with running metrics (a line per ~10% when not on a terminal)."""

    def __init__(self, total: int, desc: str, stream=None) -> None:
        self.total = max(total, 1)
        self.desc = desc
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.start = time.perf_counter()
        self._last_decile = -1

    def update(self, done: int, **metrics: float) -> None:
        frac = min(done / self.total, 1.0)
        width = 24
        bar = "#" * int(frac * width) + "." * (width - int(frac * width))
        shown = "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                          for k, v in metrics.items())
        line = (f"{self.desc} [{bar}] {done}/{self.total} "
                f"{time.perf_counter() - self.start:5.1f}s  {shown}")
        if self.live:
            self.stream.write("\r" + line)
            if done >= self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif int(frac * 10) > self._last_decile or done >= self.total:
            self._last_decile = int(frac * 10)
            self.stream.write(line + "\n")
            self.stream.flush()


def save_checkpoint(path: Path, **state) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    gradgpu.save(state, path)


def load_checkpoint(path: Path, device: str):
    """The saved state, or None when there is nothing to resume from."""
    if not path.exists():
        return None
    return gradgpu.load(path, map_location=device)


def write_metrics(out: Path, metrics: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "metrics.json"
    path.write_text(json.dumps(metrics, indent=2) + "\n")
    return path


def plot_curves(out: Path, history: dict, x_label: str, title: str) -> Path | None:
    """PNG of every series in ``history`` (loss panels left, accuracy right) via matplotlib.

    Returns None (and says why) when matplotlib is not installed: the demo extra brings it.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed, so no curves.png: pip install 'gradgpu[demo]'",
              file=sys.stderr)
        return None
    losses = {k: v for k, v in history.items() if "loss" in k and k != "step"}
    accs = {k: v for k, v in history.items() if "acc" in k}
    xs = history.get("step") or history.get("epoch")
    panels = [p for p in (losses, accs) if p]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, series in zip(axes[0], panels):
        for name, values in series.items():
            ax.plot(xs[:len(values)], values, marker="o" if len(values) < 40 else None,
                    label=name.replace("_", " "))
        ax.set_xlabel(x_label)
        ax.legend()
        ax.grid(alpha=0.3)
    axes[0][0].set_title(title)
    fig.tight_layout()
    path = out / "curves.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
