"""gradgpu.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp.

Expected values were computed with torch.autograd.functional (float64) and are hard-coded.
"""

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

F64 = gradgpu.float64


def t(a, requires_grad=False):
    return gradgpu.tensor(np.array(a, dtype=np.float64), dtype=F64, requires_grad=requires_grad)


def close(actual, expected):
    assert isinstance(actual, gradgpu.Tensor)
    np.testing.assert_allclose(actual.detach().numpy(), np.array(expected, dtype=np.float64),
                               rtol=1e-12, atol=1e-12)


def x2():
    return t([1.0, 2.0])


def y3():
    return t([0.5, -1.0, 2.0])


def X22():
    return t([[1.0, 2.0], [3.0, -1.0]])


def f_cube(x):
    return (x ** 3).sum()


def f_exp(x):
    return x.exp() * 2


def f_two(x, y):  # two inputs, two outputs
    return x * y.sin()[:1], (x ** 2).sum() + y.sum() * x.sum()


def f_hess(x, y):  # scalar function of two inputs
    return (x ** 2 * y[0]).sum() + (y ** 3).sum()


def f_unused(x, y):
    return (x ** 2).sum()


def f_linear(x, y):
    return (2 * x).sum() + y.sum()


EXP22 = [[5.43656365691809, 14.7781121978613], [40.171073846375336, 0.7357588823428847]]
F_TWO_OUT = ([0.479425538604203, 0.958851077208406], 9.5)


# ---------------------------------------------------------------- vjp

def test_vjp_single_scalar_output_v_none():
    out, g = vjp(f_cube, x2())
    close(out, 9.0)
    close(g, [3.0, 12.0])
    assert not out.requires_grad and not g.requires_grad


def test_vjp_single_tensor_in_out():
    out, g = vjp(f_exp, X22(), t([[1.0, 0.5], [2.0, 3.0]]))
    close(out, EXP22)
    close(g, [[5.43656365691809, 7.38905609893065], [80.34214769275067, 2.207276647028654]])


def test_vjp_tuples():
    out, g = vjp(f_two, (x2(), y3()), (t([1.0, 2.0]), t(3.0)))
    assert isinstance(out, tuple) and isinstance(g, tuple) and len(out) == len(g) == 2
    close(out[0], F_TWO_OUT[0])
    close(out[1], F_TWO_OUT[1])
    close(g[0], [10.979425538604204, 17.458851077208408])
    close(g[1], [13.387912809451864, 9.0, 9.0])


def test_vjp_single_input_in_tuple_returns_tuple():
    out, g = vjp(f_cube, (x2(),))
    assert isinstance(g, tuple) and len(g) == 1
    close(g[0], [3.0, 12.0])
    assert isinstance(out, gradgpu.Tensor)


def test_vjp_create_graph_then_differentiate():
    x, y = t([1.0, 2.0], True), t([0.5, -1.0, 2.0], True)
    out, g = vjp(f_two, (x, y), (t([1.0, 2.0]), t(3.0)), create_graph=True)
    assert out[0].requires_grad and g[0].requires_grad and g[1].requires_grad
    gx, gy = gradgpu.autograd.grad(g[0].sum() + g[1].sum(), (x, y))
    close(gx, [15.877582561890373, 16.755165123780746])
    close(gy, [6.235619992650103, 6.0, 6.0])
    assert x.grad is None and y.grad is None


def test_vjp_unused_input_zeros_and_strict():
    _, g = vjp(f_unused, (x2(), y3()))
    close(g[0], [2.0, 4.0])
    close(g[1], [0.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="The output of the user-provided function is "
                       "independent of input 1. This is not allowed in strict mode."):
        vjp(f_unused, (x2(), y3()), strict=True)


def test_vjp_strict_output_without_grad():
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                       "require gradients"):
        vjp(lambda x: gradgpu.ones(2, dtype=F64), x2(), t([1.0, 1.0]), strict=True)
    _, g = vjp(lambda x: gradgpu.ones(2, dtype=F64), x2(), t([1.0, 1.0]))
    close(g, [0.0, 0.0])


