// Fused multi-tensor optimizer steps: one launch updates every parameter of a param group (of
// one dtype) for SGD, Adam/AdamW, RMSprop, Adagrad, NAdam, RAdam, Adamax, Adadelta and Rprop.
// The table layout, the chunk walk and the per-element math are in optim.cuh;
// gradgpu/backend/cuda/optim_kernels.py builds the table and launches these with one block per
// chunk (grid-stride when the grid is capped).
//
// Entry points gradgpu_<opt>_step_<f32|f64>(table, n_tensors, n_chunks, chunk_size,
// <the fields of gg::<Opt>Scalars in order: the T scalars, then the int flags>).
#include "common.cuh"
#include "optim.cuh"

namespace gg {

__device__ __forceinline__ OptimLaunch optim_launch(const u64* table, int n_tensors, int n_slots,
                                                    i64 n_chunks, i64 chunk_size) {
    return OptimLaunch{table, n_tensors, n_slots, n_chunks, chunk_size,
                       (i64)blockIdx.x, (i64)gridDim.x, (i64)threadIdx.x, (i64)blockDim.x};
}

}  // namespace gg

#define GG_OPTIM_TABLE_PARAMS \
    const gg::u64 *table, int n_tensors, gg::i64 n_chunks, gg::i64 chunk_size

#define GG_SGD_STEP(SUFFIX, T)                                                                 \
    extern "C" __global__ void gradgpu_sgd_step_##SUFFIX(                                      \
        GG_OPTIM_TABLE_PARAMS, T weight_decay, T momentum, T one_minus_dampening, T neg_lr,    \
        int maximize, int use_weight_decay, int use_momentum, int first_step, int nesterov) {  \
        gg::sgd_step_chunks<T>(                                                                \
            gg::optim_launch(table, n_tensors, gg::SGD_SLOTS, n_chunks, chunk_size),           \
            gg::SgdScalars<T>{weight_decay, momentum, one_minus_dampening, neg_lr, maximize,   \
                              use_weight_decay, use_momentum, first_step, nesterov});          \
    }

#define GG_ADAM_STEP(SUFFIX, T)                                                                \
    extern "C" __global__ void gradgpu_adam_step_##SUFFIX(                                     \
        GG_OPTIM_TABLE_PARAMS, T weight_decay, T decay_factor, T one_minus_beta1, T beta2,     \
        T one_minus_beta2, T bias_correction2_sqrt, T eps, T neg_step_size, int maximize,      \
        int weight_decay_mode, int amsgrad) {                                                  \
        gg::adam_step_chunks<T>(                                                               \
            gg::optim_launch(table, n_tensors, gg::ADAM_SLOTS, n_chunks, chunk_size),          \
            gg::AdamScalars<T>{weight_decay, decay_factor, one_minus_beta1, beta2,             \
                               one_minus_beta2, bias_correction2_sqrt, eps, neg_step_size,     \
                               maximize, weight_decay_mode, amsgrad});                         \
    }

#define GG_RMSPROP_STEP(SUFFIX, T)                                                             \
    extern "C" __global__ void gradgpu_rmsprop_step_##SUFFIX(                                  \
        GG_OPTIM_TABLE_PARAMS, T weight_decay, T alpha, T one_minus_alpha, T eps, T momentum,  \
        T neg_lr, int maximize, int use_weight_decay, int centered, int use_momentum) {        \
        gg::rmsprop_step_chunks<T>(                                                            \
            gg::optim_launch(table, n_tensors, gg::RMSPROP_SLOTS, n_chunks, chunk_size),       \
            gg::RmspropScalars<T>{weight_decay, alpha, one_minus_alpha, eps, momentum, neg_lr, \
                                  maximize, use_weight_decay, centered, use_momentum});        \
    }

#define GG_ADAGRAD_STEP(SUFFIX, T)                                                             \
    extern "C" __global__ void gradgpu_adagrad_step_##SUFFIX(                                  \
        GG_OPTIM_TABLE_PARAMS, T weight_decay, T eps, T neg_clr, int maximize,                 \
        int use_weight_decay) {                                                                \
        gg::adagrad_step_chunks<T>(                                                            \
            gg::optim_launch(table, n_tensors, gg::ADAGRAD_SLOTS, n_chunks, chunk_size),       \
            gg::AdagradScalars<T>{weight_decay, eps, neg_clr, maximize, use_weight_decay});    \
    }

