// Philox4x32-10: the counter-based random number generator of Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3" (SC'11), as specified by Random123's philox.h.
// A 128-bit counter and a 64-bit key map to four independent 32-bit words; no state is carried
// between calls, so any thread can draw the words of any counter in any order. That is what
// makes gradgpu's dropout masks independent of the launch configuration and identical on the
// host (gradgpu/backend/reference_random.py, the NumPy specification) and on the GPU.
//
// Checked against Random123's known-answer vectors (tests/kat_vectors, "philox4x32 10" lines)
// in tests/kernels/test_philox_host.py.
#pragma once
#include "common.cuh"

namespace gg {

// Round multipliers and key-schedule (Weyl) increments, from the paper and Random123's philox.h:
// W0 is the golden ratio, W1 is sqrt(3) - 1, both as 32-bit fractions.
constexpr u32 PHILOX_M0 = 0xD2511F53u;
constexpr u32 PHILOX_M1 = 0xCD9E8D57u;
constexpr u32 PHILOX_W0 = 0x9E3779B9u;
constexpr u32 PHILOX_W1 = 0xBB67AE85u;

// One Philox S-box round on the counter (c0, c1, c2, c3) under the round key (k0, k1).
GG_HD void philox4x32_round(u32& c0, u32& c1, u32& c2, u32& c3, u32 k0, u32 k1) {
  const u64 p0 = (u64)PHILOX_M0 * (u64)c0;  // 32 x 32 -> 64-bit product: (hi, lo) words
  const u64 p1 = (u64)PHILOX_M1 * (u64)c2;
  const u32 n0 = (u32)(p1 >> 32) ^ c1 ^ k0;
  const u32 n2 = (u32)(p0 >> 32) ^ c3 ^ k1;
  c1 = (u32)p1;
  c3 = (u32)p0;
  c0 = n0;
  c2 = n2;
}

// Philox4x32-10: ten rounds, the key bumped by (W0, W1) before each round after the first.
// Replaces the counter (c0, c1, c2, c3) by the four output words.
GG_HD void philox4x32_10(u32& c0, u32& c1, u32& c2, u32& c3, u32 k0, u32 k1) {
  philox4x32_round(c0, c1, c2, c3, k0, k1);
  for (int r = 1; r < 10; ++r) {
    k0 += PHILOX_W0;  // unsigned: wraps mod 2^32 as the specification requires
    k1 += PHILOX_W1;
    philox4x32_round(c0, c1, c2, c3, k0, k1);
  }
}

// The four words of block ``block`` of a gradgpu random stream: counter
// (lo32(offset + block), hi32(offset + block), stream, 0) under key (lo32(key), hi32(key)).
// ``offset`` is the Generator's 64-bit Philox offset (in 4-word blocks); ``stream`` separates
// the consumers of one (key, offset) range. The 64-bit sum wraps mod 2^64.
GG_HD void philox_block(u64 key, u64 offset, u64 block, u32 stream, u32 (&w)[4]) {
  const u64 ctr = offset + block;
  w[0] = (u32)ctr;
  w[1] = (u32)(ctr >> 32);
  w[2] = stream;
  w[3] = 0u;
  philox4x32_10(w[0], w[1], w[2], w[3], (u32)key, (u32)(key >> 32));
}

}  // namespace gg
