"""gradgpu.utils.checkpoint: gradients equal to the un-checkpointed run (parameters, dropout,
kwargs, nested outputs, captured tensors, nesting, double backward), intermediates dropped and
recomputed, and PyTorch's error and warning contracts."""

from __future__ import annotations

import contextlib
import gc
import itertools
import weakref

import numpy as np
import pytest

import gradgpu
import gradgpu.utils.checkpoint
from gradgpu import nn
from gradgpu.autograd import Function, gradcheck, gradgradcheck
from gradgpu.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

F64 = gradgpu.float64


class Block(nn.Module):
    """A residual MLP block with dropout: parameters that are not checkpoint arguments."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.l1 = nn.Linear(4, 8)
        self.l2 = nn.Linear(8, 4)
        self.drop = nn.Dropout(p)

    def forward(self, x, scale=1.0):
        return self.l2(self.drop(self.l1(x).tanh())) * scale + x


def _grads(out, tensors):
    loss = sum((o ** 2).sum() for o in out) if isinstance(out, (tuple, list)) else (out ** 2).sum()
    return [g.detach() for g in gradgpu.autograd.grad(loss, tensors)]


def _close(a, b):
    for p, q in zip(a, b):
        np.testing.assert_allclose(p.cpu().numpy(), q.cpu().numpy(), rtol=1e-12, atol=1e-12)


def _module_and_input(device, p=0.5):
    block = Block(p).to(device=device, dtype=F64)
    x = gradgpu.randn(3, 4, dtype=F64, device=device, requires_grad=True)
    return block, x


def test_import_paths():
    assert "checkpoint" in gradgpu.utils.__all__
    assert issubclass(CheckpointError, RuntimeError)


def test_module_parameters_get_gradients_with_dropout_and_kwargs(device):
    block, x = _module_and_input(device)
    wanted = [x, *block.parameters()]
    gradgpu.manual_seed(1)
    plain = _grads(block(x, scale=2.0), wanted)
    gradgpu.manual_seed(1)
    y = checkpoint(block, x, use_reentrant=False, scale=2.0)
    assert type(y.grad_fn).__name__ == "CheckpointBackward"
    _close(_grads(y, wanted), plain)  # same dropout mask in the recomputation
    after_checkpoint = gradgpu.rand(2, device=device)
    gradgpu.manual_seed(1)
    block(x, scale=2.0)
    # backward put the RNG back where the forward left it
    _close([after_checkpoint], [gradgpu.rand(2, device=device)])


def test_without_preserved_rng_state_the_mask_differs():
    block, x = _module_and_input("cpu", p=0.5)
    wanted = [x, *block.parameters()]
    gradgpu.manual_seed(1)
    plain_out = block(x)
    plain = _grads(plain_out, wanted)
    gradgpu.manual_seed(1)
    y = checkpoint(block, x, use_reentrant=False, preserve_rng_state=False)
    _close([y.detach()], [plain_out.detach()])
    assert not np.allclose(_grads(y, wanted)[0].numpy(), plain[0].numpy())


def test_backward_accumulates_into_parameter_grads():
    block, x = _module_and_input("cpu", p=0.0)
    (block(x) ** 2).sum().backward()
    plain = [p.grad.clone() for p in (x, *block.parameters())]
    for p in (x, *block.parameters()):
        p.grad = None
    (checkpoint(block, x, use_reentrant=False) ** 2).sum().backward()
    _close([p.grad for p in (x, *block.parameters())], plain)


def test_nested_outputs_non_tensor_args_and_inputs_without_grad(device):
    w = gradgpu.randn(4, 4, dtype=F64, device=device, requires_grad=True)
    x = gradgpu.randn(3, 4, dtype=F64, device=device)  # requires no grad: w still gets one

    def fn(a, ws, k, mode="sin"):
        h = getattr(a @ ws[0], mode)() * k
        return h, {"sum": h.sum(), "idx": h.argmax(), "tag": "t"}, [h.exp(), 3]

    out = checkpoint(fn, x, [w], 2.0, use_reentrant=False, mode="cos")
    ref = fn(x, [w], 2.0, mode="cos")
    assert out[1]["tag"] == "t" and out[2][1] == 3 and not out[1]["idx"].requires_grad

    def flat(o):
        return [o[0], o[1]["sum"], o[2][0]]

    _close([t.detach() for t in flat(out)], [t.detach() for t in flat(ref)])
    _close(_grads(flat(out), [w]), _grads(flat(ref), [w]))


def test_captured_non_leaf_tensor_and_backward_inputs():
    x = gradgpu.randn(3, 4, dtype=F64, requires_grad=True)
    w = gradgpu.randn(4, 4, dtype=F64, requires_grad=True)

    def run(ck):
        h = (w * 2).sin()  # captured by fn, with a history outside it
        fn = lambda a: (a @ h).tanh() @ w  # noqa: E731
        return checkpoint(fn, x, use_reentrant=False) if ck else fn(x)

    _close(_grads(run(True), [x, w]), _grads(run(False), [x, w]))
    (run(True) ** 2).sum().backward(inputs=[w])
    assert x.grad is None
    w_grad = w.grad.clone()
    w.grad = None
    (run(False) ** 2).sum().backward(inputs=[w])
    _close([w_grad], [w.grad])


def test_tensor_kept_alive_from_inside_the_function():
    x = gradgpu.randn(3, 4, dtype=F64, requires_grad=True)
    w = gradgpu.randn(4, 4, dtype=F64, requires_grad=True)
    cache = {}

    def fn(a):
        cache["t"] = t = (a @ w).tanh()
        return t.relu() * 3

    _close(_grads(checkpoint(fn, x, use_reentrant=False), [x, w]), _grads(fn(x), [x, w]))


def test_tensors_from_outside_are_returned_as_they_are():
    x = gradgpu.randn(3, dtype=F64, requires_grad=True)
    w = gradgpu.randn(3, dtype=F64, requires_grad=True)
    a, b, c = checkpoint(lambda t: (t, t * w, w), x, use_reentrant=False)
    assert a is x and c is w  # as PyTorch: the function's own outputs
    assert type(b.grad_fn).__name__ == "CheckpointBackward"
    gx, gw = gradgpu.autograd.grad(a.sum() + b.sum() + (c ** 2).sum(), [x, w])
    _close([gx, gw], [1 + w.detach(), x.detach() + 2 * w.detach()])


def test_retain_grad_called_inside_the_function_holds_for_its_output():
    x = gradgpu.randn(3, dtype=F64, requires_grad=True)

    def fn(a):
        out = a.sin()
        out.retain_grad()
        return out

    y = checkpoint(fn, x, use_reentrant=False)
    (y * 3).sum().backward()
    _close([y.grad], [gradgpu.full((3,), 3.0, dtype=F64)])


def test_an_output_viewing_an_argument_shares_its_version_and_base():
    x = gradgpu.randn(3, 4, dtype=F64)  # requires no grad: its views may be written in place
    w = gradgpu.randn(4, dtype=F64, requires_grad=True)
    row, y = checkpoint(lambda a: (a[0], (a * w).sin()), x, use_reentrant=False)
    assert row._base is x
    row.mul_(2)  # writes into x, which the recomputation would read
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    v = gradgpu.randn(3, 4, dtype=F64, requires_grad=True) * 1
    row, y = checkpoint(lambda a: (a[0], a.sin()), v, use_reentrant=False)
    with pytest.raises(RuntimeError, match="in-place modification of a view"):
        row.mul_(2)  # as on any view of a tensor that requires grad


def test_function_changing_its_argument_in_place_raises_in_backward():
    x = gradgpu.randn(3, dtype=F64, requires_grad=True)
    a = x * 1

    def fn(t):
        t.add_(1)
        return t.exp()

    y = checkpoint(fn, a, use_reentrant=False)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[float64 \[3\]\], "
                                           "which is tensor argument 0 of the checkpointed"):
        y.sum().backward()
    _close([a.detach()], [x.detach() + 1])  # the recomputation did not write into it again


def test_recomputation_that_reaches_the_outer_graph_raises_and_leaves_it_intact():
    x = gradgpu.randn(3, dtype=F64, requires_grad=True)
    h = x * 3  # not used by the forward, used by the recomputation
    calls = itertools.count()
    y = checkpoint(lambda a: a * 2 + (h if next(calls) else 0), x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="more operations than the 2 of the forward"):
        y.sum().backward()
    assert h.grad_fn.next_functions[0][0].variable is x  # its edge was put back
    (h ** 2).sum().backward()
    _close([x.grad], [18 * x.detach()])


def test_kept_alive_tensor_as_only_path_to_a_captured_history_raises():
    x = gradgpu.randn(3, 4, dtype=F64, requires_grad=True)
    h = gradgpu.randn(4, 4, dtype=F64, requires_grad=True).sin()
    cache = {}

    def fn(a):
        cache["t"] = t = a @ h
        return t.tanh()

    y = checkpoint(fn, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="reached SinBackward, a node from outside"):
        y.sum().backward()


def test_nested_checkpoint_and_double_backward():
    x = gradgpu.randn(3, 4, dtype=F64, requires_grad=True)
    w = gradgpu.randn(4, 4, dtype=F64, requires_grad=True)

    def inner(a):
        return (a @ w).sin()

    def run(ck):
        if ck:
            outer = lambda a: checkpoint(inner, a * 3, use_reentrant=False).cos() @ w  # noqa
            y = checkpoint(outer, x, use_reentrant=False)
        else:
            y = inner(x * 3).cos() @ w
        gx, gw = gradgpu.autograd.grad((y ** 2).sum(), [x, w], create_graph=True)
        hx, hw = gradgpu.autograd.grad((gx ** 2).sum() + (gw * w).sum(), [x, w])
        return gx.detach(), gw.detach(), hx, hw

    for a, b in zip(run(True), run(False)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-10)


def test_gradcheck_and_gradgradcheck_through_checkpoint():
    x = gradgpu.randn(2, 3, dtype=F64, requires_grad=True)
    w = gradgpu.randn(3, 3, dtype=F64, requires_grad=True)

    def fn(a, b):
        return checkpoint(lambda p, q: (p @ q).tanh() * p.exp(), a, b, use_reentrant=False)

    assert gradcheck(fn, (x, w))
    assert gradgradcheck(fn, (x, w))


class _Probe(Function):
    """y = 2 x, counting its forward and backward calls and saving x (the intermediate under
    watch)."""

    calls = 0
    backward_calls = 0

    @staticmethod
    def forward(ctx, x):
        _Probe.calls += 1
        ctx.save_for_backward(x)
        return x._data * 2

    @staticmethod
    def backward(ctx, g):
        (_x,) = ctx.saved_tensors  # raises if the saved input was freed
        _Probe.backward_calls += 1
        return g * 2


def test_intermediates_are_dropped_and_recomputed():
    x = gradgpu.randn(5, dtype=F64, requires_grad=True)
    seen = []

    def fn(a):
        mid = a.sin()  # saved by _Probe: kept alive by the graph unless checkpointed
        seen.append(weakref.ref(mid))
        return _Probe.apply(mid).exp()

    _Probe.calls = 0
    plain = fn(x)
    gc.collect()
    assert seen[0]() is not None and _Probe.calls == 1
    y = checkpoint(fn, x, use_reentrant=False)
    gc.collect()
    assert seen[1]() is None and _Probe.calls == 2  # forward ran once, kept nothing
    _close(_grads(y, [x]), _grads(plain, [x]))
    assert _Probe.calls == 3  # backward ran it again


def test_an_unused_output_is_not_backpropagated():
    x = gradgpu.randn(5, dtype=F64, requires_grad=True)
    used, _unused = checkpoint(lambda a: (a.sin(), _Probe.apply(a.cos())), x, use_reentrant=False)
    _Probe.backward_calls = 0
    _close(_grads(used, [x]), [2 * x.detach().sin() * x.detach().cos()])
    assert _Probe.backward_calls == 0  # (not run with a zero gradient)


def test_no_grad_just_runs_the_function():
    block, x = _module_and_input("cpu", p=0.0)
    with gradgpu.no_grad():
        y = checkpoint(block, x, use_reentrant=False)
    assert not y.requires_grad and y.grad_fn is None
    _close([y], [block(x).detach()])


def test_checkpoint_sequential_matches_sequential(device):
    seq = nn.Sequential(*[nn.Linear(4, 4) for _ in range(5)]).to(device=device, dtype=F64)
    x = gradgpu.randn(3, 4, dtype=F64, device=device, requires_grad=True)
    wanted = [x, *seq.parameters()]
    for model in (seq, list(seq)):
        y = checkpoint_sequential(model, 2, x, use_reentrant=False)
        _close([y.detach()], [seq(x).detach()])
        _close(_grads(y, wanted), _grads(seq(x), wanted))
    calls = [0] * 5

    def counted(j):
        def layer(a):
            calls[j] += 1
            return seq[j](a)
        return layer

    _grads(checkpoint_sequential([counted(j) for j in range(5)], 2, x, use_reentrant=False), [x])
    assert calls == [2, 2, 1, 1, 1]  # the first segment (2 layers) is run again in backward


def test_context_fn_wraps_forward_and_recomputation():
    entered = []

    def context_fn():
        return (contextlib.nullcontext(entered.append("forward")),
                contextlib.nullcontext(entered.append("recompute")))

    x = gradgpu.randn(3, dtype=F64, requires_grad=True)
    y = checkpoint(lambda a: a.sin(), x, use_reentrant=False, context_fn=context_fn)
    y.sum().backward()
    assert entered == ["forward", "recompute"]


def test_use_reentrant_not_given_warns_and_reentrant_contracts():
    x = gradgpu.randn(3, dtype=F64, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        y = checkpoint(lambda a: a.sin(), x)
    (g,) = gradgpu.autograd.grad(y.sum(), x)
    _close([g], [x.detach().cos()])
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant parameter"):
        checkpoint_sequential([lambda a: a * 2], 1, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: k"):
        checkpoint(lambda a, k: a, x, use_reentrant=True, k=1)
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(lambda a: a, x, use_reentrant=True, debug=True)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = checkpoint(lambda a: a * 2, x.detach(), use_reentrant=True)
    assert not out.requires_grad


def test_argument_errors():
    x = gradgpu.randn(3, dtype=F64, requires_grad=True)
    with pytest.raises(ValueError, match=r"determinism_check should be one of \['default', "
                                         r"'none'\], but got x"):
        checkpoint(lambda a: a, x, use_reentrant=False, determinism_check="x")
    with pytest.raises(ValueError, match="debug=True is incompatible with non-default"):
        checkpoint(lambda a: a, x, use_reentrant=False, debug=True,
                   context_fn=lambda: (contextlib.nullcontext(), contextlib.nullcontext()))
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint_sequential([lambda a: a], 1, x, use_reentrant=False, foo=1)


def test_recomputation_that_differs_raises():
    x = gradgpu.randn(3, 4, dtype=F64, requires_grad=True)
    count = itertools.count()
    y = checkpoint(lambda a: a[: 3 - next(count)] * 2, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match=r"different metadata(.|\n)*saved metadata: "
                                              r"\{'shape': \[3, 4\]"):
        y.sum().backward()


def test_second_backward_and_in_place_change_of_an_input_raise():
    x = gradgpu.randn(3, dtype=F64, requires_grad=True)
    s = checkpoint(lambda a: a.sin(), x, use_reentrant=False).sum()
    s.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        s.backward()
    a = x.clone()
    y = checkpoint(lambda t: t.sin(), a, use_reentrant=False)
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
