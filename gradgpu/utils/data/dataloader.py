"""``DataLoader``: iterate over a dataset in (shuffled) collated batches, as PyTorch's."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import numpy as np

from ..._factories import as_tensor
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]

# Attributes that define the batches; PyTorch refuses to change them after construction.
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


def get_worker_info() -> None:
    """Always None: gradgpu loads data in the main process (see DataLoader's num_workers)."""
    return None


class _LoaderIterator:
    """What ``iter(loader)`` returns: the batches, with ``len()`` of the loader (PyTorch's
    loader iterators have one; progress bars read it)."""

    def __init__(self, loader: DataLoader, batches: Iterator) -> None:
        self._loader = loader
        self._batches = batches

    def __iter__(self) -> _LoaderIterator:
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._loader)


class DataLoader:
    """Batches of ``dataset``: each iteration visits the indices of ``sampler`` (sequential, or
    a fresh random permutation per epoch when ``shuffle=True``), groups them ``batch_size`` at
    a time (dropping a short last batch when ``drop_last``) and yields
    ``collate_fn([dataset[i] for i in batch])``. ``len(loader)`` is the number of batches.

    Shuffling draws from ``generator``, or from the CPU default generator, so
    ``gradgpu.manual_seed(s)`` (or ``generator=gradgpu.Generator().manual_seed(s)``) makes the
    order of every epoch reproducible. ``batch_size=None`` disables batching (samples are
    passed through ``default_convert``). An ``IterableDataset`` is batched as it streams.

    ``num_workers > 0`` is accepted so code written for PyTorch runs unchanged, but gradgpu has
    no worker processes: every batch is loaded in the main process, in the same order and with
    the same contents that worker processes would give; a UserWarning says so once per loader.
    ``worker_init_fn`` is therefore never called and ``get_worker_info()`` is None.
    ``pin_memory`` is accepted and has no effect (batches are built in ordinary host memory;
    move them with ``.to(device)``).
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | None = None, batch_sampler: Sampler | None = None,
                 num_workers: int = 0, collate_fn: Callable | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value!r}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            # Built for iterable datasets too: it validates batch_size and drop_last.
            batch_sampler = BatchSampler(sampler if sampler is not None else [], batch_size,
                                         drop_last)
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        if num_workers > 0:
            warnings.warn(
                f"DataLoader: num_workers={num_workers} is accepted, but gradgpu has no worker "
                "processes: batches are loaded in the main process (same batches, same order)",
                UserWarning, stacklevel=2,
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterable = iterable
        self._initialized = True

    def __setattr__(self, name: str, value) -> None:
        if name in _FROZEN and getattr(self, "_initialized", False):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    def __iter__(self) -> Iterator:
        batches = self._iter_stream() if self._iterable else self._iter_map()
        return _LoaderIterator(self, batches)

    def _iter_map(self) -> Iterator:
        dataset, collate = self.dataset, self.collate_fn
        if not self._auto_collation:
            for index in self.sampler:
                yield collate(dataset[index])
            return
        if type(dataset) is TensorDataset and collate is default_collate:
            # what stacking the samples would give, as one gather per tensor: no per-sample
            # indexing (on the GPU, no tiny kernel per sample)
            for indices in self.batch_sampler:
                index = as_tensor(np.asarray(indices, dtype=np.int64))
                yield [t[index] for t in dataset.tensors]
            return
        fetch_many = getattr(dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            if callable(fetch_many):
                samples = fetch_many(indices)
            else:
                samples = [dataset[i] for i in indices]
            yield collate(samples)

    def _iter_stream(self) -> Iterator:
        collate = self.collate_fn
        if self.batch_size is None:
            for sample in self.dataset:
                yield collate(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            if self.drop_last:
                return n // self.batch_size
            return (n + self.batch_size - 1) // self.batch_size
        if self._auto_collation:
            return len(self.batch_sampler)
        return len(self.sampler)
