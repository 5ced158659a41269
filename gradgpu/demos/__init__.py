"""Training demos: ``python -m gradgpu.demos [name]``."""