// NAdam, RAdam, Adamax, Adadelta, Rprop: param, grad and two state buffers per tensor.
#define GG_TWO_STATE_LAUNCH(UPDATE, SCALARS, T, ...)                                           \
    gg::two_state_step_chunks<T, gg::SCALARS<T>, gg::UPDATE<T>>(                               \
        gg::optim_launch(table, n_tensors, gg::TWO_STATE_SLOTS, n_chunks, chunk_size),         \
        gg::SCALARS<T>{__VA_ARGS__})

#define GG_NADAM_STEP(SUFFIX, T)                                                               \
    extern "C" __global__ void gradgpu_nadam_step_##SUFFIX(                                    \
        GG_OPTIM_TABLE_PARAMS, T weight_decay, T decay_factor, T one_minus_beta1, T beta2,     \
        T one_minus_beta2, T bias_correction2, T eps, T grad_coef, T avg_coef, int maximize,   \
        int weight_decay_mode) {                                                               \
        GG_TWO_STATE_LAUNCH(nadam_update, NadamScalars, T, weight_decay, decay_factor,         \
                            one_minus_beta1, beta2, one_minus_beta2, bias_correction2, eps,    \
                            grad_coef, avg_coef, maximize, weight_decay_mode);                 \
    }

#define GG_RADAM_STEP(SUFFIX, T)                                                               \
    extern "C" __global__ void gradgpu_radam_step_##SUFFIX(                                    \
        GG_OPTIM_TABLE_PARAMS, T weight_decay, T decay_factor, T one_minus_beta1, T beta2,     \
        T one_minus_beta2, T bias_correction1, T lr, T bias_correction2_sqrt, T eps, T rect,   \
        int maximize, int weight_decay_mode, int rectify) {                                    \
        GG_TWO_STATE_LAUNCH(radam_update, RadamScalars, T, weight_decay, decay_factor,         \
                            one_minus_beta1, beta2, one_minus_beta2, bias_correction1, lr,     \
                            bias_correction2_sqrt, eps, rect, maximize, weight_decay_mode,     \
                            rectify);                                                          \
    }

#define GG_ADAMAX_STEP(SUFFIX, T)                                                              \
    extern "C" __global__ void gradgpu_adamax_step_##SUFFIX(                                   \
        GG_OPTIM_TABLE_PARAMS, T weight_decay, T one_minus_beta1, T beta2, T eps, T neg_clr,   \
        int maximize, int use_weight_decay) {                                                  \
        GG_TWO_STATE_LAUNCH(adamax_update, AdamaxScalars, T, weight_decay, one_minus_beta1,    \
                            beta2, eps, neg_clr, maximize, use_weight_decay);                  \
    }

#define GG_ADADELTA_STEP(SUFFIX, T)                                                            \
    extern "C" __global__ void gradgpu_adadelta_step_##SUFFIX(                                 \
        GG_OPTIM_TABLE_PARAMS, T weight_decay, T rho, T one_minus_rho, T eps, T neg_lr,        \
        int maximize, int use_weight_decay) {                                                  \
        GG_TWO_STATE_LAUNCH(adadelta_update, AdadeltaScalars, T, weight_decay, rho,            \
                            one_minus_rho, eps, neg_lr, maximize, use_weight_decay);           \
    }

#define GG_RPROP_STEP(SUFFIX, T)                                                               \
    extern "C" __global__ void gradgpu_rprop_step_##SUFFIX(                                    \
        GG_OPTIM_TABLE_PARAMS, T etaminus, T etaplus, T step_size_min, T step_size_max,        \
        int maximize) {                                                                        \
        GG_TWO_STATE_LAUNCH(rprop_update, RpropScalars, T, etaminus, etaplus, step_size_min,   \
                            step_size_max, maximize);                                          \
    }

GG_SGD_STEP(f32, float)
GG_SGD_STEP(f64, double)
GG_ADAM_STEP(f32, float)
GG_ADAM_STEP(f64, double)
GG_RMSPROP_STEP(f32, float)
GG_RMSPROP_STEP(f64, double)
GG_ADAGRAD_STEP(f32, float)
GG_ADAGRAD_STEP(f64, double)
GG_NADAM_STEP(f32, float)
GG_NADAM_STEP(f64, double)
GG_RADAM_STEP(f32, float)
GG_RADAM_STEP(f64, double)
GG_ADAMAX_STEP(f32, float)
GG_ADAMAX_STEP(f64, double)
GG_ADADELTA_STEP(f32, float)
GG_ADADELTA_STEP(f64, double)
GG_RPROP_STEP(f32, float)
GG_RPROP_STEP(f64, double)
