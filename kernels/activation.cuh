// Per-element math of the pointwise activations (gradgpu/ops/activation.py): <op>_fwd(x, ...)
// and <op>_bwd(g, saved, ...), with the op's parameters (slope, alpha, ...) last.
// Specification: gradgpu/backend/elementwise_spec.py (the NumPy reference of each function).
#pragma once
#include "common.cuh"
#include "unary.cuh"

namespace gg {

// log(sigmoid(x)) = min(x, 0) - log1p(e^-|x|): no overflow for any x.
template <typename T> GG_HD T logsigmoid_fwd(T x) {
  return (x < T(0) ? x : T(0)) - log1p(exp(-fabs(x)));
}
template <typename T> GG_HD T logsigmoid_bwd(T g, T x) { return g * sigmoid_fwd(-x); }

// log(1 + e^(beta x)) / beta = (max(bx, 0) + log1p(e^-|bx|)) / beta; x itself above threshold.
template <typename T> GG_HD T softplus_fwd(T x, T beta, T threshold) {
  T bx = x * beta;
  return bx > threshold ? x : ((bx > T(0) ? bx : T(0)) + log1p(exp(-fabs(bx)))) / beta;
}
template <typename T> GG_HD T softplus_bwd(T g, T x, T beta, T threshold) {
  T bx = x * beta;
  return bx > threshold ? g : g * sigmoid_fwd(bx);
}

template <typename T> GG_HD T erf_fwd(T x) { return erf(x); }
template <typename T> GG_HD T erf_bwd(T g, T x) {
  return g * exp(-(x * x)) * T(1.1283791670955126);  // 2 / sqrt(pi)
}

// Exact GELU: x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi the Gaussian density.
template <typename T> GG_HD T gelu_fwd(T x) {
  return x * (T(0.5) * (T(1) + erf(x * T(0.7071067811865476))));
}
// The backward takes Phi(x) = y / x from the output y (no second erf): within 2 ulp wherever y
// is normal, and Phi(x) rounds to exactly 0.5 where |x| < 1e-30.
template <typename T> GG_HD T gelu_bwd(T g, T x, T y) {
  T cdf = fabs(x) < T(1e-30) ? T(0.5) : y / x;
  T pdf = exp(x * x * T(-0.5)) * T(0.3989422804014327);  // 1 / sqrt(2 pi)
  return g * (cdf + x * pdf);
}

// GELU's tanh approximation: x/2 (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2 / pi).
template <typename T> GG_HD T gelu_tanh_fwd(T x) {
  return T(0.5) * x *
         (T(1) + tanh(T(0.7978845608028654) * (x + T(0.044715) * x * x * x)));
}
template <typename T> GG_HD T gelu_tanh_bwd(T g, T x) {
  T x2 = x * x;
  T t = tanh((x + x2 * x * T(0.044715)) * T(0.7978845608028654));
  return g * ((t + T(1)) * T(0.5) +
              x * (T(1) - t * t) * (x2 * T(3 * 0.044715) + T(1)) * T(0.5 * 0.7978845608028654));
}

template <typename T> GG_HD T silu_fwd(T x) { return x * sigmoid_fwd(x); }
template <typename T> GG_HD T silu_bwd(T g, T x) {
  T s = sigmoid_fwd(x);
  return g * (s * (x * (T(1) - s) + T(1)));
}

// x * tanh(softplus(x)) (softplus with beta 1, threshold 20, as PyTorch's mish).
template <typename T> GG_HD T mish_fwd(T x) { return x * tanh(softplus_fwd(x, T(1), T(20))); }
template <typename T> GG_HD T mish_bwd(T g, T x) {
  T t = tanh(softplus_fwd(x, T(1), T(20)));
  return g * (t + x * sigmoid_fwd(x) * (T(1) - t * t));
}

template <typename T> GG_HD T leaky_relu_fwd(T x, T slope) { return x > T(0) ? x : x * slope; }
template <typename T> GG_HD T leaky_relu_bwd(T g, T x, T slope) {
  return x > T(0) ? g : g * slope;
}

// alpha (e^x - 1) for x <= 0 (NaN stays NaN through expm1). The backward from the input x, as
// PyTorch's out-of-place elu: alpha e^x does not cancel for x << 0 as y + alpha does, holds for
// alpha < 0, and passes g at NaN (x <= 0 is false there).
template <typename T> GG_HD T elu_fwd(T x, T alpha) { return x > T(0) ? x : alpha * expm1(x); }
template <typename T> GG_HD T elu_bwd(T g, T x, T alpha) {
  return x <= T(0) ? g * alpha * exp(x) : g;
}

// clamp(x, lo, hi) as PyTorch's clamp (NumPy's clip): NaN propagates and a tie keeps x, so
// relu6(-0) is -0. The gradient is 0 only at or beyond a bound: NaN passes g, as PyTorch's.
template <typename T> GG_HD T hardtanh_fwd(T x, T lo, T hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}
template <typename T> GG_HD T hardtanh_bwd(T g, T x, T lo, T hi) {
  return (x <= lo || x >= hi) ? T(0) : g;
}

}  // namespace gg