def test_vjp_argument_checks():
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                       "function returns a single Tensor with a single element."):
        vjp(f_exp, X22())
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be .*\[2, 2\]\) but got "
                       r".*\[2\]\)\."):
        vjp(f_exp, X22(), t([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="Entry 1 in v has invalid size"):
        vjp(f_two, (x2(), y3()), (t([1.0, 2.0]), t([3.0])))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got "
                       "1."):
        vjp(f_two, (x2(), y3()), (t([1.0, 2.0]),))
    with pytest.raises(RuntimeError, match="The given v should contain a single Tensor."):
        vjp(f_exp, X22(), (t([[1.0, 2.0], [3.0, 4.0]]), t([[1.0, 2.0], [3.0, 4.0]])))
    with pytest.raises(TypeError, match="The inputs given to vjp must be either a Tensor or a "
                       "tuple of Tensors but the given inputs has type"):
        vjp(f_cube, [x2()])
    with pytest.raises(TypeError, match="but the value at index 1 has type"):
        vjp(f_two, (x2(), 3.0))


# ---------------------------------------------------------------- jvp

def test_jvp_single():
    out, g = jvp(f_exp, X22(), t([[1.0, 0.5], [2.0, 3.0]]))
    close(out, EXP22)
    close(g, [[5.43656365691809, 7.38905609893065], [80.34214769275067, 2.207276647028654]])
    assert not out.requires_grad and not g.requires_grad


def test_jvp_v_none_single_element_input():
    out, g = jvp(lambda x: x * x * 3, t([2.0]))
    close(out, [12.0])
    close(g, [12.0])
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the "
                       "user-provided function is a single Tensor with a single element."):
        jvp(f_exp, X22())


def test_jvp_tuples():
    out, g = jvp(f_two, (x2(), y3()), (t([1.0, 2.0]), t([1.0, 0.0, -1.0])))
    assert isinstance(out, tuple) and isinstance(g, tuple) and len(g) == 2
    close(out[1], F_TWO_OUT[1])
    close(g[0], [1.3570081004945758, 2.7140162009891515])
    close(g[1], 14.5)
    with pytest.raises(RuntimeError, match="Entry 1 in v has invalid size"):
        jvp(f_two, (x2(), y3()), (t([1.0, 2.0]), t([1.0, 0.0])))


def test_jvp_create_graph_then_differentiate():
    X = t([[1.0, 2.0], [3.0, -1.0]], True)
    _, j = jvp(f_exp, X, gradgpu.ones(2, 2, dtype=F64), create_graph=True)
    assert j.requires_grad
    (g,) = gradgpu.autograd.grad((j * j).sum(), X)
    close(g, [[59.112448791445196, 436.78520026515395],
              [3227.430347941881, 1.0826822658929016]])
    assert X.grad is None


def test_jvp_unused_input_and_strict():
    v = (t([1.0, 2.0]), t([1.0, 0.0, -1.0]))
    out, g = jvp(f_unused, (x2(), y3()), v)
    close(out, 5.0)
    close(g, 10.0)
    with pytest.raises(RuntimeError, match="The output of the user-provided function is "
                       "independent of input 1. This is not allowed in strict mode."):
        jvp(f_unused, (x2(), y3()), v, strict=True)
    _, g = jvp(lambda x: gradgpu.ones(2, dtype=F64), x2(), t([1.0, 1.0]))
    close(g, [0.0, 0.0])


# ---------------------------------------------------------------- jacobian

def test_jacobian_single_in_single_out():
    J = jacobian(f_exp, X22())
    assert isinstance(J, gradgpu.Tensor) and tuple(J.shape) == (2, 2, 2, 2)
    e = np.array(EXP22).reshape(-1)
    close(J, np.diag(e).reshape(2, 2, 2, 2))
    assert not J.requires_grad
    Jv = jacobian(f_cube, x2())
    assert tuple(Jv.shape) == (2,)
    close(Jv, [3.0, 12.0])


def test_jacobian_tuple_input_single_output():
    J = jacobian(f_exp, (X22(),))
    assert isinstance(J, tuple) and len(J) == 1 and tuple(J[0].shape) == (2, 2, 2, 2)


def test_jacobian_tuples_layout_and_values():
    J = jacobian(f_two, (x2(), y3()))
    assert isinstance(J, tuple) and len(J) == 2
    assert all(isinstance(row, tuple) and len(row) == 2 for row in J)
    assert [tuple(J[i][j].shape) for i in range(2) for j in range(2)] == \
        [(2, 2), (2, 3), (2,), (3,)]
    close(J[0][0], [[0.479425538604203, 0.0], [0.0, 0.479425538604203]])
    close(J[0][1], [[0.8775825618903728, 0.0, 0.0], [1.7551651237807455, 0.0, 0.0]])
    close(J[1][0], [3.5, 5.5])
    close(J[1][1], [3.0, 3.0, 3.0])


