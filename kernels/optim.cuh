// Optimizer steps: the per-element update of each optimizer, and the multi-tensor walk that
// lets one launch update every parameter of a group (kernels/optim.cu instantiates it).
//
// Each update does the operations of OptimReference.<name>_step (gradgpu/backend/
// reference_optim.py) in the same order, each rounded to T, so host builds agree with NumPy bit
// for bit. Products go through optim_mul so that nvcc cannot contract a * b + c into one fma
// (NumPy rounds the product first): the GPU then rounds exactly as the CPU does.
// The scalars derived on the host once per step come from the *_arguments functions of
// reference_optim.py, in the order of the fields of the *Scalars structs below.
#pragma once
#include "common.cuh"

namespace gg {

// a * b rounded on its own (never fused into a following add). On the host (the tests) the
// volatile store keeps compilers that contract by default (gcc on aarch64) from fusing it; the
// NumPy backend's host kernels (kernels/host/) are built with -ffp-contract=off and define
// GG_NO_FP_CONTRACT, so their loops keep a plain product and vectorize.
GG_HD float optim_mul(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fmul_rn(a, b);
#elif defined(GG_NO_FP_CONTRACT)
    return a * b;
#else
    volatile float product = a * b;
    return product;
#endif
}

GG_HD double optim_mul(double a, double b) {
#if defined(__CUDA_ARCH__)
    return __dmul_rn(a, b);
#elif defined(GG_NO_FP_CONTRACT)
    return a * b;
#else
    volatile double product = a * b;
    return product;
#endif
}

// sqrt rounded to T (on the host the unqualified sqrt may be the double one; the correctly
// rounded double root rounds to the correctly rounded float root).
template <typename T>
GG_HD T optim_sqrt(T x) {
    return T(sqrt(x));
}

// NumPy's maximum: NaN in either argument propagates.
template <typename T>
GG_HD T optim_max(T a, T b) {
    return (a != a || a > b) ? a : b;
}

// ---- per-element updates -------------------------------------------------------------------

template <typename T>
struct SgdScalars {
    T weight_decay, momentum, one_minus_dampening, neg_lr;
    int maximize, use_weight_decay, use_momentum, first_step, nesterov;
};

// g = ±grad + wd * p;  buf = g (first step) or mu * buf + (1 - dampening) * g;
// g = g + mu * buf (nesterov) or buf;  p -= lr * g.  (buf is untouched without momentum.)
template <typename T>
GG_HD void sgd_update(T& p, T grad, T& buf, const SgdScalars<T>& s) {
    T g = s.maximize ? -grad : grad;
    if (s.use_weight_decay) g = optim_mul(p, s.weight_decay) + g;
    if (s.use_momentum) {
        if (s.first_step) {
            buf = g;
        } else {
            buf = optim_mul(buf, s.momentum) + optim_mul(g, s.one_minus_dampening);
        }
        g = s.nesterov ? optim_mul(buf, s.momentum) + g : buf;
    }
    p = p + optim_mul(g, s.neg_lr);
}

template <typename T>
struct AdamScalars {
    T weight_decay, decay_factor, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt,
        eps, neg_step_size;
    int maximize;
    int weight_decay_mode;  // 0 none, 1 L2 (added to the gradient), 2 decoupled (AdamW)
    int amsgrad;
};

// g = ±grad (+ wd * p, or p *= 1 - lr * wd when decoupled);  m += (g - m) * (1 - b1);
// v = b2 * v + (1 - b2) * g^2;  vmax = max(vmax, v) (amsgrad, else vmax is untouched);
// p -= lr / (1 - b1^t) * m / (sqrt(v or vmax) / sqrt(1 - b2^t) + eps).
template <typename T>
GG_HD void adam_update(T& p, T grad, T& m, T& v, T& vmax, const AdamScalars<T>& s) {
    T g = s.maximize ? -grad : grad;
    if (s.weight_decay_mode == 1) {
        g = optim_mul(p, s.weight_decay) + g;
    } else if (s.weight_decay_mode == 2) {
        p = optim_mul(p, s.decay_factor);
    }
    m = m + optim_mul(g - m, s.one_minus_beta1);
    v = optim_mul(v, s.beta2) + optim_mul(optim_mul(g, g), s.one_minus_beta2);
    T second = v;
    if (s.amsgrad) {
        vmax = optim_max(vmax, v);
        second = vmax;
    }
    T denom = optim_sqrt(second) / s.bias_correction2_sqrt + s.eps;
    p = p + optim_mul(m / denom, s.neg_step_size);
}

template <typename T>
struct RmspropScalars {
    T weight_decay, alpha, one_minus_alpha, eps, momentum, neg_lr;
    int maximize, use_weight_decay, centered, use_momentum;
};

// g = ±grad + wd * p;  v = alpha * v + (1 - alpha) * g^2;
// centered: ga += (g - ga) * (1 - alpha), d = sqrt(v - ga^2) + eps;  else d = sqrt(v) + eps;
// momentum: buf = mu * buf + g / d, p -= lr * buf;  else p -= lr * (g / d).
template <typename T>
GG_HD void rmsprop_update(T& p, T grad, T& square_avg, T& grad_avg, T& buf,
                          const RmspropScalars<T>& s) {
    T g = s.maximize ? -grad : grad;
    if (s.use_weight_decay) g = optim_mul(p, s.weight_decay) + g;
    square_avg = optim_mul(square_avg, s.alpha) + optim_mul(optim_mul(g, g), s.one_minus_alpha);
    T root;
    if (s.centered) {
        grad_avg = grad_avg + optim_mul(g - grad_avg, s.one_minus_alpha);
        root = optim_sqrt(square_avg - optim_mul(grad_avg, grad_avg));
    } else {
        root = optim_sqrt(square_avg);
    }
    T step = g / (root + s.eps);
    if (s.use_momentum) {
        buf = optim_mul(buf, s.momentum) + step;
        step = buf;
    }
    p = p + optim_mul(step, s.neg_lr);
}

template <typename T>
struct AdagradScalars {
    T weight_decay, eps, neg_clr;
    int maximize, use_weight_decay;
};

// g = ±grad + wd * p;  sum += g^2;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps).
template <typename T>
GG_HD void adagrad_update(T& p, T grad, T& sum, const AdagradScalars<T>& s) {
    T g = s.maximize ? -grad : grad;
    if (s.use_weight_decay) g = optim_mul(p, s.weight_decay) + g;
    sum = sum + optim_mul(g, g);
    T denom = optim_sqrt(sum) + s.eps;
    p = p + optim_mul(g / denom, s.neg_clr);
}

// ---- NAdam, RAdam, Adamax, Adadelta, Rprop (OptimReference via AdaptiveOptimReference,
// gradgpu/backend/reference_optim_adaptive.py): each keeps two state buffers a and b. ----------

// NumPy's minimum: NaN in either argument propagates.
template <typename T>
GG_HD T optim_min(T a, T b) {
    return (a != a || a < b) ? a : b;
}

// NumPy's sign: -1, 1, or x itself for ±0 and NaN.
template <typename T>
GG_HD T optim_sign(T x) {
    return x > T(0) ? T(1) : (x < T(0) ? T(-1) : x);
}

// g = ±grad, + wd * p (mode 1), or p *= decay (mode 2, decoupled).
template <typename T>
GG_HD T optim_decayed_grad(T& p, T grad, int maximize, int weight_decay_mode, T weight_decay,
                           T decay_factor) {
    T g = maximize ? -grad : grad;
    if (weight_decay_mode == 1) {
        g = optim_mul(p, weight_decay) + g;
    } else if (weight_decay_mode == 2) {
        p = optim_mul(p, decay_factor);
    }
    return g;
}

template <typename T>
struct NadamScalars {
    T weight_decay, decay_factor, one_minus_beta1, beta2, one_minus_beta2, bias_correction2, eps,
        grad_coef, avg_coef;
    int maximize, weight_decay_mode;
};

// g = ±grad (+ wd * p, or p *= 1 - lr * wd);  m += (g - m) * (1 - b1);
// v = b2 * v + (1 - b2) * g^2;  d = sqrt(v / (1 - b2^t)) + eps;
// p += g / d * grad_coef;  p += m / d * avg_coef.
template <typename T>
GG_HD void nadam_update(T& p, T grad, T& m, T& v, const NadamScalars<T>& s) {
    T g = optim_decayed_grad(p, grad, s.maximize, s.weight_decay_mode, s.weight_decay,
                             s.decay_factor);
    m = m + optim_mul(g - m, s.one_minus_beta1);
    v = optim_mul(v, s.beta2) + optim_mul(optim_mul(g, g), s.one_minus_beta2);
    T denom = optim_sqrt(v / s.bias_correction2) + s.eps;
    p = p + optim_mul(g / denom, s.grad_coef);
    p = p + optim_mul(m / denom, s.avg_coef);
}

template <typename T>
struct RadamScalars {
    T weight_decay, decay_factor, one_minus_beta1, beta2, one_minus_beta2, bias_correction1, lr,
        bias_correction2_sqrt, eps, rect;
    int maximize, weight_decay_mode, rectify;
};

// g = ±grad (+ wd * p, or p *= 1 - lr * wd);  m, v as Adam;  step = m / (1 - b1^t) * lr;
// rectify: step = step * (sqrt(1 - b2^t) / (sqrt(v) + eps)) * r_t;  p -= step.
template <typename T>
GG_HD void radam_update(T& p, T grad, T& m, T& v, const RadamScalars<T>& s) {
    T g = optim_decayed_grad(p, grad, s.maximize, s.weight_decay_mode, s.weight_decay,
                             s.decay_factor);
    m = m + optim_mul(g - m, s.one_minus_beta1);
    v = optim_mul(v, s.beta2) + optim_mul(optim_mul(g, g), s.one_minus_beta2);
    T step = optim_mul(m / s.bias_correction1, s.lr);
    if (s.rectify) {
        T adaptive = s.bias_correction2_sqrt / (optim_sqrt(v) + s.eps);
        step = optim_mul(optim_mul(step, adaptive), s.rect);
    }
    p = p - step;
}

template <typename T>
struct AdamaxScalars {
    T weight_decay, one_minus_beta1, beta2, eps, neg_clr;
    int maximize, use_weight_decay;
};

// g = ±grad + wd * p;  m += (g - m) * (1 - b1);  u = max(b2 * u, |g| + eps);
// p -= lr / (1 - b1^t) * m / u.
template <typename T>
GG_HD void adamax_update(T& p, T grad, T& m, T& u, const AdamaxScalars<T>& s) {
    T g = optim_decayed_grad(p, grad, s.maximize, s.use_weight_decay, s.weight_decay, T(1));
    m = m + optim_mul(g - m, s.one_minus_beta1);
    u = optim_max(optim_mul(u, s.beta2), T(fabs(g)) + s.eps);
    p = p + optim_mul(m / u, s.neg_clr);
}

template <typename T>
struct AdadeltaScalars {
    T weight_decay, rho, one_minus_rho, eps, neg_lr;
    int maximize, use_weight_decay;
};

// g = ±grad + wd * p;  v = rho * v + (1 - rho) * g^2;  delta = sqrt(a + eps) / sqrt(v + eps) * g;
// a = rho * a + (1 - rho) * delta^2;  p -= lr * delta.
template <typename T>
GG_HD void adadelta_update(T& p, T grad, T& v, T& a, const AdadeltaScalars<T>& s) {
    T g = optim_decayed_grad(p, grad, s.maximize, s.use_weight_decay, s.weight_decay, T(1));
    v = optim_mul(v, s.rho) + optim_mul(optim_mul(g, g), s.one_minus_rho);
    T std = optim_sqrt(v + s.eps);
    T delta = optim_mul(optim_sqrt(a + s.eps) / std, g);
    a = optim_mul(a, s.rho) + optim_mul(optim_mul(delta, delta), s.one_minus_rho);
    p = p + optim_mul(delta, s.neg_lr);
}

template <typename T>
struct RpropScalars {
    T etaminus, etaplus, step_size_min, step_size_max;
    int maximize;
};

// g = ±grad;  s = sign(g * prev);  step_size = clamp(step_size * (etaplus if s > 0, etaminus
// if s < 0, 1 if s == 0, else s), min, max);  g = 0 where s < 0;  p -= sign(g) * step_size;
// prev = g.
template <typename T>
GG_HD void rprop_update(T& p, T grad, T& prev, T& step_size, const RpropScalars<T>& s) {
    T g = s.maximize ? -grad : grad;
    T sign = optim_sign(optim_mul(g, prev));
    T factor = sign > T(0)    ? s.etaplus
               : sign < T(0)  ? s.etaminus
               : sign == T(0) ? T(1)
                              : sign;  // NaN
    step_size = optim_min(optim_max(optim_mul(step_size, factor), s.step_size_min),
                          s.step_size_max);
    if (sign < T(0)) g = T(0);
    p = p - optim_mul(optim_sign(g), step_size);
    prev = g;
}

// ---- the multi-tensor walk ------------------------------------------------------------------
//
// One launch updates n tensors, each with k arrays ("slots": param, grad, state buffers, in the
// order of the *_SLOTS constants). The launcher (gradgpu/backend/cuda/optim_kernels.py,
// build_table) uploads one table of u64 per launch:
//   table[s * n + i]        address of slot s of tensor i (0 for a slot the options leave unused)
//   table[k * n + i]        number of elements of tensor i
//   table[(k + 1) * n + j]  chunk j: (tensor index << 32) | chunk index within that tensor
// Chunk j covers elements [c * chunk_size, min((c + 1) * chunk_size, numel)) of its tensor.
// Blocks take chunks in a grid-stride loop, the threads of a block the chunk's elements in a
// block-stride loop (coalesced). Every array of one tensor is C-contiguous, so element e of the
// param pairs with element e of the gradient and of each state buffer.

enum OptimSlots {
    SGD_SLOTS = 3,      // param, grad, momentum_buffer
    ADAM_SLOTS = 5,     // param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq
    RMSPROP_SLOTS = 5,  // param, grad, square_avg, grad_avg, momentum_buffer
    ADAGRAD_SLOTS = 3,  // param, grad, sum
    // param, grad and two state buffers (two_state_step_chunks): NAdam and RAdam exp_avg,
    // exp_avg_sq; Adamax exp_avg, exp_inf; Adadelta square_avg, acc_delta; Rprop prev, step_size
    TWO_STATE_SLOTS = 4,
};

// Where the calling thread is in the launch, and the table's shape.
struct OptimLaunch {
    const u64* table;
    int n_tensors, n_slots;
    i64 n_chunks, chunk_size;
    i64 block, n_blocks, thread, n_threads;
};

struct OptimChunk {
    u32 tensor;
    i64 begin, end;
};

GG_HD OptimChunk optim_chunk(const OptimLaunch& L, i64 j) {
    const u64* numel = L.table + (i64)L.n_slots * L.n_tensors;
    u64 entry = numel[L.n_tensors + j];
    OptimChunk c;
    c.tensor = (u32)(entry >> 32);
    c.begin = (i64)(entry & 0xffffffffULL) * L.chunk_size;
    c.end = c.begin + L.chunk_size;
    i64 n = (i64)numel[c.tensor];
    if (c.end > n) c.end = n;
    return c;
}

template <typename T>
GG_HD T* optim_slot(const OptimLaunch& L, int slot, u32 tensor) {
    return reinterpret_cast<T*>(L.table[(i64)slot * L.n_tensors + tensor]);
}

template <typename T>
GG_HD void sgd_step_chunks(const OptimLaunch& L, const SgdScalars<T>& s) {
    for (i64 j = L.block; j < L.n_chunks; j += L.n_blocks) {
        OptimChunk c = optim_chunk(L, j);
        T* p = optim_slot<T>(L, 0, c.tensor);
        const T* g = optim_slot<T>(L, 1, c.tensor);
        T* buf = optim_slot<T>(L, 2, c.tensor);
        for (i64 i = c.begin + L.thread; i < c.end; i += L.n_threads) {
            T pi = p[i];
            T bi = (s.use_momentum && !s.first_step) ? buf[i] : T(0);
            sgd_update<T>(pi, g[i], bi, s);
            p[i] = pi;
            if (s.use_momentum) buf[i] = bi;
        }
    }
}

template <typename T>
GG_HD void adam_step_chunks(const OptimLaunch& L, const AdamScalars<T>& s) {
    for (i64 j = L.block; j < L.n_chunks; j += L.n_blocks) {
        OptimChunk c = optim_chunk(L, j);
        T* p = optim_slot<T>(L, 0, c.tensor);
        const T* g = optim_slot<T>(L, 1, c.tensor);
        T* m = optim_slot<T>(L, 2, c.tensor);
        T* v = optim_slot<T>(L, 3, c.tensor);
        T* vmax = optim_slot<T>(L, 4, c.tensor);
        for (i64 i = c.begin + L.thread; i < c.end; i += L.n_threads) {
            T pi = p[i], mi = m[i], vi = v[i];
            T vmaxi = s.amsgrad ? vmax[i] : T(0);
            adam_update<T>(pi, g[i], mi, vi, vmaxi, s);
            p[i] = pi;
            m[i] = mi;
            v[i] = vi;
            if (s.amsgrad) vmax[i] = vmaxi;
        }
    }
}

template <typename T>
GG_HD void rmsprop_step_chunks(const OptimLaunch& L, const RmspropScalars<T>& s) {
    for (i64 j = L.block; j < L.n_chunks; j += L.n_blocks) {
        OptimChunk c = optim_chunk(L, j);
        T* p = optim_slot<T>(L, 0, c.tensor);
        const T* g = optim_slot<T>(L, 1, c.tensor);
        T* square_avg = optim_slot<T>(L, 2, c.tensor);
        T* grad_avg = optim_slot<T>(L, 3, c.tensor);
        T* buf = optim_slot<T>(L, 4, c.tensor);
        for (i64 i = c.begin + L.thread; i < c.end; i += L.n_threads) {
            T pi = p[i], vi = square_avg[i];
            T gai = s.centered ? grad_avg[i] : T(0);
            T bi = s.use_momentum ? buf[i] : T(0);
            rmsprop_update<T>(pi, g[i], vi, gai, bi, s);
            p[i] = pi;
            square_avg[i] = vi;
            if (s.centered) grad_avg[i] = gai;
            if (s.use_momentum) buf[i] = bi;
        }
    }
}

template <typename T>
GG_HD void adagrad_step_chunks(const OptimLaunch& L, const AdagradScalars<T>& s) {
    for (i64 j = L.block; j < L.n_chunks; j += L.n_blocks) {
        OptimChunk c = optim_chunk(L, j);
        T* p = optim_slot<T>(L, 0, c.tensor);
        const T* g = optim_slot<T>(L, 1, c.tensor);
        T* sum = optim_slot<T>(L, 2, c.tensor);
        for (i64 i = c.begin + L.thread; i < c.end; i += L.n_threads) {
            T pi = p[i], si = sum[i];
            adagrad_update<T>(pi, g[i], si, s);
            p[i] = pi;
            sum[i] = si;
        }
    }
}

// The walk of the optimizers with two state buffers a and b: Update(p, grad, a, b, scalars).
template <typename T, typename S, void (*Update)(T&, T, T&, T&, const S&)>
GG_HD void two_state_step_chunks(const OptimLaunch& L, const S& s) {
    for (i64 j = L.block; j < L.n_chunks; j += L.n_blocks) {
        OptimChunk c = optim_chunk(L, j);
        T* p = optim_slot<T>(L, 0, c.tensor);
        const T* g = optim_slot<T>(L, 1, c.tensor);
        T* a = optim_slot<T>(L, 2, c.tensor);
        T* b = optim_slot<T>(L, 3, c.tensor);
        for (i64 i = c.begin + L.thread; i < c.end; i += L.n_threads) {
            T pi = p[i], ai = a[i], bi = b[i];
            Update(pi, g[i], ai, bi, s);
            p[i] = pi;
            a[i] = ai;
            b[i] = bi;
        }
    }
}

}  // namespace gg
