"""What every loss shares: PyTorch's ``reduction`` argument (with the deprecated
``size_average`` and ``reduce`` flags) and applying it."""

from __future__ import annotations

import warnings

from .._common import Tensor
from ..reduction import mean as _mean
from ..reduction import sum as _sum

_REDUCTIONS = ("none", "mean", "sum")


def _reduction_arg(size_average, reduce, reduction: str) -> str:
    """The reduction, honouring the deprecated ``size_average`` / ``reduce`` flags."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction: str):
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    return loss


def _const(array) -> Tensor:
    return Tensor._make(array)
