#pragma once
// Row functions of the normalization core shared by layer_norm and batch_norm
// (gradgpu/ops/layers.py LayerNormCore): over one row of n elements,
//   forward   xhat = (x - mean) * rstd,  rstd = 1 / sqrt(var + eps)  (biased variance, two passes
//             as the NumPy reference: the mean first, then the squared deviations from it)
//   backward  dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
// The affine weight and bias are applied outside the core, by ordinary elementwise ops.
#include "common.cuh"
#include "block_reduce.cuh"

namespace gg {

template <typename T, typename G>
GG_HD void layer_norm_row(const T* x, T* xhat, T* rstd_out, i64 n, double eps, const G& grp) {
    typedef typename acc_of<T>::type A;
    A sum = A(0);
    for (i64 c = grp.rank(); c < n; c += grp.size()) sum += to_acc(x[c]);
    const A mean = grp.all_reduce(sum, SumOp()) / A(n);
    A sq = A(0);
    for (i64 c = grp.rank(); c < n; c += grp.size()) {
        const A d = to_acc(x[c]) - mean;
        sq += d * d;
    }
    const A var = grp.all_reduce(sq, SumOp()) / A(n);
    const A rstd = A(1) / sqrt(var + A(eps));
    for (i64 c = grp.rank(); c < n; c += grp.size()) store(xhat + c, (to_acc(x[c]) - mean) * rstd);
    if (grp.rank() == 0) store(rstd_out, rstd);
}

template <typename T, typename G>
GG_HD void layer_norm_bwd_row(const T* g, const T* xhat, T rstd_in, T* dx, i64 n, const G& grp) {
    typedef typename acc_of<T>::type A;
    Pair<A> sums = {A(0), A(0)};  // sum(g), sum(g * xhat)
    for (i64 c = grp.rank(); c < n; c += grp.size()) {
        const A gc = to_acc(g[c]);
        sums.a += gc;
        sums.b += gc * to_acc(xhat[c]);
    }
    sums = grp.all_reduce(sums, SumOp());
    const A mean_g = sums.a / A(n), mean_gx = sums.b / A(n), rstd = to_acc(rstd_in);
    for (i64 c = grp.rank(); c < n; c += grp.size())
        store(dx + c, rstd * (to_acc(g[c]) - mean_g - to_acc(xhat[c]) * mean_gx));
}

}  // namespace gg
