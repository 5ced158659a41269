"""gradcheck / gradgradcheck: compare analytical gradients with central differences."""

from __future__ import annotations

import warnings

import numpy as np

from ..backend import backend_of


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytical gradient disagrees with the numerical one."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _differentiable_outputs(outputs):
    from ..tensor import Tensor

    return [o for o in _as_tuple(outputs) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _host(x):
    from ..backend import NUMPY

    return NUMPY.from_foreign(x) if not isinstance(x, np.ndarray) else x


def _numerical_jacobians(func, inputs, wrt, eps):
    """J[i][j]: d(flattened output j) / d(flattened input wrt[i]), by central differences."""
    outs = _differentiable_outputs(func(*inputs))
    n_out = sum(o._data.size for o in outs)
    jacobians = []
    for i in wrt:
        x = inputs[i]
        jac = np.zeros((x._data.size, n_out))
        for k in range(x._data.size):
            idx = np.unravel_index(k, x._data.shape)
            orig = x._data[idx].item()
            # func runs with grad enabled: it may itself use autograd (gradgradcheck)
            x._data[idx] = orig + eps
            plus = [_host(o._data).astype(np.float64).ravel()
                    for o in _differentiable_outputs(func(*inputs))]
            x._data[idx] = orig - eps
            minus = [_host(o._data).astype(np.float64).ravel()
                     for o in _differentiable_outputs(func(*inputs))]
            x._data[idx] = orig
            if plus:
                jac[k] = (np.concatenate(plus) - np.concatenate(minus)) / (2 * eps)
        jacobians.append(jac)
    return jacobians, outs


def _analytical_jacobians(func, inputs, wrt):
    from ..tensor import Tensor
    from . import grad as autograd_grad

    outputs = _differentiable_outputs(func(*inputs))
    n_out = sum(o._data.size for o in outputs)
    jacs = [np.zeros((inputs[i]._data.size, n_out)) for i in wrt]
    col = 0
    for o in outputs:
        for k in range(o._data.size):
            if o._requires_grad:
                g = Tensor._make(backend_of(o._data).xp.zeros_like(o._data))
                g._data[np.unravel_index(k, o._data.shape)] = 1
                grads = autograd_grad(o, [inputs[i] for i in wrt], g, retain_graph=True,
                                      allow_unused=True)
                for j, gr in enumerate(grads):
                    if gr is not None:
                        if tuple(gr.shape) != tuple(inputs[wrt[j]].shape):
                            raise GradcheckError(
                                f"Gradient for input {wrt[j]} has shape {list(gr.shape)}, "
                                f"expected {list(inputs[wrt[j]].shape)}"
                            )
                        jacs[j][:, col] = _host(gr._data).astype(np.float64).ravel()
            col += 1
    return jacs


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_ignored) -> bool:
    """Check analytical gradients of ``func`` against central differences (float64 inputs).

    Returns True, or raises GradcheckError naming the input, output, element and both values.
    """
    from ..tensor import Tensor

    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i in wrt:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point.",
                UserWarning,
                stacklevel=2,
            )
    numerical, outs = _numerical_jacobians(func, inputs, wrt, eps)
    analytical = _analytical_jacobians(func, inputs, wrt)
    for j, (num, ana) in enumerate(zip(numerical, analytical)):
        bad = ~np.isclose(ana, num, rtol=rtol, atol=atol, equal_nan=True)
        if bad.any():
            k, col = map(int, np.argwhere(bad)[0])
            out_idx, elem_out = _locate(outs, col)
            i = wrt[j]
            msg = (
                f"Jacobian mismatch for output {out_idx} with respect to input {i}: element "
                f"{_index(inputs[i], k)} of input {i} -> element {_index(outs[out_idx], elem_out)}"
                f" of output {out_idx}: numerical {float(num[k, col])!r}, analytical "
                f"{float(ana[k, col])!r} "
                f"(atol={atol}, rtol={rtol}; {int(bad.sum())} of {bad.size} entries differ)\n"
                f"numerical:\n{num}\nanalytical:\n{ana}"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def _locate(outs, col):
    for n, o in enumerate(outs):
        if col < o._data.size:
            return n, col
        col -= o._data.size
    return len(outs) - 1, col


def _index(t, flat):
    return tuple(int(i) for i in np.unravel_index(flat, t._data.shape))


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, **_ignored) -> bool:
    """gradcheck of the first derivative (computed with ``create_graph=True``)."""
    from ..tensor import Tensor
    from . import grad as autograd_grad

    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    outs = _differentiable_outputs(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._make(_to_like(rng.standard_normal(o._data.shape), o._data), True)
            for o in outs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_derivative(*args):
        xs, gos = args[:n_in], args[n_in:]
        ys = _differentiable_outputs(func(*xs))
        pairs = [(y, g) for y, g in zip(ys, gos) if y._requires_grad]
        grads = autograd_grad([y for y, _ in pairs], [xs[i] for i in wrt],
                              [g for _, g in pairs], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


def _to_like(host, like):
    from ..backend import backend_of

    return backend_of(like).asarray(host)
