"""Random number generators: ``gradgpu.Generator``, ``manual_seed`` and the default generators."""

from __future__ import annotations

from ._device import DEFAULT_SEED
from ._device import device as _device
from .backend import get_backend


class Generator:
    """A seeded random stream for one device (``gradgpu.Generator(device='cpu')``)."""

    def __init__(self, device="cpu") -> None:
        self.device = _device(device)
        self._backend = get_backend(self.device)
        self._seed = DEFAULT_SEED
        self._rng = self._backend.new_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns self so ``Generator().manual_seed(0)`` reads naturally."""
        seed = int(seed)
        if seed < 0:
            seed &= (1 << 64) - 1  # PyTorch maps negative seeds the same way
        self._seed = seed
        self._rng = self._backend.new_rng(seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from OS entropy and return the new seed."""
        import secrets

        self.manual_seed(secrets.randbits(63))
        return self._seed

    def get_state(self):
        return self._backend.rng_state(self._rng)

    def set_state(self, state) -> None:
        self._backend.set_rng_state(self._rng, state)


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
    _global_seed = int(seed)
    for gen in _defaults.values():
        gen.manual_seed(seed)
    cpu = default_generator(_device("cpu"))
    cpu.manual_seed(seed)
    return cpu


_global_seed = DEFAULT_SEED


def initial_seed() -> int:
    return _global_seed


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
