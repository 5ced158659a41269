// max_pool2d and avg_pool2d forward and backward (window.cuh has the index math): one thread
// per output element, grid-stride. Forward: one window per thread; backward: one input pixel per
// thread, gathering g from the windows that contain it (no atomics).
// avg_pool2d has no dilation: pass dh = dw = 1. divisor_override: 0 for none.
#include "common.cuh"
#include "block_reduce.cuh"
#include "window.cuh"

namespace gg {

template <typename T>
__device__ void max_pool2d_fwd(const T* x, T* y, i64* index, i64 total, const Window2d& g) {
    for (i64 k = grid_thread(); k < total; k += grid_threads()) max_pool_at(x, k, g, y + k, index + k);
}

template <typename T>
__device__ void max_pool2d_bwd(const T* g, const i64* index, T* dx, i64 total,
                               const Window2d& geo) {
    for (i64 k = grid_thread(); k < total; k += grid_threads()) dx[k] = max_pool_bwd_at(g, index, k, geo);
}

template <typename T>
__device__ void avg_pool2d_fwd(const T* x, T* y, i64 total, const Window2d& g,
                               int count_include_pad, i64 divisor_override) {
    for (i64 k = grid_thread(); k < total; k += grid_threads())
        y[k] = avg_pool_at(x, k, g, count_include_pad != 0, divisor_override);
}

template <typename T>
__device__ void avg_pool2d_bwd(const T* g, T* dx, i64 total, const Window2d& geo,
                               int count_include_pad, i64 divisor_override) {
    for (i64 k = grid_thread(); k < total; k += grid_threads())
        dx[k] = avg_pool_bwd_at(g, k, geo, count_include_pad != 0, divisor_override);
}

}  // namespace gg

// total: the number of elements written (windows forward, input pixels backward).
#define GG_POOL(max_fwd, max_bwd, avg_fwd, avg_bwd, T)                                        \
    extern "C" __global__ void max_fwd(const T* x, T* y, gg::i64* index, gg::i64 total,       \
                                       GG_WINDOW_PARAMS) {                                    \
        gg::max_pool2d_fwd<T>(x, y, index, total, GG_WINDOW);                                 \
    }                                                                                         \
    extern "C" __global__ void max_bwd(const T* g, const gg::i64* index, T* dx,               \
                                       gg::i64 total, GG_WINDOW_PARAMS) {                     \
        gg::max_pool2d_bwd<T>(g, index, dx, total, GG_WINDOW);                                \
    }                                                                                         \
    extern "C" __global__ void avg_fwd(const T* x, T* y, gg::i64 total, GG_WINDOW_PARAMS,     \
                                       int count_include_pad, gg::i64 divisor_override) {     \
        gg::avg_pool2d_fwd<T>(x, y, total, GG_WINDOW, count_include_pad, divisor_override);   \
    }                                                                                         \
    extern "C" __global__ void avg_bwd(const T* g, T* dx, gg::i64 total, GG_WINDOW_PARAMS,    \
                                       int count_include_pad, gg::i64 divisor_override) {     \
        gg::avg_pool2d_bwd<T>(g, dx, total, GG_WINDOW, count_include_pad, divisor_override);  \
    }

GG_POOL(gradgpu_max_pool2d_fwd_f32, gradgpu_max_pool2d_bwd_f32, gradgpu_avg_pool2d_fwd_f32,
        gradgpu_avg_pool2d_bwd_f32, float)
GG_POOL(gradgpu_max_pool2d_fwd_f64, gradgpu_max_pool2d_bwd_f64, gradgpu_avg_pool2d_fwd_f64,
        gradgpu_avg_pool2d_bwd_f64, double)
