"""xlogy, logaddexp, logit, nan_to_num, fmax/fmin, sinc, copysign, nextafter, the inverse
hyperbolic functions, erfc/erfinv/i0/i1/ndtr/log_ndtr, the bool/integer ops (signbit, heaviside,
gcd, lcm, isin, ...) and gradgpu.special against PyTorch: values and float64 gradients at the
special points (0, NaN, inf, ties), result dtypes, and argument errors. Expected values were
computed with PyTorch 2.13 (CPU) or mpmath (40 digits) and are hard-coded here; smooth-region
values and gradcheck/gradgradcheck are in tests/op_db/math_additions.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
import gradgpu.special
from gradgpu.autograd import gradcheck, gradgradcheck

NAN = float("nan")
INF = float("inf")


def _values_and_grads(fn, device, *inputs):
    """fn's float64 value and the gradients of sum(y) (a ones gradient: no inf - inf sums)."""
    ts = [gradgpu.tensor(v, dtype=gradgpu.float64, device=device, requires_grad=True)
          for v in inputs]
    y = fn(*ts)
    y.backward(gradgpu.ones_like(y))
    return [y.detach().cpu().numpy()] + [t.grad.cpu().numpy() for t in ts]


def _assert_same(got, want, rtol=1e-12):
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, np.array(w, dtype=np.float64), rtol=rtol, atol=0)


