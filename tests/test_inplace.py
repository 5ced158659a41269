"""In-place ops (add_, sub_, mul_, div_, zero_, fill_, copy_, clamp_) with PyTorch's autograd
rules: leaves that require grad, version counters, and gradients through in-place ops on
non-leaves (expected values computed with torch 2.x)."""

from __future__ import annotations

import numpy as np
import pytest

import gradgpu


def _leaf(values):
    return gradgpu.tensor(values, requires_grad=True)


def test_inplace_ops_return_self_and_compute_values():
    t = gradgpu.tensor([1.0, 2.0, -3.0])
    assert t.add_(1) is t and t.tolist() == [2.0, 3.0, -2.0]
    assert t.sub_(gradgpu.tensor([1.0, 1.0, 1.0])) is t and t.tolist() == [1.0, 2.0, -3.0]
    assert t.mul_(2) is t and t.tolist() == [2.0, 4.0, -6.0]
    assert t.div_(4) is t and t.tolist() == [0.5, 1.0, -1.5]
    assert t.clamp_(-1.0, 0.75) is t and t.tolist() == [0.5, 0.75, -1.0]
    assert t.clamp_(min=0.6) is t and t.tolist() == [0.6000000238418579, 0.75, 0.6000000238418579]
    assert t.fill_(7) is t and t.tolist() == [7.0, 7.0, 7.0]
    assert t.zero_() is t and t.tolist() == [0.0, 0.0, 0.0]
    assert t.copy_(gradgpu.tensor([1, 2, 3])) is t and t.tolist() == [1.0, 2.0, 3.0]
    assert t.add_(gradgpu.tensor([1.0, 1.0, 1.0]), alpha=2).tolist() == [3.0, 4.0, 5.0]


def test_inplace_writes_through_shared_memory():
    a = np.zeros(2, dtype=np.float32)
    t = gradgpu.from_numpy(a)
    t.add_(2)
    assert a.tolist() == [2.0, 2.0]


def test_copy_broadcasts_and_casts():
    t = gradgpu.zeros(2, 3)
    t.copy_(gradgpu.tensor([1, 2, 3]))
    assert t.tolist() == [[1.0, 2.0, 3.0]] * 2 and t.dtype is gradgpu.float32
    with pytest.raises(RuntimeError, match=r"size of src \[4\].*broadcastable to self \[2, 3\]"):
        t.copy_(gradgpu.ones(4))
    with pytest.raises(TypeError, match="must be Tensor"):
        t.copy_([1, 2, 3])


def test_fill_with_0d_tensor_and_rejects_higher_dims():
    t = gradgpu.zeros(2)
    t.fill_(gradgpu.tensor(4.0))
    assert t.tolist() == [4.0, 4.0]
    with pytest.raises(RuntimeError, match="0-dimension value tensor but got tensor with 1"):
        t.fill_(gradgpu.ones(2))


def test_inplace_dtype_and_shape_rules():
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to .* int64"):
        gradgpu.tensor([1, 2]).add_(1.5)
    i = gradgpu.tensor([1, 2])
    i.mul_(3)
    assert i.dtype is gradgpu.int64 and i.tolist() == [3, 6]
    h = gradgpu.ones(2, dtype=gradgpu.float16)
    h.add_(gradgpu.ones(2, dtype=gradgpu.float64))  # same category: cast into self's dtype
    assert h.dtype is gradgpu.float16 and h.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast "
                                           r"shape \[2, 3\]"):
        gradgpu.ones(3).add_(gradgpu.ones(2, 3))


def test_augmented_assignment_is_in_place():
    t = gradgpu.ones(2)
    alias = t
    t += 1
    t *= 3
    t -= 1
    t /= 5
    assert t is alias and t.tolist() == [1.0, 1.0]


def test_version_counter_counts_inplace_writes():
    b = gradgpu.ones(2)
    assert b._version == 0
    b.add_(1)
    b.mul_(2)
    b.zero_()
    assert b._version == 3


