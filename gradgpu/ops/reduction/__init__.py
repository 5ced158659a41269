"""Reductions over ``dim`` (int, tuple or None) with ``keepdim``: sum, mean, prod, max/min,
amax/amin, argmax/argmin, var/std, logsumexp, norm, all/any, count_nonzero, and the scans
cumsum/cumprod, cummax/cummin and logcumsumexp.

Backward broadcasts the output gradient back over the reduced dims (``_expand_back``).
Reductions that pick elements (max with dim, sort, topk) route the gradient through the
gather/scatter pair ``TakeAlong``/``PutAlong`` defined here, which are each other's backward.
"""

from __future__ import annotations

from . import (
    cumulative_extrema,
    differences,
    extrema,
    histograms,
    nan_reductions,
    order_statistics,
    pairwise,
    statistics,
    sums,
)
from .along import PutAlong, TakeAlong, take_along
from .cumulative_extrema import LogCumSumExp, cummax, cummin, logcumsumexp
from .extrema import SelectEven, amax, amin, argmax, argmin, max, min, return_type
from .statistics import LogSumExp, PNorm, Var, all, any, count_nonzero, logsumexp, norm, std, var
from .sums import Cumprod, Cumsum, Mean, Prod, Sum, cumprod, cumsum, mean, prod, sum

__all__ = [
    "TakeAlong", "PutAlong", "take_along", "return_type", "SelectEven", "amax", "amin", "max",
    "min", "argmax", "argmin", "Var", "var", "std", "LogSumExp", "logsumexp", "PNorm", "norm",
    "all", "any", "count_nonzero", "Sum", "sum", "Mean", "mean", "Prod", "prod", "Cumsum",
    "cumsum", "Cumprod", "cumprod", "cummax", "cummin", "LogCumSumExp", "logcumsumexp",
]

TENSOR_METHODS = {
    **sums.TENSOR_METHODS, **extrema.TENSOR_METHODS, **statistics.TENSOR_METHODS,
    **cumulative_extrema.TENSOR_METHODS, **nan_reductions.TENSOR_METHODS,
    **order_statistics.TENSOR_METHODS, **histograms.TENSOR_METHODS, **pairwise.TENSOR_METHODS,
    **differences.TENSOR_METHODS,
}
FUNCTIONS = {**nan_reductions.FUNCTIONS, **pairwise.FUNCTIONS, **differences.FUNCTIONS}
