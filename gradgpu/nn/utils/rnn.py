"""``nn.utils.rnn``: batches of variable-length sequences, padded (T, B, *) or packed
(``PackedSequence``: the time steps' rows of the sequences still running, one after another).

Every conversion is one gather of rows, ``y = src[index]`` with the index worked out on the
host from the lengths (which live on the CPU, as in PyTorch); padding is a constant row
appended to ``src``. So gradients flow to the data through ``index_select`` (dx = the rows
of g summed back, padding positions dropped), on either backend and to any order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import _dtypes, _factories
from ...ops.indexing.gather_scatter import IndexSelect
from ...ops.shape import cat, reshape
from ...tensor import Tensor

__all__ = [
    "PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
    "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence",
]

_SORTED_MESSAGE = (
    "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can "
    "pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
    "requirement if you do not need ONNX exportability.")


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """A packed batch: ``data`` (sum of lengths, *) holds step 0 of every sequence, then
    step 1 of those still running, ...; ``batch_sizes`` (int64, CPU) how many rows each step
    has; ``sorted_indices`` / ``unsorted_indices`` (int64, on data's device, or None) the
    permutation from the caller's batch order to decreasing length and back.

    Made by ``pack_padded_sequence`` / ``pack_sequence``; accepted by RNN, LSTM and GRU."""

    def __new__(cls, data, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), sorted_indices)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data: Tensor) -> PackedSequence:
        """This sequence with ``data`` replaced (itself when unchanged); the indices follow
        data's device, batch_sizes stays on the CPU."""
        if data is self.data:
            return self
        sorted_indices, unsorted_indices = (
            None if t is None else t.to(data.device)
            for t in (self.sorted_indices, self.unsorted_indices))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data.to(*args, **kwargs)`` (dtype and/or device); ``self`` when nothing changes."""
        return self._with_data(self.data.to(*args, **kwargs))

    def cuda(self, *args, **kwargs) -> PackedSequence:
        return self._with_data(self.data.cuda(*args, **kwargs))

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self._with_data(self.data.cpu(*args, **kwargs))

    def double(self) -> PackedSequence:
        return self.to(dtype=_dtypes.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=_dtypes.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=_dtypes.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=_dtypes.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=_dtypes.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=_dtypes.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=_dtypes.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=_dtypes.uint8)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` is on a GPU."""
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation: out[permutation[i]] = i (None for None)."""
    if permutation is None:
        return None
    return permutation.argsort()


# ---- host-side bookkeeping ------------------------------------------------------------------
def _host_ints(t: Tensor) -> np.ndarray:
    """A tensor's values as a host int64 array (a device-to-host copy for a GPU tensor)."""
    return np.asarray(t.detach().cpu().numpy(), dtype=np.int64)


def _lengths_on_host(lengths) -> np.ndarray:
    """``lengths`` (list or tensor) as a 1-D int64 host array, with PyTorch's device rule."""
    if isinstance(lengths, Tensor):
        lengths = lengths.to(_dtypes.int64)
        ndim, device = lengths.dim(), lengths.device
        arr = _host_ints(lengths) if device.type == "cpu" else None
    else:
        arr = np.asarray(lengths, dtype=np.int64)
        ndim, device = arr.ndim, "cpu"
    if ndim != 1 or arr is None:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {ndim}D "
                           f"{device} Long tensor")
    return arr


