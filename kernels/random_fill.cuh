#pragma once
// Random factories on the GPU (rand, randn, randint, randperm): uniform and normal numbers from
// the Philox4x32-10 stream of philox.cuh, so that a CUDA generator's state is just (key, offset)
// and every number depends on (key, offset, element index) alone, never on the launch shape.
//
// Element k of a fill that takes W words per element reads words k*W .. k*W+W-1 of the stream
// (W divides 4, so they lie in one block: block offset + k*W/4, first word (k*W) % 4):
//   uniform float  W=1: (w >> 8) * 2^-24                                  in [0, 1)
//   uniform double W=2: ((w0 >> 5) * 2^26 + (w1 >> 6)) * 2^-53            in [0, 1)
//   normal  float  W=2, normal double W=4: Box-Muller on u1 = 1 - uniform (in (0, 1]) from the
//   first half of the words and u2 = uniform from the second: sqrt(-2 ln u1) cos(2 pi u2).
// gradgpu/backend/reference_random.py computes the same numbers with NumPy (the specification).
#include "common.cuh"
#include "philox.cuh"

namespace gg {

template <int W> GG_HD void philox_element_words(u64 key, u64 offset, u32 stream, u64 k,
                                                 u32 (&out)[W]) {
    u32 w[4];
    philox_block(key, offset, (k * W) / 4, stream, w);
    const int first = (int)((k * W) % 4);
    for (int j = 0; j < W; ++j) out[j] = w[first + j];
}

GG_HD float uniform_from_words(u32 w) { return (float)(w >> 8) * 5.9604644775390625e-08f; }
GG_HD double uniform_from_words(u32 w0, u32 w1) {
    return ((double)(w0 >> 5) * 67108864.0 + (double)(w1 >> 6)) * 1.1102230246251565e-16;
}

template <typename T> GG_HD T philox_uniform(u64 key, u64 offset, u32 stream, u64 k);
template <> GG_HD float philox_uniform<float>(u64 key, u64 offset, u32 stream, u64 k) {
    u32 w[1];
    philox_element_words<1>(key, offset, stream, k, w);
    return uniform_from_words(w[0]);
}
template <> GG_HD double philox_uniform<double>(u64 key, u64 offset, u32 stream, u64 k) {
    u32 w[2];
    philox_element_words<2>(key, offset, stream, k, w);
    return uniform_from_words(w[0], w[1]);
}

template <typename T> GG_HD T box_muller(T u1, T u2) {
    const T two_pi = T(6.283185307179586);
    return sqrt(T(-2) * log(u1)) * cos(two_pi * u2);
}

template <typename T> GG_HD T philox_normal(u64 key, u64 offset, u32 stream, u64 k);
template <> GG_HD float philox_normal<float>(u64 key, u64 offset, u32 stream, u64 k) {
    u32 w[2];
    philox_element_words<2>(key, offset, stream, k, w);
    return box_muller(1.0f - uniform_from_words(w[0]), uniform_from_words(w[1]));
}
template <> GG_HD double philox_normal<double>(u64 key, u64 offset, u32 stream, u64 k) {
    u32 w[4];
    philox_element_words<4>(key, offset, stream, k, w);
    return box_muller(1.0 - uniform_from_words(w[0], w[1]), uniform_from_words(w[2], w[3]));
}

}  // namespace gg
