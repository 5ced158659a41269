"""Reference kernels (written against ``self.xp``) of NAdam, RAdam, Adamax, Adadelta and Rprop:
optimizer steps over many parameters at once, the continuation of reference_optim.py (same
conventions: lists of raw arrays updated in place, one parameter after another; the scalars
derived on the host once per step come from the ``*_arguments`` functions, which the CUDA
launcher shares; each operation is rounded to the parameter's dtype, in the order of PyTorch's
single-tensor algorithm).

They use only array calls that NumPy and CuPy share, so on a GPU they run as a few CuPy launches
per parameter wherever the CUDA backend has no fused kernel for them.
"""

from __future__ import annotations


def _weight_decay_mode(weight_decay, decoupled) -> int:
    """0: none, 1: L2 (added to the gradient), 2: decoupled (p *= 1 - lr * wd)."""
    return 0 if weight_decay == 0 else (2 if decoupled else 1)


def nadam_arguments(*, lr, beta1, beta2, eps, weight_decay, momentum_decay, maximize,
                    decoupled_weight_decay, step, mu_product):
    """(weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2, 1 - beta2^t, eps,
    -lr (1 - mu_t) / (1 - mu_prod_t), -lr mu_{t+1} / (1 - mu_prod_t mu_{t+1})),
    (maximize, weight_decay_mode), with mu_t = beta1 (1 - 0.96^(t momentum_decay) / 2) and
    ``mu_product`` = mu_prod_t, the product of mu_1..mu_t (the state, updated before)."""
    lr, beta1, beta2, weight_decay = float(lr), float(beta1), float(beta2), float(weight_decay)
    mu = nadam_mu(beta1=beta1, momentum_decay=momentum_decay, step=step)
    mu_next = nadam_mu(beta1=beta1, momentum_decay=momentum_decay, step=step + 1)
    scalars = (weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2,
               1 - beta2**step, float(eps), -lr * (1.0 - mu) / (1.0 - mu_product),
               (-lr * mu_next) / (1.0 - mu_product * mu_next))
    return scalars, (bool(maximize), _weight_decay_mode(weight_decay, decoupled_weight_decay))


def nadam_mu(*, beta1, momentum_decay, step) -> float:
    """mu_t = beta1 (1 - 0.96^(t momentum_decay) / 2), NAdam's momentum at step t."""
    return float(beta1) * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))


