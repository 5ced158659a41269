"""The fused optimizer kernels (kernels/optim.cuh) compiled for the host, driven by the CUDA
backend's own launcher (gradgpu/backend/cuda/optim_kernels.py) and compared bit for bit with the
NumPy reference (gradgpu/backend/reference_optim.py) over several steps, for every option.

The host library wraps the kernels' chunk walk (``gg::<opt>_step_chunks``) in a loop over every
(block, thread) of the launch the launcher asks for, so the launch table built by ``build_table``,
the grid/block sizes, the scalar argument types, the dtype grouping, the staging of
non-contiguous arrays and the reference fallback (float16) are all exercised as on a GPU; only
the CuPy calls (upload, contiguous copy) are NumPy stand-ins here.
"""

from __future__ import annotations

import contextlib
import ctypes
import types

import numpy as np
import pytest

import gradgpu
from gradgpu import optim
from gradgpu.backend import NUMPY
from gradgpu.backend.cuda import optim_kernels
from gradgpu.backend.cuda.backend import CudaBackend
from gradgpu.backend.reference_optim_adaptive import nadam_mu
from gradgpu.optim import _update_helpers

from .nvcc import build_host_library, nvcc_path

pytestmark = pytest.mark.skipif(nvcc_path() is None, reason="nvcc is not installed")

# One host entry point per kernel: run the chunk walk for every (block, thread) of the launch.
_HOST_SOURCE = r"""
#include "optim.cuh"

#define HOST_STEP(NAME, SCALARS, SLOTS, ...)                                                   \
    template <typename T>                                                                      \
    static void NAME##_host(const gg::u64* table, int n_tensors, long long n_chunks,           \
                            long long chunk_size, long long n_blocks, long long n_threads,     \
                            const T* sc, const int* fl) {                                      \
        const gg::SCALARS<T> s{__VA_ARGS__};                                                   \
        for (long long b = 0; b < n_blocks; ++b)                                               \
            for (long long t = 0; t < n_threads; ++t)                                          \
                gg::NAME##_step_chunks<T>(gg::OptimLaunch{table, n_tensors, gg::SLOTS,         \
                                                          n_chunks, chunk_size, b, n_blocks,   \
                                                          t, n_threads}, s);                   \
    }                                                                                          \
    extern "C" void host_##NAME##_f32(const gg::u64* table, int n, long long c, long long cs,  \
                                      long long nb, long long nt, const float* sc,             \
                                      const int* fl) {                                         \
        NAME##_host<float>(table, n, c, cs, nb, nt, sc, fl);                                   \
    }                                                                                          \
    extern "C" void host_##NAME##_f64(const gg::u64* table, int n, long long c, long long cs,  \
                                      long long nb, long long nt, const double* sc,            \
                                      const int* fl) {                                         \
        NAME##_host<double>(table, n, c, cs, nb, nt, sc, fl);                                  \
    }

HOST_STEP(sgd, SgdScalars, SGD_SLOTS,
          sc[0], sc[1], sc[2], sc[3], fl[0], fl[1], fl[2], fl[3], fl[4])
HOST_STEP(adam, AdamScalars, ADAM_SLOTS,
          sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], fl[0], fl[1], fl[2])
HOST_STEP(rmsprop, RmspropScalars, RMSPROP_SLOTS,
          sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], fl[0], fl[1], fl[2], fl[3])
HOST_STEP(adagrad, AdagradScalars, ADAGRAD_SLOTS, sc[0], sc[1], sc[2], fl[0], fl[1])

// the optimizers with two state buffers share one walk, over their own update
#define HOST_TWO_STATE(NAME, SCALARS, ...)                                                     \
    namespace gg {                                                                             \
    template <typename T>                                                                      \
    void NAME##_step_chunks(const OptimLaunch& L, const SCALARS<T>& s) {                       \
        two_state_step_chunks<T, SCALARS<T>, NAME##_update<T>>(L, s);                          \
    }                                                                                          \
    }                                                                                          \
    HOST_STEP(NAME, SCALARS, TWO_STATE_SLOTS, __VA_ARGS__)

HOST_TWO_STATE(nadam, NadamScalars, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7],
               sc[8], fl[0], fl[1])
HOST_TWO_STATE(radam, RadamScalars, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7],
               sc[8], sc[9], fl[0], fl[1], fl[2])
HOST_TWO_STATE(adamax, AdamaxScalars, sc[0], sc[1], sc[2], sc[3], sc[4], fl[0], fl[1])
HOST_TWO_STATE(adadelta, AdadeltaScalars, sc[0], sc[1], sc[2], sc[3], sc[4], fl[0], fl[1])
HOST_TWO_STATE(rprop, RpropScalars, sc[0], sc[1], sc[2], sc[3], fl[0])
"""