A = [0.0, 0.0, 1.0, 2.0, 0.0, -1.0, NAN, 3.0]
B = [0.0, NAN, 0.0, 3.0, INF, 2.0, 1.0, -1.0]
L = [0.0, 0.1, 0.5, 1.0, 1.5, -0.2]
F1, F2 = [1.0, NAN, 2.0, NAN, 3.0], [1.0, 1.0, NAN, NAN, 4.0]
LAE = ([INF, -INF, 1.0, 1.0, 800.0], [INF, -INF, 1.0, INF, 790.0])
SPECIAL_POINTS = [  # (name, fn, inputs, [y, d input_0, d input_1...]) from PyTorch
    ("xlogy", gradgpu.xlogy, (A, B), [
        [0.0, NAN, -INF, 2.1972245773362196, 0.0, -0.6931471805599453, NAN, NAN],
        [0.0, NAN, -INF, 1.0986122886681098, INF, 0.6931471805599453, 0.0, NAN],
        [NAN, NAN, INF, 0.6666666666666666, 0.0, -0.5, NAN, -3.0]]),
    ("xlog1py", gradgpu.special.xlog1py,
     ([0.0, 0.0, 0.0, 2.0, 0.0, 0.0], [-1.0, 0.0, -0.5, -0.3, -2.0, NAN]), [
         [0.0, 0.0, 0.0, -0.7133498878774647, 0.0, NAN],
         [0.0, 0.0, -0.6931471805599453, -0.35667494393873234, 0.0, NAN],
         [NAN, 0.0, 0.0, 2.857142857142857, -0.0, NAN]]),
    ("logaddexp", gradgpu.logaddexp, LAE, [
        [INF, -INF, 1.6931471805599454, INF, 800.0000453988993],
        [NAN, NAN, 0.5, 0.0, 0.9999546021312976],
        [NAN, NAN, 0.5, 1.0, 4.5397868702434395e-05]]),
    ("logaddexp2", gradgpu.logaddexp2, LAE, [
        [INF, -INF, 2.0, INF, 800.0014081943928],
        [NAN, NAN, 0.5, 0.0, 0.9990243902439024],
        [NAN, NAN, 0.5, 1.0, 0.000975609756097561]]),
    ("logit", gradgpu.logit, (L,), [
        [-INF, -2.197224577336219, 0.0, INF, NAN, NAN],
        [INF, 11.111111111111109, 4.0, INF, NAN, NAN]]),
    ("logit_eps", lambda t: gradgpu.logit(t, eps=0.1), (L,), [
        [-2.197224577336219, -2.197224577336219, 0.0, 2.1972245773362196, 2.1972245773362196,
         -2.197224577336219],
        [0.0, 11.111111111111109, 4.0, 0.0, 0.0, 0.0]]),
    ("fmax", gradgpu.fmax, (F1, F2), [
        [1.0, 1.0, 2.0, NAN, 4.0], [1.0, 0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0, 1.0]]),
    ("fmin", gradgpu.fmin, (F1, F2), [
        [1.0, 1.0, 2.0, NAN, 3.0], [1.0, 0.0, 1.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0, 0.0]]),
    ("sinc", gradgpu.sinc, ([0.0, 1e-20, 0.5, 1.0, -2.5],), [
        [1.0, 1.0, 0.6366197723675814, 3.8981718325193755e-17, 0.12732395447351627],
        [0.0, 0.0, -1.2732395447351625, -1.0, 0.05092958178940638]]),
    ("sinc_tiny", gradgpu.sinc, ([1e-300, -1e-170, 1e-160],), [  # pi x^2 underflows: slope 0
        [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]),
    ("copysign", gradgpu.copysign,
     ([0.0, -0.0, 2.0, -3.0, NAN, INF], [-1.0, 1.0, -0.0, NAN, -1.0, -2.0]), [
         [-0.0, 0.0, -2.0, 3.0, NAN, -INF], [0.0, 0.0, -1.0, -1.0, NAN, NAN],
         [0.0] * 6]),
    ("nextafter", gradgpu.nextafter, ([0.0, 2.0, 3.0], [-0.0, 2.0, 1.0]), [
        [-0.0, 2.0, 2.9999999999999996], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),
    ("nan_to_num", gradgpu.nan_to_num, ([NAN, INF, -INF, 1.0],), [
        [0.0, 1.7976931348623157e308, -1.7976931348623157e308, 1.0], [0.0, 0.0, 0.0, 1.0]]),
    ("atanh", gradgpu.atanh, ([0.5, 1.0, -1.0, 2.0],), [
        [0.5493061443340548, INF, -INF, NAN], [1.3333333333333333, INF, INF, -1 / 3]]),
    ("acosh", gradgpu.acosh, ([1.0, 2.0, 0.5],), [
        [0.0, 1.3169578969248166, NAN], [INF, 0.5773502691896258, NAN]]),
]


@pytest.mark.parametrize("name,fn,inputs,want", SPECIAL_POINTS,
                         ids=[c[0] for c in SPECIAL_POINTS])
def test_values_and_gradients_at_special_points(name, fn, inputs, want, device):
    _assert_same(_values_and_grads(fn, device, *inputs), want)


def test_signed_zero_results_keep_their_sign(device):
    y = gradgpu.copysign(gradgpu.tensor([0.0, 2.0]).to(device), -0.0).cpu().numpy()
    assert np.signbit(y).tolist() == [True, True]
    s = gradgpu.signbit(gradgpu.tensor([-0.0, 0.0, -1.0, NAN, -NAN]).to(device))
    assert s.tolist() == [True, False, True, False, True]


# ---- special functions: accuracy against mpmath -------------------------------------------
ERFINV = ([0.3, -0.75, 1 - 2.0 ** -52, 1e-300, 0.999999],
          [0.2724627147267543, -0.8134198475976185, 5.805018683193453, 8.86226925452758e-301,
           3.458910737275499])
ERFC = ([-1.5, 0.2, 5.0, 26.0],
        [1.9661051464753108, 0.7772974107895215, 1.537459794428035e-12, 5.663192408856143e-296])


@pytest.mark.parametrize("fn,data", [(gradgpu.erfinv, ERFINV), (gradgpu.erfc, ERFC)],
                         ids=["erfinv", "erfc"])
def test_float64_within_a_few_ulp_of_mpmath(fn, data, device):
    x, want = (np.array(v) for v in data)
    got = fn(gradgpu.tensor(x).to(device)).cpu().numpy()
    assert np.all(np.abs(got - want) <= 4 * np.spacing(np.abs(want))), got - want


def test_erfinv_float32_rounds_correctly_and_inverts_erf(device):
    y = np.linspace(-0.999, 0.999, 2001)
    got = gradgpu.erfinv(gradgpu.tensor(y.astype(np.float32)).to(device))
    assert got.dtype == gradgpu.float32
    # erf of the float64 result, to float64 rounding, gives back the input
    back = gradgpu.erf(gradgpu.erfinv(gradgpu.tensor(y).to(device))).cpu().numpy()
    np.testing.assert_allclose(back, y, rtol=0, atol=3e-16)
    # float32: the float64 value rounded once (within half an ulp of the float64 result)
    exact = gradgpu.erfinv(gradgpu.tensor(y.astype(np.float32).astype(np.float64)).to(device))
    exact = exact.cpu().numpy()
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got.cpu().numpy() - exact) / ulp) <= 0.5 + 1e-6