def test_jacobian_tuple_output_single_input():
    J = jacobian(lambda x: (x * 2, (x ** 2).sum()), x2())
    assert isinstance(J, tuple) and len(J) == 2
    assert isinstance(J[0], gradgpu.Tensor)
    close(J[0], [[2.0, 0.0], [0.0, 2.0]])
    close(J[1], [2.0, 4.0])


def test_jacobian_unused_input_zeros_and_strict():
    J = jacobian(f_unused, (x2(), y3()))
    close(J[0], [2.0, 4.0])
    close(J[1], [0.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                       "independent of input 1. This is not allowed in strict mode."):
        jacobian(f_unused, (x2(), y3()), strict=True)


def test_jacobian_strict_create_graph_linear():
    with pytest.raises(RuntimeError, match="The jacobian of the user-provided function is "
                       "independent of input 0. This is not allowed in strict mode when "
                       "create_graph=True."):
        jacobian(f_linear, (x2(), y3()), create_graph=True, strict=True)


def test_jacobian_create_graph_then_differentiate():
    x = t([1.0, 2.0], True)
    J = jacobian(lambda v: v ** 3, x, create_graph=True)
    assert J.requires_grad
    (g,) = gradgpu.autograd.grad(J.sum(), x)
    close(g, [6.0, 12.0])
    assert x.grad is None


def test_jacobian_vectorize_falls_back_and_strategy():
    J = jacobian(f_two, (x2(), y3()), vectorize=True)
    close(J[1][0], [3.5, 5.5])
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not "
                       "supported together"):
        jacobian(f_two, (x2(), y3()), vectorize=True, strict=True)
    with pytest.raises(NotImplementedError, match="forward-mode"):
        jacobian(f_exp, X22(), strategy="forward-mode")
    with pytest.raises(AssertionError, match="Expected strategy to be either"):
        jacobian(f_exp, X22(), strategy="sideways")


# ---------------------------------------------------------------- hessian

H_F_HESS = (([[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0, 0.0], [4.0, 0.0, 0.0]]),
            ([[2.0, 4.0], [0.0, 0.0], [0.0, 0.0]],
             [[3.0, 0.0, 0.0], [0.0, -6.0, 0.0], [0.0, 0.0, 12.0]]))


def test_hessian_single_input():
    H = hessian(f_cube, x2())
    assert isinstance(H, gradgpu.Tensor) and tuple(H.shape) == (2, 2)
    close(H, [[6.0, 0.0], [0.0, 12.0]])
    assert not H.requires_grad
    Ht = hessian(f_cube, (x2(),))
    assert isinstance(Ht, tuple) and isinstance(Ht[0], tuple) and len(Ht[0]) == 1
    close(Ht[0][0], [[6.0, 0.0], [0.0, 12.0]])


def test_hessian_two_inputs():
    H = hessian(f_hess, (x2(), y3()))
    assert isinstance(H, tuple) and len(H) == 2 and all(len(row) == 2 for row in H)
    assert [tuple(H[i][j].shape) for i in range(2) for j in range(2)] == \
        [(2, 2), (2, 3), (3, 2), (3, 3)]
    for i in range(2):
        for j in range(2):
            close(H[i][j], H_F_HESS[i][j])


def test_hessian_matrix_input_shape():
    H = hessian(lambda X: (X ** 3).sum(), X22())
    assert tuple(H.shape) == (2, 2, 2, 2)
    close(H, np.diag([6.0, 12.0, 18.0, -6.0]).reshape(2, 2, 2, 2))


def test_hessian_create_graph_then_differentiate():
    x, y = t([1.0, 2.0], True), t([0.5, -1.0, 2.0], True)
    H = hessian(f_hess, (x, y), create_graph=True)
    total = H[0][0].sum() + H[0][1].sum() + H[1][0].sum() + H[1][1].sum()
    gx, gy = gradgpu.autograd.grad(total, (x, y))
    close(gx, [4.0, 4.0])
    close(gy, [10.0, 6.0, 6.0])
    assert x.grad is None and y.grad is None


def test_hessian_unused_and_strict():
    H = hessian(f_unused, (x2(), y3()))
    close(H[0][0], [[2.0, 0.0], [0.0, 2.0]])
    close(H[0][1], np.zeros((2, 3)))
    close(H[1][1], np.zeros((3, 3)))
    with pytest.raises(RuntimeError, match="While computing the hessian, found that the "
                       "jacobian of the user-provided function with respect to input 1 is "
                       "independent of the input."):
        hessian(f_unused, (x2(), y3()), strict=True)
    with pytest.raises(RuntimeError, match="While computing the hessian, found that the "
                       "jacobian of the user-provided function with respect to input 0 is "
                       "independent of the input."):
        hessian(f_linear, (x2(), y3()), strict=True)