# (scalars, flags) of each kernel, as the *_arguments functions of reference_optim.py return
_ARITY = {"sgd": (4, 5), "adam": (8, 3), "rmsprop": (6, 4), "adagrad": (3, 2),
          "nadam": (9, 2), "radam": (10, 3), "adamax": (5, 2), "adadelta": (5, 2),
          "rprop": (4, 1)}


class _HostKernel:
    """Stands in for ``raw_kernel("optim.cu", "gradgpu_<opt>_step_<f32|f64>")``: checks the
    arguments as CuPy would pass them to that C signature, then runs the host build."""

    def __init__(self, lib, name: str, launches: list):
        opt, suffix = name[len("gradgpu_"):].rsplit("_step_", 1)
        self.opt, self.launches = opt, launches
        self.ctype = {"f32": np.float32, "f64": np.float64}[suffix]
        self.fn = getattr(lib, f"host_{opt}_{suffix}")

    def __call__(self, grid, block, args):
        table, n_tensors, n_chunks, chunk_size, *rest = args
        n_scalars, n_flags = _ARITY[self.opt]
        assert len(rest) == n_scalars + n_flags
        scalars, flags = rest[:n_scalars], rest[n_scalars:]
        # CuPy passes a Python float as a double: every scalar must be typed for the kernel
        assert all(type(x) is self.ctype for x in scalars), scalars
        assert all(type(f) is np.int32 for f in flags), flags
        assert type(n_tensors) is np.int32
        assert type(n_chunks) is np.int64 and type(chunk_size) is np.int64
        assert table.dtype == np.uint64 and table.flags.c_contiguous
        assert len(grid) == len(block) == 1 and 1 <= grid[0] <= n_chunks
        self.launches.append((self.opt, self.ctype, int(n_tensors)))
        sc = np.array(scalars, dtype=self.ctype)
        fl = np.array(flags, dtype=np.int32)
        self.fn(ctypes.c_void_p(table.ctypes.data), ctypes.c_int(int(n_tensors)),
                ctypes.c_longlong(int(n_chunks)), ctypes.c_longlong(int(chunk_size)),
                ctypes.c_longlong(grid[0]), ctypes.c_longlong(block[0]),
                ctypes.c_void_p(sc.ctypes.data), ctypes.c_void_p(fl.ctypes.data))


@pytest.fixture(scope="module")
def host_lib():
    return build_host_library(_HOST_SOURCE, "optim host kernels")


@pytest.fixture
def host_cuda(host_lib, monkeypatch):
    """(a CudaBackend whose optimizer kernels run on the host over NumPy arrays, its launches).

    Small chunks, blocks and grids make every launch walk several chunks per tensor, several
    chunks per block (grid-stride) and several elements per thread (block-stride)."""
    launches = []
    monkeypatch.setattr(optim_kernels, "raw_kernel",
                        lambda file, fn: _HostKernel(host_lib, fn, launches))
    monkeypatch.setattr(optim_kernels, "_address", lambda a: a.ctypes.data)
    monkeypatch.setattr(optim_kernels, "CHUNK_SIZE", 5)
    monkeypatch.setattr(optim_kernels, "BLOCK", 3)
    monkeypatch.setattr(optim_kernels, "MAX_GRID", 4)
    monkeypatch.setattr(optim_kernels, "_tables", type(optim_kernels._tables)())
    be = CudaBackend.__new__(CudaBackend)
    be._single_gpu = False  # take the device-switch path of the stand-in
    be.index, be.xp, be.device = 0, np, gradgpu.device("cuda", 0)
    be._cp = types.SimpleNamespace(
        asarray=np.asarray, ascontiguousarray=np.ascontiguousarray,
        cuda=types.SimpleNamespace(Device=lambda index: contextlib.nullcontext()))
    be.quiet = NUMPY.quiet  # its reference fallback runs on NumPy arrays here
    return be, launches


# ---- the kernels vs the reference, step by step ----------------------------------------------

_SHAPES = [(7, 5), (13,), (), (0, 3), (4, 6), (23,)]
_NON_CONTIGUOUS = 4  # index of the tensor given transposed (staged through a contiguous copy)

