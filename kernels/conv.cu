// im2col and its adjoint col2im for conv2d (window.cuh has the index math): one thread per
// output element, grid-stride. im2col writes cols (N * C, kh, kw, oh, ow) from x (N * C, H, W);
// col2im gathers, per input pixel, the cols entries that read it (no atomics).
#include "common.cuh"
#include "block_reduce.cuh"
#include "window.cuh"

namespace gg {

template <typename T>
__device__ void im2col(const T* x, T* cols, i64 total, const Window2d& g, T pad_value) {
    for (i64 k = grid_thread(); k < total; k += grid_threads()) cols[k] = im2col_at(x, k, g, pad_value);
}

template <typename T> __device__ void col2im(const T* cols, T* x, i64 total, const Window2d& g) {
    for (i64 k = grid_thread(); k < total; k += grid_threads()) x[k] = col2im_at(cols, k, g);
}

}  // namespace gg

// total: the number of elements written (cols for im2col, pixels of x for col2im).
#define GG_CONV(im2col_name, col2im_name, T)                                                  \
    extern "C" __global__ void im2col_name(const T* x, T* cols, gg::i64 total,                \
                                           GG_WINDOW_PARAMS, T pad_value) {                   \
        gg::im2col<T>(x, cols, total, GG_WINDOW, pad_value);                                  \
    }                                                                                         \
    extern "C" __global__ void col2im_name(const T* cols, T* x, gg::i64 total,                \
                                           GG_WINDOW_PARAMS) {                                \
        gg::col2im<T>(cols, x, total, GG_WINDOW);                                             \
    }

GG_CONV(gradgpu_im2col_fwd_f32, gradgpu_col2im_fwd_f32, float)
GG_CONV(gradgpu_im2col_fwd_f64, gradgpu_col2im_fwd_f64, double)
