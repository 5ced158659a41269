// Compiled host kernels of the NumPy backend: the float32 ops of a training step that NumPy can
// only run as chains of whole-array passes (exact GELU, softmax rows, layer norm, cross entropy,
// optimizer updates). gradgpu/backend/host_build.py builds this file with the machine's C++
// compiler on first use and caches the library; host_kernels.py calls it through ctypes. The
// NumPy code it replaces stays the specification (tests/test_host_kernels.py compares them).
//
// Conventions: every pointer is a C-contiguous float32 array (the caller checks); row kernels
// take (rows, n) for `rows` rows of n elements; float32 arithmetic as the NumPy code's, with row
// sums blocked (row_sum) and layer norm's statistics in double, so results are as close to the
// exact value as the NumPy path's, or closer. Entry points are `gradgpu_host_<op>_<fwd|bwd>_f32`
// (`_step_f32` for optimizers). `#pragma omp simd` (with -fopenmp-simd: no OpenMP runtime) lets
// the compiler vectorize the reductions, which plain -O3 may not reorder.
#include <cmath>
#include <vector>

#define GG_NO_FP_CONTRACT  // built with -ffp-contract=off: optim.cuh needs no volatile products
#include "../optim.cuh"
#include "host_math.h"

using gg_host::erf_f32;
using gg_host::exp_f32;
using gg_host::i64;

namespace {

// max of a row and whether it holds a NaN (NaN must win, as NumPy's max and PyTorch's softmax)
inline float row_max(const float* x, i64 n, bool* has_nan) {
  float m = -__builtin_inff();
  int nan = 0;
#pragma omp simd reduction(max : m) reduction(| : nan)
  for (i64 j = 0; j < n; ++j) {
    m = x[j] > m ? x[j] : m;
    nan |= x[j] != x[j];
  }
  *has_nan = nan != 0;
  return m;
}

// Sums of a row: float within blocks of 256 (vector lanes, then a tree), double across blocks.
// As accurate as NumPy's pairwise float sums, and much faster for short rows than summing in
// double (each row then pays for widening every element and a double horizontal reduction).
constexpr i64 kBlock = 256;

inline double row_sum(const float* x, i64 n) {
  double total = 0.0;
  for (i64 b = 0; b < n; b += kBlock) {
    i64 e = b + kBlock < n ? b + kBlock : n;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (i64 j = b; j < e; ++j) s += x[j];
    total += s;
  }
  return total;
}

inline double row_dot(const float* x, const float* y, i64 n) {
  double total = 0.0;
  for (i64 b = 0; b < n; b += kBlock) {
    i64 e = b + kBlock < n ? b + kBlock : n;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (i64 j = b; j < e; ++j) s += x[j] * y[j];
    total += s;
  }
  return total;
}

// The same sums in double, for layer norm's statistics: a mean of float sums is off by an ulp
// of the sum, which an offset of the row (x = 10 + small) turns into an error of every xhat.
inline double row_sum_f64(const float* x, i64 n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (i64 j = 0; j < n; ++j) s += x[j];
  return s;
}

inline double row_dot_f64(const float* x, const float* y, i64 n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (i64 j = 0; j < n; ++j) s += static_cast<double>(x[j]) * y[j];
  return s;
}

inline void fill_nan(float* y, i64 n) {
  for (i64 j = 0; j < n; ++j) y[j] = __builtin_nanf("");
}

// y = exp(x - max) / sum(exp(x - max)) over the first k entries of a row, 0 for the entries from
// k on; a row whose first k hold NaN or +inf is NaN throughout, as a masked fill with -inf and a
// softmax give. All -inf there: NaN as well, or zeros when `safe` (PyTorch's safe softmax of
// attention, where every key of a query is masked out). The loops run to k rounded up to whole
// vectors of 16, the entries past k masked by value (-inf, whose exp is 0): a scalar remainder
// of exp calls in every row of a causal mask cost more than the vector work.
inline void softmax_row(const float* x, float* y, i64 k, i64 n, bool safe) {
  const float kNegInf = -__builtin_inff();
  i64 kv = (k + 15) / 16 * 16;
  kv = kv < n ? kv : n;
  float m = kNegInf;
  int nan = 0;
#pragma omp simd reduction(max : m) reduction(| : nan)
  for (i64 j = 0; j < kv; ++j) {
    float v = j < k ? x[j] : kNegInf;
    m = v > m ? v : m;
    nan |= v != v;
  }
  if (nan || (safe && m == kNegInf)) {
    for (i64 j = 0; j < n; ++j) y[j] = nan ? __builtin_nanf("") : 0.0f;
    return;
  }
#pragma omp simd
  for (i64 j = 0; j < kv; ++j) y[j] = exp_f32(j < k ? x[j] - m : kNegInf);  // inf - inf: NaN
  float s = static_cast<float>(row_sum(y, kv));
#pragma omp simd
  for (i64 j = 0; j < kv; ++j) y[j] = y[j] / s;
  const float rest = s == s ? 0.0f : __builtin_nanf("");  // a NaN sum: +inf or all -inf
  for (i64 j = kv; j < n; ++j) y[j] = rest;
}

}  // namespace

