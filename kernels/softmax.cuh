#pragma once
// Row functions of softmax / log_softmax, forward and backward, for one row of n elements at
// ``stride`` apart, owned by a group of threads (block_reduce.cuh). Used by softmax.cu; the same
// text runs on the host in tests.
#include "common.cuh"
#include "block_reduce.cuh"

namespace gg {

// Running (max m, sum s of exp(x - m)) of a row, merged in one pass (the "online" softmax).
// NaN anywhere makes m NaN and the whole row NaN, +inf makes s NaN (inf - inf), as the NumPy
// reference (x - max(x)) gives. While every element seen is -inf, s stays 0: exp(-inf - -inf)
// would be NaN, and a row of only -inf ends as m = -inf, s = 0, which gives NaN outputs, again as
// the reference does.
struct MaxSumOp {
    template <typename A> GG_HD Pair<A> operator()(Pair<A> p, Pair<A> q) const {
        const A m = (p.a != p.a || p.a > q.a) ? p.a : q.a;
        if (m == minus_infinity<A>()) return Pair<A>{m, A(0)};
        return Pair<A>{m, p.b * exp(p.a - m) + q.b * exp(q.a - m)};
    }
};

template <typename T, typename G>
GG_HD Pair<typename acc_of<T>::type> row_max_sum(const T* x, i64 n, i64 stride, const G& grp) {
    typedef typename acc_of<T>::type A;
    MaxSumOp op;
    Pair<A> ms = {minus_infinity<A>(), A(0)};
    for (i64 c = grp.rank(); c < n; c += grp.size()) ms = op(ms, Pair<A>{to_acc(x[c * stride]), A(1)});
    return grp.all_reduce(ms, op);
}

// y = exp(x - m) / s  (LOG: y = (x - m) - log(s)).
template <bool LOG, typename T, typename G>
GG_HD void softmax_row(const T* x, T* y, i64 n, i64 stride, const G& grp) {
    typedef typename acc_of<T>::type A;
    const Pair<A> ms = row_max_sum(x, n, stride, grp);
    const A log_s = log(ms.b);
    for (i64 c = grp.rank(); c < n; c += grp.size()) {
        const A shifted = to_acc(x[c * stride]) - ms.a;
        store(y + c * stride, LOG ? shifted - log_s : exp(shifted) / ms.b);
    }
}

// softmax: dx = y * (g - sum(g * y));  log_softmax: dx = g - exp(y) * sum(g).
template <bool LOG, typename T, typename G>
GG_HD void softmax_bwd_row(const T* g, const T* y, T* dx, i64 n, i64 stride, const G& grp) {
    typedef typename acc_of<T>::type A;
    A sum = A(0);
    for (i64 c = grp.rank(); c < n; c += grp.size()) {
        const A gc = to_acc(g[c * stride]);
        sum += LOG ? gc : gc * to_acc(y[c * stride]);
    }
    sum = grp.all_reduce(sum, SumOp());
    for (i64 c = grp.rank(); c < n; c += grp.size()) {
        const A gc = to_acc(g[c * stride]), yc = to_acc(y[c * stride]);
        store(dx + c * stride, LOG ? gc - exp(yc) * sum : yc * (gc - sum));
    }
}

}  // namespace gg