def _batch_sizes_on_host(sequence, op: str) -> np.ndarray:
    """A PackedSequence's batch_sizes as a host array, checked against its data."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{op}(): expected a PackedSequence, got {type(sequence).__name__}")
    data, batch_sizes = sequence.data, sequence.batch_sizes
    if (not isinstance(batch_sizes, Tensor) or batch_sizes.device.type != "cpu"
            or batch_sizes.dim() != 1 or batch_sizes.dtype != _dtypes.int64):
        raise RuntimeError(f"{op}(): batch_sizes should be a 1D CPU int64 tensor")
    sizes = _host_ints(batch_sizes)
    if sizes.size == 0 or sizes[-1] <= 0 or np.any(np.diff(sizes) > 0):
        raise RuntimeError(f"{op}(): batch_sizes must be positive and non-increasing, got "
                           f"{sizes.tolist()}")
    if data.dim() == 0 or data.shape[0] != sizes.sum():
        raise RuntimeError(f"{op}(): data of shape {list(data.shape)} does not hold "
                           f"sum(batch_sizes) = {int(sizes.sum())} rows")
    return sizes


def _gather_rows(src: Tensor, index: np.ndarray, padding_value=None) -> Tensor:
    """src[index] along dim 0, index a host array of any shape (the result's leading dims);
    index == len(src) picks a row of ``padding_value``. One differentiable gather."""
    rest = tuple(src.shape[1:])
    if padding_value is not None and np.any(index == src.shape[0]):
        pad = _factories.full((1,) + rest, padding_value, dtype=src.dtype, device=src.device)
        src = cat([src, pad], 0)
    flat = _factories.tensor(index.reshape(-1), dtype=_dtypes.int64, device=src.device)
    # the index is valid by construction: skip index_select's bounds check (a GPU sync)
    return reshape(IndexSelect.apply(src, 0, flat), index.shape + rest)


# ---- padded <-> packed ----------------------------------------------------------------------
def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) ((B, T, *) with ``batch_first``) of sequences of the
    given ``lengths``: data = the rows input[t, b] with t < lengths[b], step by step, the
    sequences in decreasing length (sorted here unless ``enforce_sorted``)."""
    lengths = _lengths_on_host(lengths)
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence(): input must be a Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() < 2:
        raise IndexError(f"pack_padded_sequence(): Dimension out of range: input must be (T, B, "
                         f"*) or (B, T, *) with at least 2 dimensions, got shape "
                         f"{list(input.shape)}")
    order = None
    if not enforce_sorted:  # stable: equal lengths keep their order
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={batch})")
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if np.any(np.diff(lengths) > 0):
        raise RuntimeError(_SORTED_MESSAGE)
    if lengths[0] > steps:
        raise RuntimeError(f"pack_padded_sequence(): a sequence length {int(lengths[0])} exceeds "
                           f"the padded length {steps} of input of shape {list(input.shape)}")
    running = lengths[None, :] > np.arange(lengths[0])[:, None]  # (T', B): step t of seq j
    t, j = np.nonzero(running)  # row-major: step by step, longest sequence first
    b = j if order is None else order[j]
    rows = b * steps + t if batch_first else t * batch + b
    data = _gather_rows(reshape(input, (steps * batch,) + tuple(input.shape[2:])), rows)
    batch_sizes = _factories.tensor(running.sum(1), dtype=_dtypes.int64, device="cpu")
    if order is None:
        return PackedSequence(data, batch_sizes, None, None)
    sorted_indices = _factories.tensor(order, dtype=_dtypes.int64, device=input.device)
    unsorted_indices = _factories.tensor(np.argsort(order), dtype=_dtypes.int64,
                                         device=input.device)
    return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: (padded (T, B, *) or (B, T, *) with ``padding_value``
    past each sequence's end, lengths (int64, CPU)), in the batch order given to packing. T is
    the longest length, or ``total_length``."""
    sizes = _batch_sizes_on_host(sequence, "pad_packed_sequence")
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}")
        steps = total_length
    data = sequence.data
    batch = int(sizes[0])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1], np.zeros(steps - len(sizes), np.int64)])
    per_step = np.concatenate([sizes, np.zeros(steps - len(sizes), np.int64)])
    col = np.arange(batch)[None, :]
    grid = np.where(col < per_step[:, None], starts[:, None] + col, data.shape[0])  # (T, B)
    lengths = (sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    if sequence.unsorted_indices is not None:  # back to the caller's batch order
        unsorted = _host_ints(sequence.unsorted_indices)  # a GPU sync, as PyTorch's .cpu()
        grid, lengths = grid[:, unsorted], lengths[unsorted]
    padded = _gather_rows(data, grid.T if batch_first else grid, padding_value)
    return padded, _factories.tensor(lengths, dtype=_dtypes.int64, device="cpu")


# ---- lists of sequences ---------------------------------------------------------------------
def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences (L_i, *) into one (T, B, *) ((B, T, *) with ``batch_first``) tensor,
    T = max L_i, each padded with ``padding_value`` on ``padding_side`` ('right' or 'left').
    The result has the first sequence's dtype."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    first = sequences[0]
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise TypeError(f"pad_sequence(): sequence {i} is a {type(s).__name__}, not a "
                            "Tensor")
        if s.dim() == 0:
            raise RuntimeError(f"pad_sequence(): sequence {i} is a 0-d tensor; sequences must "
                               "be (L, *)")
        if s.shape[1:] != first.shape[1:]:
            raise RuntimeError(f"pad_sequence(): sequences must have the same trailing "
                               f"dimensions, got {list(first.shape)} (sequence 0) and "
                               f"{list(s.shape)} (sequence {i})")
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps = int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(steps)[None, :]
    first_row = 0 if padding_side == "right" else steps - lengths[:, None]  # where data starts
    inside = (t >= first_row) & (t < first_row + lengths[:, None])
    grid = np.where(inside, starts[:, None] + t - first_row, lengths.sum())  # (B, T)
    src = cat([s.to(first.dtype) for s in sequences], 0)
    return _gather_rows(src, grid if batch_first else grid.T, padding_value)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Split a padded batch (T, B, *) ((B, T, *) with ``batch_first``) back into the list
    of its sequences, sequence b being its first lengths[b] steps."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    host = (_host_ints(lengths) if isinstance(lengths, Tensor)
            else np.asarray(lengths, dtype=np.int64))
    if host.ndim != 1 or len(host) != padded_sequences.shape[0]:
        raise ValueError(f"unpad_sequence(): got {host.size} lengths for a batch of "
                         f"{padded_sequences.shape[0]} sequences")
    return [padded_sequences[b, :max(int(n), 0)] for b, n in enumerate(host)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *): ``pack_padded_sequence(pad_sequence(sequences),
    lengths)``. With ``enforce_sorted`` they must come in decreasing length."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences held by a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
