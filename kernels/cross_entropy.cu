// Fused cross entropy over class-index targets (cross_entropy.cuh has the math): logits seen as
// (outer, n, inner) with the class axis in the middle, target and the per-target outputs as
// (outer, inner). No one-hot and no log-probabilities are materialized: the forward keeps one
// logsumexp per target (in float for __half logits) for the backward.
// has_weight: 0 when there are no class weights (weight is then any valid pointer, never read).
// blockDim.x must be a multiple of 32 (at most 1024).
#include "common.cuh"
#include "block_reduce.cuh"
#include "cross_entropy.cuh"

namespace gg {

template <typename T>
__device__ void cross_entropy_fwd(const T* x, const i64* target, const T* weight, int has_weight,
                                  i64 outer, i64 n, i64 inner, i64 ignore_index,
                                  double label_smoothing, T* loss,
                                  typename acc_of<T>::type* lse, T* wt) {
    const T* w = has_weight ? weight : nullptr;
    for_each_row(outer, n, inner, [&](i64 r, i64 base, i64 stride, const auto& grp) {
        cross_entropy_row(x + base, n, stride, target[r], w, ignore_index, label_smoothing, grp,
                          loss + r, lse + r, wt + r);
    });
}

template <typename T>
__device__ void cross_entropy_bwd(const T* g, const T* x, const typename acc_of<T>::type* lse,
                                  const i64* target, const T* weight, int has_weight, i64 outer,
                                  i64 n, i64 inner, i64 ignore_index, double label_smoothing,
                                  T* dx) {
    const T* w = has_weight ? weight : nullptr;
    for_each_row(outer, n, inner, [&](i64 r, i64 base, i64 stride, const auto& grp) {
        cross_entropy_bwd_row(x + base, n, stride, target[r], w, ignore_index, label_smoothing,
                              to_acc(g[r]), lse[r], grp, dx + base);
    });
}

}  // namespace gg

#define GG_CROSS_ENTROPY(fwd, bwd, T, A)                                                      \
    GG_ROW_KERNEL void fwd(const T* x, const gg::i64* target, const T* weight,                \
                           int has_weight, gg::i64 outer, gg::i64 n, gg::i64 inner,           \
                           gg::i64 ignore_index, double label_smoothing, T* loss,             \
                           A* lse, T* wt) {                                                   \
        gg::cross_entropy_fwd<T>(x, target, weight, has_weight, outer, n, inner, ignore_index, \
                                 label_smoothing, loss, lse, wt);                             \
    }                                                                                         \
    GG_ROW_KERNEL void bwd(const T* g, const T* x, const A* lse,                              \
                           const gg::i64* target, const T* weight, int has_weight,            \
                           gg::i64 outer, gg::i64 n, gg::i64 inner,                           \
                           gg::i64 ignore_index, double label_smoothing, T* dx) {             \
        gg::cross_entropy_bwd<T>(g, x, lse, target, weight, has_weight, outer, n, inner,      \
                                 ignore_index, label_smoothing, dx);                          \
    }

GG_CROSS_ENTROPY(gradgpu_cross_entropy_fwd_f16, gradgpu_cross_entropy_bwd_f16, __half, float)
GG_CROSS_ENTROPY(gradgpu_cross_entropy_fwd_f32, gradgpu_cross_entropy_bwd_f32, float, float)
GG_CROSS_ENTROPY(gradgpu_cross_entropy_fwd_f64, gradgpu_cross_entropy_bwd_f64, double, double)
