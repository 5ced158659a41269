"""In-place writes into views of tensors in a graph (PyTorch's CopySlices): the base takes the
write into its history and the view becomes a view of the new base (ops/copy_slices.py)."""

import numpy as np
import pytest

import gradgpu
from gradgpu.autograd import gradcheck, gradgradcheck

F64 = gradgpu.float64

VIEWS = {
    "slice": lambda y: y[1:, ::2],
    "select": lambda y: y[:, 1],
    "transpose": lambda y: y.t(),
    "diagonal": lambda y: y.diagonal(),
    "view_of_view": lambda y: y[1:][:, 0],
    "flat_range": lambda y: y.view(-1)[2:6],
    "narrow": lambda y: y.narrow(1, 1, 2),
    "as_strided": lambda y: y.as_strided((2, 2), (1, 4), 1),
}

WRITES = {
    "mul_": lambda v, w: v.mul_(w[: v.shape[-1]]),
    "add_alpha": lambda v, w: v.add_(w[: v.shape[-1]], alpha=-2.0),
    "copy_": lambda v, w: v.copy_(w[: v.shape[-1]]),
    "exp_": lambda v, w: v.exp_(),
    "clamp_": lambda v, w: v.clamp_(-0.5, 0.5),
    "zero_": lambda v, w: v.zero_(),
    "setitem": lambda v, w: v.__setitem__(0, w[0] * 3),
    "iadd": lambda v, w: v.__iadd__(w[: v.shape[-1]]),
}


def _program(view, write):
    """y = x * x (a base with history), a write through a view of y, then a loss that reads
    both y and the view afterwards."""

    def f(x, w):
        y = x * x
        v = view(y)
        write(v, w)
        return (y * y).sum() + (v * 3).sum()

    return f


def _inputs(device, seed=0):
    rng = np.random.default_rng(seed)
    x = gradgpu.tensor(rng.uniform(-1, 1, (3, 4)), dtype=F64, device=device, requires_grad=True)
    w = gradgpu.tensor(rng.uniform(-1, 1, 4), dtype=F64, device=device, requires_grad=True)
    return x, w


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_gradients_through_a_write_into_a_view_pass_gradcheck(device, view, write):
    f = _program(VIEWS[view], WRITES[write])
    assert gradcheck(f, _inputs(device))


@pytest.mark.parametrize("view", ["slice", "transpose", "as_strided"])
def test_second_order_gradients_through_a_write_into_a_view(device, view):
    f = _program(VIEWS[view], WRITES["mul_"])
    assert gradgradcheck(f, _inputs(device))


def test_the_base_and_the_view_take_new_histories(device):
    x, w = _inputs(device)
    y = x * 1
    v = y[0]
    v.mul_(2)
    assert type(y.grad_fn).__name__ == "CopySlices"
    assert v.grad_fn is not None and v._base is y
    (y.sum() + v.sum()).backward()
    # y[0] = 2 x[0]: counted once through y and once through v
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[4.0] * 4, [1.0] * 4, [1.0] * 4])


def test_augmented_assignment_on_an_indexed_region(device):
    # Python runs y[:, 0] += w as: v = y[:, 0]; v += w (in place on a view); y[:, 0] = v
    x, w = _inputs(device)
    y = x * 2
    y[:, 0] += w[:3]
    y[1] *= 3
    (y * y).sum().backward()
    xv, wv = x.detach().cpu().numpy(), w.detach().cpu().numpy()
    yv = 2 * xv
    yv[:, 0] += wv[:3]
    yv[1] *= 3
    scale = np.ones((3, 4))
    scale[1] = 3
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * yv * scale * 2, rtol=1e-12)
    np.testing.assert_allclose(w.grad.cpu().numpy(), np.append((2 * yv * scale)[:, 0], 0.0),
                               rtol=1e-12)


@pytest.mark.parametrize("write", [
    lambda v, x: v.copy_(x), lambda v, x: v.mul_(x), lambda v, x: v.__setitem__(0, x[0]),
])
def test_a_base_without_grad_takes_the_history_of_what_is_written(device, write):
    x = gradgpu.full((2, 2), 3.0, device=device, requires_grad=True)
    base = gradgpu.ones(4, device=device)
    write(base.view(2, 2), x)
    assert base.requires_grad and type(base.grad_fn).__name__ == "CopySlices"
    (base * gradgpu.tensor([1.0, 2.0, 3.0, 4.0], device=device)).sum().backward()
    written = x.grad.cpu().numpy()
    assert np.count_nonzero(written) in (2, 4)  # setitem writes row 0 only
    np.testing.assert_allclose(written[0], [1.0, 2.0])


