"""CUDA kernels: fused multi-tensor optimizer steps (kernels/optim.cu).

Each ``<opt>_step`` of the reference (gradgpu/backend/reference_optim.py and
reference_optim_adaptive.py) becomes one launch per dtype for all the parameters of a group:
``gradgpu_<opt>_step_<f32|f64>``. The launch reads one table of u64 (``build_table``; layout
in kernels/optim.cuh): for n tensors with k slots (param, grad, state buffers), the k * n slot
addresses, the n sizes, then one entry per chunk of ``CHUNK_SIZE`` elements,
``(tensor << 32) | chunk``. One block per chunk (the grid is capped at ``MAX_GRID`` blocks,
which then loop), ``BLOCK`` threads striding over the chunk's elements.

The kernels index every array of a tensor by the same flat offset, so they need C-contiguous
arrays: a non-contiguous one is staged through a contiguous copy (written back after the launch
unless it is the gradient). Parameters whose dtype is neither float32 nor float64 (float16), or
whose gradient or state has another dtype or shape, take the reference path (CuPy array ops).
"""

from __future__ import annotations

import collections
import itertools

import numpy as np

from ..reference_optim import (
    adagrad_arguments,
    adam_arguments,
    rmsprop_arguments,
    sgd_arguments,
    subset_slots,
)
from ..reference_optim_adaptive import (
    adadelta_arguments,
    adamax_arguments,
    nadam_arguments,
    radam_arguments,
    rprop_arguments,
)
from .kernel_files import raw_kernel

CHUNK_SIZE = 4096  # elements per block (16 per thread at BLOCK = 256)
BLOCK = 256
MAX_GRID = 65535
_GRAD_SLOT = 1  # slot 0 is the parameter, slot 1 its gradient (read only), then the state
_SUFFIX = {"f": "f32", "d": "f64"}
_TABLE_CACHE_SIZE = 64


