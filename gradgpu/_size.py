"""``gradgpu.Size``: a tensor's shape, PyTorch's ``torch.Size``."""

from __future__ import annotations

import operator

_tuple_new = tuple.__new__  # a Size from a tuple of ints, skipping the checks


class Size(tuple):
    """A tensor shape: a tuple of ints with PyTorch's repr and ``numel()``; slices and sums of
    sizes are sizes."""

    def __new__(cls, sizes=()):
        out = []
        for i, s in enumerate(sizes):
            try:
                out.append(operator.index(s))  # ints, NumPy ints, one-element int tensors
            except TypeError:
                raise TypeError(f"gradgpu.Size() takes an iterable of 'int' (item {i} is "
                                f"'{type(s).__name__}')") from None
        return tuple.__new__(cls, out)

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return _tuple_new(Size, out) if isinstance(key, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return _tuple_new(Size, tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return _tuple_new(Size, tuple.__add__(other, self))

    def __mul__(self, n):
        return _tuple_new(Size, tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"gradgpu.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n