def test_a_view_of_a_leaf_that_requires_grad_is_refused(device):
    x = gradgpu.ones(2, 2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation"):
        x[0].mul_(2)
    with gradgpu.no_grad():
        x[0].mul_(2)  # an optimizer-style update: no graph, allowed
    assert x.tolist() == [[2.0, 2.0], [1.0, 1.0]]


def test_a_view_taken_under_no_grad_is_refused_when_written_with_grad(device):
    y = gradgpu.ones(3, device=device, requires_grad=True) * 1
    with gradgpu.no_grad():
        v = y[:2]
    with pytest.raises(RuntimeError, match="created in no_grad mode"):
        v.add_(1)


def test_other_views_taken_before_the_write_continue_the_new_history(device):
    x = gradgpu.ones(2, 3, dtype=F64, device=device, requires_grad=True)
    y = x * 1
    first, second, column = y[0], y[1], y[:, 0]
    second.mul_(2)
    first.add_(1)  # a stale view written in place: rebuilt first, then written
    (first * 5 + second * 7).sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[5.0] * 3, [14.0] * 3])
    x.grad = None
    column.sum().backward()  # y[:, 0] after both writes: x[0, 0] + 1 and 2 x[1, 0]
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[1.0, 0, 0], [2.0, 0, 0]])


def test_a_tensor_saved_before_the_write_is_refused_in_backward(device):
    x = gradgpu.ones(2, 3, device=device, requires_grad=True)
    y = x * 1
    z = y.pow(2)  # saves y
    y[0].add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_matches_pytorch_on_a_transformer_style_edit():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    xs, ws = rng.standard_normal((4, 5)), rng.standard_normal(5)

    def run(lib, tensor):
        x = tensor(xs, requires_grad=True)
        w = tensor(ws, requires_grad=True)
        y = x.sin()  # (tanh would save its output, which the edits below overwrite)
        y[:, -1] /= 2.0  # logits[:, -1] /= temperature
        y[1:3].mul_(w)
        y.t()[0].add_(w[:4])
        (y.exp() * y).sum().backward()
        return x.grad.detach().numpy(), w.grad.detach().numpy()

    got = run(gradgpu, lambda a, requires_grad: gradgpu.tensor(a, dtype=F64,
                                                               requires_grad=requires_grad))
    want = run(torch, lambda a, requires_grad: torch.tensor(a, dtype=torch.float64,
                                                            requires_grad=requires_grad))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_retain_grad_follows_the_new_version_after_an_in_place_write(device):
    # PyTorch moves retain_grad to the new history: .grad is d loss / d (the new values)
    x = gradgpu.tensor([1.0, 2.0, 3.0], dtype=F64, device=device, requires_grad=True)
    y = x * 1
    y.retain_grad()
    y.mul_(2)
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0, 12.0] and x.grad.tolist() == [8.0, 16.0, 24.0]
    x.grad = None
    y = x * 1
    y.retain_grad()
    y[0].mul_(2)  # through a view: the base's retain_grad moves to its CopySlices node
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 4.0, 6.0] and x.grad.tolist() == [8.0, 4.0, 6.0]


def test_writes_into_memory_shared_by_several_elements(device):
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor "
                                           "refers to a single memory location"):
        gradgpu.ones(1, device=device).expand(3).zero_()  # PyTorch's error, with or without grad
    x = gradgpu.arange(5.0, device=device, requires_grad=True)
    y = x * 1
    with pytest.raises(RuntimeError, match="expand|single memory location"):
        y.unsqueeze(0).expand(3, 5).mul_(2)
    with pytest.raises(RuntimeError, match="in-place write into a view whose elements share "
                                           "memory .* its gradient is ambiguous"):
        y.unfold(0, 2, 1).mul_(2)  # overlapping windows: one location, two gradients
    assert y.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]  # refused before writing
    z = gradgpu.arange(5.0, device=device)
    z.unfold(0, 2, 1).mul_(2)  # no graph: written as the array library writes it
    assert z.tolist()[0] == 0.0 and z.tolist()[-1] == 8.0