def test_hessian_argument_checks():
    with pytest.raises(RuntimeError, match="The Tensor returned by the function given to "
                       "hessian should contain a single element"):
        hessian(f_exp, X22())
    with pytest.raises(RuntimeError, match="The function given to hessian should return a "
                       "single Tensor"):
        hessian(lambda x: (x.sum(), x.sum()), x2())


# ---------------------------------------------------------------- vhp / hvp

@pytest.mark.parametrize("fn", [vhp, hvp])
def test_vhp_hvp_two_inputs(fn):
    out, r = fn(f_hess, (x2(), y3()), (t([1.0, -2.0]), t([0.5, 1.0, 2.0])))
    close(out, 9.625)
    assert isinstance(r, tuple) and len(r) == 2
    close(r[0], [2.0, 0.0])
    close(r[1], [-4.5, -6.0, 24.0])
    assert not out.requires_grad and not r[0].requires_grad


@pytest.mark.parametrize("fn", [vhp, hvp])
def test_vhp_hvp_single(fn):
    out, r = fn(f_cube, x2(), t([1.0, -2.0]))
    close(out, 9.0)
    close(r, [6.0, -24.0])
    out, r = fn(f_cube, t([3.0]))
    close(r, [18.0])


@pytest.mark.parametrize("fn", [vhp, hvp])
def test_vhp_hvp_create_graph(fn):
    x = t([1.0, 2.0], True)
    _, r = fn(f_cube, x, t([1.0, -2.0]), create_graph=True)
    assert r.requires_grad
    (g,) = gradgpu.autograd.grad(r.sum(), x)
    close(g, [6.0, -12.0])
    assert x.grad is None


@pytest.mark.parametrize("fn", [vhp, hvp])
def test_vhp_hvp_unused_strict_and_checks(fn):
    v = (t([1.0, -2.0]), t([0.5, 1.0, 2.0]))
    _, r = fn(f_unused, (x2(), y3()), v)
    close(r[0], [2.0, -4.0])
    close(r[1], [0.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="independent of input 1. This is not allowed in "
                       "strict mode."):
        fn(f_unused, (x2(), y3()), v, strict=True)
    with pytest.raises(RuntimeError, match="While computing the hessian, found that the "
                       "jacobian"):
        fn(f_linear, (x2(), y3()), v, strict=True)
    name = fn.__name__
    with pytest.raises(RuntimeError, match=f"The function given to {name} should return a "
                       "single Tensor"):
        fn(lambda x: (x.sum(),), x2(), t([1.0, 1.0]))
    with pytest.raises(RuntimeError, match=f"The Tensor returned by the function given to "
                       f"{name} should contain a single element"):
        fn(f_exp, x2(), t([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the "
                       "user-provided function is a single Tensor with a single element."):
        fn(f_cube, x2())


# ---------------------------------------------------------------- user inputs untouched

def test_user_inputs_and_grad_untouched():
    x, y = t([1.0, 2.0], True), t([0.5, -1.0, 2.0], True)
    x.grad = t([7.0, 7.0])
    before = (x.detach().numpy().copy(), y.detach().numpy().copy())
    vjp(f_two, (x, y), (t([1.0, 2.0]), t(3.0)))
    jvp(f_two, (x, y), (t([1.0, 2.0]), t([1.0, 0.0, -1.0])))
    jacobian(f_two, (x, y))
    hessian(f_hess, (x, y))
    vhp(f_hess, (x, y), (t([1.0, -2.0]), t([0.5, 1.0, 2.0])))
    hvp(f_hess, (x, y), (t([1.0, -2.0]), t([0.5, 1.0, 2.0])), create_graph=True)
    np.testing.assert_array_equal(x.detach().numpy(), before[0])
    np.testing.assert_array_equal(y.detach().numpy(), before[1])
    close(x.grad, [7.0, 7.0])
    assert y.grad is None
    assert x.requires_grad and y.requires_grad and x.is_leaf and y.is_leaf


def test_works_under_no_grad():
    with gradgpu.no_grad():
        out, g = vjp(f_cube, x2())
        J = jacobian(f_cube, x2())
        _, jv = jvp(f_exp, X22(), gradgpu.ones(2, 2, dtype=F64))
    close(g, [3.0, 12.0])
    close(J, [3.0, 12.0])
    close(jv, EXP22)


def test_exposed_as_autograd_attribute():
    assert gradgpu.autograd.functional.jacobian is jacobian
    assert gradgpu.autograd.functional.hvp is hvp
