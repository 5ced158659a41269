"""gradgpu's benchmark suite: gradgpu vs PyTorch vs the same math in raw NumPy/CuPy.

Run ``python -m benchmarks`` (or ``python benchmarks/run.py``); see benchmarks/README.md.
"""
