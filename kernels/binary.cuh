// Per-element math of the two-input ops' backward passes (gradgpu/ops/elementwise/arithmetic.py,
// selection.py): <op>_bwd(g, a, b, ..., da, db) writes both gradients in one pass. Forward passes
// of +, -, *, / are the array operators themselves (the same single instruction).
// Specification: gradgpu/backend/elementwise_spec.py (the NumPy reference of each function).
#pragma once
#include "common.cuh"

namespace gg {

// y = a / b;  da = g / b,  db = -g * (a / b) / b (PyTorch's order: b * b could overflow).
template <typename T> GG_HD void div_bwd(T g, T a, T b, T& da, T& db) {
  da = g / b;
  db = -g * ((a / b) / b);
}

// y = a ** b;  da = g b a^(b-1), taken as 0 where b == 0 (also at a == 0, where it is 0 * inf);
// db = g y log(a), taken as 0 where a == 0 and b >= 0 (PyTorch's rules).
template <typename T> GG_HD void pow_bwd(T g, T a, T b, T y, T& da, T& db) {
  da = b == T(0) ? T(0) : g * b * pow(a, b - T(1));
  db = g * y * ((a == T(0) && b >= T(0)) ? T(0) : log(a));
}

// y = a ** e for a number e;  da = g e a^(e-1) (0 for e == 0, even where a^-1 is inf).
template <typename T> GG_HD T pow_scalar_bwd(T g, T a, T e) {
  return e == T(0) ? T(0) : g * (e * pow(a, e - T(1)));
}

// y = atan2(a, b);  da = g b / (a^2 + b^2),  db = -g a / (a^2 + b^2); both 0 where a^2 + b^2
// is 0 (the origin, or an underflow), as PyTorch.
template <typename T> GG_HD void atan2_bwd(T g, T a, T b, T& da, T& db) {
  T r2 = a * a + b * b;
  T scale = r2 == T(0) ? T(0) : g / r2;
  da = scale * b;
  db = -scale * a;
}

// floor(a / b) rounded as NumPy's floor_divide (from fmod, so that a - q b is exact).
template <typename T> GG_HD T floor_divide_fwd(T a, T b) {
  T mod = fmod(a, b);
  if (b == T(0)) {
    return a / b;  // NumPy: inf or nan
  }
  T div = (a - mod) / b;
  if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) {
    div -= T(1);
  }
  T q;
  if (div != T(0)) {
    q = floor(div);
    if (div - q > T(0.5)) {
      q += T(1);
    }
  } else {
    q = copysign(T(0), a / b);
  }
  return q;
}

// y = a - floor(a / b) b (Python's %);  da = g (no kernel),  db = -g floor(a / b).
template <typename T> GG_HD T remainder_bwd(T g, T a, T b) { return -g * floor_divide_fwd(a, b); }
// y = fmod(a, b) = a - trunc(a / b) b;  da = g (no kernel),  db = -g trunc(a / b).
template <typename T> GG_HD T fmod_bwd(T g, T a, T b) { return -g * trunc(a / b); }

// y = max(a, b) / min(a, b): g to each side unless it loses, so both get g where one is NaN
// (PyTorch's masked fill); ties split g in halves. Products, as the NumPy reference.
template <typename T> GG_HD void maximum_bwd(T g, T a, T b, T& da, T& db) {
  bool tie = a == b;
  da = tie ? g * T(0.5) : g * T(!(a < b));
  db = tie ? g * T(0.5) : g * T(!(b < a));
}
template <typename T> GG_HD void minimum_bwd(T g, T a, T b, T& da, T& db) {
  bool tie = a == b;
  da = tie ? g * T(0.5) : g * T(!(a > b));
  db = tie ? g * T(0.5) : g * T(!(b > a));
}

}  // namespace gg
