"""grad_fn.register_hook / register_prehook / metadata (torch.autograd.graph.Node's), in
PyTorch's order: tensor hooks, node pre-hooks, the node's backward, node hooks."""

import pytest

import gradgpu


def test_prehook_replaces_grad_outputs_until_removed(device):
    a = gradgpu.zeros(3, device=device, requires_grad=True)
    b = a.clone()
    handle = b.grad_fn.register_prehook(lambda g_out: (g_out[0] * 2,))
    b.sum().backward(retain_graph=True)
    assert a.grad.tolist() == [2.0, 2.0, 2.0]
    handle.remove()
    a.grad = None
    b.sum().backward(retain_graph=True)
    assert a.grad.tolist() == [1.0, 1.0, 1.0]


def test_hook_replaces_grad_inputs(device):
    a = gradgpu.zeros(3, device=device, requires_grad=True)
    b = a.clone()
    b.grad_fn.register_hook(lambda g_in, g_out: (g_out[0] * 2,))
    b.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0]


def test_order_and_arguments_match_pytorch():
    a = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    b = a * gradgpu.tensor([3.0, 4.0])
    order = []
    b.register_hook(lambda g: order.append(("tensor", g.tolist())))
    b.grad_fn.register_prehook(lambda g_out: order.append(("pre", g_out[0].tolist())))
    b.grad_fn.register_hook(lambda g_in, g_out: order.append(
        ("post", [None if g is None else g.tolist() for g in g_in], g_out[0].tolist())))
    b.sum().backward()
    assert order == [("tensor", [1.0, 1.0]), ("pre", [1.0, 1.0]),
                     ("post", [[3.0, 4.0], None], [1.0, 1.0])]


def test_accumulate_grad_node_hooks():
    a = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    c = gradgpu.tensor([3.0, 4.0])
    acc = (a * c).grad_fn.next_functions[0][0]
    assert acc.name() == "AccumulateGrad"
    seen = []
    acc.register_prehook(lambda g_out: (g_out[0] * 10,))
    acc.register_hook(lambda g_in, g_out: seen.append((g_in, g_out[0].tolist())))
    (a * c).sum().backward()
    assert a.grad.tolist() == [30.0, 40.0] and seen == [((), [30.0, 40.0])]


def test_metadata_and_wrong_hook_results():
    a = gradgpu.ones(2, requires_grad=True)
    b = a.exp()
    b.grad_fn.metadata["tag"] = "mine"
    assert b.grad_fn.metadata == {"tag": "mine"}
    b.grad_fn.register_hook(lambda g_in, g_out: (g_out[0], g_out[0]))
    with pytest.raises(RuntimeError, match="has returned an incorrect number of values "
                                           r"\(got 2, but expected 1\)"):
        b.sum().backward()


def test_matches_pytorch_on_a_small_graph():
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        h = x.tanh() * x
        h.grad_fn.register_prehook(lambda g_out: (g_out[0] + 1,))
        h.grad_fn.register_hook(lambda g_in, g_out: tuple(
            None if g is None else g * 3 for g in g_in))
        (h ** 2).sum().backward()
        return x.grad.tolist()

    assert run(gradgpu) == pytest.approx(run(torch), rel=1e-12)
