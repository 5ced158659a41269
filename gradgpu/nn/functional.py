"""``gradgpu.nn.functional`` (being written)."""
