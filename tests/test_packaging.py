"""The wheel ships the C++/CUDA C source of kernels/ as gradgpu/_kernels, and an installed
gradgpu finds it there (the CUDA backend and the host kernels compile those files on first
use)."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    setuptools = pytest.importorskip("setuptools", reason="building the wheel needs setuptools")
    major, minor = (int(p) for p in setuptools.__version__.split(".")[:2])
    if (major, minor) < (70, 1) and importlib.util.find_spec("wheel") is None:
        pytest.skip("setuptools < 70.1 builds wheels only with the 'wheel' package (the test "
                    "extra asks for setuptools>=70.1)")
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # build from a copy of the tracked files so the checkout gets no build/ or egg-info folders
    src = build / "src"
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"],
                           check=True, capture_output=True, text=True).stdout.split()
    for name in files:
        path = ROOT / name
        if path.is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes(path.read_bytes())
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(out), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (whl,) = out.glob("gradgpu-*.whl")
    return whl


def test_wheel_contains_every_kernel_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = sorted(str(p.relative_to(ROOT / "kernels")) for p in (ROOT / "kernels").rglob("*")
                     if p.suffix in (".cu", ".cuh", ".cpp", ".h"))
    assert "host/host_kernels.cpp" in sources and "common.cuh" in sources
    missing = [s for s in sources if f"gradgpu/_kernels/{s}" not in names]
    assert not missing, f"not in the wheel: {missing}"


def test_installed_package_finds_its_kernels(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("from gradgpu.backend.cuda import kernel_files as k; "
            "print(k.kernel_dir()); print(len(k.expanded_source('reduction.cu')))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    where, size = proc.stdout.split()
    assert pathlib.Path(where) == site / "gradgpu" / "_kernels"
    assert int(size) > 0


def test_installed_package_builds_its_host_kernels(wheel, tmp_path):
    from gradgpu.backend import host_kernels

    if host_kernels.library() is None:
        pytest.skip(f"host kernels: {host_kernels.status()}")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("from gradgpu.backend import host_kernels as h; h.library(); print(h.status())")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(site), "PATH": os.environ["PATH"],
                                          "GRADGPU_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"in use: {tmp_path / 'cache'}"), proc.stdout
