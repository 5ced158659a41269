"""The one packaging rule pyproject.toml cannot express: ship the CUDA C source of ``kernels/``
(kept at the repository root, GUIDE section 2) inside the wheel as package data of
``gradgpu._kernels``, where ``gradgpu.backend.cuda.kernel_files.kernel_dir`` finds it."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["gradgpu", "gradgpu.*"]) + ["gradgpu._kernels"],
    package_dir={"gradgpu._kernels": "kernels"},
    package_data={"gradgpu._kernels": ["*.cu", "*.cuh", "host/*.cpp", "host/*.h"]},
)
