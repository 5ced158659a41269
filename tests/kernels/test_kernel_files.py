"""How the CUDA backend hands kernel sources to CuPy: local includes inlined once each (NVRTC
then needs no include path), system includes left alone, every kernel file reachable."""

from __future__ import annotations

import re

from gradgpu.backend.cuda import kernel_files

from .nvcc import KERNEL_DIR


def test_kernel_dir_is_the_checkout_folder_here():
    assert kernel_files.kernel_dir() == KERNEL_DIR


def test_local_includes_are_inlined_once_and_pragma_once_dropped():
    text = kernel_files.expanded_sources(("elementwise.cuh", "reduction.cuh"))
    assert '#include "' not in text
    assert "#pragma once" not in text
    # common.cuh is included by every header but inlined a single time
    assert text.count("typedef unsigned long long u64;") == 1
    assert "tanh_fwd" in text
    assert "max_nan" in text


def test_every_cu_file_expands_to_a_self_contained_source():
    for cu in sorted(KERNEL_DIR.glob("*.cu")):
        text = kernel_files.expanded_source(cu.name)
        assert not re.search(r'^\s*#\s*include\s+"', text, re.M), cu.name
        assert 'extern "C"' in text, cu.name


def test_preamble_is_memoized():
    assert kernel_files.preamble("reduction.cuh") is kernel_files.preamble("reduction.cuh")