def test_erfinv_edges(device):
    y = gradgpu.erfinv(gradgpu.tensor([1.0, -1.0, 1.5, NAN, 0.0, -0.0]).to(device))
    np.testing.assert_array_equal(y.cpu().numpy(), [INF, -INF, NAN, NAN, 0.0, -0.0])


def test_bessel_and_normal_functions_match_pytorch(device):
    def f(fn, x):
        return fn(gradgpu.tensor(x, dtype=gradgpu.float64).to(device)).cpu().numpy()

    np.testing.assert_allclose(f(gradgpu.i0, [0.0, 1.0, -3.0, 50.0]),
                               [1.0, 1.2660658777520082, 4.880792585865024,
                                2.9325537838493355e20], rtol=1e-14)
    np.testing.assert_allclose(f(gradgpu.special.i1, [1.0, -3.0, 50.0, 800.0]),
                               [0.5651591039924851, -3.9533702174026093,
                                2.9030785901035566e20, INF], rtol=1e-14)
    np.testing.assert_allclose(f(gradgpu.special.log_ndtr, [-40.0, -5.0, 0.0, 3.0]),
                               [-804.6084420137539, -15.064998393988727, -0.6931471805599453,
                                -0.0013508099647481923], rtol=1e-14)
    far = gradgpu.tensor([-1e300, -1e200, -40.0], dtype=gradgpu.float64,
                         device=device, requires_grad=True)
    y = gradgpu.special.log_ndtr(far)  # x^2 overflows: -inf without a NumPy warning
    y.sum().backward()
    np.testing.assert_allclose(y.detach().cpu().numpy(), [-INF, -INF, -804.6084420137539],
                               rtol=1e-14)
    np.testing.assert_allclose(far.grad.cpu().numpy(), [1e300, 1e200, 40.024968847212364],
                               rtol=1e-12)
    np.testing.assert_allclose(f(gradgpu.special.erfcx, [-30.0, -1.0, 0.3, 100.0]),
                               [INF, 5.008980080762283, 0.7345993345676554,
                                0.005641613782989433], rtol=1e-14)


def test_i0_gradient_is_i1_and_twice_differentiable(device):
    x = gradgpu.tensor([-2.5, 0.0, 0.7, 3.0], dtype=gradgpu.float64,
                       device=device, requires_grad=True)
    assert gradcheck(gradgpu.i0, (x,)) and gradgradcheck(gradgpu.i0, (x,))
    assert gradcheck(gradgpu.special.i1, (x,))


