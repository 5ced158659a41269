"""A small least-squares problem and NumPy (float64) transcriptions of PyTorch's documented
optimizer algorithms, shared by the optimizer tests."""

from __future__ import annotations

import numpy as np

import gradgpu

_rng = np.random.default_rng(1234)
X = _rng.standard_normal((5, 3))
Y = _rng.standard_normal((5, 2))
W0 = _rng.standard_normal((3, 2))
B0 = _rng.standard_normal(2)


def numpy_grads(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of loss = 0.5 * sum((X @ w + b - Y)^2)."""
    r = X @ w + b - Y
    return X.T @ r, r.sum(0)


def make_params(dtype=gradgpu.float64):
    w = gradgpu.tensor(W0, dtype=dtype, requires_grad=True)
    b = gradgpu.tensor(B0, dtype=dtype, requires_grad=True)
    return w, b


def loss_of(w, b):
    x = gradgpu.tensor(X, dtype=w.dtype)
    y = gradgpu.tensor(Y, dtype=w.dtype)
    return 0.5 * ((x @ w + b - y) ** 2).sum()


def train(opt_cls, steps: int, params=None, **options):
    """Run ``steps`` optimizer steps with gradgpu; returns the parameters and optimizer."""
    w, b = params if params is not None else make_params()
    opt = opt_cls([w, b], **options)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(w, b).backward()
        opt.step()
    return (w, b), opt


# ---- NumPy references: one update rule per optimizer, state kept in a dict per parameter ----

def ref_sgd(p, g, st, t, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
            maximize=False):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        st["b"] = g.copy() if t == 1 else momentum * st["b"] + (1 - dampening) * g
        g = g + momentum * st["b"] if nesterov else st["b"]
    return p - lr * g


def ref_adam(p, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
             amsgrad=False, maximize=False, decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if weight_decay:
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    m_hat = st["m"] / (1 - b1**t)
    if amsgrad:
        st["vmax"] = np.maximum(st.get("vmax", 0), st["v"])
        v_hat = st["vmax"] / (1 - b2**t)
    else:
        v_hat = st["v"] / (1 - b2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(p, g, st, t, weight_decay=1e-2, **kw):
    return ref_adam(p, g, st, t, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(p, g, st, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                centered=False, maximize=False):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * p
    st["v"] = alpha * st.get("v", 0) + (1 - alpha) * g * g
    v = st["v"]
    if centered:
        st["ga"] = alpha * st.get("ga", 0) + (1 - alpha) * g
        v = v - st["ga"] ** 2
    if momentum > 0:
        st["b"] = momentum * st.get("b", 0) + g / (np.sqrt(v) + eps)
        return p - lr * st["b"]
    return p - lr * g / (np.sqrt(v) + eps)


def ref_adagrad(p, g, st, t, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                eps=1e-10, maximize=False):
    g = -g if maximize else g
    clr = lr / (1 + (t - 1) * lr_decay)
    if weight_decay:
        g = g + weight_decay * p
    st["sum"] = st.get("sum", initial_accumulator_value) + g * g
    return p - clr * g / (np.sqrt(st["sum"]) + eps)


def reference(rule, steps: int, **options):
    """The parameters after ``steps`` updates by a NumPy rule, in float64."""
    w, b = W0.copy(), B0.copy()
    sw, sb = {}, {}
    for t in range(1, steps + 1):
        gw, gb = numpy_grads(w, b)
        w = rule(w, gw, sw, t, **options)
        b = rule(b, gb, sb, t, **options)
    return w, b
