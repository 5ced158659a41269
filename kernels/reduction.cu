// Arg-reductions with their values along the last axis of a contiguous (rows, cols) array:
// max(x, dim) / min(x, dim) / argmax / argmin. One block per row (grid-stride over rows); each
// thread scans a strided part of the row, then the block combines (value, index) pairs by warp
// shuffles and one shared-memory step. The Python side moves the reduced axis last.
#include "common.cuh"
#include "reduction.cuh"

namespace gg {

// Whether candidate (ov, oi) replaces (v, idx); an index >= cols means "no candidate", which
// never replaces anything and is always replaced.
template <typename T>
__device__ bool arg_takes(T ov, i64 oi, T v, i64 idx, i64 cols, bool largest) {
    return oi < cols && (idx >= cols || arg_better(ov, oi, v, idx, largest));
}

template <typename T>
__device__ void warp_arg_combine(T& v, i64& idx, i64 cols, bool largest) {
    for (int off = 16; off > 0; off >>= 1) {
        T ov = __shfl_down_sync(0xffffffffu, v, off);
        i64 oi = __shfl_down_sync(0xffffffffu, idx, off);
        if (arg_takes(ov, oi, v, idx, cols, largest)) { v = ov; idx = oi; }
    }
}

template <typename T>
__device__ void arg_reduce_rows(const T* x, i64 rows, i64 cols, T* values, i64* indices,
                                bool largest) {
    __shared__ T s_val[32];
    __shared__ i64 s_idx[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int n_warps = (blockDim.x + 31) >> 5;
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        // idx = cols marks "no candidate yet": no identity value is needed for any dtype.
        T v = xr[0];
        i64 idx = cols;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            if (arg_takes(xr[j], j, v, idx, cols, largest)) { v = xr[j]; idx = j; }
        }
        warp_arg_combine(v, idx, cols, largest);
        if (lane == 0) { s_val[warp] = v; s_idx[warp] = idx; }
        __syncthreads();
        if (warp == 0) {
            v = lane < n_warps ? s_val[lane] : xr[0];
            idx = lane < n_warps ? s_idx[lane] : cols;
            warp_arg_combine(v, idx, cols, largest);
            if (lane == 0) { values[row] = v; indices[row] = idx; }
        }
        __syncthreads();  // s_val/s_idx are reused by the next row
    }
}

}  // namespace gg

// largest: 1 for max/argmax, 0 for min/argmin. blockDim.x must be a multiple of 32 (<= 1024).
#define GRADGPU_ARG_REDUCE(SUFFIX, T)                                                            \
    extern "C" __global__ void gradgpu_arg_reduce_fwd_##SUFFIX(                                 \
        const T* x, long long rows, long long cols, T* values, long long* indices,             \
        int largest) {                                                                          \
        gg::arg_reduce_rows<T>(x, rows, cols, values, indices, largest != 0);                   \
    }

GRADGPU_ARG_REDUCE(f32, float)
GRADGPU_ARG_REDUCE(f64, double)
GRADGPU_ARG_REDUCE(i32, int)
GRADGPU_ARG_REDUCE(i64, long long)
