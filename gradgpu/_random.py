"""Random number generators: ``gradgpu.Generator``, ``manual_seed`` and the default generators."""

from __future__ import annotations

import numpy as np

from ._device import DEFAULT_SEED
from ._device import device as _device
from .backend import get_backend

_U64 = (1 << 64) - 1
_STATE_KEYS = frozenset({"backend", "philox_key", "philox_offset"})


class Generator:
    """A seeded random stream for one device (``gradgpu.Generator(device='cpu')``).

    It holds two streams, both reset by ``manual_seed``: the backend's generator (factories,
    sampling, shuffles) and a counter-based Philox4x32-10 stream for the kernels that draw
    random numbers inside themselves (dropout): a 64-bit key (the seed) and a 64-bit offset
    in 4-word blocks, which each such kernel call advances past the blocks it reads. The Philox
    words depend only on (seed, offset, element index), so they are the same on every device.
    """

    def __init__(self, device="cpu") -> None:
        self.device = _device(device)
        self._backend = get_backend(self.device)
        self._seed = DEFAULT_SEED
        self._rng = self._backend.new_rng(self._seed)
        self._philox_key = DEFAULT_SEED & _U64
        self._philox_offset = 0

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns self so ``Generator().manual_seed(0)`` reads naturally."""
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = _checked_seed(seed)
        self._seed = seed
        self._rng = self._backend.new_rng(seed)
        self._philox_key = seed & _U64
        self._philox_offset = 0
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from OS entropy and return the new seed."""
        import secrets

        self.manual_seed(secrets.randbits(63))
        return self._seed

    def philox_reserve(self, blocks: int) -> tuple[int, int]:
        """(key, offset) of ``blocks`` fresh 4-word Philox blocks, which this call consumes: the
        offset moves past them (mod 2^64), so the next consumer draws different words."""
        key, offset = self._philox_key, self._philox_offset
        self._philox_offset = (offset + blocks) & _U64
        return key, offset

    def get_state(self) -> dict:
        """Everything the next draws depend on; ``set_state`` of it replays them."""
        return {"backend": self._backend.rng_state(self._rng), "philox_key": self._philox_key,
                "philox_offset": self._philox_offset}

    def set_state(self, state: dict) -> Generator:
        if not isinstance(state, dict) or set(state) != _STATE_KEYS:
            raise TypeError(f"Generator.set_state(): expected a state returned by get_state() "
                            f"(a dict with keys {sorted(_STATE_KEYS)}), got {type(state).__name__}")
        self._backend.set_rng_state(self._rng, state["backend"])
        self._philox_key = int(state["philox_key"]) & _U64
        self._philox_offset = int(state["philox_offset"]) & _U64
        self._seed = self._philox_key  # the key is the seed: initial_seed() follows the state
        return self


def _checked_seed(seed) -> int:
    """A seed as PyTorch stores it: negative seeds are taken modulo 2^64 (-1 is 2^64 - 1);
    outside [-2^63, 2^64) raises, as PyTorch's 64-bit conversion does."""
    seed = int(seed)
    if not -(1 << 63) <= seed <= _U64:
        raise ValueError(f"Overflow when unpacking long long (seed {seed} is outside "
                         "[-2**63, 2**64))")
    return seed & _U64


_defaults: dict = {}


def default_generator(device) -> Generator:
    """The process-wide generator of a device, created on first use."""
    gen = _defaults.get(device)
    if gen is None:
        gen = _defaults[device] = Generator(device).manual_seed(_global_seed)
    return gen


def manual_seed(seed: int) -> Generator:
    """Seed every device's default generator (CPU, and CUDA ones as they are created)."""
    global _global_seed
    _global_seed = _checked_seed(seed)  # (a float is truncated, as torch.manual_seed does)
    for gen in _defaults.values():
        gen.manual_seed(_global_seed)
    cpu = default_generator(_device("cpu"))
    cpu.manual_seed(_global_seed)
    return cpu


_global_seed = DEFAULT_SEED


def initial_seed() -> int:
    """The seed of the CPU default generator (the last manual_seed, seed or set_rng_state)."""
    return default_generator(_device("cpu")).initial_seed()


def seed() -> int:
    """Seed every default generator from OS entropy (as ``manual_seed``) and return the seed."""
    import secrets

    new = secrets.randbits(63)  # as Generator.seed: a non-negative 64-bit long
    manual_seed(new)
    return new


_STATE_MAGIC = b"gradgpu-rng-state-v1\n"


def get_rng_state():
    """The CPU default generator's state as a uint8 tensor, which ``set_rng_state`` restores
    exactly (our own encoding: it does not have PyTorch's 5056-byte layout)."""
    import json

    from .tensor import Tensor

    state = default_generator(_device("cpu")).get_state()
    raw = _STATE_MAGIC + json.dumps(state, sort_keys=True).encode()
    return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())


def set_rng_state(new_state) -> None:
    """Restore the CPU default generator from a state returned by ``get_rng_state``."""
    import json

    from .tensor import Tensor

    if not isinstance(new_state, Tensor):
        raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
    if new_state._data.dtype != np.uint8:
        raise TypeError(f"RNG state must be a torch.ByteTensor (uint8), got {new_state.dtype}")
    raw = bytes(np.asarray(new_state.cpu()._data).reshape(-1))
    try:
        if not raw.startswith(_STATE_MAGIC):
            raise ValueError
        state = json.loads(raw[len(_STATE_MAGIC):].decode())
    except ValueError:
        raise RuntimeError(f"set_rng_state(): expected a state returned by get_rng_state(), got "
                           f"a uint8 tensor of size {len(raw)} that is not one") from None
    global _global_seed
    gen = default_generator(_device("cpu"))
    gen.set_state(state)
    _global_seed = gen.initial_seed()


def randint_like(input, low: int = 0, high: int | None = None, *, generator=None, dtype=None,
                 device=None, requires_grad: bool = False):
    """Integers uniform on [low, high) in ``input``'s shape (and dtype and device unless
    given); ``randint_like(input, high)`` starts at 0."""
    from ._random_factories import randint

    if high is None:
        low, high = 0, low
    dtype = input.dtype if dtype is None else dtype
    device = input.device if device is None else device
    return randint(low, high, tuple(input.shape), generator=generator, dtype=dtype,
                   device=device, requires_grad=requires_grad)


def generator_for(device, generator: Generator | None) -> Generator:
    """The generator to draw from: the user's (checked against the device) or the default."""
    if generator is None:
        return default_generator(device)
    if generator.device.type != device.type:
        raise RuntimeError(
            f"Expected a '{device.type}' device type for generator but found "
            f"'{generator.device.type}'"
        )
    return generator