# name -> (the state slots after param and grad, option sets)
_OPTIMIZERS = {
    "sgd": (("momentum_buffers",), [
        dict(lr=0.05, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
             maximize=False),
        dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1, nesterov=False,
             maximize=False),
        dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.1, nesterov=True,
             maximize=True),
    ]),
    "adam": (("exp_avgs", "exp_avg_sqs", "max_exp_avg_sqs"), [
        dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled_weight_decay=False),
        dict(lr=0.1, beta1=0.8, beta2=0.95, eps=1e-4, weight_decay=0.1, amsgrad=True,
             maximize=True, decoupled_weight_decay=False),
        dict(lr=0.1, beta1=0.3, beta2=0.4, eps=1e-8, weight_decay=0.3, amsgrad=True,
             maximize=False, decoupled_weight_decay=True),
    ]),
    "rmsprop": (("square_avgs", "grad_avgs", "momentum_buffers"), [
        dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
             maximize=False),
        dict(lr=0.01, alpha=0.9, eps=1e-4, weight_decay=0.1, momentum=0.9, centered=False,
             maximize=True),
        dict(lr=0.01, alpha=0.9, eps=1e-3, weight_decay=0.0, momentum=0.5, centered=True,
             maximize=False),
    ]),
    "adagrad": (("state_sums",), [
        dict(lr=0.1, lr_decay=0.0, weight_decay=0.0, eps=1e-10, maximize=False),
        dict(lr=0.1, lr_decay=0.2, weight_decay=0.1, eps=1e-3, maximize=True),
    ]),
    "nadam": (("exp_avgs", "exp_avg_sqs"), [
        dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
             maximize=False, decoupled_weight_decay=False),
        dict(lr=0.1, beta1=0.8, beta2=0.95, eps=1e-4, weight_decay=0.1, momentum_decay=0.1,
             maximize=True, decoupled_weight_decay=False),
        dict(lr=0.1, beta1=0.3, beta2=0.4, eps=1e-8, weight_decay=0.3, momentum_decay=4e-3,
             maximize=False, decoupled_weight_decay=True),
    ]),
    "radam": (("exp_avgs", "exp_avg_sqs"), [  # rho_t > 5 only from step 6 at beta2 = 0.999
        dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, maximize=False,
             decoupled_weight_decay=False),
        dict(lr=0.1, beta1=0.5, beta2=0.6, eps=1e-4, weight_decay=0.1, maximize=True,
             decoupled_weight_decay=False),
        dict(lr=0.1, beta1=0.3, beta2=0.4, eps=1e-8, weight_decay=0.3, maximize=False,
             decoupled_weight_decay=True),
    ]),
    "adamax": (("exp_avgs", "exp_infs"), [
        dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, maximize=False),
        dict(lr=0.1, beta1=0.8, beta2=0.9, eps=1e-3, weight_decay=0.1, maximize=True),
    ]),
    "adadelta": (("square_avgs", "acc_deltas"), [
        dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False),
        dict(lr=0.5, rho=0.8, eps=1e-3, weight_decay=0.1, maximize=True),
    ]),
    "rprop": (("prevs", "step_sizes"), [
        dict(etaminus=0.5, etaplus=1.2, step_size_min=1e-6, step_size_max=50.0,
             maximize=False),
        dict(etaminus=0.3, etaplus=1.5, step_size_min=0.05, step_size_max=0.2, maximize=True),
    ]),
}
_CASES = [(name, i) for name, (_, sets) in _OPTIMIZERS.items() for i in range(len(sets))]


def _used(name: str, slot: str, options: dict) -> bool:
    """Whether the options use a state slot (the optimizers pass None otherwise)."""
    if slot == "max_exp_avg_sqs":
        return options["amsgrad"]
    if slot == "grad_avgs":
        return options["centered"]
    if slot == "momentum_buffers":
        return options["momentum"] > 0
    return True


def _problem(rng, dtype, extreme=False):
    """Parameters and positive state buffers of _SHAPES (one transposed), and grads for 4 steps;
    ``extreme`` puts 0, -0, ±inf, NaN, huge and denormal values into the gradients."""
    def make(scale=1.0, positive=False):
        out = []
        for i, shape in enumerate(_SHAPES):
            a = rng.standard_normal(shape[::-1] if i == _NON_CONTIGUOUS else shape) * scale
            a = np.asarray(np.abs(a) if positive else a, dtype=dtype)  # 0-d: an array too
            out.append(a.T if i == _NON_CONTIGUOUS else a)
        return out

    params = make()
    states = {"pos": make(0.1, positive=True), "any": make(0.1)}
    grads = [make() for _ in range(4)]
    if extreme:
        tiny = np.finfo(dtype).smallest_subnormal
        special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3e38, tiny, -tiny], dtype)
        grads[1][0].reshape(-1)[:8] = special  # reshape of a C-contiguous array is a view
        grads[2][5][:8] = special[::-1]
    return params, states, grads


