"""``gradgpu.device``: where a tensor's array lives ('cpu' or 'cuda:N')."""

from __future__ import annotations

import operator

# PyTorch's default CPU seed, so unseeded runs are reproducible the same way.
DEFAULT_SEED = 67280421310721


class device:
    """A device: ``device('cpu')``, ``device('cuda')``, ``device('cuda:1')``, ``device('cuda', 1)``.
    """

    __slots__ = ("type", "index")

    def __new__(cls, spec, index: int | None = None):
        if isinstance(spec, device):
            return spec
        if isinstance(spec, int) and index is None:  # torch.device(0) means cuda:0
            spec, index = "cuda", spec
        if not isinstance(spec, str):
            raise TypeError(f"device(): expected a string or device, got {type(spec).__name__}")
        kind, _, num = spec.partition(":")
        if num:
            if index is not None:
                raise RuntimeError(f"device(): type (string) must not include an index: {spec}")
            if not num.isdigit():
                raise RuntimeError(f"Invalid device string: '{spec}'")
            index = int(num)
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {spec}"
            )
        if kind == "cpu" and index not in (None, 0):
            raise RuntimeError(f"CPU device index must be 0 or None, got {index}")
        key = (kind, index if kind == "cuda" else None)
        cached = _CACHE.get(key)
        if cached is None:
            cached = object.__new__(cls)
            object.__setattr__(cached, "type", key[0])
            object.__setattr__(cached, "index", key[1])
            _CACHE[key] = cached
        return cached

    def __setattr__(self, name, value):
        raise AttributeError("gradgpu.device is immutable")

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        """``with gradgpu.device('cuda'):`` makes it the default device of the block."""
        _CONTEXT_DEFAULTS.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _CONTEXT_DEFAULTS.pop()


_CACHE: dict = {}
_SET_DEFAULT: list = [None]  # set_default_device's choice (None: the CPU, no choice made)
_CONTEXT_DEFAULTS: list = []  # the devices of the enclosing ``with device(...)`` blocks


def set_default_device(dev) -> None:
    """The device tensor factories use when given none (``None``: the CPU again)."""
    _SET_DEFAULT[0] = None if dev is None else device(dev)


def current_default_device():
    """The default device factories use, or None when none was chosen (the CPU)."""
    return _CONTEXT_DEFAULTS[-1] if _CONTEXT_DEFAULTS else _SET_DEFAULT[0]


def get_default_device() -> device:
    """The device tensor factories use when given none (the CPU unless chosen)."""
    chosen = current_default_device()
    return device("cpu") if chosen is None else chosen


def cuda_index(spec, what: str) -> int | None:
    """The CUDA ordinal named by ``spec`` (int, 'cuda:N', device), None for the current device
    (``None``, 'cuda'); PyTorch's ``_get_device_index`` for the ``gradgpu.cuda`` functions."""
    if spec is None:
        return None
    if isinstance(spec, (str, device)):
        dev = device(spec)
        if dev.type != "cuda":
            raise ValueError(f"{what}: Expected a cuda device, but got: {dev}")
        return dev.index
    if not isinstance(spec, bool):
        try:
            return operator.index(spec)
        except TypeError:
            pass
    raise TypeError(f"{what}: expected a device, an int or None, got {type(spec).__name__}")
