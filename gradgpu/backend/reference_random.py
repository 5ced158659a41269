"""Reference kernels (written against ``self.xp``): counter-based Philox4x32-10 random numbers
and dropout masks, the specification that ``kernels/philox.cuh`` and ``kernels/dropout.cuh``
are tested against bit for bit.

Philox4x32-10 (Salmon et al., SC'11; Random123's ``philox.h``) maps a counter of four 32-bit
words and a key of two to four output words. Here the words are held in uint64 arrays, so that a
32 x 32-bit product is exact in one multiply and its high and low halves are a shift and a mask.

Random streams: a ``gradgpu.Generator`` holds a 64-bit Philox key (its seed) and a 64-bit offset
counted in 4-word blocks; a consumer of n words reserves ceil(n / 4) blocks from the offset.
Element k of the consumer reads word k % 4 of block k / 4: counter (lo32(offset + k // 4),
hi32(offset + k // 4), stream, 0), the 64-bit sum wrapping mod 2^64.

Random factories on the GPU (``rand``, ``randn``, ``randint``, ``randperm``) draw from the same
kind of stream under their own stream word: element k of a fill taking W words per element reads
words k*W .. k*W+W-1 (``kernels/random_fill.cuh`` gives the conversions to uniform and normal
numbers; ``philox_uniform`` and ``philox_normal`` below compute the same numbers).

Dropout rule: with w the element's word, u = (w + 1/2) * 2^-32 is uniform in (0, 1) (cuRAND's
half-step conversion, kept exact); the element is kept iff u < 1 - p, evaluated exactly as the
integer comparison w < dropout_threshold(p). Kept elements are multiplied by 1 / (1 - p).
"""

from __future__ import annotations

import math
from fractions import Fraction

# Philox4x32 round multipliers and key increments (Salmon et al., SC'11; Random123 philox.h).
PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9  # golden ratio as a 32-bit fraction
PHILOX_W1 = 0xBB67AE85  # sqrt(3) - 1 as a 32-bit fraction
PHILOX_ROUNDS = 10

# Counter word 2 of every dropout draw (ASCII "drop"): a future consumer drawing from the same
# Generator offsets with another stream word cannot produce the same words.
DROPOUT_STREAM = 0x64726F70

# Counter word 2 of the random factories' draws on the GPU (ASCII "fill").
FILL_STREAM = 0x66696C6C

_M32 = 0xFFFFFFFF
_CHUNK_BLOCKS = 1 << 14  # blocks per pass: the six 128 KiB uint64 arrays stay in a core's L2


def fill_words_per_element(dtype, normal: bool) -> int:
    """W: how many Philox words one element of a uniform or normal fill of ``dtype`` takes
    (float64 needs 53 bits per uniform; Box-Muller needs two uniforms)."""
    wide = dtype.itemsize == 8
    return (4 if wide else 2) if normal else (2 if wide else 1)


def dropout_threshold(p: float) -> int:
    """T(p) = #{w in [0, 2^32): (w + 1/2) * 2^-32 < 1 - p}; an element is kept iff its word
    w < T(p). Exact (p is a binary float): 2^32 for p = 0, 0 for p = 1."""
    t = math.ceil((1 - Fraction(p)) * (1 << 32) - Fraction(1, 2))
    return min(max(t, 0), 1 << 32)


def dropout_scale(p: float) -> float:
    """1 / (1 - p), the factor of the kept elements (0 for p = 1, where nothing is kept)."""
    return 0.0 if p >= 1.0 else 1.0 / (1.0 - p)


