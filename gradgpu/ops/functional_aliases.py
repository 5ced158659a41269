"""Top-level names (``torch.conv1d``, ``torch.pixel_shuffle``...) and Tensor methods that PyTorch
also gives to some ``nn.functional`` ops, bound to the same gradgpu functions.

Only ops whose top-level form takes the same arguments as the functional one are listed:
PyTorch's ``torch.batch_norm``, ``torch.instance_norm``, ``torch.embedding`` and the losses at
the top level take ATen's argument order (and an integer ``reduction``), so they are left out
rather than bound to a function with another signature.
"""

from __future__ import annotations

from .activation_composed import (
    celu,
    celu_,
    hardshrink,
    prelu,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    threshold,
    threshold_,
)
from .conv_nd import conv1d, conv3d
from .conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d
from .distance import cosine_similarity, pairwise_distance
from .dropout import alpha_dropout, dropout
from .layers import layer_norm
from .normalization import group_norm, rms_norm
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    avg_pool1d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool3d,
)
from .shuffle import channel_shuffle, native_channel_shuffle, pixel_shuffle, pixel_unshuffle

TENSOR_METHODS = {"hardshrink": hardshrink, "prelu": prelu}

FUNCTIONS = {
    fn.__name__: fn for fn in (
        celu, celu_, relu_, rrelu, rrelu_, selu, selu_, threshold, threshold_, conv1d, conv3d,
        conv_transpose1d, conv_transpose2d, conv_transpose3d, cosine_similarity,
        pairwise_distance, alpha_dropout, dropout, layer_norm, group_norm, rms_norm,
        adaptive_avg_pool1d, adaptive_max_pool1d,
        avg_pool1d, max_pool1d, max_pool1d_with_indices, max_pool3d, channel_shuffle,
        native_channel_shuffle, pixel_shuffle, pixel_unshuffle,
    )
}
