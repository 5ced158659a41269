#pragma once
// Per-element pieces of the reductions (sum, prod, amax/amin, var, logsumexp, norm), used as the
// map/reduce/post-map expressions of cupy.ReductionKernel (gradgpu/backend/cuda/reductions.py).
// Accumulation happens in the kernel's reduce type: float for float16 input, else the input's.
#include "common.cuh"

namespace gg {

// The identity of a floating max (min) reduction: -inf (+inf), so an empty slice never invents a
// value that could win. (By division: NVRTC has no INFINITY macro. Integer identities are
// literals written by the Python side.)
template <typename T> GG_HD T lowest() { T zero = T(0); return T(-1) / zero; }
template <typename T> GG_HD T highest() { T zero = T(0); return T(1) / zero; }

// max/min that propagate NaN like NumPy's amax/amin (a != a is true only for NaN; when b is
// NaN the comparison is false and b is returned).
template <typename T> GG_HD T max_nan(T a, T b) { return (a != a || a > b) ? a : b; }
template <typename T> GG_HD T min_nan(T a, T b) { return (a != a || a < b) ? a : b; }

// |x|^p for the vector norm; p == 1 and p == 2 avoid pow.
template <typename T> GG_HD T pow_abs(T x, T p) {
    T a = x < T(0) ? -x : x;
    if (p == T(1)) return a;
    if (p == T(2)) return a * a;
    return pow(a, p);
}

// Which of two (value, index) candidates an argmax (largest) or argmin keeps: NaN beats every
// number, then the larger (smaller) value, then the smaller index, as NumPy's argmax/argmin.
template <typename T> GG_HD bool arg_better(T a, i64 ia, T b, i64 ib, bool largest) {
    bool a_nan = a != a, b_nan = b != b;
    if (a_nan || b_nan) return a_nan && (!b_nan || ia < ib);
    if (a == b) return ia < ib;
    return largest ? a > b : a < b;
}

// The finite shift for a stable logsumexp: the slice max, or 0 when it is +-inf or NaN (then
// the sum itself gives the right inf/NaN).
template <typename T> GG_HD T finite_or_zero(T m) { return (m - m == T(0)) ? m : T(0); }

}  // namespace gg
