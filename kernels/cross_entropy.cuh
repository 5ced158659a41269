#pragma once
// Row functions of fused cross entropy over class-index targets: one row is the n class logits
// of one target, ``stride`` apart. PyTorch's semantics:
//   a_c  = (1 - ls) * w_t * [c == t] + ls / n * w_c     (w = class weights, or all 1)
//   loss = sum_c a_c * (lse - x_c)                      (lse = log(sum_c exp(x_c)))
//        = w_t (1 - ls) (lse - x_t) + ls / n * sum_c w_c (lse - x_c)
//   dx_c = g * (softmax(x)_c * sum_c' a_c' - a_c)
// An ignored target (t == ignore_index) gives loss 0, weight 0 and a zero gradient row. A target
// outside [0, n) (the Python side rejects those before launching) is never used as an index: it
// gives a NaN loss and a NaN gradient row, so the mistake shows instead of corrupting memory.
#include "common.cuh"
#include "block_reduce.cuh"
#include "softmax.cuh"

namespace gg {

// 0: ignored, 1: valid, 2: out of range.
GG_HD int target_kind(i64 t, i64 n, i64 ignore_index) {
    if (t == ignore_index) return 0;
    return (t >= 0 && t < n) ? 1 : 2;
}

// Writes loss, lse (accumulation type: float for __half, as the backward needs it precisely) and
// wt = w_t (0 when ignored or out of range), from which the caller forms 'mean' = sum / sum(wt).
template <typename T, typename G>
GG_HD void cross_entropy_row(const T* x, i64 n, i64 stride, i64 t, const T* weight,
                             i64 ignore_index, double label_smoothing, const G& grp, T* loss,
                             typename acc_of<T>::type* lse, T* wt) {
    typedef typename acc_of<T>::type A;
    const int kind = target_kind(t, n, ignore_index);
    if (kind != 1) {  // uniform across the group: every thread takes the same branch
        if (grp.rank() == 0) {
            store(loss, kind == 0 ? A(0) : quiet_nan<A>());
            *lse = A(0);
            store(wt, A(0));
        }
        return;
    }
    const Pair<A> ms = row_max_sum(x, n, stride, grp);
    const A row_lse = ms.a + log(ms.b);
    const A ls = A(label_smoothing);
    const A w_t = weight ? to_acc(weight[t]) : A(1);
    // a zero weight zeroes the term even for an infinite logit (0 * inf would be NaN)
    A out = w_t != A(0) ? w_t * (row_lse - to_acc(x[t * stride])) : A(0);
    if (ls != A(0)) {
        A smooth = A(0);
        for (i64 c = grp.rank(); c < n; c += grp.size()) {
            const A d = row_lse - to_acc(x[c * stride]);
            smooth += weight ? to_acc(weight[c]) * d : d;
        }
        smooth = grp.all_reduce(smooth, SumOp());
        out = (A(1) - ls) * out + ls / A(n) * smooth;
    }
    if (grp.rank() == 0) {
        store(loss, out);
        *lse = row_lse;
        store(wt, w_t);
    }
}

// dx for one row from the upstream gradient g of this row's loss and the forward's lse.
template <typename T, typename G>
GG_HD void cross_entropy_bwd_row(const T* x, i64 n, i64 stride, i64 t,
                                 const T* weight, i64 ignore_index, double label_smoothing,
                                 typename acc_of<T>::type g, typename acc_of<T>::type lse,
                                 const G& grp, T* dx) {
    typedef typename acc_of<T>::type A;
    const int kind = target_kind(t, n, ignore_index);
    if (kind != 1) {
        const A fill = kind == 0 ? A(0) : quiet_nan<A>();
        for (i64 c = grp.rank(); c < n; c += grp.size()) store(dx + c * stride, fill);
        return;
    }
    const A ls = A(label_smoothing);
    const A w_t = weight ? to_acc(weight[t]) : A(1);
    A w_sum = A(n);  // sum of the class weights
    if (weight && ls != A(0)) {
        A s = A(0);
        for (i64 c = grp.rank(); c < n; c += grp.size()) s += to_acc(weight[c]);
        w_sum = grp.all_reduce(s, SumOp());
    }
    const A a_t = (A(1) - ls) * w_t;
    const A total = a_t + ls / A(n) * w_sum;  // sum over c of a_c
    for (i64 c = grp.rank(); c < n; c += grp.size()) {
        A a_c = ls != A(0) ? ls / A(n) * (weight ? to_acc(weight[c]) : A(1)) : A(0);
        if (c == t) a_c += a_t;
        const A p = exp(to_acc(x[c * stride]) - lse);
        store(dx + c * stride, g * (p * total - a_c));
    }
}

}  // namespace gg