def build_table(slot_addresses, sizes, chunk_size: int) -> tuple[np.ndarray, int]:
    """(the launch table as a uint64 array, its number of chunks).

    ``slot_addresses[s][i]`` is the address of slot s of tensor i (0 for an unused slot),
    ``sizes[i]`` the element count of tensor i. Layout: kernels/optim.cuh."""
    sizes = np.asarray(sizes, dtype=np.int64)
    n_chunks = -(-sizes // chunk_size)
    total = int(n_chunks.sum())
    tensor = np.repeat(np.arange(len(sizes), dtype=np.uint64), n_chunks)
    first = np.repeat(np.cumsum(n_chunks) - n_chunks, n_chunks)
    chunk = (np.arange(total, dtype=np.int64) - first).astype(np.uint64)
    table = np.concatenate([np.asarray(slot_addresses, dtype=np.uint64).reshape(-1),
                            sizes.astype(np.uint64), (tensor << np.uint64(32)) | chunk])
    return table, total


def _address(array) -> int:
    """The device address of a CuPy array's first element."""
    return array.data.ptr


_tables: collections.OrderedDict = collections.OrderedDict()


class CudaOptimKernels:
    """Mixin of CudaBackend (see backend.py); overrides reference kernels of ArrayKernels."""

    def sgd_step(self, params, grads, momentum_buffers, **options) -> None:
        """Fused ``OptimReference.sgd_step``."""
        slots = [params, grads, momentum_buffers]
        rest = self._fused_optim_step("sgd", slots, *sgd_arguments(**options))
        if rest:
            super().sgd_step(*subset_slots(slots, rest), **options)

    def adam_step(self, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs,
                  **options) -> None:
        """Fused ``OptimReference.adam_step``."""
        slots = [params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs]
        rest = self._fused_optim_step("adam", slots, *adam_arguments(**options))
        if rest:
            super().adam_step(*subset_slots(slots, rest), **options)

    def rmsprop_step(self, params, grads, square_avgs, grad_avgs, momentum_buffers,
                     **options) -> None:
        """Fused ``OptimReference.rmsprop_step``."""
        slots = [params, grads, square_avgs, grad_avgs, momentum_buffers]
        rest = self._fused_optim_step("rmsprop", slots, *rmsprop_arguments(**options))
        if rest:
            super().rmsprop_step(*subset_slots(slots, rest), **options)

    def adagrad_step(self, params, grads, state_sums, **options) -> None:
        """Fused ``OptimReference.adagrad_step``."""
        slots = [params, grads, state_sums]
        rest = self._fused_optim_step("adagrad", slots, *adagrad_arguments(**options))
        if rest:
            super().adagrad_step(*subset_slots(slots, rest), **options)

    # NAdam, RAdam, Adamax, Adadelta, Rprop: param, grad and two state buffers
    # (gg::two_state_step_chunks)
    def nadam_step(self, params, grads, exp_avgs, exp_avg_sqs, **options) -> None:
        """Fused ``OptimReference.nadam_step``."""
        self._two_state_step("nadam", nadam_arguments, params, grads, exp_avgs, exp_avg_sqs,
                             options)

    def radam_step(self, params, grads, exp_avgs, exp_avg_sqs, **options) -> None:
        """Fused ``OptimReference.radam_step``."""
        self._two_state_step("radam", radam_arguments, params, grads, exp_avgs, exp_avg_sqs,
                             options)

    def adamax_step(self, params, grads, exp_avgs, exp_infs, **options) -> None:
        """Fused ``OptimReference.adamax_step``."""
        self._two_state_step("adamax", adamax_arguments, params, grads, exp_avgs, exp_infs,
                             options)

    def adadelta_step(self, params, grads, square_avgs, acc_deltas, **options) -> None:
        """Fused ``OptimReference.adadelta_step``."""
        self._two_state_step("adadelta", adadelta_arguments, params, grads, square_avgs,
                             acc_deltas, options)

    def rprop_step(self, params, grads, prevs, step_sizes, **options) -> None:
        """Fused ``OptimReference.rprop_step``."""
        self._two_state_step("rprop", rprop_arguments, params, grads, prevs, step_sizes,
                             options)

    def _two_state_step(self, name, arguments, params, grads, a, b, options) -> None:
        slots = [params, grads, a, b]
        rest = self._fused_optim_step(name, slots, *arguments(**options))
        if rest:
            getattr(super(), f"{name}_step")(*subset_slots(slots, rest), **options)

    # ---- launching ----------------------------------------------------------------------------
    def _fused_optim_step(self, name: str, slots: list, scalars: tuple, flags: tuple) -> list:
        """Launch ``gradgpu_<name>_step`` once per dtype; the indices the kernels cannot take."""
        by_dtype: dict[str, list[int]] = {}
        rest = []
        for i, p in enumerate(slots[0]):
            dt = p.dtype
            if dt.char in _SUFFIX and all(
                    arrays is None or (arrays[i].dtype == dt and arrays[i].shape == p.shape)
                    for arrays in slots[1:]):
                by_dtype.setdefault(dt.char, []).append(i)
            else:
                rest.append(i)
        for char, indices in by_dtype.items():
            self._launch_optim(name, char, slots, indices, scalars, flags)
        return rest

    def _launch_optim(self, name, char, slots, indices, scalars, flags) -> None:
        cp = self._cp
        with self._on_device():
            staged = []  # (array, its contiguous copy): copies live until after the launch
            addresses = []
            for s, arrays in enumerate(slots):
                row = []
                for i in indices:
                    a = None if arrays is None else arrays[i]
                    if a is None:
                        row.append(0)
                        continue
                    if not a.flags.c_contiguous:
                        copy = cp.ascontiguousarray(a)
                        staged.append((a, copy, s != _GRAD_SLOT))
                        a = copy
                    row.append(_address(a))
                addresses.append(row)
            sizes = [slots[0][i].size for i in indices]
            table, n_chunks = self._optim_table(addresses, sizes)
            if n_chunks:
                ctype = np.dtype(char).type
                with np.errstate(over="ignore"):  # an option beyond float32 becomes inf, as in
                    values = [ctype(x) for x in scalars]  # the reference's float32 arithmetic
                kernel = raw_kernel("optim.cu", f"gradgpu_{name}_step_{_SUFFIX[char]}")
                kernel((min(n_chunks, MAX_GRID),), (BLOCK,),
                       (table, np.int32(len(indices)), np.int64(n_chunks),
                        np.int64(CHUNK_SIZE), *values, *[np.int32(f) for f in flags]))
            for original, copy, write_back in staged:
                if write_back:
                    original[...] = copy

    def _optim_table(self, addresses, sizes):
        """(device table, number of chunks), memoized on the addresses and sizes: a training
        loop passes the same buffers step after step (and CuPy's pool often hands the new
        gradients the old addresses), so most steps upload nothing."""
        key = (self.index, CHUNK_SIZE, tuple(itertools.chain.from_iterable(addresses)),
               tuple(sizes))
        hit = _tables.get(key)
        if hit is not None:
            _tables.move_to_end(key)
            return hit
        host, n_chunks = build_table(addresses, sizes, CHUNK_SIZE)
        hit = _tables[key] = (self._cp.asarray(host), n_chunks)
        if len(_tables) > _TABLE_CACHE_SIZE:
            _tables.popitem(last=False)
        return hit