# ---- dtypes -------------------------------------------------------------------------------
INTS = gradgpu.tensor([1, 2, 3])
HALF = gradgpu.tensor([0.5, 1.0, 2.0], dtype=gradgpu.float16)
DTYPES = [  # (expression, PyTorch's result dtype)
    (lambda: gradgpu.xlogy(INTS, INTS), gradgpu.float32),
    (lambda: gradgpu.xlogy(2, INTS), gradgpu.float32),
    (lambda: gradgpu.xlogy(HALF, 3.5), gradgpu.float16),
    (lambda: gradgpu.xlogy(HALF, INTS), gradgpu.float16),
    (lambda: gradgpu.logaddexp(HALF, gradgpu.tensor([1.0])), gradgpu.float32),
    (lambda: gradgpu.fmax(INTS, gradgpu.tensor([1.5, 1.0, 0.0])), gradgpu.float32),
    (lambda: gradgpu.fmax(INTS, INTS), gradgpu.int64),
    (lambda: gradgpu.exp2(INTS), gradgpu.float32),
    (lambda: gradgpu.logit(INTS), gradgpu.float32),
    (lambda: gradgpu.sinc(INTS), gradgpu.float32),
    (lambda: gradgpu.deg2rad(HALF), gradgpu.float16),
    (lambda: gradgpu.float_power(INTS, 2), gradgpu.float64),
    (lambda: gradgpu.float_power(2, HALF), gradgpu.float64),
    (lambda: gradgpu.ldexp(INTS, INTS), gradgpu.float32),
    (lambda: gradgpu.ldexp(HALF, INTS), gradgpu.float16),  # integer exponents keep the dtype
    (lambda: gradgpu.ldexp(gradgpu.tensor(1.0, dtype=gradgpu.float64), INTS), gradgpu.float64),
    (lambda: gradgpu.copysign(INTS, -1), gradgpu.float32),
    (lambda: gradgpu.copysign(HALF, gradgpu.tensor([-1.0], dtype=gradgpu.float64)),
     gradgpu.float64),
    (lambda: gradgpu.nan_to_num(INTS), gradgpu.int64),
    (lambda: gradgpu.sgn(INTS), gradgpu.int64),
    (lambda: gradgpu.fix(INTS), gradgpu.int64),
    (lambda: gradgpu.erfinv(INTS), gradgpu.float32),
    (lambda: gradgpu.i0(HALF), gradgpu.float16),
    (lambda: gradgpu.gcd(INTS.to(gradgpu.int32), INTS), gradgpu.int64),
    (lambda: gradgpu.heaviside(INTS, gradgpu.tensor([7])), gradgpu.int64),
    (lambda: gradgpu.isin(INTS, 2), gradgpu.bool),
    (lambda: gradgpu.isposinf(INTS), gradgpu.bool),
]


@pytest.mark.parametrize("case", range(len(DTYPES)))
def test_result_dtypes_follow_pytorch(case):
    fn, want = DTYPES[case]
    assert fn().dtype == want


def test_ldexp_scales_exactly_with_integer_exponents(device):
    def t(v, dtype):
        return gradgpu.tensor(v, dtype=dtype).to(device)

    # PyTorch 2.13: 2^b does not overflow (or round the input) before the scaling
    assert gradgpu.ldexp(t([1e-4], gradgpu.float16), t([20], gradgpu.int64)).tolist() == [
        104.875]
    assert gradgpu.ldexp(t([1e-30], gradgpu.float32), t([200], gradgpu.int64)).item() == (
        float(np.float32(1e-30)) * 2.0 ** 200)
    got = gradgpu.ldexp(t(1.0000000001, gradgpu.float64), t([1, 2], gradgpu.int64))
    assert got.dtype == gradgpu.float64 and got.tolist() == [2.0000000002, 4.0000000004]


def test_integer_and_bool_ops_match_pytorch(device):
    def t(v, **kw):
        return gradgpu.tensor(v, **kw).to(device)

    assert gradgpu.gcd(t([12, -18, 0]), t([8, 12, 0])).tolist() == [4, 6, 0]
    assert gradgpu.lcm(t([12, -18, 0]), t([8, 12, 5])).tolist() == [24, 36, 0]
    assert gradgpu.heaviside(t([-1.0, 0.0, NAN, 2.0]), t(0.5)).tolist() == [0.0, 0.5, 0.0, 1.0]
    assert gradgpu.isin(t([[1, 2], [3, 4]]), t([2, 3]), invert=True).tolist() == [
        [True, False], [False, True]]
    assert gradgpu.isin(2, t([1, 2, 3])).tolist() is True
    assert gradgpu.isin(t([1.0, NAN]), t([NAN, 1.0])).tolist() == [True, False]
    assert gradgpu.isneginf(t([-INF, INF, 1.0])).tolist() == [True, False, False]
    assert gradgpu.isreal(t([1.0, NAN])).tolist() == [True, True]
    assert gradgpu.signbit(t([-1, 0])).tolist() == [True, False]
    assert gradgpu.sgn(t([True, False])).tolist() == [True, False]
    assert gradgpu.nan_to_num(t([NAN, INF, -INF], dtype=gradgpu.float16)).tolist() == [
        0.0, 65504.0, -65504.0]
    x = t([1.0, 2.0])
    assert gradgpu.positive(x) is x