# ---- leaves ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "op",
    [lambda t: t.add_(1), lambda t: t.sub_(1), lambda t: t.mul_(2), lambda t: t.div_(2),
     lambda t: t.zero_(), lambda t: t.fill_(3.0), lambda t: t.copy_(gradgpu.ones(2)),
     lambda t: t.clamp_(0, 1)],
)
def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad(op):
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        op(x)
    assert x.tolist() == [1.0, 2.0] and x._version == 0
    with gradgpu.no_grad():
        op(x)
    assert x.tolist() != [1.0, 2.0] and x._version == 1  # the leaf's values did change
    assert x.requires_grad and x.is_leaf and x.grad_fn is None


def test_leaf_update_under_no_grad_like_an_optimizer_step():
    w = _leaf([1.0, 2.0])
    (w * w).sum().backward()
    with gradgpu.no_grad():
        w.sub_(w.grad, alpha=0.5)
    assert w.tolist() == [0.0, 0.0] and w.is_leaf and w.requires_grad
    w.grad.zero_()  # a leaf's grad does not require grad: in-place is fine
    assert w.grad.tolist() == [0.0, 0.0]


# ---- version checks -------------------------------------------------------------------------
def test_modifying_a_saved_input_makes_backward_raise():
    x = _leaf([1.0, 2.0])
    w = x * 1
    y = w * w  # Mul saves w
    w.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[float32 \[2\]\]"
                                           r".* is at version 1; expected version 0 instead "
                                           r"\(saved by MulBackward\)"):
        y.sum().backward()


def test_modifying_a_saved_output_makes_backward_raise():
    x = _leaf([1.0, 2.0])
    y = x.exp()  # Exp saves its output
    y.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward, is at version 1; expected "
                                           "version 0"):
        y.sum().backward()


def test_modifying_a_saved_leaf_under_no_grad_makes_backward_raise():
    x = _leaf([1.0, 2.0])
    y = (x * x).sum()
    with gradgpu.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        y.backward()


def test_modifying_through_detach_bumps_the_shared_version():
    # torch raises here too: detach() shares the version counter with its source
    x = _leaf([1.0, 2.0])
    y = x * 2
    y.mul_(y.detach())
    with pytest.raises(RuntimeError, match="expected version"):
        y.sum().backward()


def test_unsaved_tensor_may_be_modified():
    x = _leaf([1.0, 2.0])
    w = x * 1
    y = w + 1  # Add saves nothing
    w.mul_(3)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    x = _leaf([1.0, 2.0])
    y = gradgpu.ones(2) * 3
    y.div_(x)  # the gradient w.r.t. x needs self's value before the write
    y.sum().backward()
    assert x.grad.tolist() == [-3.0, -0.75]


# ---- gradients through in-place ops on non-leaves (values from torch) --------------------
def test_gradient_through_a_chain_of_inplace_ops():
    x = _leaf([1.0, 2.0, -3.0])
    y = x * 2
    y.mul_(y.detach().clone())
    y.add_(x)
    y.div_(3)
    y.sub_(x * x)
    y.clamp_(-2.0, 3.0)
    (y * gradgpu.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [0.6666666, 2.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [-0.33333325, -2.0, 7.0], rtol=1e-6)
    assert type(y.grad_fn).__name__ == "ClampBackward"


def test_gradient_through_alpha_and_zero():
    x = _leaf([1.0, 2.0, -3.0])
    y = x * 1
    y.add_(x, alpha=2)
    y.sub_(1.5)
    y.mul_(x)
    y.zero_()  # cuts every earlier path
    y.add_(x * x)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, -6.0] and y.tolist() == [1.0, 4.0, 9.0]


def test_mul_inplace_by_the_input_uses_old_values():
    x = _leaf([1.0, 2.0])
    y = x * 1
    y.mul_(x)
    assert type(y.grad_fn).__name__ == "MulBackward"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_div_and_clamp_inplace_gradients():
    x = _leaf([4.0, 2.0])
    y = x * 1
    y.div_(x.detach() + 1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.2, 1 / 3], rtol=1e-6)
    x = _leaf([1.0, -2.0])
    z = x.exp() * 1
    z.clamp_(min=1.0)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [np.e, 0.0], rtol=1e-6)


