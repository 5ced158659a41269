"""nn modules, one file per family; each file's ``__all__`` is exported by ``gradgpu.nn``."""
