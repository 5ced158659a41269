#pragma once
// What the row kernels (softmax.cu, cross_entropy.cu, layer_norm.cu) share: the accumulation
// type (float for __half storage), converting loads/stores, and the group of threads that owns a
// row. A row function is written once against a group G with rank(), size() and
// all_reduce(v, op):
//   BlockGroup  every thread of the block (rows along the contiguous axis): a warp-shuffle
//               butterfly, then one shared-memory step; every thread gets the same result.
//   SeqGroup    one thread (rows strided across memory, one per thread, so that neighbouring
//               threads read neighbouring addresses).
// Both compile for the host too (BlockGroup then behaves as one thread), so tests run the same
// row functions on the CPU against the NumPy reference.
#include "common.cuh"
#ifdef __CUDACC__
#include <cuda_fp16.h>
#endif

namespace gg {

// Accumulation type: float16 is storage only (the issue: float32 accumulation).
template <typename T> struct acc_of { typedef T type; };
GG_HD float to_acc(float v) { return v; }
GG_HD double to_acc(double v) { return v; }
GG_HD void store(float* p, float v) { *p = v; }
GG_HD void store(double* p, double v) { *p = v; }
#ifdef __CUDACC__
template <> struct acc_of<__half> { typedef float type; };
GG_HD float to_acc(__half v) { return __half2float(v); }
GG_HD void store(__half* p, float v) { *p = __float2half(v); }
#endif

// -inf without the INFINITY macro (NVRTC has no <math.h>); the zero is a variable so that no
// compiler warns about a constant division by zero.
template <typename A> GG_HD A minus_infinity() {
    A zero = A(0);
    return A(-1) / zero;
}
template <typename A> GG_HD A quiet_nan() {
    A zero = A(0);
    return zero / zero;
}

// Two accumulators reduced together (sum of g and of g * xhat, running max and sum, ...).
template <typename A> struct Pair {
    A a, b;
};

struct SumOp {
    template <typename A> GG_HD A operator()(A p, A q) const { return p + q; }
    template <typename A> GG_HD Pair<A> operator()(Pair<A> p, Pair<A> q) const {
        return Pair<A>{p.a + q.a, p.b + q.b};
    }
};

#ifdef __CUDACC__
__device__ __forceinline__ float shfl_xor(float v, int mask) {
    return __shfl_xor_sync(0xffffffffu, v, mask);
}
__device__ __forceinline__ double shfl_xor(double v, int mask) {
    return __shfl_xor_sync(0xffffffffu, v, mask);
}
template <typename A> __device__ __forceinline__ Pair<A> shfl_xor(Pair<A> v, int mask) {
    return Pair<A>{shfl_xor(v.a, mask), shfl_xor(v.b, mask)};
}
#endif

// One thread owns the row: nothing to combine.
struct SeqGroup {
    GG_HD i64 rank() const { return 0; }
    GG_HD i64 size() const { return 1; }
    template <typename V, typename Op> GG_HD V all_reduce(V v, Op) const { return v; }
};

// The whole block owns the row. blockDim.x must be a multiple of 32 (at most 1024) and every
// thread of the block must call all_reduce (it synchronizes the block). ``scratch`` points to a
// __shared__ array of 32 Pair<double> (room for one value of up to 16 bytes per warp).
struct BlockGroup {
    void* scratch;

    GG_HD i64 rank() const {
#ifdef __CUDA_ARCH__
        return threadIdx.x;
#else
        return 0;
#endif
    }
    GG_HD i64 size() const {
#ifdef __CUDA_ARCH__
        return blockDim.x;
#else
        return 1;
#endif
    }
    // op must be commutative (the butterfly combines (mine, theirs) in one lane and (theirs,
    // mine) in the other); every thread then reads the warp results in the same order, so all
    // threads hold bitwise the same value (they later use it to normalize their own elements).
    template <typename V, typename Op> GG_HD V all_reduce(V v, Op op) const {
        static_assert(sizeof(V) <= sizeof(Pair<double>), "all_reduce: value too large");
#ifdef __CUDA_ARCH__
        for (int mask = 16; mask > 0; mask >>= 1) v = op(v, shfl_xor(v, mask));
        V* buf = static_cast<V*>(scratch);
        const int warp = threadIdx.x >> 5, n_warps = blockDim.x >> 5;
        if ((threadIdx.x & 31) == 0) buf[warp] = v;
        __syncthreads();
        v = buf[0];
        for (int w = 1; w < n_warps; ++w) v = op(v, buf[w]);
        __syncthreads();  // buf is written again by the next all_reduce
#else
        (void)op;
#endif
        return v;
    }
};

// First element of row r = o * inner + i of a contiguous (outer, n, inner) array: x[o, 0, i].
GG_HD i64 row_base(i64 r, i64 n, i64 inner) {
    const i64 o = r / inner;
    return o * n * inner + (r - o * inner);
}

#ifdef __CUDACC__
// The row kernels' entry points. They are launched with up to 1024 threads per block
// (block_kernels._launch_rows); the bound keeps the compiler within the registers such a block
// may use (64 per thread), which float64 cross entropy otherwise exceeds on sm_90 (72: the
// launch would fail). tests/kernels/test_nvrtc_compile.py checks every kernel's registers.
#define GG_ROW_KERNEL extern "C" __global__ __launch_bounds__(1024)

// Grid-stride loops: the first index of this thread and the step (the grid need not cover n).
__device__ __forceinline__ i64 grid_thread() { return i64(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ i64 grid_threads() { return i64(gridDim.x) * blockDim.x; }

// Calls row(r, base, stride, grp) for each row this thread takes part in, over a contiguous array
// seen as (outer, n, inner), where row r = o * inner + i is x[o, :, i] (first element at base,
// elements stride apart). inner == 1: one block per row (grid-stride over rows), the block as the
// group; inner > 1: one thread per row, so a warp reads 32 neighbouring addresses per element.
template <typename F> __device__ void for_each_row(i64 outer, i64 n, i64 inner, F row) {
    if (inner == 1) {
        __shared__ Pair<double> scratch[32];
        BlockGroup grp = {scratch};
        for (i64 r = blockIdx.x; r < outer; r += gridDim.x) row(r, r * n, i64(1), grp);
        return;
    }
    SeqGroup seq;
    const i64 rows = outer * inner;
    for (i64 r = grid_thread(); r < rows; r += grid_threads()) row(r, row_base(r, n, inner), inner, seq);
}
#endif

}  // namespace gg