def test_tensor_methods_and_aliases():
    x = gradgpu.tensor([0.25, 0.5])
    assert x.xlogy(2.0).allclose(x * math.log(2.0))
    assert x.arctanh().allclose(x.atanh()) and x.arcsinh().allclose(gradgpu.asinh(x))
    assert (x + 1).arccosh().allclose(gradgpu.acosh(x + 1))
    assert x.erfinv().erf().allclose(x) and x.erfc().allclose(1 - x.erf())
    assert gradgpu.special.expit(x).allclose(x.sigmoid())
    assert gradgpu.special.ndtr(gradgpu.tensor([0.0])).tolist() == [0.5]
    assert gradgpu.special.softmax(x, 0).allclose(gradgpu.softmax(x, 0))
    rounded = gradgpu.special.round(gradgpu.tensor([1.25]), decimals=1)
    assert rounded.tolist() == [np.float32(1.2).item()]


# ---- errors -------------------------------------------------------------------------------
ERRORS = [
    (lambda: gradgpu.logaddexp(INTS, INTS), NotImplementedError,
     "\"logaddexp\" not implemented for 'Long'"),
    (lambda: gradgpu.logaddexp(gradgpu.tensor([1.0]), 3.0), TypeError,
     r"logaddexp\(\): argument 'other' \(position 2\) must be Tensor, not float"),
    (lambda: gradgpu.fmax(gradgpu.tensor([1.0]), 2.0), TypeError, "must be Tensor, not float"),
    (lambda: gradgpu.xlogy(2, 3), TypeError, "at least one Tensor"),
    (lambda: gradgpu.xlogy(gradgpu.ones(2), gradgpu.ones(3)), RuntimeError,
     r"xlogy.*\(2\).*\(3\)|size of tensor a \(2\) must match"),
    (lambda: gradgpu.gcd(gradgpu.tensor([12.0]), gradgpu.tensor([8.0])), NotImplementedError,
     "\"gcd\" not implemented for 'Float'"),
    (lambda: gradgpu.gcd(gradgpu.tensor([True]), gradgpu.tensor([True])), NotImplementedError,
     "'Bool'"),
    (lambda: gradgpu.gcd(INTS, 8), TypeError, "'other' \\(position 2\\) must be Tensor, not int"),
    (lambda: gradgpu.nextafter(INTS, INTS), NotImplementedError, "'Long'"),
    (lambda: gradgpu.heaviside(gradgpu.tensor([1.0]), gradgpu.tensor([7])), RuntimeError,
     "heaviside is not yet implemented for tensors with different dtypes"),
    (lambda: gradgpu.positive(gradgpu.tensor([True])), RuntimeError,
     "The `\\+` operator, on a bool tensor is not supported"),
    (lambda: gradgpu.isin(2, 3), TypeError, "at least one Tensor"),
    (lambda: gradgpu.copysign(2, gradgpu.tensor([1.0])), TypeError,
     "'input' \\(position 1\\) must be Tensor"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_follow_pytorch(case):
    fn, exc, match = ERRORS[case]
    with pytest.raises(exc, match=match):
        fn()


# ---- lgamma, digamma, polygamma (values from mpmath; PyTorch's trigamma is off by ~1e-10) ----
GAMMA_X = [1.0, 2.0, 0.5, -2.5, 1e-8, 30.0, -0.5]
GAMMA_POINTS = [  # (fn, x, [y, dy/dx])
    (gradgpu.lgamma, GAMMA_X, [
        [0.0, 0.0, 0.5723649429247001, -0.056243716497674054, 18.42068073818021,
         71.25703896716801, 1.2655121234846454],
        [-0.5772156649015329, 0.42278433509846713, -1.9635100260214235, 1.103156640645243,
         -100000000.57721564, 3.384438132685525, 0.03648997397857652]]),
    (gradgpu.digamma, GAMMA_X, [
        [-0.5772156649015329, 0.42278433509846713, -1.9635100260214235, 1.103156640645243,
         -100000000.57721564, 3.384438132685525, 0.03648997397857652],
        [1.6449340668482264, 0.6449340668482264, 4.934802200544679, 9.539246644989124,
         1.0000000000000002e16, 0.033895060357739946, 8.934802200544679]]),
    (lambda t: gradgpu.polygamma(2, t), [0.5, 3.0, 25.0], [
        [-16.82879664423432, -0.15411380631918858, -0.001665279318422468],
        [97.40909103400244, 0.11893940226682916, 0.0001358846365082737]]),
    # x < 0 (n >= 2 by reflection; PyTorch 2.13 loses digits here for large n)
    (lambda t: gradgpu.polygamma(2, t), [-0.5, -2.5, -0.3, -7.9, -50.5], [
        [-0.82879664423432, -0.1082040516417274, 67.63908119988317, -1998.6737828651746,
         -0.00038443056696236074],
        [193.40909103400244, 194.74787621918762, 766.6198904191685, 60014.24854014009,
         194.81816699374488]]),
    (lambda t: gradgpu.polygamma(10, t), [-0.5, -2.5, -0.3, -7.9, -50.5], [
        [-42108.85876897549, -4.026693041232995, 2048284690148.2026, -3.628799999897203e17,
         -3.0429628212571392e-12],
        [326998733934.7588, 326999042257.0655, 75113385410365.47, 3.991680000015578e19,
         326999042269.5176]]),
]


@pytest.mark.parametrize("case", range(len(GAMMA_POINTS)))
def test_gamma_functions_and_gradients_match_mpmath(case, device):
    fn, x, want = GAMMA_POINTS[case]
    _assert_same(_values_and_grads(fn, device, x), want, rtol=2e-14)


def test_gamma_function_edges_follow_pytorch(device):
    x = gradgpu.tensor([0.0, -0.0, -1.0, INF, -INF, NAN]).to(device)
    np.testing.assert_array_equal(gradgpu.lgamma(x).cpu().numpy(),
                                  [INF, INF, INF, INF, INF, NAN])
    np.testing.assert_array_equal(gradgpu.digamma(x).cpu().numpy(),
                                  [-INF, INF, NAN, INF, NAN, NAN])
    for n, sign in ((2, -INF), (3, INF)):  # the poles 0, -1, ... and -inf, as PyTorch
        np.testing.assert_array_equal(
            gradgpu.polygamma(n, gradgpu.tensor([0.0, -0.0, -1.0, -4.0, -INF]).to(device))
            .cpu().numpy(), [sign] * 5)
    y = gradgpu.lgamma(gradgpu.tensor([1, 2]).to(device))
    assert y.dtype == gradgpu.float32 and y.tolist() == [0.0, 0.0]


def test_gamma_aliases_and_mvlgamma():
    x = gradgpu.tensor([2.5, 3.0], dtype=gradgpu.float64)
    want = [1.8809954616117743, 2.694924879806965]  # PyTorch's mvlgamma(x, 3)
    np.testing.assert_allclose(gradgpu.mvlgamma(x, 3).numpy(), want, rtol=1e-14)
    np.testing.assert_allclose(gradgpu.special.multigammaln(x, 3).numpy(), want, rtol=1e-14)
    assert gradgpu.special.gammaln(x).allclose(x.lgamma())
    assert gradgpu.special.psi(x).allclose(x.digamma())
    assert x.polygamma(1).allclose(gradgpu.special.polygamma(1, x))


@pytest.mark.parametrize("fn,exc,match", [
    (lambda: gradgpu.polygamma(-1, gradgpu.ones(2)), RuntimeError,
     r"polygamma\(n, x\) does not support negative n"),
    (lambda: gradgpu.polygamma(1.5, gradgpu.ones(2)), TypeError,
     r"argument 'n' \(position 1\) must be int, not float"),
    (lambda: gradgpu.mvlgamma(gradgpu.ones(2), 0), RuntimeError,
     "p has to be greater than or equal to 1"),
], ids=["negative_n", "float_n", "p_zero"])
def test_gamma_errors_follow_pytorch(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()