def test_augmented_assignment_gradients():
    x = _leaf([4.0, 2.0])
    y = x * 1
    y += 1
    y *= 3
    y -= x
    y /= 2
    y.sum().backward()
    assert y.tolist() == [5.5, 3.5] and x.grad.tolist() == [1.0, 1.0]


def test_fill_and_copy_gradients_flow_to_the_value_not_the_old_self():
    x = _leaf([1.0, 2.0])
    s = _leaf(3.0)
    y = x * 1
    y.fill_(s)
    (y * gradgpu.tensor([1.0, 2.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and s.grad.item() == 3.0

    x = _leaf([1.0, 2.0])
    src = _leaf([5.0])
    y = x * 1
    y.copy_(src)
    (y * gradgpu.tensor([1.0, 2.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and src.grad.tolist() == [3.0]


def test_copy_into_a_plain_tensor_records_history():
    x = _leaf([1.0, 2.0])
    y = gradgpu.zeros(2)
    y.copy_(x)
    assert y.requires_grad and y.grad_fn is not None
    (y * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_inplace_with_a_grad_requiring_operand_makes_a_plain_tensor_require_grad():
    x = _leaf([1.0, 2.0])
    y = gradgpu.ones(2)
    y.mul_(x)
    assert y.requires_grad and not y.is_leaf
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    x = _leaf([1.0, 2.0])
    y = gradgpu.ones(2) * 3
    y.div_(x)  # the gradient w.r.t. x needs self's value before the write
    y.sum().backward()
    assert x.grad.tolist() == [-3.0, -0.75]


def test_unary_inplace_variants_match_out_of_place_and_return_self():
    x = gradgpu.tensor([0.25, 0.5, 0.75])
    for name in ("exp", "log", "sqrt", "tanh", "sigmoid", "abs", "neg", "sin", "frac"):
        t = x.clone()
        out = getattr(t, name + "_")()
        assert out is t
        np.testing.assert_allclose(t.numpy(), getattr(x, name)().numpy(), rtol=1e-6)


def test_unary_inplace_on_non_leaf_records_the_op():
    x = gradgpu.tensor([0.1, 0.2], dtype=gradgpu.float64, requires_grad=True)
    y = x * 3
    y.sin_()  # backward needs the pre-write values of y: they were kept aside
    assert type(y.grad_fn).__name__ == "SinBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.cos(3 * np.array([0.1, 0.2])))


def test_inplace_without_graph_writes_into_the_same_array():
    t = gradgpu.ones(3)
    before = t.numpy()
    t.mul_(2).add_(gradgpu.ones(3), alpha=0.5).div_(5)
    assert t.numpy() is before  # same memory: written with out=, not rebuilt
    np.testing.assert_allclose(before, [0.5, 0.5, 0.5])
    assert t._version == 3


def test_optimizer_style_updates_under_no_grad():
    p = gradgpu.tensor([1.0, 2.0], requires_grad=True)
    exp_avg = gradgpu.zeros(2)
    g = gradgpu.tensor([0.5, -1.0])
    with gradgpu.no_grad():
        exp_avg.lerp_(g, 0.1)
        denom = exp_avg.abs().add_(1e-8)
        p.addcdiv_(exp_avg, denom, value=-0.01)
        p.addcmul_(g, g, value=0.5)
    np.testing.assert_allclose(exp_avg.numpy(), [0.05, -0.1])
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.01 + 0.125, 2.0 + 0.01 + 0.5],
                               rtol=1e-6)
    assert p.requires_grad and p.is_leaf


def test_reshaping_inplace_ops_change_shape_and_keep_history():
    x = gradgpu.arange(6.0, requires_grad=True)
    y = x * 2
    y.unsqueeze_(0)
    assert y.shape == (1, 6)
    y.squeeze_()
    y = y.reshape(2, 3)
    y.t_()
    assert y.shape == (3, 2)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(6, 2.0))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.unsqueeze_(0)


def test_reshaping_in_place_bumps_the_version():
    y = gradgpu.ones(3, dtype=gradgpu.float64, requires_grad=True) * 1
    z = y.pow(2)
    y.unsqueeze_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