class RandomReference:
    """Mixin of ArrayKernels: the NumPy specification the CUDA kernels are tested against."""

    def philox4x32_10(self, c0, c1, c2, c3, k0, k1) -> tuple:
        """Philox4x32-10 of the counters (c0, c1, c2, c3) under the keys (k0, k1), elementwise
        (integers < 2^32 or integer arrays, broadcast together): four uint64 arrays of words."""
        xp = self.xp
        u64 = xp.uint64
        key0, key1 = xp.asarray(k0, dtype=u64), xp.asarray(k1, dtype=u64)
        ctr = xp.broadcast_arrays(*(xp.asarray(c, dtype=u64) for c in (c0, c1, c2, c3)),
                                  key0, key1)[:4]
        a0, a1, a2, a3 = (c.copy() for c in ctr)  # the state, updated in place
        w0, w1, m32 = u64(PHILOX_W0), u64(PHILOX_W1), u64(_M32)
        m0, m1, s32 = u64(PHILOX_M0), u64(PHILOX_M1), u64(32)
        p0 = xp.empty(a0.shape, dtype=u64)
        p1 = xp.empty(a0.shape, dtype=u64)
        for r in range(PHILOX_ROUNDS):
            if r:
                key0 = (key0 + w0) & m32
                key1 = (key1 + w1) & m32
            # (a0, a1, a2, a3) <- (hi(M1 a2) ^ a1 ^ k0, lo(M1 a2), hi(M0 a0) ^ a3 ^ k1, lo(M0 a0)),
            # in place: these ten passes are the whole cost of dropout's mask on the CPU
            xp.multiply(a0, m0, out=p0)
            xp.multiply(a2, m1, out=p1)
            xp.bitwise_xor(a1, key0, out=a1)
            xp.right_shift(p1, s32, out=a0)
            xp.bitwise_xor(a0, a1, out=a0)
            xp.bitwise_xor(a3, key1, out=a3)
            xp.right_shift(p0, s32, out=a2)
            xp.bitwise_xor(a2, a3, out=a2)
            xp.bitwise_and(p1, m32, out=a1)
            xp.bitwise_and(p0, m32, out=a3)
        return a0, a1, a2, a3

    def philox_words(self, key: int, offset: int, n: int, stream: int):
        """The n words (uint32, element k = word k % 4 of block offset + k // 4) that a consumer
        holding the Philox blocks from ``offset`` on draws under ``key`` and ``stream``."""
        xp = self.xp
        blocks = -(-n // 4)
        out = xp.empty((blocks, 4), dtype=xp.uint32)
        k0, k1 = key & _M32, (key >> 32) & _M32
        for start in range(0, blocks, _CHUNK_BLOCKS):
            stop = min(blocks, start + _CHUNK_BLOCKS)
            ctr = xp.arange(start, stop, dtype=xp.uint64)
            ctr += xp.uint64(offset)  # wraps mod 2^64, as the device's 64-bit sum
            words = self.philox4x32_10(ctr & xp.uint64(_M32), ctr >> xp.uint64(32),
                                       stream, 0, k0, k1)
            for j in range(4):
                out[start:stop, j] = words[j]
        return out.reshape(-1)[:n]

    def philox_uniform(self, key: int, offset: int, n: int, stream: int, dtype):
        """n uniform numbers in [0, 1) of ``dtype`` (float32 or float64) from the blocks at
        ``offset``: float32 (w >> 8) 2^-24; float64 ((w0 >> 5) 2^26 + (w1 >> 6)) 2^-53."""
        xp = self.xp
        dtype = xp.dtype(dtype)
        w = fill_words_per_element(dtype, False)
        words = self.philox_words(key, offset, n * w, stream).reshape(n, w)
        return _uniform(xp, words, dtype)

    def philox_normal(self, key: int, offset: int, n: int, stream: int, dtype):
        """n standard normal numbers of ``dtype`` (Box-Muller on two uniforms per element:
        sqrt(-2 ln(1 - u1)) cos(2 pi u2), computed in ``dtype``)."""
        xp = self.xp
        dtype = xp.dtype(dtype)
        w = fill_words_per_element(dtype, True)
        words = self.philox_words(key, offset, n * w, stream).reshape(n, w)
        half = w // 2
        u1 = dtype.type(1) - _uniform(xp, words[:, :half], dtype)
        u2 = _uniform(xp, words[:, half:], dtype)
        two_pi = dtype.type(6.283185307179586)
        return xp.sqrt(dtype.type(-2) * xp.log(u1)) * xp.cos(two_pi * u2)

    def poisson(self, rng, rates):
        """Poisson(rate) samples (float64, rates' shape) drawn with ``self.uniform``: inversion
        (one uniform, 64 fixed steps) for rates < 10; Hoermann's PTRS transformed rejection
        (two uniforms per try, as NumPy's) for the others, retried until accepted (a host
        sync per round: rejection sampling cannot know its rounds in advance)."""
        xp = self.xp
        lam = xp.asarray(rates, dtype=xp.float64).reshape(-1)
        small = lam < _PTRS_MIN_RATE
        lam_small = xp.where(small, lam, 0.0)
        u = self.uniform(rng, lam.shape, xp.float64)
        term = xp.exp(-lam_small)
        cdf = term.copy()
        out = xp.zeros(lam.shape, dtype=xp.float64)
        for j in range(1, _INVERSION_STEPS + 1):  # k = #{j >= 0: u > P(X <= j)}
            out += u > cdf
            term *= lam_small / j
            cdf += term
        infinite = xp.isinf(lam)  # an infinite rate gives inf (PTRS would give NaN or crash)
        out[infinite] = xp.inf
        pending = xp.nonzero(~small & ~infinite)[0]
        while pending.size:
            k, accept = self._ptrs_try(rng, lam[pending])
            out[pending[accept]] = k[accept]
            pending = pending[~accept]
        return out.reshape(xp.asarray(rates).shape)

    def _ptrs_try(self, rng, lam):
        """One PTRS try per rate (Hoermann 1993, as NumPy's random_poisson_ptrs): (k, accepted)."""
        xp = self.xp
        slam, loglam = xp.sqrt(lam), xp.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        u = self.uniform(rng, lam.shape, xp.float64) - 0.5
        v = self.uniform(rng, lam.shape, xp.float64)
        us = 0.5 - xp.abs(u)
        k = xp.floor((2 * a / us + b) * u + lam + 0.43)
        quick = (us >= 0.07) & (v <= vr)
        rejected = (k < 0) | ((us < 0.013) & (v > us))
        with self.quiet():  # log(0) for v = 0 or k < 0: those are decided elsewhere
            lhs = xp.log(v) + xp.log(invalpha) - xp.log(a / (us * us) + b)
            rhs = -lam + k * loglam - _log_factorial(xp, xp.maximum(k, 0.0))
        return k, quick | (~rejected & (lhs <= rhs))

    def dropout_fwd(self, x, p: float, key: int, offset: int) -> tuple:
        """(y, mask): mask = philox word < dropout_threshold(p) per element (C order) of the
        blocks from ``offset`` on, y = x * mask / (1 - p) (see the module docstring)."""
        xp = self.xp
        threshold = dropout_threshold(p)
        if threshold == 0 or threshold == 1 << 32:  # every element dropped, or every one kept
            mask = xp.full(x.shape, threshold != 0, dtype=bool)
        else:
            mask = self.philox_words(key, offset, x.size, DROPOUT_STREAM) < threshold
            mask = mask.reshape(x.shape)
        return self.dropout_bwd(x, mask, p), mask

    def dropout_bwd(self, g, mask, p: float):
        """g * mask / (1 - p), in float32 for float16 storage (the kernels' compute type)."""
        xp = self.xp
        compute = xp.dtype(xp.float32) if g.dtype == xp.float16 else g.dtype
        with self.quiet():  # a dropped inf or NaN gives NaN, as in PyTorch
            out = xp.multiply(g, mask, dtype=compute)  # g * 1 = g exactly; g * 0 = +-0 or NaN
            out *= compute.type(dropout_scale(p))
        return out.astype(g.dtype, copy=False)


_PTRS_MIN_RATE = 10.0  # PTRS is valid from 10 on (NumPy's switch point too)
_INVERSION_STEPS = 64  # P(X >= 64) < 1e-25 for a rate below 10
_LOG_FACTORIALS = [math.lgamma(k + 1.0) for k in range(10)]


def _log_factorial(xp, k):
    """log(k!) for integral float arrays k >= 0: a table below 10, Stirling's series with three
    correction terms from 10 on (error < 1e-10)."""
    n = k + 1.0
    with_stirling = ((n - 0.5) * xp.log(n) - n + 0.5 * math.log(2 * math.pi)
                     + 1.0 / (12.0 * n) - 1.0 / (360.0 * n ** 3) + 1.0 / (1260.0 * n ** 5))
    table = xp.asarray(_LOG_FACTORIALS, dtype=xp.float64)
    return xp.where(k < 10, table[xp.minimum(k, 9.0).astype(xp.int64)], with_stirling)


def _uniform(xp, words, dtype):
    """Uniform [0, 1) numbers from (n, 1) words (float32) or (n, 2) words (float64), exactly."""
    if dtype.itemsize == 4:
        return (words[:, 0] >> 8).astype(xp.float32) * xp.float32(2.0 ** -24)
    hi = (words[:, 0] >> 5).astype(xp.float64)
    lo = (words[:, 1] >> 6).astype(xp.float64)
    return (hi * 2.0 ** 26 + lo) * 2.0 ** -53