def _run(be, name, options, params, states, grads):
    """Copies of params/states after len(grads) steps of ``be.<name>_step``."""
    slots, _ = _OPTIMIZERS[name]
    params = [p.copy(order="K") for p in params]
    buffers = {}
    for slot in slots:
        if not _used(name, slot, options):
            buffers[slot] = None
            continue
        kind = "any" if slot in ("exp_avgs", "grad_avgs", "momentum_buffers", "prevs") else "pos"
        buffers[slot] = [s.copy(order="K") for s in states[kind]]
    mu_product = 1.0
    for t, g in enumerate(grads, start=1):
        extra = {"step": float(t)} if name in ("adam", "adagrad", "radam", "adamax") else {}
        if name == "sgd":
            extra = {"first_step": t == 1}
        if name == "nadam":
            mu_product *= nadam_mu(beta1=options["beta1"],
                                   momentum_decay=options["momentum_decay"], step=t)
            extra = {"step": float(t), "mu_product": mu_product}
        getattr(be, f"{name}_step")(params, g, *buffers.values(), **options, **extra)
    return params, buffers


@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, which", _CASES, ids=[f"{n}-{i}" for n, i in _CASES])
def test_fused_step_matches_the_reference_bit_for_bit(host_cuda, name, which, dtype, extreme):
    be, launches = host_cuda
    options = _OPTIMIZERS[name][1][which]
    problem = _problem(np.random.default_rng(which), dtype, extreme)
    want_p, want_s = _run(NUMPY, name, options, *problem)
    got_p, got_s = _run(be, name, options, *problem)
    assert launches == [(name, dtype, len(_SHAPES))] * 4  # one launch per step, all tensors
    for i, (g, w) in enumerate(zip(got_p, want_p)):
        np.testing.assert_array_equal(g, w, err_msg=f"param {i}")
    assert not got_p[_NON_CONTIGUOUS].flags.c_contiguous  # staged, then written back
    for slot, arrays in want_s.items():
        if arrays is None:
            assert got_s[slot] is None
            continue
        for i, (g, w) in enumerate(zip(got_s[slot], arrays)):
            np.testing.assert_array_equal(g, w, err_msg=f"{slot}[{i}]")
    if not extreme:  # the reference itself moved the parameters
        assert not np.array_equal(want_p[0], problem[0][0])


