// Per-element math of the one-input ops (gradgpu/ops/elementwise/unary.py): <op>_fwd(x) and
// <op>_bwd(g, saved), where saved is the input x or the output y, whichever the op keeps.
// Specification: gradgpu/backend/elementwise_spec.py (the NumPy reference of each function).
#pragma once
#include "common.cuh"

namespace gg {

// ---- sign, magnitude, rounding (integer types too) ---------------------------------------
template <typename T> GG_HD T neg_fwd(T x) { return -x; }
template <typename T> GG_HD T neg_bwd(T g) { return -g; }

template <typename T> GG_HD T abs_fwd(T x) {
  if constexpr (is_floating<T>::value) {
    return fabs(x);  // fabs, not a compare: |-0| is +0
  } else {
    return x < T(0) ? -x : x;
  }
}

// -1, 0 or 1, as PyTorch's (0 < x) - (x < 0): NaN and -0 give +0.
template <typename T> GG_HD T sign_fwd(T x) {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}
template <typename T> GG_HD T abs_bwd(T g, T x) { return g * sign_fwd(x); }

// Rounding is the identity on integers (as PyTorch: the dtype is kept).
template <typename T> GG_HD T floor_fwd(T x) {
  if constexpr (is_floating<T>::value) { return floor(x); } else { return x; }
}
template <typename T> GG_HD T ceil_fwd(T x) {
  if constexpr (is_floating<T>::value) { return ceil(x); } else { return x; }
}
// Half to even (NumPy's round): rint in the default rounding mode.
template <typename T> GG_HD T round_fwd(T x) {
  if constexpr (is_floating<T>::value) { return rint(x); } else { return x; }
}
template <typename T> GG_HD T trunc_fwd(T x) {
  if constexpr (is_floating<T>::value) { return trunc(x); } else { return x; }
}
template <typename T> GG_HD T frac_fwd(T x) {
  if constexpr (is_floating<T>::value) { return x - trunc(x); } else { return T(0); }
}

// relu: max(x, 0) with NaN propagated and -0 mapped to +0 (as NumPy's maximum(x, 0)).
template <typename T> GG_HD T relu_fwd(T x) { return !(x <= T(0)) ? x : T(0); }
// g * [y != 0] as a product (as the NumPy reference; y = relu(x) is positive, +0 or NaN): g
// where y is NaN, as PyTorch; inf or nan g stays nan where y == 0 (PyTorch's select gives 0).
template <typename T> GG_HD T relu_bwd(T g, T y) { return g * T(y != T(0)); }

// ---- exponentials and logarithms ---------------------------------------------------------
template <typename T> GG_HD T exp_fwd(T x) { return exp(x); }
template <typename T> GG_HD T exp_bwd(T g, T y) { return g * y; }
template <typename T> GG_HD T expm1_fwd(T x) { return expm1(x); }
template <typename T> GG_HD T expm1_bwd(T g, T y) { return g * (y + T(1)); }
template <typename T> GG_HD T log_fwd(T x) { return log(x); }
template <typename T> GG_HD T log_bwd(T g, T x) { return g / x; }
template <typename T> GG_HD T log2_fwd(T x) { return log2(x); }
template <typename T> GG_HD T log2_bwd(T g, T x) { return g / (x * T(0.6931471805599453)); }
template <typename T> GG_HD T log10_fwd(T x) { return log10(x); }
template <typename T> GG_HD T log10_bwd(T g, T x) { return g / (x * T(2.302585092994046)); }
template <typename T> GG_HD T log1p_fwd(T x) { return log1p(x); }
template <typename T> GG_HD T log1p_bwd(T g, T x) { return g / (x + T(1)); }

// ---- powers ------------------------------------------------------------------------------
template <typename T> GG_HD T sqrt_fwd(T x) { return sqrt(x); }
template <typename T> GG_HD T sqrt_bwd(T g, T y) { return g / (y * T(2)); }
// 1 / sqrt(x), not CUDA's rsqrt (an approximation on the device, absent on the host).
template <typename T> GG_HD T rsqrt_fwd(T x) { return T(1) / sqrt(x); }
template <typename T> GG_HD T rsqrt_bwd(T g, T y) { return g * (y * y * y) * T(-0.5); }
template <typename T> GG_HD T reciprocal_fwd(T x) { return T(1) / x; }
template <typename T> GG_HD T reciprocal_bwd(T g, T y) { return -g * (y * y); }

// ---- trigonometric and hyperbolic --------------------------------------------------------
template <typename T> GG_HD T sin_fwd(T x) { return sin(x); }
template <typename T> GG_HD T sin_bwd(T g, T x) { return g * cos(x); }
template <typename T> GG_HD T cos_fwd(T x) { return cos(x); }
template <typename T> GG_HD T cos_bwd(T g, T x) { return -g * sin(x); }
template <typename T> GG_HD T tan_fwd(T x) { return tan(x); }
template <typename T> GG_HD T tan_bwd(T g, T y) { return g * (T(1) + y * y); }
template <typename T> GG_HD T asin_fwd(T x) { return asin(x); }
template <typename T> GG_HD T asin_bwd(T g, T x) { return g * (T(1) / sqrt(T(1) - x * x)); }
template <typename T> GG_HD T acos_fwd(T x) { return acos(x); }
template <typename T> GG_HD T acos_bwd(T g, T x) { return -g * (T(1) / sqrt(T(1) - x * x)); }
template <typename T> GG_HD T atan_fwd(T x) { return atan(x); }
template <typename T> GG_HD T atan_bwd(T g, T x) { return g / (T(1) + x * x); }
template <typename T> GG_HD T sinh_fwd(T x) { return sinh(x); }
template <typename T> GG_HD T sinh_bwd(T g, T x) { return g * cosh(x); }
template <typename T> GG_HD T cosh_fwd(T x) { return cosh(x); }
template <typename T> GG_HD T cosh_bwd(T g, T x) { return g * sinh(x); }
template <typename T> GG_HD T tanh_fwd(T x) { return tanh(x); }
template <typename T> GG_HD T tanh_bwd(T g, T y) { return g * (T(1) - y * y); }

// Split by sign so that exp never overflows: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) else.
template <typename T> GG_HD T sigmoid_fwd(T x) {
  T e = exp(-fabs(x));
  return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}
template <typename T> GG_HD T sigmoid_bwd(T g, T y) { return g * (y * (T(1) - y)); }

}  // namespace gg
