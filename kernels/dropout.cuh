// Dropout: masks drawn from Philox4x32-10 (philox.cuh) inside the kernel.
//
// Element k (in C order) of one dropout call reads word k % 4 of block k / 4 of the stream
// (key, offset, stream), where (key, offset) are reserved from the tensor's Generator. It is
// kept iff that word w < threshold, with threshold = #{w : (w + 1/2) * 2^-32 < 1 - p} computed
// exactly on the host (gradgpu/backend/reference_random.py, dropout_threshold): the element is
// kept iff the uniform u = (w + 1/2) * 2^-32 in (0, 1) (cuRAND's half-step conversion, without
// its float rounding) is below 1 - p. The integer comparison is what lets the host reference and
// the GPU agree bit for bit; threshold 2^32 keeps every element, 0 drops every one.
//
// Kept elements are scaled by scale = 1 / (1 - p); the bool mask is saved for the backward.
#pragma once
#include "common.cuh"
#include "philox.cuh"

namespace gg {

// Whether element ``index`` of the dropout call drawing from (key, offset, stream) is kept.
GG_HD bool dropout_keep(u64 key, u64 offset, u32 stream, u64 threshold, i64 index) {
  u32 w[4];
  philox_block(key, offset, (u64)index >> 2, stream, w);
  return (u64)w[index & 3] < threshold;
}

// v * (keep ? scale : 0) in the compute type C (float for float16 storage): the forward with
// v = x and the backward with v = g. A product rather than a select, so that a dropped inf or
// NaN gives NaN, as PyTorch's x * mask * scale does.
template <typename C>
GG_HD C dropout_apply(C v, bool keep, C scale) {
  return v * (keep ? scale : (C)0);
}

// The forward for elements 4 * block .. 4 * block + 3 (those below n) of the contiguous x, y and
// mask: one Philox call serves the four elements of its block.
template <typename C, typename T>
GG_HD void dropout_fwd_block(const T* x, T* y, bool* mask, i64 block, i64 n, u64 key,
                             u64 offset, u32 stream, u64 threshold, C scale) {
  u32 w[4];
  philox_block(key, offset, (u64)block, stream, w);
  const i64 first = block * 4;
  for (int j = 0; j < 4; ++j) {
    const i64 k = first + j;
    if (k < n) {
      const bool keep = (u64)w[j] < threshold;
      mask[k] = keep;
      y[k] = (T)dropout_apply<C>((C)x[k], keep, scale);
    }
  }
}

}  // namespace gg