def test_dtypes_get_one_launch_each_and_float16_takes_the_reference(host_cuda):
    be, launches = host_cuda
    rng = np.random.default_rng(5)
    dtypes = [np.float32, np.float64, np.float16, np.float32, np.float64]
    params = [rng.standard_normal(6).astype(d) for d in dtypes]
    grads = [rng.standard_normal(6).astype(d) for d in dtypes]
    options = dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, eps=1e-10, maximize=False, step=1.0)
    want = [p.copy() for p in params]
    NUMPY.adagrad_step(want, grads, [np.zeros(6, d) for d in dtypes], **options)
    be.adagrad_step(params, grads, [np.zeros(6, d) for d in dtypes], **options)
    assert sorted(launches, key=str) == sorted(
        [("adagrad", np.float32, 2), ("adagrad", np.float64, 2)], key=str)
    for g, w in zip(params, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_two_state_optimizers_send_float16_to_the_reference(host_cuda):
    be, launches = host_cuda
    rng = np.random.default_rng(6)
    dtypes = [np.float16, np.float32, np.float16]
    params = [rng.standard_normal(5).astype(d) for d in dtypes]
    grads = [rng.standard_normal(5).astype(d) for d in dtypes]
    options = dict(lr=0.1, rho=0.9, eps=1e-6, weight_decay=0.1, maximize=False)
    start = [p.copy() for p in params]
    want = [p.copy() for p in params]
    NUMPY.adadelta_step(want, grads, [np.zeros(5, d) for d in dtypes],
                        [np.zeros(5, d) for d in dtypes], **options)
    be.adadelta_step(params, grads, [np.zeros(5, d) for d in dtypes],
                     [np.zeros(5, d) for d in dtypes], **options)
    assert launches == [("adadelta", np.float32, 1)]
    for g, w in zip(params, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    assert not np.array_equal(params[0], start[0])  # the float16 reference path moved it


def test_a_state_of_another_dtype_takes_the_reference(host_cuda):
    be, launches = host_cuda
    p, g = np.ones(4, np.float32), np.full(4, 0.5, np.float32)
    buf = np.ones(4, np.float64)  # mismatched: the kernel would misread it
    be.sgd_step([p], [g], [buf], lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0,
                nesterov=False, maximize=False, first_step=False)
    assert launches == []
    np.testing.assert_allclose(buf, 1.4)
    np.testing.assert_allclose(p, 1 - 0.14, rtol=1e-6)


def test_empty_tensors_launch_nothing(host_cuda):
    be, launches = host_cuda
    p = np.zeros((0, 3), np.float32)
    be.adam_step([p], [p.copy()], [p.copy()], [p.copy()], None, lr=0.1, beta1=0.9,
                 beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
                 decoupled_weight_decay=False, step=1.0)
    assert launches == []


def test_the_launch_table_is_reused_while_the_buffers_stay(host_cuda):
    be, _ = host_cuda
    p, g, s = np.ones(12), np.ones(12), np.zeros(12)
    options = dict(lr=0.1, lr_decay=0.0, weight_decay=0.0, eps=1e-10, maximize=False, step=1.0)
    be.adagrad_step([p], [g], [s], **options)
    be.adagrad_step([p], [g], [s], **options)
    assert len(optim_kernels._tables) == 1
    g2 = np.ones(12)
    be.adagrad_step([p], [g2], [s], **options)
    assert len(optim_kernels._tables) == 2


def test_build_table_layout():
    table, n_chunks = optim_kernels.build_table([[10, 20, 30], [11, 21, 31]], [0, 5, 12], 5)
    assert n_chunks == 4  # tensor 0: none; tensor 1: one chunk; tensor 2: three
    np.testing.assert_array_equal(table[:6], [10, 20, 30, 11, 21, 31])
    np.testing.assert_array_equal(table[6:9], [0, 5, 12])
    np.testing.assert_array_equal(table[9:], [(1 << 32) | 0, (2 << 32) | 0, (2 << 32) | 1,
                                              (2 << 32) | 2])
    assert table.dtype == np.uint64


# ---- whole optimizers on the host-run CUDA kernels -------------------------------------------

_OPTIMIZER_CASES = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (optim.Adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1)),
    (optim.AdamW, dict(lr=0.1, maximize=True)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.3)),
    (optim.NAdam, dict(lr=0.1, weight_decay=0.1, momentum_decay=0.1)),
    (optim.RAdam, dict(lr=0.1, betas=(0.5, 0.6), weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.Adamax, dict(lr=0.1, weight_decay=0.1, maximize=True)),
    (optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    (optim.Rprop, dict(lr=0.1, etas=(0.4, 1.5), step_sizes=(0.05, 0.2))),
]


@pytest.mark.parametrize("cls, options", _OPTIMIZER_CASES,
                         ids=[c.__name__ for c, _ in _OPTIMIZER_CASES])
def test_optimizers_on_the_fused_kernels_match_the_cpu_path(host_cuda, monkeypatch, cls,
                                                            options):
    be, launches = host_cuda
    rng = np.random.default_rng(11)
    init = [rng.standard_normal(s).astype(np.float32) for s in [(6, 4), (4,), (3, 3)]]
    grads = [[rng.standard_normal(a.shape).astype(np.float32) for a in init] for _ in range(5)]

    def train():
        params = [gradgpu.tensor(a.copy(), requires_grad=True) for a in init]
        opt = cls(params, **options)
        for step, gs in enumerate(grads):
            for i, (p, g) in enumerate(zip(params, gs)):
                # the last parameter joins late: its step count (and first step) lags
                p.grad = None if i == 2 and step < 2 else gradgpu.tensor(g)
            opt.step()
        return [p.detach().numpy() for p in params], opt.state_dict()["state"]

    want_p, want_state = train()
    monkeypatch.setattr(_update_helpers, "backend_of", lambda array: be)
    got_p, got_state = train()
    assert launches and all(entry[0] == cls.__name__.lower().rstrip("w") for entry in launches)
    for g, w in zip(got_p, want_p):
        np.testing.assert_array_equal(g, w)
    for i in want_state:
        for key, value in want_state[i].items():
            np.testing.assert_array_equal(got_state[i][key].numpy(), value.numpy(), err_msg=key)