extern "C" {

// y = erf(x)
void gradgpu_host_erf_fwd_f32(const float* x, float* y, i64 n) {
#pragma omp simd
  for (i64 i = 0; i < n; ++i) y[i] = erf_f32(x[i]);
}

// y = x * (0.5 * (1 + erf(x / sqrt 2))), in float32 with the NumPy reference's roundings
// (bit for bit: elementwise_spec._gelu)
void gradgpu_host_gelu_fwd_f32(const float* x, float* y, i64 n) {
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    float phi = erf_f32(x[i] * static_cast<float>(0.7071067811865476));
    phi = phi + 1.0f;
    phi = phi * 0.5f;
    y[i] = phi * x[i];
  }
}

// dx = g * (Phi(x) + x phi(x)), Phi(x) = y / x from the forward's output (0.5 where |x| < 1e-30),
// phi(x) = exp(-x^2 / 2) / sqrt(2 pi): the NumPy reference's float32 operations in its order
void gradgpu_host_gelu_bwd_f32(const float* g, const float* x, const float* y, float* dx,
                               i64 n) {
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    float cdf = std::fabs(x[i]) < 1e-30f ? 0.5f : y[i] / x[i];
    float t = x[i] * x[i];
    t = exp_f32(t * -0.5f);
    t = t * static_cast<float>(0.3989422804014327);
    t = t * x[i];
    dx[i] = (cdf + t) * g[i];
  }
}

// y = exp(x - max) / sum(exp(x - max)) per row
void gradgpu_host_softmax_fwd_f32(const float* x, float* y, i64 rows, i64 n) {
  for (i64 r = 0; r < rows; ++r) softmax_row(x + r * n, y + r * n, n, n, false);
}

// softmax of attention scores with a causal mask: rows of n keys in blocks of `queries` rows,
// query i (the row's index in its block) sees keys j <= i; the others are 0 whatever they hold
// (a masked fill with -inf, then softmax), and are never computed; a query whose visible scores
// are all -inf gets zeros (PyTorch's safe softmax)
void gradgpu_host_causal_softmax_fwd_f32(const float* x, float* y, i64 rows, i64 n,
                                         i64 queries) {
  for (i64 r = 0; r < rows; ++r) {
    i64 k = r % queries + 1;
    softmax_row(x + r * n, y + r * n, k < n ? k : n, n, true);
  }
}

// y = x - max - log(sum(exp(x - max))) per row
void gradgpu_host_log_softmax_fwd_f32(const float* x, float* y, i64 rows, i64 n) {
  for (i64 r = 0; r < rows; ++r, x += n, y += n) {
    bool nan;
    float m = row_max(x, n, &nan);
    if (nan) {
      fill_nan(y, n);
      continue;
    }
#pragma omp simd
    for (i64 j = 0; j < n; ++j) y[j] = exp_f32(x[j] - m);  // y as scratch for the sum
    double log_s = std::log(row_sum(y, n));  // subtracted from x - max, not x from max + log_s:
                                             // that sum would round log_s away by a large max
#pragma omp simd
    for (i64 j = 0; j < n; ++j) y[j] = static_cast<float>((x[j] - m) - log_s);
  }
}

// dx = y * (g - sum(g * y)) per row (y = softmax(x))
void gradgpu_host_softmax_bwd_f32(const float* g, const float* y, float* dx, i64 rows, i64 n) {
  for (i64 r = 0; r < rows; ++r, g += n, y += n, dx += n) {
    float s = static_cast<float>(row_dot(g, y, n));
#pragma omp simd
    for (i64 j = 0; j < n; ++j) dx[j] = y[j] * (g[j] - s);
  }
}

// dx = g - exp(y) * sum(g) per row (y = log_softmax(x))
void gradgpu_host_log_softmax_bwd_f32(const float* g, const float* y, float* dx, i64 rows,
                                      i64 n) {
  for (i64 r = 0; r < rows; ++r, g += n, y += n, dx += n) {
    float s = static_cast<float>(row_sum(g, n));
#pragma omp simd
    for (i64 j = 0; j < n; ++j) dx[j] = g[j] - exp_f32(y[j]) * s;
  }
}

