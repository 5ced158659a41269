#!/usr/bin/env bash
# The one prepared script for the GPU machine (GUIDE section 8): the test suite with the cuda
# device, then the benchmarks with --device cuda, then a cProfile of the char-transformer step
# and the per-op forward+backward (benchmarks/profile_step.py), from this checkout with PYTHONPATH=$PWD and nothing installed.
# Logs go to $OUT when set (else benchmarks/results/gpu-check-<time>/); a short summary is
# printed last. Exits 0 when every stage passes, 1 when one fails, and 3 (with the reason) on a
# machine where CuPy sees no usable GPU.
#
#   bash benchmarks/gpu_check.sh
#
# On an H100 lease (2026-11-27; 16 cores, the image's python3 with pytest-xdist): tests 68-83 s
# on a fresh machine (NVRTC compiles included), benchmarks about 150 s at budget 3, the profile
# about 20 s; with the machine's start, one call takes about 5 of the 15 device minutes.
#
# Settings (environment):
#   GPU_CHECK_STAGES        tests,bench,profile (default), or any of them comma-separated
#   GPU_CHECK_TEST_TIMEOUT  seconds for pytest (default 240)
#   GPU_CHECK_BENCH_TIMEOUT seconds for the benchmarks (default 240; the table is rewritten after
#                           each workload, so a stopped run keeps the rows it finished)
#   GPU_CHECK_BENCH_BUDGET  timed seconds per workload (default 3; the CPU default is 10)
#   GPU_CHECK_WORKERS       pytest-xdist workers when xdist is installed (default: the CPU count,
#                           at most 14; 0 runs in one process). Each worker compiles the kernels
#                           it meets, all of them sharing CuPy's on-disk cache.
#   GPU_CHECK_PYTEST_K      pytest -k expression (default "cuda and not gradgradcheck": the cuda
#                           cases of the device fixture, the CUDA-vs-NumPy parity test of every
#                           registered op and the tests named or marked cuda; second-order checks
#                           and the CPU cases run in CI anyway; "" selects the whole suite)
#   PYTHON                  the interpreter (default: python, else python3)
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
PY="${PYTHON:-$(command -v python > /dev/null && echo python || echo python3)}"
STAGES="${GPU_CHECK_STAGES:-tests,bench,profile}"
LOG="${OUT:-benchmarks/results/gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$LOG"
LOG="$(cd "$LOG" && pwd)"

reason="$("$PY" -c 'from gradgpu.backend import cuda; print(cuda.unavailable_reason() or "")' 2>&1)"
if [ -n "$reason" ]; then
    echo "gpu_check: no usable CUDA GPU on this machine, nothing was run: $reason" | tee "$LOG/summary.txt" >&2
    exit 3
fi

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short=12 HEAD 2>/dev/null || echo '?')"
    if command -v nvidia-smi > /dev/null; then
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
            | sed 's/^/gpu: /'
    else
        echo "gpu: (nvidia-smi not found)"
    fi
    "$PY" - <<'EOF'
import platform
import numpy
print("python:", platform.python_version(), " numpy:", numpy.__version__)
from gradgpu.backend import cuda
cp = cuda.require_cuda("gpu_check")
print("cupy:", cp.__version__, " cuda runtime:", cp.cuda.runtime.runtimeGetVersion(),
      " driver:", cp.cuda.runtime.driverGetVersion())
try:
    import torch
    print("torch:", torch.__version__, " cuda:", torch.version.cuda,
          " available:", torch.cuda.is_available())
except ImportError:
    print("torch: not installed")
EOF
} > "$LOG/env.txt" 2>&1
cat "$LOG/env.txt"

test_rc=skipped
test_line="(not run)"
if [[ ",$STAGES," == *",tests,"* ]]; then
    pytest_k="${GPU_CHECK_PYTEST_K-cuda and not gradgradcheck}"
    workers="${GPU_CHECK_WORKERS:-$(( $(nproc) < 14 ? $(nproc) : 14 ))}"
    parallel=()
    if [ "$workers" -gt 0 ] && "$PY" -c 'import xdist' 2> /dev/null; then
        parallel=(-n "$workers")
    fi
    # a hung kernel ends its test, not the whole stage (pytest-timeout, when installed)
    if "$PY" -c 'import pytest_timeout' 2> /dev/null; then
        parallel+=(--timeout=120 --timeout-method=thread)
    fi
    echo "== tests: $PY -m pytest -q tests -k '$pytest_k' ${parallel[*]} -> $LOG/pytest.log"
    # the per-op CUDA-vs-NumPy checks first, so that a timeout still leaves the most telling part
    timeout "${GPU_CHECK_TEST_TIMEOUT:-240}" "$PY" -m pytest -q tests/test_ops.py tests \
        -p no:cacheprovider -p no:benchmark -rfE --tb=short --durations=10 "${parallel[@]}" \
        ${pytest_k:+-k "$pytest_k"} > "$LOG/pytest.log" 2>&1
    test_rc=$?
    [ "$test_rc" = 124 ] && echo "(pytest stopped by the ${GPU_CHECK_TEST_TIMEOUT:-240} s timeout)" >> "$LOG/pytest.log"
    test_line="$(grep -E '(passed|failed|error)' "$LOG/pytest.log" | tail -n 1)"
    grep -E '^(FAILED|ERROR) ' "$LOG/pytest.log" | cut -c1-220 | head -n 60
    tail -n 3 "$LOG/pytest.log"
fi

bench_rc=skipped
if [[ ",$STAGES," == *",bench,"* ]]; then
    echo "== benchmarks: $PY -m benchmarks --device cuda -> $LOG/bench.log"
    timeout "${GPU_CHECK_BENCH_TIMEOUT:-240}" "$PY" -m benchmarks --device cuda \
        --budget "${GPU_CHECK_BENCH_BUDGET:-3}" --out "$LOG" > "$LOG/bench.log" 2>&1
    bench_rc=$?
    [ "$bench_rc" = 124 ] && echo "(benchmarks stopped by the ${GPU_CHECK_BENCH_TIMEOUT:-240} s timeout)" >> "$LOG/bench.log"
fi

profile_rc=skipped
if [[ ",$STAGES," == *",profile,"* ]]; then
    # where the host time of a CUDA training step goes (benchmarks/profile_step.py)
    echo "== profile: $PY -m benchmarks.profile_step --device cuda -> $LOG/profile.txt"
    timeout 120 "$PY" -m benchmarks.profile_step --device cuda --workload char_transformer_step \
        --workload per_op_fwd_bwd > "$LOG/profile.txt" 2>&1
    profile_rc=$?
    head -n 40 "$LOG/profile.txt"
fi

{
    echo
    echo "================================ gpu_check summary ================================"
    cat "$LOG/env.txt"
    echo "tests: rc=$test_rc  $test_line"
    echo "benchmarks: rc=$bench_rc  profile: rc=$profile_rc"
    table="$(ls -t "$LOG"/cuda-*.txt 2>/dev/null | head -n 1)"
    if [ -n "$table" ]; then
        cat "$table"
    elif [ "$bench_rc" != skipped ]; then
        tail -n 30 "$LOG/bench.log"
    fi
    echo "logs: $LOG"
} | tee "$LOG/summary.txt"

for rc in "$test_rc" "$bench_rc" "$profile_rc"; do
    if [ "$rc" != skipped ] && [ "$rc" != 0 ]; then
        exit 1
    fi
done
exit 0
