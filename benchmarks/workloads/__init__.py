"""Every workload of the suite, in the order the table lists them."""

from __future__ import annotations

from . import gpu, models, overhead
from .base import LIBS, Built, Context, Workload

ALL: list[Workload] = [*overhead.WORKLOADS, *models.WORKLOADS, *gpu.WORKLOADS]
BY_NAME: dict[str, Workload] = {w.name: w for w in ALL}

__all__ = ["ALL", "BY_NAME", "LIBS", "Built", "Context", "Workload"]