// Cross entropy of rows of logits x over class indices t (no class weights, no label
// smoothing; the NumPy reference handles those): lse = max + log(sum(exp(x - max))),
// loss = lse - x_t and wt = 1 for a usable target, loss = wt = 0 for ignore_index, and
// loss = NaN, wt = 0 for a target outside [0, n).
void gradgpu_host_cross_entropy_fwd_f32(const float* x, const i64* t, float* loss, float* lse,
                                        float* wt, i64 rows, i64 n, i64 ignore_index) {
  std::vector<float> e(n);
  for (i64 r = 0; r < rows; ++r, x += n) {
    bool nan;
    float m = row_max(x, n, &nan);
    float l = __builtin_nanf("");
    if (!nan) {
#pragma omp simd
      for (i64 j = 0; j < n; ++j) e[j] = exp_f32(x[j] - m);
      l = static_cast<float>(m + std::log(row_sum(e.data(), n)));
    }
    lse[r] = l;
    i64 c = t[r];
    bool ignored = c == ignore_index, usable = !ignored && c >= 0 && c < n;
    loss[r] = usable ? l - x[c] : (ignored ? 0.0f : __builtin_nanf(""));
    wt[r] = usable ? 1.0f : 0.0f;
  }
}

// dx = exp(x - lse) * a - a [c == t] with a = g * wt per row (the reference's operations); a
// target outside [0, n) that is not ignore_index gives a NaN row
void gradgpu_host_cross_entropy_bwd_f32(const float* g, const float* x, const float* lse,
                                        const i64* t, float* dx, i64 rows, i64 n,
                                        i64 ignore_index) {
  for (i64 r = 0; r < rows; ++r, x += n, dx += n) {
    i64 c = t[r];
    bool ignored = c == ignore_index, usable = !ignored && c >= 0 && c < n;
    if (!ignored && !usable) {
      fill_nan(dx, n);
      continue;
    }
    float a = g[r] * (usable ? 1.0f : 0.0f), l = lse[r];
#pragma omp simd
    for (i64 j = 0; j < n; ++j) dx[j] = exp_f32(x[j] - l) * a;
    if (usable) dx[c] -= a;
  }
}

// xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps) per row (biased variance; two passes
// over the row, so no cancellation in var)
void gradgpu_host_layer_norm_fwd_f32(const float* x, float* xhat, float* rstd, i64 rows, i64 n,
                                     double eps) {
  for (i64 r = 0; r < rows; ++r, x += n, xhat += n) {
    double mean = row_sum_f64(x, n) / n;
    double ss = 0.0;
#pragma omp simd reduction(+ : ss)
    for (i64 j = 0; j < n; ++j) {
      double d = x[j] - mean;
      ss += d * d;
    }
    double rs = 1.0 / std::sqrt(ss / n + eps);
#pragma omp simd
    for (i64 j = 0; j < n; ++j) xhat[j] = static_cast<float>((x[j] - mean) * rs);
    rstd[r] = static_cast<float>(rs);
  }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) per row
void gradgpu_host_layer_norm_bwd_f32(const float* g, const float* xhat, const float* rstd,
                                     float* dx, i64 rows, i64 n) {
  for (i64 r = 0; r < rows; ++r, g += n, xhat += n, dx += n) {
    double mean_g = row_sum_f64(g, n) / n;
    double mean_gx = row_dot_f64(g, xhat, n) / n;
    double rs = rstd[r];
#pragma omp simd
    for (i64 j = 0; j < n; ++j)
      dx[j] = static_cast<float>(rs * ((g[j] - mean_g) - xhat[j] * mean_gx));
  }
}

// One optimizer step over one parameter: the per-element updates of kernels/optim.cuh (bit for bit
// OptimReference's, as on the GPU). sc/fl: the scalars and flags of reference_optim's
// *_arguments, in the order of the *Scalars struct's fields; vmax is null unless amsgrad.
void gradgpu_host_adam_step_f32(float* p, const float* g, float* m, float* v, float* vmax, i64 n,
                                const float* sc, const int* fl) {
  const gg::AdamScalars<float> s{sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7],
                                 fl[0],  fl[1], fl[2]};
  if (s.amsgrad) {
    for (i64 i = 0; i < n; ++i) gg::adam_update<float>(p[i], g[i], m[i], v[i], vmax[i], s);
    return;
  }
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    float unused = 0.0f;
    gg::adam_update<float>(p[i], g[i], m[i], v[i], unused, s);
  }
}

// buf: the momentum buffer (null without momentum)
void gradgpu_host_sgd_step_f32(float* p, const float* g, float* buf, i64 n, const float* sc,
                               const int* fl) {
  const gg::SgdScalars<float> s{sc[0], sc[1], sc[2], sc[3], fl[0], fl[1], fl[2], fl[3], fl[4]};
  if (s.use_momentum) {
#pragma omp simd
    for (i64 i = 0; i < n; ++i) gg::sgd_update<float>(p[i], g[i], buf[i], s);
    return;
  }
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    float unused = 0.0f;
    gg::sgd_update<float>(p[i], g[i], unused, s);
  }
}

}  // extern "C"
