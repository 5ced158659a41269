// Every per-element function of gradgpu (one entry of gradgpu/backend/elementwise_spec.py each):
// the preamble of the CUDA backend's ElementwiseKernels and of the host-math tests.
#pragma once
#include "common.cuh"
#include "unary.cuh"
#include "activation.cuh"
#include "binary.cuh"
