// The normalization core of layer_norm (layer_norm.cuh has the math) over the last axis of a
// contiguous (rows, n) array, one block per row (grid-stride over rows): xhat and one rstd per
// row forward; dx from g, xhat and rstd backward. blockDim.x must be a multiple of 32 (<= 1024).
#include "common.cuh"
#include "block_reduce.cuh"
#include "layer_norm.cuh"

namespace gg {

template <typename T>
__device__ void layer_norm_fwd(const T* x, T* xhat, T* rstd, i64 rows, i64 n, double eps) {
    for_each_row(rows, n, 1, [&](i64 r, i64 base, i64, const auto& grp) {
        layer_norm_row(x + base, xhat + base, rstd + r, n, eps, grp);
    });
}

template <typename T>
__device__ void layer_norm_bwd(const T* g, const T* xhat, const T* rstd, T* dx, i64 rows, i64 n) {
    for_each_row(rows, n, 1, [&](i64 r, i64 base, i64, const auto& grp) {
        layer_norm_bwd_row(g + base, xhat + base, rstd[r], dx + base, n, grp);
    });
}

}  // namespace gg

#define GG_LAYER_NORM(fwd, bwd, T)                                                            \
    GG_ROW_KERNEL void fwd(const T* x, T* xhat, T* rstd, gg::i64 rows, gg::i64 n,             \
                           double eps) {                                                      \
        gg::layer_norm_fwd<T>(x, xhat, rstd, rows, n, eps);                                   \
    }                                                                                         \
    GG_ROW_KERNEL void bwd(const T* g, const T* xhat, const T* rstd, T* dx,                   \
                           gg::i64 rows, gg::i64 n) {                                         \
        gg::layer_norm_bwd<T>(g, xhat, rstd, dx, rows, n);                                    \
    }

GG_LAYER_NORM(gradgpu_layer_norm_fwd_f16, gradgpu_layer_norm_bwd_f16, __half)
GG_LAYER_NORM(gradgpu_layer_norm_fwd_f32, gradgpu_layer_norm_bwd_f32, float)
GG_LAYER_NORM(gradgpu_layer_norm_fwd_f64, gradgpu_layer_norm_bwd_f64, double)
