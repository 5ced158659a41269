// softmax / log_softmax forward and backward along one axis of a contiguous array, seen as
// (outer, n, inner) with the softmax axis in the middle (for_each_row in block_reduce.cuh: one
// block per row when the axis is the last one, one thread per row otherwise). The forward reads
// each row once for its running max and sum (softmax.cuh) and once to write the output.
// blockDim.x must be a multiple of 32 (at most 1024).
#include "common.cuh"
#include "block_reduce.cuh"
#include "softmax.cuh"

namespace gg {

template <bool LOG, typename T>
__device__ void softmax_fwd(const T* x, T* y, i64 outer, i64 n, i64 inner) {
    for_each_row(outer, n, inner, [&](i64, i64 base, i64 stride, const auto& grp) {
        softmax_row<LOG>(x + base, y + base, n, stride, grp);
    });
}

template <bool LOG, typename T>
__device__ void softmax_bwd(const T* g, const T* y, T* dx, i64 outer, i64 n, i64 inner) {
    for_each_row(outer, n, inner, [&](i64, i64 base, i64 stride, const auto& grp) {
        softmax_bwd_row<LOG>(g + base, y + base, dx + base, n, stride, grp);
    });
}

}  // namespace gg

#define GG_SOFTMAX_FWD(name, LOG, T)                                                          \
    GG_ROW_KERNEL void name(const T* x, T* y, gg::i64 outer, gg::i64 n,                       \
                            gg::i64 inner) {                                                  \
        gg::softmax_fwd<LOG, T>(x, y, outer, n, inner);                                       \
    }
#define GG_SOFTMAX_BWD(name, LOG, T)                                                          \
    GG_ROW_KERNEL void name(const T* g, const T* y, T* dx, gg::i64 outer, gg::i64 n,          \
                            gg::i64 inner) {                                                  \
        gg::softmax_bwd<LOG, T>(g, y, dx, outer, n, inner);                                   \
    }

GG_SOFTMAX_FWD(gradgpu_softmax_fwd_f16, false, __half)
GG_SOFTMAX_FWD(gradgpu_softmax_fwd_f32, false, float)
GG_SOFTMAX_FWD(gradgpu_softmax_fwd_f64, false, double)
GG_SOFTMAX_FWD(gradgpu_log_softmax_fwd_f16, true, __half)
GG_SOFTMAX_FWD(gradgpu_log_softmax_fwd_f32, true, float)
GG_SOFTMAX_FWD(gradgpu_log_softmax_fwd_f64, true, double)
GG_SOFTMAX_BWD(gradgpu_softmax_bwd_f16, false, __half)
GG_SOFTMAX_BWD(gradgpu_softmax_bwd_f32, false, float)
GG_SOFTMAX_BWD(gradgpu_softmax_bwd_f64, false, double)
GG_SOFTMAX_BWD(gradgpu_log_softmax_bwd_f16, true, __half)
GG_SOFTMAX_BWD(gradgpu_log_softmax_bwd_f32, true, float)
GG_SOFTMAX_BWD(gradgpu_log_softmax_bwd_f64, true, double)
