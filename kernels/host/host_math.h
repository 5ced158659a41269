// Per-element math of the compiled host kernels (host_kernels.cpp): exp and erf of float32
// values, branch-free so that GCC and Clang vectorize the loops calling them
// (the C library's exp and erf are scalar calls; -ffast-math would vectorize them but also drop
// NaN and infinity handling, which the kernels must keep).
#pragma once

#include <cstring>

namespace gg_host {

typedef long long i64;

inline int bits_of(float x) {
  int b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

inline float float_of(int b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// exp(x) in float arithmetic (16 lanes per AVX-512 vector), within 1 ulp of the
// exact value (tests/test_host_kernels.py sweeps it; NumPy's own float32 exp is not
// correctly rounded either): x = n ln2 + r, |r| <= ln2 / 2, exp(r) by Cephes' degree-7 fit
// (S. Moshier), and 2^n applied as two normal powers of two, so results down to the subnormals
// round once. NaN stays NaN, below -103.98 gives 0, above 88.73 gives inf.
inline float exp_f32(float x) {
  const float kLo = -103.972084f, kHi = 88.7228394f;
  const float kShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  float xc = x < kLo ? kLo : (x > kHi ? kHi : x);
  float t = xc * 1.44269504f + kShift;
  float n = t - kShift;
  float r = xc - n * 0.693359375f;  // ln 2 in 9 bits (n * it is exact), then the rest
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = (p * (r * r) + r) + 1.0f;
  int n_int = bits_of(t) - bits_of(kShift);  // in [-150, 128]
  int n1 = n_int >> 1, n2 = n_int - n1;       // each in [-75, 64]: a normal power of two
  float y = (p * float_of((n1 + 127) << 23)) * float_of((n2 + 127) << 23);
  y = x < kLo ? 0.0f : (x > kHi ? __builtin_inff() : y);
  return x != x ? x : y;
}

// erf of a float32 value, bit for bit the NumPy backend's gradgpu/backend/host_erf.py (its
// docstring has the fit): a * P(a^2) / Q(a^2) with a = x clipped to [-4, 4], in double, the same
// operations in the same order (the library is built with -ffp-contract=off: no fused
// multiply-adds, which would change the roundings).
inline float erf_f32(float x) {
  double a = static_cast<double>(x);
  a = a < -4.0 ? -4.0 : a;  // NaN compares false and stays NaN; -0 stays -0
  a = a > 4.0 ? 4.0 : a;
  double z = a * a;
  double p = z * -1.3202234632411382e-08;
  p = (p + 4.684779365176093e-06) * z;
  p = (p + 0.0003796088465799369) * z;
  p = (p + 0.0038496080619999343) * z;
  p = (p + 0.05431690166750013) * z;
  p = (p + 0.18520312924881793) * z;
  p = p + 1.1283791693784728;
  double q = z * 6.311059536998874e-05;
  q = (q + 0.0013075691294111424) * z;
  q = (q + 0.015462082865927828) * z;
  q = (q + 0.11395838017322359) * z;
  q = (q + 0.4974654136752098) * z;
  q = q + 1.0;
  p = p * a;
  return static_cast<float>(p / q);
}

}  // namespace gg_host
