#pragma once
// Index math of 2-D sliding windows (im2col / col2im, max and average pooling), one output
// element per call, so that conv.cu and pool.cu are plain grid-stride loops and the host tests can
// run every function over every index against the NumPy reference (ArrayKernels).
//
// Layouts (C order): x and dx are (planes, H, W) with planes = N * C; cols is
// (planes, kh, kw, oh, ow); pooled outputs and their indices are (planes, oh, ow). Window (oy, ox)
// at kernel offset (i, j) reads input row oy * sh - pt + i * dh and column ox * sw - pl + j * dw;
// positions outside [0, H) x [0, W) are padding.
//
// The adjoint maps (col2im, pooling backward) gather per input pixel instead of scattering per
// output: no atomics, and each pixel sums its terms in kernel-offset order (i, j), the order in
// which the reference adds its strided slices.
#include "common.cuh"

namespace gg {

struct Window2d {
    i64 H, W;    // input plane
    i64 kh, kw;  // kernel
    i64 sh, sw;  // stride
    i64 dh, dw;  // dilation
    i64 pt, pl;  // top / left padding (bottom / right padding only shows in oh / ow)
    i64 oh, ow;  // output plane
};

// A flat element index split into (plane, row, column): over (planes, oh, ow) for outputs,
// over (planes, H, W) for inputs.
struct PlanePos {
    i64 plane, y, x;
};
GG_HD PlanePos output_pos(i64 idx, const Window2d& g) {
    return PlanePos{idx / (g.oh * g.ow), (idx / g.ow) % g.oh, idx % g.ow};
}
GG_HD PlanePos input_pos(i64 idx, const Window2d& g) {
    return PlanePos{idx / (g.H * g.W), (idx / g.W) % g.H, idx % g.W};
}

// The output position along one axis that reads input position p at kernel offset k, or -1.
GG_HD i64 window_out(i64 p, i64 k, i64 pad, i64 stride, i64 dil, i64 n_out) {
    const i64 q = p + pad - k * dil;
    if (q < 0 || q % stride != 0) return -1;
    const i64 o = q / stride;
    return o < n_out ? o : -1;
}

// cols[idx] of im2col: the input value under kernel offset (i, j) of window (oy, ox).
template <typename T> GG_HD T im2col_at(const T* x, i64 idx, const Window2d& g, T pad_value) {
    const i64 ox = idx % g.ow;
    idx /= g.ow;
    const i64 oy = idx % g.oh;
    idx /= g.oh;
    const i64 j = idx % g.kw;
    idx /= g.kw;
    const i64 i = idx % g.kh;
    const i64 plane = idx / g.kh;
    const i64 h = oy * g.sh - g.pt + i * g.dh, w = ox * g.sw - g.pl + j * g.dw;
    if (h < 0 || h >= g.H || w < 0 || w >= g.W) return pad_value;
    return x[(plane * g.H + h) * g.W + w];
}

// x[idx] of col2im (im2col's adjoint): the sum of every cols entry that reads input pixel idx.
template <typename T> GG_HD T col2im_at(const T* cols, i64 idx, const Window2d& g) {
    const PlanePos p = input_pos(idx, g);
    const i64 plane = p.plane, h = p.y, w = p.x;
    T sum = T(0);
    for (i64 i = 0; i < g.kh; ++i) {
        const i64 oy = window_out(h, i, g.pt, g.sh, g.dh, g.oh);
        if (oy < 0) continue;
        for (i64 j = 0; j < g.kw; ++j) {
            const i64 ox = window_out(w, j, g.pl, g.sw, g.dw, g.ow);
            if (ox < 0) continue;
            sum += cols[(((plane * g.kh + i) * g.kw + j) * g.oh + oy) * g.ow + ox];
        }
    }
    return sum;
}

// Max of output window idx and the flat in-plane index h * W + w of that max: the first maximum
// in (i, j) order wins ties, the first NaN wins over any number, padding is never selected.
template <typename T>
GG_HD void max_pool_at(const T* x, i64 idx, const Window2d& g, T* best_out, i64* arg_out) {
    const PlanePos p = output_pos(idx, g);
    const i64 plane = p.plane, oy = p.y, ox = p.x;
    const T* xp = x + plane * g.H * g.W;
    T best = T(0);
    i64 arg = -1;
    for (i64 i = 0; i < g.kh; ++i) {
        const i64 h = oy * g.sh - g.pt + i * g.dh;
        if (h < 0 || h >= g.H) continue;
        for (i64 j = 0; j < g.kw; ++j) {
            const i64 w = ox * g.sw - g.pl + j * g.dw;
            if (w < 0 || w >= g.W) continue;
            const T v = xp[h * g.W + w];
            if (arg < 0 || v > best || (v != v && best == best)) {
                best = v;
                arg = h * g.W + w;
            }
        }
    }
    *best_out = best;
    *arg_out = arg;
}

// dx[idx] of max pooling: the sum of g over the windows containing pixel idx whose max it is.
template <typename T>
GG_HD T max_pool_bwd_at(const T* g, const i64* index, i64 idx, const Window2d& geo) {
    const PlanePos p = input_pos(idx, geo);
    const i64 plane = p.plane, h = p.y, w = p.x;
    const i64 me = h * geo.W + w, base = plane * geo.oh * geo.ow;
    T sum = T(0);
    for (i64 i = 0; i < geo.kh; ++i) {
        const i64 oy = window_out(h, i, geo.pt, geo.sh, geo.dh, geo.oh);
        if (oy < 0) continue;
        for (i64 j = 0; j < geo.kw; ++j) {
            const i64 ox = window_out(w, j, geo.pl, geo.sw, geo.dw, geo.ow);
            if (ox < 0) continue;
            const i64 o = base + oy * geo.ow + ox;
            if (index[o] == me) sum += g[o];
        }
    }
    return sum;
}

// PyTorch's average-pooling divisor of window (oy, ox): divisor_override when nonzero, else the
// window's size clipped to the padded input (count_include_pad) or to the input itself.
GG_HD i64 avg_pool_divisor(i64 oy, i64 ox, const Window2d& g, bool count_include_pad,
                           i64 divisor_override) {
    if (divisor_override != 0) return divisor_override;
    i64 h0 = oy * g.sh - g.pt, w0 = ox * g.sw - g.pl;
    i64 h1 = h0 + g.kh < g.H + g.pt ? h0 + g.kh : g.H + g.pt;
    i64 w1 = w0 + g.kw < g.W + g.pl ? w0 + g.kw : g.W + g.pl;
    if (count_include_pad) return (h1 - h0) * (w1 - w0);
    h0 = h0 > 0 ? h0 : 0;
    w0 = w0 > 0 ? w0 : 0;
    h1 = h1 < g.H ? h1 : g.H;
    w1 = w1 < g.W ? w1 : g.W;
    return (h1 - h0) * (w1 - w0);
}

// y[idx] of average pooling (no dilation): the window's sum over the input / divisor.
template <typename T>
GG_HD T avg_pool_at(const T* x, i64 idx, const Window2d& g, bool count_include_pad,
                    i64 divisor_override) {
    const PlanePos p = output_pos(idx, g);
    const i64 plane = p.plane, oy = p.y, ox = p.x;
    const T* xp = x + plane * g.H * g.W;
    T sum = T(0);
    for (i64 i = 0; i < g.kh; ++i) {
        const i64 h = oy * g.sh - g.pt + i;
        if (h < 0 || h >= g.H) continue;
        for (i64 j = 0; j < g.kw; ++j) {
            const i64 w = ox * g.sw - g.pl + j;
            if (w >= 0 && w < g.W) sum += xp[h * g.W + w];
        }
    }
    return sum / T(avg_pool_divisor(oy, ox, g, count_include_pad, divisor_override));
}

// dx[idx] of average pooling: the sum of g / divisor over the windows containing pixel idx.
template <typename T>
GG_HD T avg_pool_bwd_at(const T* g, i64 idx, const Window2d& geo, bool count_include_pad,
                        i64 divisor_override) {
    const PlanePos p = input_pos(idx, geo);
    const i64 plane = p.plane, h = p.y, w = p.x;
    const T* gp = g + plane * geo.oh * geo.ow;
    T sum = T(0);
    for (i64 i = 0; i < geo.kh; ++i) {
        const i64 oy = window_out(h, i, geo.pt, geo.sh, 1, geo.oh);
        if (oy < 0) continue;
        for (i64 j = 0; j < geo.kw; ++j) {
            const i64 ox = window_out(w, j, geo.pl, geo.sw, 1, geo.ow);
            if (ox < 0) continue;
            const i64 div = avg_pool_divisor(oy, ox, geo, count_include_pad, divisor_override);
            sum += gp[oy * geo.ow + ox] / T(div);
        }
    }
    return sum;
}

}  // namespace gg

// The kernel parameters that describe a Window2d, and the struct built from them (conv.cu,
// pool.cu): CuPy passes scalars, not structs.
#define GG_WINDOW_PARAMS                                                                      \
    gg::i64 H, gg::i64 W, gg::i64 kh, gg::i64 kw, gg::i64 sh, gg::i64 sw, gg::i64 dh,         \
        gg::i64 dw, gg::i64 pt, gg::i64 pl, gg::i64 oh, gg::i64 ow
#define GG_WINDOW gg::Window2d{H, W, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow}
