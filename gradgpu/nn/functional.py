"""``gradgpu.nn.functional``: PyTorch's functional API (activations, losses, layers, convolution
and pooling, normalization, attention), each under its PyTorch name. The ops live in
``gradgpu.ops``; this module only gathers them."""

from __future__ import annotations

import warnings

from ..ops.activation import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    logsigmoid,
    mish,
    relu,
    relu6,
    silu,
    softplus,
)
from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import softmax as _softmax
from ..ops.activation_composed import (
    celu,
    celu_,
    elu_,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh_,
    leaky_relu_,
    prelu,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)
from ..ops.attention import multi_head_attention_forward, scaled_dot_product_attention
from ..ops.batch_norm import batch_norm
from ..ops.composite import bilinear
from ..ops.conv import adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d
from ..ops.conv_nd import conv1d, conv3d
from ..ops.conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d
from ..ops.distance import cosine_similarity, pairwise_distance
from ..ops.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from ..ops.elementwise import sigmoid, tanh
from ..ops.embedding_bag import embedding_bag
from ..ops.fold import fold, unfold
from ..ops.grid_sample import affine_grid, grid_sample
from ..ops.interpolate import interpolate
from ..ops.layers import embedding, layer_norm, linear, normalize, pad
from ..ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ..ops.loss.ctc import ctc_loss
from ..ops.normalization import group_norm, instance_norm, local_response_norm, rms_norm
from ..ops.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool1d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
)
from ..ops.sampling_extra import gumbel_softmax, pdist
from ..ops.shuffle import channel_shuffle, native_channel_shuffle, pixel_shuffle, pixel_unshuffle
from ..ops.unpool import max_unpool1d, max_unpool2d, max_unpool3d


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy implicit dim when ``dim`` is None (with its deprecation warning): 0 for
    0-, 1- and 3-D inputs, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (None: PyTorch's implicit dim, with its
    warning); ``dtype`` casts the input first."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None):
    """softmax(-x) along ``dim`` (None: PyTorch's implicit dim, with its warning)."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return _softmax(-input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """log(softmax(x)) along ``dim`` (None: PyTorch's implicit dim, with its warning)."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _log_softmax(input, dim, dtype=dtype)


def one_hot(tensor, num_classes: int = -1):
    """Integer class indices -> int64 one-hot vectors of length num_classes (inferred as
    max + 1 when -1)."""
    from ..ops.indexing import one_hot as _one_hot  # lazily: the indexing module provides it

    return _one_hot(tensor, num_classes)


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (warns, as PyTorch's)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='nearest')`` (warns, as PyTorch's)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)`` (warns, as
    PyTorch's)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


__all__ = [
    "alpha_dropout", "bilinear", "dropout1d", "dropout2d", "dropout3d",
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "celu", "conv2d", "cosine_similarity", "cross_entropy",
    "dropout", "elu", "embedding", "gelu", "glu", "hardsigmoid", "hardswish", "hardtanh",
    "huber_loss", "interpolate", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax",
    "logsigmoid",
    "max_pool2d", "mish", "mse_loss", "multi_head_attention_forward", "nll_loss", "normalize",
    "one_hot", "pad", "pairwise_distance", "prelu", "relu", "relu6",
    "scaled_dot_product_attention", "selu", "sigmoid", "silu", "smooth_l1_loss", "softmax",
    "softmin", "softplus", "softsign", "tanh", "tanhshrink", "threshold", "upsample",
    "upsample_bilinear", "upsample_nearest",
    "group_norm", "instance_norm", "local_response_norm", "rms_norm",
    "hardshrink", "softshrink", "rrelu", "relu_", "elu_", "leaky_relu_", "hardtanh_",
    "threshold_", "selu_", "celu_", "rrelu_",
    "conv1d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "fold",
    "unfold",
    "cosine_embedding_loss", "gaussian_nll_loss", "hinge_embedding_loss", "kl_div",
    "margin_ranking_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "poisson_nll_loss", "soft_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "adaptive_avg_pool1d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "avg_pool1d", "avg_pool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_pool1d", "max_pool1d_with_indices", "max_pool3d",
    "max_pool3d_with_indices", "max_pool2d_with_indices", "channel_shuffle",
    "native_channel_shuffle", "pixel_shuffle", "pixel_unshuffle",
    "ctc_loss", "embedding_bag", "feature_alpha_dropout", "gumbel_softmax", "max_unpool1d",
    "max_unpool2d", "max_unpool3d", "pdist", "affine_grid", "grid_sample",
]
