"""PyTorch's top-level forms of nn.functional ops (torch.conv1d, torch.pixel_shuffle...) are the
same gradgpu functions; ops whose top-level form has ATen's other argument order are not bound."""

from __future__ import annotations

import pytest

import gradgpu
import gradgpu.nn.functional as F

SAME_SIGNATURE = [
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "alpha_dropout", "avg_pool1d", "celu",
    "celu_", "channel_shuffle", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
    "conv_transpose2d", "cosine_similarity", "dropout", "group_norm", "layer_norm",
    "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "max_pool3d",
    "native_channel_shuffle", "pairwise_distance", "pixel_shuffle", "pixel_unshuffle", "prelu",
    "relu_", "rms_norm", "rrelu", "rrelu_", "selu", "selu_", "threshold", "threshold_",
]


@pytest.mark.parametrize("name", SAME_SIGNATURE)
def test_top_level_name_is_the_functional_op(name):
    assert getattr(gradgpu, name) is getattr(F, name)


@pytest.mark.parametrize("name", ["batch_norm", "instance_norm", "embedding", "kl_div",
                                  "binary_cross_entropy_with_logits"])
def test_aten_ordered_top_level_forms_are_not_bound_to_the_functional_op(name):
    # torch.embedding(weight, input), torch.batch_norm(input, weight, bias, ...), integer
    # reductions: binding F's function there would silently swap arguments
    assert getattr(gradgpu, name, None) is not getattr(F, name)


def test_tensor_methods_hardshrink_and_prelu():
    x = gradgpu.tensor([-1.0, -0.2, 0.3, 2.0])
    assert x.hardshrink(0.25).tolist() == [-1.0, 0.0, 0.30000001192092896, 2.0]
    assert x.prelu(gradgpu.tensor([0.5])).tolist() == [-0.5, -0.10000000149011612,
                                                       0.30000001192092896, 2.0]
