"""Reference kernels (written against ``self.xp``): optimizer steps over many parameters at once.

Each ``<name>_step`` updates lists of raw arrays in place (parameters and state buffers; the
gradients are only read), one parameter after another. The optimizers of ``gradgpu.optim`` call
them from ``_update_group`` with every parameter of a group that lives on one backend; the CUDA
backend overrides them with one fused multi-tensor launch of kernels/optim.cu.

This is the specification of those kernels: the per-element functions of kernels/optim.cuh do
the same operations in the same order, each rounded to the parameter's dtype, so on the host they
agree bit for bit (tests/kernels/test_optim_host.py). The order is PyTorch's single-tensor
algorithm (``torch.optim.Adam`` etc. with ``foreach=False``), whose results we match step for step.

The scalars derived on the host once per step (bias corrections, ``-lr``, ``1 - beta``, the
branch flags) come from the ``*_arguments`` functions, which the CUDA launcher shares, so both
backends round them identically: each returns ``(scalars, flags)`` in the order of the fields of
the matching ``gg::<Name>Scalars`` struct in kernels/optim.cuh.
"""

from __future__ import annotations

from .reference_optim_adaptive import AdaptiveOptimReference


def sgd_arguments(*, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    """(weight_decay, momentum, 1 - dampening, -lr), (maximize, use_weight_decay,
    use_momentum, first_step, nesterov)."""
    scalars = (float(weight_decay), float(momentum), 1 - float(dampening), -float(lr))
    flags = (bool(maximize), weight_decay != 0, momentum != 0, bool(first_step), bool(nesterov))
    return scalars, flags


def adam_arguments(*, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                   decoupled_weight_decay, step):
    """(weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2,
    sqrt(1 - beta2^t), eps, -lr / (1 - beta1^t)), (maximize, weight_decay_mode, amsgrad) with
    weight_decay_mode 0 (none), 1 (L2: added to the gradient) or 2 (decoupled, AdamW)."""
    lr, beta1, beta2, weight_decay = float(lr), float(beta1), float(beta2), float(weight_decay)
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    mode = 0 if weight_decay == 0 else (2 if decoupled_weight_decay else 1)
    scalars = (weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2,
               bias_correction2_sqrt, float(eps), -(lr / bias_correction1))
    return scalars, (bool(maximize), mode, bool(amsgrad))


def rmsprop_arguments(*, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    """(weight_decay, alpha, 1 - alpha, eps, momentum, -lr), (maximize, use_weight_decay,
    centered, use_momentum)."""
    scalars = (float(weight_decay), float(alpha), 1 - float(alpha), float(eps), float(momentum),
               -float(lr))
    return scalars, (bool(maximize), weight_decay != 0, bool(centered), momentum > 0)


def adagrad_arguments(*, lr, lr_decay, weight_decay, eps, maximize, step):
    """(weight_decay, eps, -lr / (1 + (t - 1) * lr_decay)), (maximize, use_weight_decay)."""
    clr = float(lr) / (1 + (step - 1) * float(lr_decay))
    return (float(weight_decay), float(eps), -clr), (bool(maximize), weight_decay != 0)


def subset_slots(slots, indices):
    """The slot lists restricted to ``indices`` (None stays None): the parameters a fused
    backend kernel left to the reference."""
    return [None if arrays is None else [arrays[i] for i in indices] for arrays in slots]


class OptimReference(AdaptiveOptimReference):
    """Mixin of ArrayKernels: the NumPy specification the CUDA kernels are tested against
    (NAdam, RAdam, Adamax, Adadelta and Rprop come from ``AdaptiveOptimReference``)."""

    def sgd_step(self, params, grads, momentum_buffers, *, lr, momentum, dampening,
                 weight_decay, nesterov, maximize, first_step) -> None:
        """SGD in place: g = ±grad + wd * p;  b = g (first step) or mu * b + (1 - dampening) * g;
        g = g + mu * b (nesterov) or b;  p -= lr * g.

        ``momentum_buffers`` is None when momentum is 0; on the first step its arrays are
        written (their old contents are ignored)."""
        (wd, mu, one_minus_dampening, neg_lr), flags = sgd_arguments(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov, maximize=maximize, first_step=first_step)
        maximize, use_wd, use_momentum, first_step, nesterov = flags
        xp = self.xp
        with self.quiet():
            for i, (p, g) in enumerate(zip(params, grads)):
                if maximize:
                    g = xp.negative(g)
                if use_wd:
                    g = _plus_scaled(xp, g, p, wd)
                if use_momentum:
                    buf = momentum_buffers[i]
                    if first_step:
                        buf[...] = g
                    else:
                        buf *= mu
                        buf += _scaled(xp, g, one_minus_dampening)
                    g = _plus_scaled(xp, g, buf, mu) if nesterov else buf
                p += _scaled(xp, g, neg_lr)

    def adam_step(self, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, *, lr, beta1,
                  beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay,
                  step) -> None:
        """Adam/AdamW in place, ``step`` = t counted after this step:
        g = ±grad (+ wd * p, or p *= 1 - lr * wd when decoupled);  m += (g - m) * (1 - b1);
        v = b2 * v + (1 - b2) * g^2;  v_max = max(v_max, v) (amsgrad);
        p -= lr / (1 - b1^t) * m / (sqrt(v or v_max) / sqrt(1 - b2^t) + eps).

        ``max_exp_avg_sqs`` is None unless amsgrad."""
        scalars, flags = adam_arguments(
            lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
            amsgrad=amsgrad, maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay, step=step)
        wd, decay, one_minus_beta1, beta2, one_minus_beta2, bc2_sqrt, eps, neg_step = scalars
        maximize, wd_mode, amsgrad = flags
        xp = self.xp
        with self.quiet():
            for i, (p, g, m, v) in enumerate(zip(params, grads, exp_avgs, exp_avg_sqs)):
                g = self._decayed_grad(p, g, maximize, wd_mode, wd, decay)
                t = self._adam_moments(g, m, v, one_minus_beta1, beta2, one_minus_beta2)
                if amsgrad:
                    vmax = max_exp_avg_sqs[i]
                    xp.maximum(vmax, v, out=vmax)
                    v = vmax
                xp.sqrt(v, out=t)
                t /= bc2_sqrt
                t += eps
                xp.divide(m, t, out=t)
                t *= neg_step
                p += t

    def rmsprop_step(self, params, grads, square_avgs, grad_avgs, momentum_buffers, *, lr,
                     alpha, eps, weight_decay, momentum, centered, maximize) -> None:
        """RMSprop in place: g = ±grad + wd * p;  v = alpha * v + (1 - alpha) * g^2;
        centered: ga += (g - ga) * (1 - alpha), d = sqrt(v - ga^2) + eps; else d = sqrt(v) + eps;
        momentum: b = mu * b + g / d, p -= lr * b;  else p -= lr * g / d.

        ``grad_avgs`` is None unless centered, ``momentum_buffers`` None unless momentum > 0."""
        scalars, flags = rmsprop_arguments(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
            centered=centered, maximize=maximize)
        wd, alpha, one_minus_alpha, eps, mu, neg_lr = scalars
        maximize, use_wd, centered, use_momentum = flags
        xp = self.xp
        with self.quiet():
            for i, (p, g, v) in enumerate(zip(params, grads, square_avgs)):
                if maximize:
                    g = xp.negative(g)
                if use_wd:
                    g = _plus_scaled(xp, g, p, wd)
                t = xp.empty_like(v)  # one scratch array per parameter, reused
                v *= alpha
                xp.multiply(g, g, out=t)
                t *= one_minus_alpha
                v += t
                if centered:
                    ga = grad_avgs[i]
                    xp.subtract(g, ga, out=t)
                    t *= one_minus_alpha
                    ga += t
                    xp.multiply(ga, ga, out=t)
                    xp.subtract(v, t, out=t)
                    xp.sqrt(t, out=t)
                else:
                    xp.sqrt(v, out=t)
                t += eps
                xp.divide(g, t, out=t)
                if use_momentum:
                    buf = momentum_buffers[i]
                    buf *= mu
                    buf += t
                    xp.multiply(buf, neg_lr, out=t)
                else:
                    t *= neg_lr
                p += t

    def adagrad_step(self, params, grads, state_sums, *, lr, lr_decay, weight_decay, eps,
                     maximize, step) -> None:
        """Adagrad in place, ``step`` = t counted after this step: g = ±grad + wd * p;
        s += g^2;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)."""
        (wd, eps, neg_clr), (maximize, use_wd) = adagrad_arguments(
            lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps, maximize=maximize,
            step=step)
        xp = self.xp
        with self.quiet():
            for p, g, s in zip(params, grads, state_sums):
                if maximize:
                    g = xp.negative(g)
                if use_wd:
                    g = _plus_scaled(xp, g, p, wd)
                t = xp.empty_like(s)  # one scratch array per parameter, reused
                xp.multiply(g, g, out=t)
                s += t
                xp.sqrt(s, out=t)
                t += eps
                xp.divide(g, t, out=t)
                t *= neg_clr
                p += t


def _scaled(xp, a, scale: float):
    """a * scale, a new array (rounded once, in a's dtype: ``scale`` is a Python float)."""
    return xp.multiply(a, scale)


def _plus_scaled(xp, a, b, scale: float):
    """a + b * scale, a new array: b * scale rounded, then the sum (as ``a.add(b, alpha=)``)."""
    t = xp.multiply(b, scale)
    t += a
    return t
