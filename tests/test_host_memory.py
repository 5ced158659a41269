"""gradgpu keeps freed host memory mapped on glibc (gradgpu/backend/host_memory.py): a step's
worth of arrays freed and allocated again must not fault its pages in again."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest


def _on_glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None),
                                                            "gnu_get_libc_version")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _on_glibc(), reason="the malloc settings are glibc's")

# A training step's pattern: forty 1 MiB arrays alive together, then all freed, five times.
# Prints whether the settings were applied and the page faults of steps 2-5.
_STEPS = """
import resource, sys
import numpy as np
import gradgpu
from gradgpu.backend import numpy_backend

def step():
    arrays = [np.ones(1 << 18, dtype=np.float32) for _ in range(40)]
    del arrays

step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(4):
    step()
print(numpy_backend.HOST_MALLOC_TUNED, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _run(env_value: str | None) -> tuple[bool, int]:
    env = dict(os.environ)
    env.pop("GRADGPU_HOST_MALLOC", None)
    if env_value is not None:
        env["GRADGPU_HOST_MALLOC"] = env_value
    out = subprocess.run([sys.executable, "-c", _STEPS], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", int(out[1])


def test_freed_arrays_are_reused_without_page_faults_and_the_switch_turns_it_off():
    tuned, tuned_faults = _run(None)
    default, default_faults = _run("default")
    assert tuned and not default
    # glibc's defaults return the 40 MiB to the OS after each step: ~10,000 faults per step
    assert default_faults > 4 * 5000
    assert tuned_faults < default_faults / 20
