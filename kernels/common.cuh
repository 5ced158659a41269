// Shared definitions for every kernel file: the host/device function macro, fixed-width integer
// typedefs and a floating-point trait. Compiles under nvcc (device and host), NVRTC (CuPy, which
// has no standard headers) and a plain host C++ compiler.
#pragma once

#if defined(__CUDACC__)
#define GG_HD __host__ __device__ __forceinline__
#else
#define GG_HD inline
#endif

#ifndef __CUDACC_RTC__
// Host builds need the C math library; NVRTC provides the CUDA math functions built in. Both
// headers: <math.h> puts the float/double overloads (exp(float), ...) in the global namespace.
#include <cmath>
#include <math.h>
#endif

namespace gg {

// Never uint32_t & co.: NVRTC has no <cstdint>.
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;

// is_floating<T>::value: float and double (float16 storage is computed in float).
template <typename T> struct is_floating { static constexpr bool value = false; };
template <> struct is_floating<float> { static constexpr bool value = true; };
template <> struct is_floating<double> { static constexpr bool value = true; };

}  // namespace gg
