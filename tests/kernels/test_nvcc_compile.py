"""Every file in kernels/ compiles with nvcc for sm_80 and sm_90 (one nvcc call per translation
unit with both architectures, all units in parallel), with nvcc's warnings made errors; and every
system header include is hidden from NVRTC (which CuPy compiles with and which has no standard
headers).

Each .cu is a translation unit; a header is compiled within a .cu that includes it, or, if none
does, through a one-line .cu of its own (so it must include what it uses). Each file is its own
test case, so a failure names the file and shows the compiler's output.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from . import nvcc

KERNEL_FILES = sorted(p.name for p in nvcc.KERNEL_DIR.iterdir() if p.suffix in (".cu", ".cuh"))
# NVRTC ships this one header itself (CuPy's kernels include it too)
NVRTC_HEADERS = {"cuda_fp16.h"}


_LOCAL_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def _includes(name: str, seen=None) -> set[str]:
    """The kernel files ``name`` includes, directly or through other kernel files."""
    seen = set() if seen is None else seen
    for inc in _LOCAL_INCLUDE.findall((nvcc.KERNEL_DIR / name).read_text()):
        if inc not in seen:
            seen.add(inc)
            _includes(inc, seen)
    return seen


def _translation_units() -> dict[str, str]:
    """{file: the file whose compilation covers it}: each .cu is compiled as it is; a header
    included by a .cu is compiled there (a header that fails to compile fails that .cu, whose
    output names the header), and any other header through a one-line .cu of its own."""
    sources = [n for n in KERNEL_FILES if n.endswith(".cu")]
    cover = {n: n for n in sources}
    for src in sources:
        for inc in sorted(_includes(src)):
            cover.setdefault(inc, src)
    for n in KERNEL_FILES:
        cover.setdefault(n, n)
    return cover


def _compile(name: str, out_dir: str) -> tuple[int, str, str]:
    src = os.path.join(out_dir, f"tu_{name}.cu")
    with open(src, "w") as f:
        f.write(f'#include "{name}"\n')
    gencode = [f"-gencode=arch=compute_{a[3:]},code={a}" for a in nvcc.ARCHS]
    cmd = [nvcc.nvcc_path(), "-std=c++17", "-c", *gencode, "-Werror", "all-warnings",
           f"-I{nvcc.KERNEL_DIR}", "-o", os.path.join(out_dir, f"{name}.o"), src]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode, " ".join(cmd), proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def compiled():
    """{translation unit: (exit status, command, compiler output)}, compiled in parallel."""
    if nvcc.nvcc_path() is None:
        pytest.skip(nvcc.NO_NVCC)
    units = sorted(set(_translation_units().values()))
    with tempfile.TemporaryDirectory(prefix="gradgpu-nvcc-compile-") as out_dir:
        with ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as pool:
            return dict(zip(units, pool.map(lambda n: _compile(n, out_dir), units)))


def test_kernel_folder_has_the_block_kernels():
    for name in ("softmax.cu", "cross_entropy.cu", "layer_norm.cu", "conv.cu", "pool.cu",
                 "index.cu", "common.cuh"):
        assert name in KERNEL_FILES


@pytest.mark.parametrize("name", KERNEL_FILES)
def test_kernel_file_compiles_for_sm80_and_sm90(compiled, name):
    unit = _translation_units()[name]
    status, cmd, output = compiled[unit]
    via = "" if unit == name else f" (compiled as part of kernels/{unit})"
    assert status == 0, f"nvcc failed on kernels/{name}{via}:\n{cmd}\n{output}"
    assert "warning" not in output.lower(), f"nvcc warned on kernels/{name}{via}:\n{output}"


_DIRECTIVE = re.compile(r"^\s*#\s*(\w+)\s*(.*?)\s*$")


def _system_includes_visible_to_nvrtc(text: str) -> list[str]:
    """The ``#include <...>`` lines (other than NVRTC's own headers) not inside a
    ``#ifndef __CUDACC_RTC__`` (or ``#if !defined(__CUDACC_RTC__)``, or the ``#else`` of an
    ``#ifdef __CUDACC_RTC__``)."""
    stack: list[tuple[bool, bool]] = []  # per open conditional: (this branch, its #else) hidden
    rtc = r"\(?\s*__CUDACC_RTC__\s*\)?"
    bad = []
    for line in text.splitlines():
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        word, rest = m.groups()
        rest = rest.split("//")[0].strip()
        if word in ("if", "ifdef", "ifndef"):
            if (word == "ifndef" and rest == "__CUDACC_RTC__") or (
                    word == "if" and re.fullmatch(r"!\s*defined\s*" + rtc, rest)):
                stack.append((True, False))
            elif (word == "ifdef" and rest == "__CUDACC_RTC__") or (
                    word == "if" and re.fullmatch(r"defined\s*" + rtc, rest)):
                stack.append((False, True))
            else:
                stack.append((False, False))
        elif word in ("else", "elif") and stack:
            _, else_hidden = stack.pop()
            hidden = else_hidden and word == "else"
            stack.append((hidden, hidden))
        elif word == "endif" and stack:
            stack.pop()
        elif word == "include" and rest.startswith("<"):
            header = rest[1:rest.index(">")]
            if header not in NVRTC_HEADERS and not any(h for h, _ in stack):
                bad.append(line.strip())
    return bad


@pytest.mark.parametrize("name", KERNEL_FILES)
def test_system_headers_are_hidden_from_nvrtc(name):
    text = (nvcc.KERNEL_DIR / name).read_text()
    bad = _system_includes_visible_to_nvrtc(text)
    assert not bad, (f"kernels/{name}: NVRTC (CuPy's compiler) has no standard headers; put "
                     f"these inside #ifndef __CUDACC_RTC__: {bad}")


def test_nvrtc_include_check_catches_an_unguarded_include():
    assert _system_includes_visible_to_nvrtc("#include <cmath>\n") == ["#include <cmath>"]
    guarded = "#ifndef __CUDACC_RTC__\n#include <cmath>\n#endif\n#include <cuda_fp16.h>\n"
    assert _system_includes_visible_to_nvrtc(guarded) == []
    # the #else branch of the guard is what NVRTC compiles, and the other way round
    flipped = "#ifndef __CUDACC_RTC__\n#else\n#include <cmath>\n#endif\n"
    assert _system_includes_visible_to_nvrtc(flipped) == ["#include <cmath>"]
    assert _system_includes_visible_to_nvrtc(
        "#ifdef __CUDACC_RTC__\n#else\n#include <cmath>\n#endif\n") == []
    assert _system_includes_visible_to_nvrtc(
        "#ifdef __CUDACC__\n#include <cstdio>\n#endif\n") == ["#include <cstdio>"]