def radam_arguments(*, lr, beta1, beta2, eps, weight_decay, maximize, decoupled_weight_decay,
                    step):
    """(weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2, 1 - beta1^t, lr,
    sqrt(1 - beta2^t), eps, r_t), (maximize, weight_decay_mode, rectify): the variance
    rectification r_t applies (rectify) when the SMA length rho_t > 5."""
    lr, beta1, beta2, weight_decay = float(lr), float(beta1), float(beta2), float(weight_decay)
    bias_correction2 = 1 - beta2**step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
    rectify = rho_t > 5.0
    rect = (((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            ** 0.5 if rectify else 1.0)
    scalars = (weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2,
               1 - beta1**step, lr, bias_correction2**0.5, float(eps), rect)
    return scalars, (bool(maximize), _weight_decay_mode(weight_decay, decoupled_weight_decay),
                     rectify)


def adamax_arguments(*, lr, beta1, beta2, eps, weight_decay, maximize, step):
    """(weight_decay, 1 - beta1, beta2, eps, -lr / (1 - beta1^t)), (maximize, use_weight_decay)."""
    clr = float(lr) / (1 - float(beta1) ** step)
    return ((float(weight_decay), 1 - float(beta1), float(beta2), float(eps), -clr),
            (bool(maximize), weight_decay != 0))


def adadelta_arguments(*, lr, rho, eps, weight_decay, maximize):
    """(weight_decay, rho, 1 - rho, eps, -lr), (maximize, use_weight_decay)."""
    return ((float(weight_decay), float(rho), 1 - float(rho), float(eps), -float(lr)),
            (bool(maximize), weight_decay != 0))


def rprop_arguments(*, etaminus, etaplus, step_size_min, step_size_max, maximize):
    """(etaminus, etaplus, step_size_min, step_size_max), (maximize,)."""
    return ((float(etaminus), float(etaplus), float(step_size_min), float(step_size_max)),
            (bool(maximize),))


class AdaptiveOptimReference:
    """Mixin of OptimReference: NAdam, RAdam, Adamax, Adadelta and Rprop steps."""

    xp = None  # the array namespace, set by the backend class

    def nadam_step(self, params, grads, exp_avgs, exp_avg_sqs, *, lr, beta1, beta2, eps,
                   weight_decay, momentum_decay, maximize, decoupled_weight_decay, step,
                   mu_product) -> None:
        """NAdam in place (``step`` = t and ``mu_product`` = mu_1 ... mu_t, both counted after
        this step): g = ±grad (+ wd * p, or p *= 1 - lr * wd when decoupled);
        m += (g - m) * (1 - b1);  v = b2 * v + (1 - b2) * g^2;  d = sqrt(v / (1 - b2^t)) + eps;
        p += g / d * (-lr (1 - mu_t) / (1 - mu_prod_t));
        p += m / d * (-lr mu_{t+1} / (1 - mu_prod_t mu_{t+1}))."""
        scalars, (maximize, wd_mode) = nadam_arguments(
            lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
            momentum_decay=momentum_decay, maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay, step=step, mu_product=mu_product)
        wd, decay, one_minus_beta1, beta2, one_minus_beta2, bc2, eps, c_grad, c_avg = scalars
        xp = self.xp
        with self.quiet():
            for p, g, m, v in zip(params, grads, exp_avgs, exp_avg_sqs):
                g = self._decayed_grad(p, g, maximize, wd_mode, wd, decay)
                t = self._adam_moments(g, m, v, one_minus_beta1, beta2, one_minus_beta2)
                d = xp.empty_like(v)  # 0-d inputs give scalars without out=
                xp.divide(v, bc2, out=d)
                xp.sqrt(d, out=d)
                d += eps
                xp.divide(g, d, out=t)
                t *= c_grad
                p += t
                xp.divide(m, d, out=t)
                t *= c_avg
                p += t

    def radam_step(self, params, grads, exp_avgs, exp_avg_sqs, *, lr, beta1, beta2, eps,
                   weight_decay, maximize, decoupled_weight_decay, step) -> None:
        """RAdam in place (``step`` = t counted after this step): g = ±grad (+ wd * p, or
        p *= 1 - lr * wd when decoupled);  m += (g - m) * (1 - b1);  v = b2 * v + (1 - b2) g^2;
        rho_t > 5: p -= m / (1 - b1^t) * lr * (sqrt(1 - b2^t) / (sqrt(v) + eps)) * r_t;
        else p -= m / (1 - b1^t) * lr."""
        scalars, (maximize, wd_mode, rectify) = radam_arguments(
            lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
            maximize=maximize, decoupled_weight_decay=decoupled_weight_decay, step=step)
        (wd, decay, one_minus_beta1, beta2, one_minus_beta2, bc1, lr, bc2_sqrt, eps,
         rect) = scalars
        xp = self.xp
        with self.quiet():
            for p, g, m, v in zip(params, grads, exp_avgs, exp_avg_sqs):
                g = self._decayed_grad(p, g, maximize, wd_mode, wd, decay)
                t = self._adam_moments(g, m, v, one_minus_beta1, beta2, one_minus_beta2)
                xp.divide(m, bc1, out=t)
                t *= lr
                if rectify:
                    a = xp.empty_like(v)
                    xp.sqrt(v, out=a)
                    a += eps
                    xp.divide(bc2_sqrt, a, out=a)
                    t *= a
                    t *= rect
                p -= t

    def adamax_step(self, params, grads, exp_avgs, exp_infs, *, lr, beta1, beta2, eps,
                    weight_decay, maximize, step) -> None:
        """Adamax in place (``step`` = t counted after this step): g = ±grad + wd * p;
        m += (g - m) * (1 - b1);  u = max(b2 * u, |g| + eps);  p -= lr / (1 - b1^t) * m / u."""
        (wd, one_minus_beta1, beta2, eps, neg_clr), (maximize, use_wd) = adamax_arguments(
            lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
            maximize=maximize, step=step)
        xp = self.xp
        with self.quiet():
            for p, g, m, u in zip(params, grads, exp_avgs, exp_infs):
                g = self._decayed_grad(p, g, maximize, int(use_wd), wd, 1.0)
                t = xp.empty_like(m)  # one scratch array per parameter, reused
                xp.subtract(g, m, out=t)
                t *= one_minus_beta1
                m += t
                u *= beta2
                xp.abs(g, out=t)
                t += eps
                xp.maximum(u, t, out=u)
                xp.divide(m, u, out=t)
                t *= neg_clr
                p += t

    def adadelta_step(self, params, grads, square_avgs, acc_deltas, *, lr, rho, eps,
                      weight_decay, maximize) -> None:
        """Adadelta in place: g = ±grad + wd * p;  v = rho * v + (1 - rho) * g^2;
        delta = sqrt(a + eps) / sqrt(v + eps) * g;  a = rho * a + (1 - rho) * delta^2;
        p -= lr * delta."""
        (wd, rho, one_minus_rho, eps, neg_lr), (maximize, use_wd) = adadelta_arguments(
            lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        xp = self.xp
        with self.quiet():
            for p, g, v, a in zip(params, grads, square_avgs, acc_deltas):
                g = self._decayed_grad(p, g, maximize, int(use_wd), wd, 1.0)
                t = xp.empty_like(v)  # scratch arrays (0-d inputs give scalars without out=)
                xp.multiply(g, g, out=t)
                t *= one_minus_rho
                v *= rho
                v += t
                std = xp.empty_like(v)
                xp.add(v, eps, out=std)
                xp.sqrt(std, out=std)
                delta = xp.empty_like(v)
                xp.add(a, eps, out=delta)
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                xp.multiply(delta, delta, out=t)
                t *= one_minus_rho
                a *= rho
                a += t
                delta *= neg_lr
                p += delta

    def rprop_step(self, params, grads, prevs, step_sizes, *, etaminus, etaplus, step_size_min,
                   step_size_max, maximize) -> None:
        """Rprop in place: g = ±grad;  s = sign(g * prev);
        step_size = clamp(step_size * (etaplus if s > 0, etaminus if s < 0, else 1), min, max);
        g = 0 where s < 0;  p -= sign(g) * step_size;  prev = g."""
        (etaminus, etaplus, lo, hi), (maximize,) = rprop_arguments(
            etaminus=etaminus, etaplus=etaplus, step_size_min=step_size_min,
            step_size_max=step_size_max, maximize=maximize)
        xp = self.xp
        with self.quiet():
            for p, g, prev, step_size in zip(params, grads, prevs, step_sizes):
                if maximize:
                    g = xp.negative(g)
                s = xp.empty_like(prev)  # 0-d inputs give scalars without out=
                xp.multiply(g, prev, out=s)
                xp.sign(s, out=s)
                factor = xp.where(s > 0, s.dtype.type(etaplus), s)
                factor = xp.where(s < 0, s.dtype.type(etaminus), factor)
                factor = xp.where(s == 0, s.dtype.type(1), factor)
                step_size *= factor
                # clamp as min(max(x, lo), hi): NaN stays NaN, as torch.clamp
                xp.minimum(xp.maximum(step_size, s.dtype.type(lo)), s.dtype.type(hi),
                           out=step_size)
                g = xp.where(s < 0, g.dtype.type(0), g)
                xp.sign(g, out=s)
                s *= step_size
                p -= s
                prev[...] = g

    def _decayed_grad(self, p, g, maximize, wd_mode, wd, decay):
        """±g, plus wd * p (mode 1, a new array), or with p *= decay (mode 2)."""
        if maximize:
            g = self.xp.negative(g)
        if wd_mode == 1:
            t = self.xp.multiply(p, wd)  # as reference_optim._plus_scaled
            t += g
            g = t
        elif wd_mode == 2:
            p *= decay
        return g

    def _adam_moments(self, g, m, v, one_minus_beta1, beta2, one_minus_beta2):
        """m += (g - m) * (1 - b1);  v = b2 * v + (1 - b2) * g^2, in place; returns a scratch
        array like m."""
        xp = self.xp
        t = xp.empty_like(m)  # 0-d inputs give scalars without out=
        xp.subtract(g, m, out=t)
        t *= one_minus_beta1
        m += t
        v *= beta2
        xp.multiply(g, g, out=t)
        t *= one_minus_beta2
        v += t
        return t
