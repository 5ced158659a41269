// Flat gather and its adjoint, the flat scatter-add (embedding, max-pool and loss gradients go
// through them): out[k] = x[index[k]] and out[index[k]] += src[k] over a flat array of ``size``
// elements. Negative indices count from the end, as NumPy's. An index still outside [0, size)
// (the Python side rejects those) is never dereferenced: the gather writes NaN, the scatter-add
// skips it. Repeated indices are summed with atomicAdd (float and double: sm_60 and newer), so
// the order of the additions, and the last bits of a sum, can vary between runs.
#include "common.cuh"
#include "block_reduce.cuh"

namespace gg {

GG_HD i64 flat_index(i64 j, i64 size) { return j < 0 ? j + size : j; }

template <typename T>
__device__ void take_fwd(const T* x, const i64* index, T* out, i64 total, i64 size) {
    for (i64 k = grid_thread(); k < total; k += grid_threads()) {
        const i64 j = flat_index(index[k], size);
        out[k] = (j >= 0 && j < size) ? x[j] : quiet_nan<T>();
    }
}

template <typename T>
__device__ void take_bwd(const T* src, const i64* index, T* out, i64 total, i64 size) {
    for (i64 k = grid_thread(); k < total; k += grid_threads()) {
        const i64 j = flat_index(index[k], size);
        if (j >= 0 && j < size) atomicAdd(out + j, src[k]);
    }
}

}  // namespace gg

// take_fwd: out (total) gathered from x (size). take_bwd: out (size, zero-filled by the caller)
// receives src (total).
#define GG_TAKE(fwd, bwd, T)                                                                  \
    extern "C" __global__ void fwd(const T* x, const gg::i64* index, T* out, gg::i64 total,   \
                                   gg::i64 size) {                                            \
        gg::take_fwd<T>(x, index, out, total, size);                                          \
    }                                                                                         \
    extern "C" __global__ void bwd(const T* src, const gg::i64* index, T* out,                \
                                   gg::i64 total, gg::i64 size) {                             \
        gg::take_bwd<T>(src, index, out, total, size);                                        \
    }

GG_TAKE(gradgpu_take_fwd_f32, gradgpu_take_bwd_f32, float)
GG_TAKE(gradgpu_take_fwd_f64, gradgpu_take_bwd_f64, double)
