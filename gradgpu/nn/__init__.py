"""``gradgpu.nn``: modules, layers, parameters, init and utilities, under PyTorch's names.

Every file in ``nn/modules/`` lists its public classes in ``__all__``; they are all exported
here, so ``gradgpu.nn.Linear`` and friends resolve as in PyTorch.
"""

from __future__ import annotations

import importlib
import pkgutil

from . import functional, init, utils
from .parameter import Parameter

__all__ = ["functional", "init", "utils", "Parameter"]


def _export_modules() -> None:
    from . import modules

    for info in pkgutil.iter_modules(modules.__path__):
        module = importlib.import_module(f"{modules.__name__}.{info.name}")
        for name in getattr(module, "__all__", ()):
            globals()[name] = getattr(module, name)
            __all__.append(name)


_export_modules()
