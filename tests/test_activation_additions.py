"""selu, celu, softsign, tanhshrink, hardsigmoid, hardswish, threshold, glu, prelu,
cosine_similarity and pairwise_distance (functions and modules) against PyTorch: values and
float64 gradients (kinks, NaN/inf, in-place forms), dtypes, argument errors, module reprs, and
gradcheck/gradgradcheck away from the kinks. Expected values were computed with PyTorch 2.13 (CPU)
and are hard-coded here."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F
from gradgpu.autograd import gradcheck, gradgradcheck

NAN = float("nan")
INF = float("inf")
X = [-4.0, -3.0, -1.0, -0.25, 0.0, 0.5, 2.0, 3.0, 4.5]
W = [1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 1.5, 2.5, -0.5]
X0 = [-1.0, 0.5, 2.0, -3.0, 7.0]
W0 = [1.0, 2.0, 3.0, 4.0, 5.0]
# PyTorch's CPU hardsigmoid backward multiplies by float(1/6) in every dtype (0.16666667163...);
# gradgpu's float64 gradient is 1/6 itself, so those gradients agree to float32 precision
RTOL_HARDSIGMOID_GRAD = 1e-7

POINTWISE = [  # (name, kwargs, y, d(sum(y * W))/dx) at X
    ('selu', {},
     [-1.7258986281898945, -1.6705687287671118, -1.1113307378125625, -0.388890197478119, 0.0,
     0.5253504936777402, 2.101401974710961, 3.1521029620664414, 4.728154443099662],
     [0.03220071265748214, 0.17506122416052974, -0.646768603034814, 0.6846045716846288,
     5.27429802254213, -2.101401974710961, 1.5760514810332207, 2.626752468388701,
     -0.5253504936777402]),
    ('celu', {},
     [-0.9816843611112658, -0.950212931632136, -0.6321205588285577, -0.22119921692859512, 0.0, 0.5,
     2.0, 3.0, 4.5],
     [0.01831563888873418, 0.09957413673572789, -0.36787944117144233, 0.38940039153570244, 3.0,
     -2.0, 1.5, 2.5, -0.5]),
    ('celu', {'alpha': 2.0},
     [-1.7293294335267746, -1.5537396797031404, -0.7869386805747332, -0.2350061948308092, 0.0, 0.5,
     2.0, 3.0, 4.5],
     [0.1353352832366127, 0.44626032029685964, -0.6065306597126334, 0.4412484512922977, 3.0, -2.0,
     1.5, 2.5, -0.5]),
    ('softsign', {},
     [-0.8, -0.75, -0.5, -0.2, 0.0, 0.3333333333333333, 0.6666666666666666, 0.75,
     0.8181818181818182],
     [0.04000000000000001, 0.125, -0.25, 0.32, 3.0, -0.8888888888888888, 0.16666666666666669,
     0.15625, -0.01652892561983471]),
    ('tanhshrink', {},
     [-3.000670700260933, -2.0049452463132695, -0.23840584404423515, -0.005081337596290869, 0.0,
     0.03788284273999026, 1.035972419924183, 2.0049452463132695, 3.5002467891519724],
     [0.9986590493169741, 1.9802679256691196, -0.5800256583859739, 0.02999257559681101, 0.0,
     -0.4271045340681452, 1.3940237627202534, 2.4753349070863995, -0.4997532413004703]),
    ('hardsigmoid', {},
     [0.0, 0.0, 0.3333333333333333, 0.4583333333333333, 0.5, 0.5833333333333334,
     0.8333333333333334, 1.0, 1.0],
     [0.0, 0.0, -0.1666666716337204, 0.0833333358168602, 0.5000000149011612, -0.3333333432674408,
     0.2500000074505806, 0.0, 0.0]),
    ('hardswish', {},
     [-0.0, -0.0, -0.3333333333333333, -0.11458333333333333, 0.0, 0.2916666666666667,
     1.6666666666666667, 3.0, 4.5],
     [0.0, 0.0, -0.16666666666666669, 0.20833333333333334, 1.5, -1.3333333333333333,
     1.7499999999999998, 2.5, -0.5]),
    ('threshold', {'threshold': 0.5, 'value': -2.0},
     [-2.0, -2.0, -2.0, -2.0, -2.0, -2.0, 2.0, 3.0, 4.5],
     [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5, 2.5, -0.5]),
    ('threshold', {'threshold': -1.0, 'value': 7.5},
     [7.5, 7.5, 7.5, -0.25, 0.0, 0.5, 2.0, 3.0, 4.5],
     [0.0, 0.0, 0.0, 0.5, 3.0, -2.0, 1.5, 2.5, -0.5]),
]
SPECIAL = [  # (name, kwargs, y, dy/dx) at NaN, inf, -inf
    ('selu', {},
     [NAN, INF, -1.7580993408473766], [1.0507009873554805, 1.0507009873554805, 0.0]),
    ('celu', {'alpha': 2.0},
     [NAN, INF, -2.0], [1.0, 1.0, 0.0]),
    ('hardsigmoid', {},
     [NAN, 1.0, 0.0], [0.0, 0.0, 0.0]),
    ('hardswish', {},
     [NAN, INF, NAN], [1.0, 1.0, 0.0]),
    ('threshold', {'threshold': 0.5, 'value': -2.0},
     [NAN, INF, -2.0], [1.0, 1.0, 0.0]),
    ('softsign', {},
     [NAN, NAN, NAN], [NAN, NAN, NAN]),
    ('tanhshrink', {},
     [NAN, INF, -INF], [NAN, 1.0, 1.0]),
]
INPLACE = [  # (name, kwargs, y, d(sum(y * W0))/dx) at X0
    ('selu', {},
     [-1.1113307378125625, 0.5253504936777402, 2.101401974710961, -1.6705687287671118,
     7.354906911488364],
     [0.6467686030348141, 2.101401974710961, 3.1521029620664414, 0.3501224483210592,
     5.253504936777402]),
    ('celu', {'alpha': 1.5},
     [-0.729874321451112, 0.5, 2.0, -1.296997075145081, 7.0],
     [0.513417119032592, 2.0, 3.0, 0.5413411329464506, 5.0]),
    ('hardsigmoid', {},
     [0.3333333333333333, 0.5833333333333334, 0.8333333333333334, 0.0, 1.0],
     [0.1666666716337204, 0.3333333432674408, 0.5000000149011612, 0.0, 0.0]),
    ('hardswish', {},
     [-0.3333333333333333, 0.2916666666666667, 1.6666666666666667, -0.0, 7.0],
     [0.16666666666666669, 1.3333333333333333, 3.4999999999999996, 0.0, 5.0]),
    ('threshold', {'threshold': 0.5, 'value': -2.0},
     [-2.0, -2.0, 2.0, -2.0, 7.0],
     [0.0, 0.0, 3.0, 0.0, 5.0]),
]
GLU_X = (
    [[[-0.311, -0.713, -0.729], [-0.299, -0.253, -0.36], [0.939, 1.161, 0.094], [0.512, 0.596,
    1.291]], [[1.754, -0.415, -0.992], [-0.299, -1.929, -0.271], [-0.136, 2.575, -0.523], [0.986,
    0.292, 1.015]]]
)
GLU_DIM1 = (
    [[[[-0.22357715914397788, -0.5429597476401419, -0.3816188966417102], [-0.1869572859957271,
    -0.16311938115919564, -0.28235390452454634]], [[0.8174557492589731, -0.3856326030797016,
    -0.36917379334568495], [-0.2177608400337922, -1.1043249064050134, -0.19891332697734537]]],
    [[[0.35944880891314773, 0.4846000552697939, 0.4045093679329763], [0.5684320036355339,
    0.674047029583453, 0.9269193835401773], [-0.031424036017500816, -0.08240151569167692,
    -0.1405189105513217], [-0.06368866441421193, -0.06058376414676672, -0.07197167095240922]],
    [[0.6143416794990729, 1.3516148191183408, 0.5920584112490366], [1.2579677593925362,
    1.066905159588236, 1.4679950330431393], [0.5753581679254433, -0.03969340887640563,
    -0.3687494943960179], [-0.10219624403762224, -0.8798501123404026, -0.10582287794586186]]]]
)
GLU_DIM0 = (
    [[[[-0.26511400537792174, -0.28356995587840633, -0.19720705429001845], [-0.1273147859440521,
    -0.03209591049692602, -0.15575818067388114], [0.43762311776178775, 1.0788420534350207,
    0.03498219412751451], [0.37288812741572447, 0.34120147445173044, 0.9475907938293463]]],
    [[[0.42622830446611215, 0.25309061470723504, 0.20903603460096729], [0.3870926906173673,
    0.13262772932614056, 0.5113273607980946], [0.6143416794990729, 1.3516148191183408,
    0.5920584112490366], [1.2579677593925362, 1.066905159588236, 1.4679950330431393]],
    [[-0.019557909686509552, -0.1086847138404892, -0.11116388859998201], [-0.0664580914481355,
    -0.029298007789651224, -0.1044344304406256], [0.30801671589623214, 0.11104589808555887,
    0.034941988380267824], [0.1749982506597411, 0.27184586156292373, 0.5041230089598068]]]]
)
PRELU_X = (
    [[[0.5, -1.25, 0.0], [-2.0, 1.5, -0.75]], [[3.0, -0.5, 2.25], [-1.0, 0.0, 0.25]]]
)
PRELU_C = (
    [[[[0.5, -0.3125, 0.0], [1.0, 1.5, 0.375]], [[3.0, -0.125, 2.25], [0.5, -0.0, 0.25]]], [[[0.5,
    0.1590909090909091, 0.19318181818181818], [-0.45454545454545453, 1.0454545454545454,
    -0.5909090909090908]], [[1.3181818181818183, 0.36363636363636365, 1.5909090909090908],
    [-0.8636363636363636, -0.9318181818181819, 2.0]]], [-1.5227272727272727, -4.431818181818182]]
)
PRELU_1 = (
    [[[[0.5, -0.375, 0.0], [-0.6, 1.5, -0.22499999999999998]], [[3.0, -0.15, 2.25], [-0.3, 0.0,
    0.25]]], [[[0.5, 0.1909090909090909, 0.2318181818181818], [0.2727272727272727,
    1.0454545454545454, 0.3545454545454545]], [[1.3181818181818183, 0.43636363636363634,
    1.5909090909090908], [0.5181818181818182, 0.5590909090909091, 2.0]]], [-5.954545454545455]]
)
PRELU_0D = (
    [-0.6, 0.15, [-1.0]]
)
COS = (
    [[-0.14547859349066158, 0.0, -0.240535117721182, -1.0], [[0.1535607375734761,
    -0.05657500857970173, 0.02020536020703633], [57735026.91896258, 57735026.91896258,
    57735026.91896258], [61737346.88177004, 80178372.57372732, 91403344.73404913],
    [2.7755575615628914e-17, -5.551115123125783e-17, 1.1102230246251565e-16]],
    [[0.10044950502926633, 0.1316234893486938, -0.1385510414196777], [0.0, 0.0, 0.0],
    [0.1460391786164319, 0.051543239511681854, -0.08304188587993187], [-2.7755575615628914e-17,
    5.551115123125783e-17, -1.1102230246251565e-16]]]
)
COS_EPS = (
    [[-0.14547859349066158, 0.0, -4.81070235442364e-09, -1.0], [[0.1535607375734761,
    -0.05657500857970173, 0.02020536020703633], [1.1547005383792517, 1.1547005383792517,
    1.1547005383792517], [0.8017837343965374, 1.6035674514745464, 2.4053511656661337],
    [2.7755575615628914e-17, -5.551115123125783e-17, 1.1102230246251565e-16]],
    [[0.10044950502926633, 0.1316234893486938, -0.1385510414196777], [0.0, 0.0, 0.0],
    [2.920783572328638e-09, 1.030864790233637e-09, -1.6608377175986374e-09],
    [-2.7755575615628914e-17, 5.551115123125783e-17, -1.1102230246251565e-16]]]
)
COS_BC = (
    [[0.8095238095238096, -0.12598815766974242, -0.1749635530559413, -0.7703288865196434],
    [0.7365803105398298, 0.43952101988121106, 0.28492345844518463], [[-0.05895691609977326,
    -0.11337868480725624, 0.009070294784580497], [0.2939723678960656, -0.4619565781223889,
    0.16798421022632323], [0.19370964802622073, -0.31243491617132374, 0.14372006143880894],
    [0.22385625762109293, -0.3292003788545484, -0.3028643485461846]]]
)
COS_DIM0 = (
    [[0.6260990347732538, -0.5918640302493727, -0.4682929069147499], [[0.10733126249066482,
    0.06266795614405121, -0.1404878722992055], [0.17888543819998318, 0.17407765595569785,
    0.1873171623163388], [0.17888543744866434, 0.3481553119113957, 0.5619514864807234],
    [-0.21466252605464237, 0.08355727485873496, -0.14048787117530268]], [[0.07870959263626257,
    0.2584789436917938, -0.34177166449830915], [-0.050087922781860306, 0.08967636821960193,
    0.06572532026873683], [-0.05008792224520399, 0.17935273643920385, 0.19717596005694182],
    [0.11448668049092174, -0.12660193160414387, 0.24318368409520388]]]
)
COS_0D = (
    [-1.0, 0.0, 0.0]
)
PD_2 = (
    [[4.0311287501149105, 1.7320490755180697, 3.741655785611899, 5.099019905825334],
    [[-0.12403461437091215, 0.37210433925169006, -0.31008672197938797], [-0.5773502691896257,
    -0.5773502691896257, -0.5773502691896257], [-0.4008916323270754, -0.8017836679515375,
    -1.2026757039768916], [0.3922326323368759, -1.1766963280816674, 1.5689293526507835]],
    [[0.12403461437091215, -0.37210433925169006, 0.31008672197938797], [0.5773502691896257,
    0.5773502691896257, 0.5773502691896257], [0.4008916323270754, 0.8017836679515375,
    1.2026757039768916], [-0.3922326323368759, 1.1766963280816674, -1.5689293526507835]]]
)
PD_1 = (
    [[6.499999, 2.999997, 5.999997001, 8.000001000000001], [[-0.5, 0.5, -0.5], [-1.0, -1.0, -1.0],
    [-1.5, -1.5, -1.5], [2.0, -2.0, 2.0]], [[0.5, -0.5, 0.5], [1.0, 1.0, 1.0], [1.5, 1.5, 1.5],
    [-2.0, 2.0, -2.0]]]
)
PD_3 = (
    [[3.5202904495723386, 1.442248128057838, 3.3019259678386255, 4.51435782802718],
    [[-0.04034708292663629, 0.3631247146713308, -0.25216957089499215], [-0.48074985676913606,
    -0.48074985676913606, -0.48074985676913606], [-0.13758013280584336, -0.5503210848465225,
    -1.2382228569476583], [0.09813838432794701, -0.8832431036342246, 1.5702117939291669]],
    [[0.04034708292663629, -0.3631247146713308, 0.25216957089499215], [0.48074985676913606,
    0.48074985676913606, 0.48074985676913606], [0.13758013280584336, 0.5503210848465225,
    1.2382228569476583], [-0.09813838432794701, 0.8832431036342246, -1.5702117939291669]]]
)
PD_INF = (
    [[3.000001, 0.999999, 2.9999990039999997, 4.000001], [[-0.0, 0.5, -0.0], [-0.3333333333333333,
    -0.3333333333333333, -0.3333333333333333], [-0.0, -0.0, -1.5], [0.0, -0.0, 2.0]], [[0.0, -0.5,
    0.0], [0.3333333333333333, 0.3333333333333333, 0.3333333333333333], [0.0, 0.0, 1.5], [-0.0,
    0.0, -2.0]]]
)
PD0 = (
    [3.0, 3.0, 3.0, 3.0]
)
PD_KEEP = (
    [[[1.4127997027179755], [3.040230747821619], [4.715612685537268], [4.555326881794544]],
    [0.3061024024598985, -4.148266075773659, 0.13936413473838383], [[0.3535533020279172,
    0.3535533020279172, -0.00035390720923715433], [-0.0003289224019316686, 0.9864382833930742,
    0.16413227856390264], [-0.00031809228196380155, 1.2720510355732424, 0.7949126126275401],
    [-0.6590086898039202, 1.5362234547794251, -1.0980551187205894]]]
)
PD_0D = (
    [5.000001, 0.5, -0.5]
)
PD_INT = (
    [2.2360692024230957, 3.6055526733398438]
)
COS_INT = (
    [0.4472135901451111, 0.9899495244026184]
)
COS_F16 = (
    [0.447265625, 0.98974609375]
)
F32 = (
    [[-1.3658143281936646, 0.2626752555370331, 2.1014020442962646], [-0.7768698334693909, 0.25,
    2.0], [-0.6000000238418579, 0.20000000298023224, 0.6666666865348816], [-0.5948517322540283,
    0.005081340670585632, 1.0359723567962646], [0.25, 0.5416666865348816, 0.8333333134651184],
    [-0.375, 0.1354166716337204, 1.6666666269302368]]
)
F16 = (
    [[-1.3662109375, 0.2626953125, 2.1015625], [-0.77685546875, 0.25, 2.0], [-0.60009765625,
    0.199951171875, 0.66650390625], [-0.5947265625, 0.005126953125, 1.0361328125], [0.25,
    0.54150390625, 0.83349609375], [-0.375, 0.1353759765625, 1.6669921875]]
)


def t64(v, requires_grad=False):
    return gradgpu.tensor(v, dtype=gradgpu.float64, requires_grad=requires_grad)


def value_and_grads(fn, *values):
    """fn(*inputs) and the gradients of sum(y * w), w = linspace(0.5, 2, numel) (as generated)."""
    xs = [t64(v, True) for v in values]
    y = fn(*xs)
    w = gradgpu.linspace(0.5, 2.0, y.numel(), dtype=gradgpu.float64).reshape(tuple(y.shape))
    grads = gradgpu.autograd.grad((y * w).sum(), xs)
    return [y.detach().numpy()] + [g.numpy() for g in grads]


def assert_matches(got, want, rtol=1e-12, atol=1e-15):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.asarray(w, dtype=np.float64), rtol=rtol, atol=atol)


# ---- pointwise activations: values and gradients ---------------------------------------------
@pytest.mark.parametrize("name, kw, want_y, want_grad", POINTWISE,
                         ids=[f"{p[0]}-{i}" for i, p in enumerate(POINTWISE)])
def test_pointwise_values_and_gradients_match_pytorch(name, kw, want_y, want_grad):
    # X holds the kinks: hardsigmoid/hardswish at -3 and 3, selu/celu at 0, the thresholds
    x = t64(X, True)
    y = getattr(F, name)(x, **kw)
    assert y.dtype == gradgpu.float64
    (g,) = gradgpu.autograd.grad((y * t64(W)).sum(), x)
    np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=1e-14, atol=1e-300)
    rtol = RTOL_HARDSIGMOID_GRAD if name == "hardsigmoid" else 1e-14
    np.testing.assert_allclose(g.numpy(), want_grad, rtol=rtol, atol=1e-300)


def test_hardsigmoid_gradient_is_exactly_one_sixth_inside():
    x = t64([-2.999, 0.0, 2.999], True)
    (g,) = gradgpu.autograd.grad(F.hardsigmoid(x).sum(), x)
    assert g.tolist() == [1 / 6] * 3


@pytest.mark.parametrize("name, kw, want_y, want_grad", SPECIAL, ids=[p[0] for p in SPECIAL])
def test_pointwise_nan_and_infinities(name, kw, want_y, want_grad):
    x = t64([NAN, INF, -INF], True)
    y = getattr(F, name)(x, **kw)
    (g,) = gradgpu.autograd.grad(y.sum(), x)
    if name == "hardswish":  # PyTorch: -inf * relu6(-inf + 3) / 6 = -inf * 0 = NaN; gradgpu: 0
        want_y = want_y[:2] + [0.0]
    np.testing.assert_array_equal(y.detach().numpy(), want_y)
    np.testing.assert_array_equal(g.numpy(), want_grad)


@pytest.mark.parametrize("name, kw, want_grad, want_gradgrad", [
    # PyTorch's first and second derivatives at the kinks (celu at 0, hardswish at -3 and 3)
    ("celu", {"alpha": 2.0}, [0.22313016014842982, 0.6065306597126334, 1.0, 1.0, 1.0],
     [0.11156508007421491, 0.3032653298563167, 0.0, 0.0, 0.0]),
    ("hardswish", {}, [0.0, 0.16666666666666669, 0.5, 0.8333333333333333, 1.0],
     [0.0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 0.0]),
    # selu at 0: PyTorch's second derivative there is 0; gradgpu's is the left branch's
    # (scale * alpha), as for elu; everywhere else they agree
    ("selu", {}, [0.08753061208026487, 0.646768603034814, 1.7580993408473766,
                  1.0507009873554805, 1.0507009873554805],
     [0.08753061208026487, 0.646768603034814, 1.7580993408473766, 0.0, 0.0]),
])
def test_second_derivatives(name, kw, want_grad, want_gradgrad):
    x = t64([-3.0, -1.0, 0.0, 1.0, 3.0], True)
    (g,) = gradgpu.autograd.grad(getattr(F, name)(x, **kw).sum(), x, create_graph=True)
    (gg,) = gradgpu.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), want_grad, rtol=1e-14)
    np.testing.assert_allclose(gg.numpy(), want_gradgrad, rtol=1e-14)


def test_hardsigmoid_has_zero_second_derivative():
    x = t64([-1.0, 0.5, 2.0], True)
    (g,) = gradgpu.autograd.grad(F.hardsigmoid(x).sum(), x, create_graph=True)
    assert not g.requires_grad  # piecewise linear: the gradient is a constant
    np.testing.assert_allclose(g.numpy(), [1 / 6] * 3)


# ---- in-place forms --------------------------------------------------------------------------
@pytest.mark.parametrize("name, kw, want_y, want_grad", INPLACE, ids=[p[0] for p in INPLACE])
def test_inplace_forms_write_into_the_input_and_backpropagate(name, kw, want_y, want_grad):
    x = t64(X0, True)
    h = x * 1
    v0 = h._version
    y = getattr(F, name)(h, inplace=True, **kw)
    assert y is h and h._version == v0 + 1
    (y * t64(W0)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=1e-14)
    rtol = RTOL_HARDSIGMOID_GRAD if name == "hardsigmoid" else 1e-14
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=rtol)


@pytest.mark.parametrize("name, args", [("selu", ()), ("celu", ()), ("hardsigmoid", ()),
                                        ("hardswish", ()), ("threshold", (0.0, 1.0))])
def test_inplace_forms_refuse_a_leaf_that_requires_grad(name, args):
    x = t64(X0, True)
    with pytest.raises(RuntimeError, match=f"{name}_: a leaf Variable that requires grad"):
        getattr(F, name)(x, *args, inplace=True)
    assert x.tolist() == X0  # refused before writing


def test_inplace_without_grad_writes_the_values():
    x = gradgpu.tensor([-4.0, -1.0, 0.5, 4.0])
    assert F.hardswish(x, inplace=True) is x
    np.testing.assert_allclose(x.numpy(), [-0.0, -0.3333333432674408, 0.2916666567325592, 4.0],
                               rtol=1e-7)


@pytest.mark.parametrize("module, name, kw", [
    (nn.SELU(inplace=True), "selu", {}), (nn.CELU(1.5, inplace=True), "celu", {"alpha": 1.5}),
    (nn.Hardsigmoid(inplace=True), "hardsigmoid", {}),
    (nn.Hardswish(inplace=True), "hardswish", {}),
    (nn.Threshold(0.5, -2.0, inplace=True), "threshold", {"threshold": 0.5, "value": -2.0}),
])
def test_inplace_modules(module, name, kw):
    want_y, want_grad = next((p[2], p[3]) for p in INPLACE if p[0] == name)
    x = t64(X0, True)
    h = x * 1
    y = module(h)
    assert y is h
    (y * t64(W0)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=RTOL_HARDSIGMOID_GRAD)


# ---- dtypes ----------------------------------------------------------------------------------
FLOAT_NAMES = ("selu", "celu", "softsign", "tanhshrink", "hardsigmoid", "hardswish")


@pytest.mark.parametrize("dtype, want, rtol", [(gradgpu.float32, F32, 1e-6),
                                               (gradgpu.float16, F16, 2e-3)])
def test_low_precision_dtypes_are_kept(dtype, want, rtol):
    for name, w in zip(FLOAT_NAMES, want):
        y = getattr(F, name)(gradgpu.tensor([-1.5, 0.25, 2.0], dtype=dtype))
        assert y.dtype == dtype, name
        np.testing.assert_allclose(y.numpy().astype(np.float64), w, rtol=rtol, err_msg=name)


def test_softsign_and_tanhshrink_promote_integers_to_the_default_dtype():
    x = gradgpu.tensor([1, -3])
    y = F.softsign(x)
    assert y.dtype == gradgpu.float32
    np.testing.assert_allclose(y.numpy(), [0.5, -0.75])
    y = F.tanhshrink(x)
    assert y.dtype == gradgpu.float32
    np.testing.assert_allclose(y.numpy(), [0.23840582370758057, -2.0049452781677246], rtol=1e-6)


@pytest.mark.parametrize("name", ["selu", "celu", "hardsigmoid", "hardswish", "glu"])
def test_integer_inputs_are_refused(name):
    with pytest.raises(RuntimeError, match=f"{name}\\(\\): expected a floating point input"):
        getattr(F, name)(gradgpu.tensor([1, 2]))


def test_threshold_keeps_integer_dtypes_and_converts_its_numbers():
    i = gradgpu.tensor([0, 1, 2, 3])
    y = F.threshold(i, 1.9, 9.7)  # both truncated: x <= 1 becomes 9
    assert y.dtype == gradgpu.int64 and y.tolist() == [9, 9, 2, 3]
    assert F.threshold(i, -0.5, 9).tolist() == [9, 1, 2, 3]  # -0.5 truncates to 0
    u = gradgpu.tensor([0, 1, 2], dtype=gradgpu.uint8)
    assert F.threshold(u, 0, -1).tolist() == [255, 1, 2]  # negatives wrap, as in PyTorch
    h = gradgpu.tensor([0.0, 1.0, 2.0], dtype=gradgpu.float16)
    y = F.threshold(h, 1.0001, 9)  # the threshold rounds to float16's 1.0
    assert y.dtype == gradgpu.float16 and y.tolist() == [9.0, 9.0, 2.0]
    assert F.threshold(h, 70000.0, 1.0).tolist() == [1.0, 1.0, 1.0]  # threshold: inf, no error
    j = gradgpu.tensor([0, 1, 2, 3])
    assert F.threshold(j, 1, 7, inplace=True) is j and j.tolist() == [7, 7, 2, 3]


@pytest.mark.parametrize("dtype, value, cpp", [
    (gradgpu.float16, 70000.0, "c10::Half"), (gradgpu.int64, NAN, "int64_t"),
    (gradgpu.int64, INF, "int64_t"), (gradgpu.uint8, 300, "uint8_t"),
    (gradgpu.int8, -129, "int8_t"),
])
def test_threshold_value_overflow_is_an_error(dtype, value, cpp):
    with pytest.raises(RuntimeError, match=f"value cannot be converted to type {cpp} without "
                                           "overflow"):
        F.threshold(gradgpu.tensor([1, 2], dtype=dtype), 0, value)


def test_threshold_refuses_bool_and_allows_infinite_float_values():
    with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
        F.threshold(gradgpu.tensor([True, False]), 0, 1)
    y = F.threshold(gradgpu.tensor([0.0, 1.0, 2.0], dtype=gradgpu.float16), 1, INF)
    assert y.tolist() == [INF, INF, 2.0]


def test_celu_alpha_zero_is_an_error():
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(gradgpu.ones(2), 0.0)
    m = nn.CELU(0.0)  # as in PyTorch, the module is built and refuses at forward
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        m(gradgpu.ones(2))


def test_non_tensor_input_is_a_type_error():
    with pytest.raises(TypeError, match="hardswish\\(\\): argument 'input' must be Tensor"):
        F.hardswish([1.0])


# ---- glu -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim, want", [(1, GLU_DIM1), (-2, GLU_DIM1), (0, GLU_DIM0)])
def test_glu_values_and_gradients(dim, want):
    assert_matches(value_and_grads(lambda a: F.glu(a, dim), GLU_X), want, rtol=1e-14)


def test_glu_module_and_default_dim():
    x = t64(GLU_X).transpose(1, 2)  # (2, 3, 4): the last dim halves
    got = nn.GLU()(x)
    assert tuple(got.shape) == (2, 3, 2)
    np.testing.assert_allclose(got.numpy(), F.glu(t64(GLU_X), 1).transpose(1, 2).numpy())
    assert tuple(F.glu(gradgpu.ones(0, 2)).shape) == (0, 1)


@pytest.mark.parametrize("shape, dim, exc, msg", [
    ((), -1, RuntimeError, "glu does not support scalars because halving size must be even"),
    ((2, 3), -1, RuntimeError, "Halving dimension must be even, but dimension 1 is size 3"),
    ((3, 2), -2, RuntimeError, "Halving dimension must be even, but dimension 0 is size 3"),
    ((3, 2), 2, IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], "
                            r"but got 2\)"),
])
def test_glu_errors(shape, dim, exc, msg):
    with pytest.raises(exc, match=msg):
        F.glu(gradgpu.ones(*shape), dim)


# ---- prelu -----------------------------------------------------------------------------------
@pytest.mark.parametrize("weight, want", [([0.25, -0.5], PRELU_C), ([0.3], PRELU_1)])
def test_prelu_values_and_gradients(weight, want):
    # x holds zeros: PyTorch's gradient there is weight * g for x and 0 for the weight
    assert_matches(value_and_grads(F.prelu, PRELU_X, weight), want, rtol=1e-14)


def test_prelu_zero_dim_input_keeps_its_shape():
    got = value_and_grads(F.prelu, -2.0, [0.3])
    assert got[0].shape == ()
    assert_matches(got, PRELU_0D, rtol=1e-14)
    y = F.prelu(t64([[1.0, -2.0, 0.5]]), t64(0.5))  # a 0-d weight broadcasts
    np.testing.assert_allclose(y.numpy(), [[1.0, -1.0, 0.5]])


@pytest.mark.parametrize("x, w, exc, msg", [
    (gradgpu.ones(2, 3), gradgpu.ones(2), RuntimeError,
     "Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and "
     "channel size = 3."),
    (gradgpu.ones(3), gradgpu.ones(3), RuntimeError, "Found parameter numbers = 3 and channel "
                                                     "size = 1"),
    (gradgpu.ones(2, 3), gradgpu.ones(3, dtype=gradgpu.float64), RuntimeError,
     "prelu: Type promoting not supported. Got Float and Double"),
    (gradgpu.ones(2, 3), gradgpu.ones(1, 3), RuntimeError,
     "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2"),
    (gradgpu.tensor(1.0), gradgpu.ones(2), RuntimeError, "Not allow zero-dim input tensor."),
    (gradgpu.ones(2, 3), 0.5, TypeError, "prelu\\(\\): argument 'weight' must be Tensor"),
    (gradgpu.ones(2, 3, dtype=gradgpu.int64), gradgpu.tensor(5), RuntimeError,
     "prelu\\(\\): expected a floating point input"),
])
def test_prelu_errors(x, w, exc, msg):
    with pytest.raises(exc, match=msg):
        F.prelu(x, w)


def test_prelu_module_parameter_init_and_training():
    m = nn.PReLU(2, init=0.1, dtype=gradgpu.float64)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight.dtype == gradgpu.float64 and m.weight.tolist() == [0.1, 0.1]
    assert m.num_parameters == 2 and m.init == 0.1
    assert list(m.state_dict()) == ["weight"]
    with gradgpu.no_grad():
        m.weight.copy_(t64([0.25, -0.5]))
    x = t64(PRELU_X, True)
    y = m(x)
    w = gradgpu.linspace(0.5, 2.0, y.numel(), dtype=gradgpu.float64).reshape(tuple(y.shape))
    (y * w).sum().backward()
    assert_matches([y.detach().numpy(), x.grad.numpy(), m.weight.grad.numpy()], PRELU_C,
                   rtol=1e-14)
    m.reset_parameters()
    assert m.weight.tolist() == [0.1, 0.1]
    assert nn.PReLU().weight.tolist() == [0.25]
    assert nn.PReLU().weight.dtype == gradgpu.float32


# ---- cosine_similarity -----------------------------------------------------------------------
C1 = [[1.0, 2.0, -2.0], [0.0, 0.0, 0.0], [3e-9, 0.0, -4e-9], [0.5, -1.5, 2.0]]
C2 = [[2.0, -1.0, 0.5], [1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [-0.5, 1.5, -2.0]]


@pytest.mark.parametrize("kw, want", [({}, COS), ({"dim": -1, "eps": 0.5}, COS_EPS),
                                      ({"dim": 0}, COS_DIM0)])
def test_cosine_similarity_values_and_gradients(kw, want):
    # row 1 of C1 is zero and row 2 tiny: each norm is clamped by eps on its own, and the clamp
    # is not differentiated (PyTorch clamps in place under no_grad), so the gradient through the
    # norm is kept where the clamp binds
    assert_matches(value_and_grads(lambda a, b: F.cosine_similarity(a, b, **kw), C1, C2), want,
                   rtol=1e-12, atol=1e-15)


def test_cosine_similarity_broadcasts_and_takes_0d_inputs():
    got = value_and_grads(lambda a, b: F.cosine_similarity(a, b, dim=1), [1.0, -2.0, 0.5], C2)
    assert got[1].shape == (3,)  # summed back to x1's shape
    assert_matches(got, COS_BC, rtol=1e-12)
    assert_matches(value_and_grads(lambda a, b: F.cosine_similarity(a, b, 0), -2.0, 3.0),
                   COS_0D)


def test_cosine_similarity_dtypes():
    a = gradgpu.tensor([[1, 2], [3, 4]])
    y = F.cosine_similarity(a, gradgpu.tensor([[1.0, 0.0], [1.0, 1.0]]))
    assert y.dtype == gradgpu.float32
    np.testing.assert_allclose(y.numpy(), COS_INT, rtol=1e-6)
    h = gradgpu.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=gradgpu.float16)
    y = F.cosine_similarity(h, gradgpu.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=gradgpu.float16))
    assert y.dtype == gradgpu.float16
    np.testing.assert_allclose(y.numpy().astype(np.float64), COS_F16, rtol=1e-3)
    y = F.cosine_similarity(gradgpu.ones(3), gradgpu.ones(3, dtype=gradgpu.float64), 0)
    assert y.dtype == gradgpu.float64


def test_cosine_similarity_large_and_overflowing_norms():
    x = t64([[1e150, 2e150], [3e150, -1e150]], True)
    y = F.cosine_similarity(x, t64([[1.0, 2.0], [1.0, 1.0]]))
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [0.9999999999999999, 0.447213595499958],
                               rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0], [8.944271909999158e-152,
                                                            2.6832815729997475e-151]],
                               rtol=1e-12, atol=1e-166)
    # the squared norm overflows: x / inf = 0, as in PyTorch, with no inf - inf (NaN) anywhere
    x = t64([[1e200, 2e200], [3e200, -1e200]], True)
    y = F.cosine_similarity(x, t64([[1.0, 2.0], [1.0, 1.0]]))
    y.sum().backward()
    assert y.tolist() == [0.0, 0.0] and x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("a, b, kw, exc, msg", [
    (gradgpu.ones(2, 3), gradgpu.ones(2, 4), {}, RuntimeError,
     "The size of tensor a \\(3\\) must match the size of tensor b \\(4\\) at non-singleton "
     "dimension 1"),
    (gradgpu.ones(3), gradgpu.ones(3), {}, IndexError,
     r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"),
    (gradgpu.ones(3, dtype=gradgpu.int64), gradgpu.ones(3, dtype=gradgpu.int64), {"dim": 0},
     RuntimeError, "expected common dtype to be floating point, yet common dtype is Long"),
    (gradgpu.ones(2, 3), gradgpu.ones(2, 3), {"eps": -1.0}, RuntimeError,
     "eps must be non-negative, got: -1"),
])
def test_cosine_similarity_errors(a, b, kw, exc, msg):
    with pytest.raises(exc, match=msg):
        F.cosine_similarity(a, b, **kw)


def test_cosine_similarity_module():
    m = nn.CosineSimilarity(dim=0, eps=1e-6)
    assert (m.dim, m.eps) == (0, 1e-6)
    np.testing.assert_allclose(m(t64(C1), t64(C2)).numpy(), COS_DIM0[0], rtol=1e-12)
    assert nn.CosineSimilarity().dim == 1 and nn.CosineSimilarity().eps == 1e-8


# ---- pairwise_distance -----------------------------------------------------------------------
@pytest.mark.parametrize("p, want", [(2.0, PD_2), (1.0, PD_1), (3.0, PD_3), (INF, PD_INF)])
def test_pairwise_distance_values_and_gradients(p, want):
    # row 1 of C1 - C2 is constant: inf-norm ties split the gradient, as PyTorch's
    assert_matches(value_and_grads(lambda a, b: F.pairwise_distance(a, b, p=p), C1, C2), want,
                   rtol=1e-12)


def test_pairwise_distance_p0_keepdim_0d_and_integers():
    np.testing.assert_array_equal(F.pairwise_distance(t64(C1), t64(C2), p=0).numpy(), PD0)
    got = value_and_grads(
        lambda a, b: F.pairwise_distance(a, b, eps=1e-3, keepdim=True), [1.0, -2.0, 0.5], C2)
    assert got[0].shape == (4, 1)
    assert_matches(got, PD_KEEP, rtol=1e-12)
    got = value_and_grads(F.pairwise_distance, 2.0, -3.0)
    assert got[0].shape == ()
    assert_matches(got, PD_0D, rtol=1e-14)
    y = F.pairwise_distance(gradgpu.tensor([[1, 2], [3, 4]]), gradgpu.tensor([[0, 0], [1, 1]]))
    assert y.dtype == gradgpu.float32
    np.testing.assert_allclose(y.numpy(), PD_INT, rtol=1e-6)


def test_pairwise_distance_errors():
    with pytest.raises(RuntimeError, match="pairwise_distance: The size of tensor a \\(3\\) "
                                           "must match the size of tensor b \\(4\\)"):
        F.pairwise_distance(gradgpu.ones(2, 3), gradgpu.ones(2, 4))


def test_pairwise_distance_module():
    m = nn.PairwiseDistance(p=1.0, eps=1e-3, keepdim=True)
    assert (m.norm, m.eps, m.keepdim) == (1.0, 1e-3, True)
    y = m(t64(C1), t64(C2))
    np.testing.assert_allclose(y.numpy(), F.pairwise_distance(t64(C1), t64(C2), 1.0, 1e-3,
                                                              True).numpy())
    assert y.shape == (4, 1)
    d = nn.PairwiseDistance()
    assert (d.norm, d.eps, d.keepdim) == (2.0, 1e-6, False)


# ---- gradcheck away from the kinks -----------------------------------------------------------
def _away_from(x, kinks, margin=0.05):
    """Random values moved at least ``margin`` away from every kink."""
    for k in kinks:
        near = np.abs(x - k) < margin
        x[near] = k + np.where(x[near] >= k, margin, -margin) * 2
    return x


POINTWISE_CHECKS = [
    ("selu", {}, (0.0,)), ("celu", {"alpha": 1.5}, (0.0,)), ("softsign", {}, (0.0,)),
    ("tanhshrink", {}, ()), ("hardsigmoid", {}, (-3.0, 3.0)), ("hardswish", {}, (-3.0, 3.0)),
    ("threshold", {"threshold": 0.3, "value": -1.5}, (0.3,)),
]


@pytest.mark.parametrize("name, kw, kinks", POINTWISE_CHECKS, ids=[c[0] for c in POINTWISE_CHECKS])
def test_pointwise_gradcheck(name, kw, kinks):
    rng = np.random.default_rng(7)
    x = gradgpu.tensor(_away_from(rng.uniform(-5, 5, (3, 5)), kinks), dtype=gradgpu.float64,
                       requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t, **kw), (x,))
    if name not in ("hardsigmoid", "threshold"):  # piecewise linear: constant gradients
        assert gradgradcheck(lambda t: getattr(F, name)(t, **kw), (x,))


def test_inplace_gradcheck():
    rng = np.random.default_rng(8)
    x = gradgpu.tensor(_away_from(rng.uniform(-5, 5, (4, 3)), (-3.0, 0.0, 3.0)),
                       dtype=gradgpu.float64, requires_grad=True)
    for name in ("selu", "celu", "hardswish"):
        assert gradcheck(lambda t, n=name: getattr(F, n)(t * 1, inplace=True), (x,))


def test_glu_and_prelu_gradcheck():
    rng = np.random.default_rng(9)
    x = gradgpu.tensor(rng.standard_normal((3, 4, 2)), dtype=gradgpu.float64, requires_grad=True)
    assert gradcheck(lambda t: F.glu(t, 1), (x,))
    assert gradgradcheck(lambda t: F.glu(t, 1), (x,))
    xp = gradgpu.tensor(_away_from(rng.standard_normal((3, 4, 2)), (0.0,)),
                        dtype=gradgpu.float64, requires_grad=True)
    w = gradgpu.tensor([0.2, -0.3, 0.5, 1.5], dtype=gradgpu.float64, requires_grad=True)
    assert gradcheck(F.prelu, (xp, w))
    assert gradgradcheck(F.prelu, (xp, w))


def test_distance_gradcheck():
    rng = np.random.default_rng(10)
    a = gradgpu.tensor(rng.standard_normal((3, 5)), dtype=gradgpu.float64, requires_grad=True)
    b = gradgpu.tensor(rng.standard_normal((1, 5)), dtype=gradgpu.float64, requires_grad=True)
    assert gradcheck(lambda s, t: F.cosine_similarity(s, t), (a, b))
    assert gradgradcheck(lambda s, t: F.cosine_similarity(s, t), (a, b))
    # (where the eps clamp binds, the gradient is PyTorch's, not the function's derivative:
    # the clamp is not differentiated; test_cosine_similarity_values_and_gradients pins it)
    for p in (2.0, 1.0, 3.0):
        assert gradcheck(lambda s, t, p=p: F.pairwise_distance(s, t, p), (a, b))
    assert gradgradcheck(lambda s, t: F.pairwise_distance(s, t), (a, b))


# ---- modules: reprs and forward ----------------------------------------------------------------
@pytest.mark.parametrize("module, text", [
    (nn.SELU(), "SELU()"), (nn.SELU(True), "SELU(inplace=True)"),
    (nn.CELU(), "CELU(alpha=1.0)"), (nn.CELU(2.0, True), "CELU(alpha=2.0, inplace=True)"),
    (nn.Softsign(), "Softsign()"), (nn.Tanhshrink(), "Tanhshrink()"),
    (nn.Hardsigmoid(), "Hardsigmoid()"), (nn.Hardsigmoid(True), "Hardsigmoid()"),
    (nn.Hardswish(True), "Hardswish()"),
    (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
    (nn.Threshold(1, 2.5, True), "Threshold(threshold=1, value=2.5, inplace=True)"),
    (nn.GLU(), "GLU(dim=-1)"), (nn.GLU(1), "GLU(dim=1)"),
    (nn.PReLU(), "PReLU(num_parameters=1)"), (nn.PReLU(3, 0.1), "PReLU(num_parameters=3)"),
    (nn.CosineSimilarity(), "CosineSimilarity()"), (nn.PairwiseDistance(), "PairwiseDistance()"),
    (nn.PairwiseDistance(1, 1e-3, True), "PairwiseDistance()"),
])
def test_module_reprs(module, text):
    assert repr(module) == text


@pytest.mark.parametrize("module, name, kw", [
    (nn.SELU(), "selu", {}), (nn.CELU(2.0), "celu", {"alpha": 2.0}),
    (nn.Softsign(), "softsign", {}), (nn.Tanhshrink(), "tanhshrink", {}),
    (nn.Hardsigmoid(), "hardsigmoid", {}), (nn.Hardswish(), "hardswish", {}),
    (nn.Threshold(0.5, -2.0), "threshold", {"threshold": 0.5, "value": -2.0}),
])
def test_pointwise_modules_match_pytorch(module, name, kw):
    want_y = next(p[2] for p in POINTWISE if p[0] == name and p[1] == kw)
    x = t64(X)
    np.testing.assert_allclose(module(x).numpy(), want_y, rtol=1e-14, atol=1e-300)
    assert x.tolist() == X  # not in place


def test_new_names_are_exported():
    for name in ("selu", "celu", "softsign", "tanhshrink", "hardsigmoid", "hardswish",
                 "threshold", "glu", "prelu", "cosine_similarity", "pairwise_distance"):
        assert name in F.__all__ and callable(getattr(F, name))
    for name in ("SELU", "CELU", "Softsign", "Tanhshrink", "Hardsigmoid", "Hardswish",
                 "Threshold", "GLU", "PReLU", "CosineSimilarity", "PairwiseDistance"):
        assert name in nn.__all__ and issubclass(getattr(nn, name), nn.Module)


# ---- backends --------------------------------------------------------------------------------
DEVICE_CASES = [
    ("selu", lambda t, u: F.selu(t)), ("celu", lambda t, u: F.celu(t, 1.5)),
    ("softsign", lambda t, u: F.softsign(t)), ("tanhshrink", lambda t, u: F.tanhshrink(t)),
    ("hardsigmoid", lambda t, u: F.hardsigmoid(t)), ("hardswish", lambda t, u: F.hardswish(t)),
    ("threshold", lambda t, u: F.threshold(t, 0.5, -2.0)), ("glu", lambda t, u: F.glu(t, 0)),
    ("prelu", lambda t, u: F.prelu(t, u[:6])),
    ("cosine_similarity", lambda t, u: F.cosine_similarity(t, u.reshape(t.shape))),
    ("pairwise_distance", lambda t, u: F.pairwise_distance(t, u.reshape(t.shape), 3.0)),
]


@pytest.mark.parametrize("name, fn", DEVICE_CASES, ids=[c[0] for c in DEVICE_CASES])
def test_backends_agree_with_the_numpy_path(device, name, fn):
    rng = np.random.default_rng(11)
    xv = np.concatenate([[-3.0, 3.0, 0.0, 0.5], rng.uniform(-5, 5, 20)]).reshape(4, 6)
    uv = rng.uniform(-2, 2, 24)
    out = []
    for dev in ("cpu", device):
        x = gradgpu.tensor(xv, dtype=gradgpu.float64, device=dev, requires_grad=True)
        u = gradgpu.tensor(uv, dtype=gradgpu.float64, device=dev, requires_grad=True)
        y = fn(x, u)
        assert y.device.type == dev
        gx, gu = gradgpu.autograd.grad((y * y).sum(), (x, u), allow_unused=True)
        out.append([y.detach().cpu().numpy(), gx.cpu().numpy(),
                    None if gu is None else gu.cpu().numpy()])
    for a, b in zip(*out):
        if a is None:
            assert b is None
        else:
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_exact_values_at_the_kinks():
    assert F.hardsigmoid(t64([-3.0, 3.0])).tolist() == [0.0, 1.0]
    assert math.isclose(F.selu(t64(1.0)).item(), 1.0507009873554805)
