"""Weight averaging, as ``torch.optim.swa_utils``.

- ``AveragedModel``: a copy of a model whose parameters are the running average (SWA) or the
  exponential moving average (EMA, ``get_ema_multi_avg_fn``) of the model's over the updates.
- ``update_bn``: recompute the BatchNorm running statistics for the averaged weights with one pass
  over the data (cumulative averages, in train mode, no graph).
- ``SWALR``: anneal each group's learning rate from its initial value to a fixed SWA rate.
"""

from __future__ import annotations

import copy
import itertools
import math

from .. import _dtypes
from .._factories import tensor
from ..autograd.grad_mode import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ._lr_scheduler_base import LRScheduler

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn"]


def get_ema_avg_fn(decay: float = 0.999):
    """avg_fn(ema, current, n) = decay * ema + (1 - decay) * current."""

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """avg_fn(avg, current, n) = avg + (current - avg) / (n + 1): the mean of all n + 1."""

    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def get_ema_multi_avg_fn(decay: float = 0.999):
    """multi_avg_fn updating every EMA parameter in place: ema += (1 - decay) (current - ema)."""

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _num_averaged):
        for ema, current in zip(ema_param_list, current_param_list):
            ema.lerp_(current, 1 - decay)

    return ema_update


def get_swa_multi_avg_fn():
    """multi_avg_fn updating every averaged parameter in place to the mean of n + 1."""

    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        weight = 1.0 / (float(num_averaged) + 1)
        for averaged, current in zip(averaged_param_list, current_param_list):
            averaged.lerp_(current, weight)

    return swa_update


class AveragedModel(Module):
    """A deep copy of ``model`` whose parameters (and, with ``use_buffers``, buffers) are the
    average of the model's over the ``update_parameters`` calls: SWA by default, any average
    with ``avg_fn`` (per tensor, returns the new value) or ``multi_avg_fn`` (in place, all
    tensors at once). Without ``use_buffers`` the buffers are copied from the model at each
    update (average BatchNorm statistics with ``update_bn`` instead). Calling it runs the
    copy."""

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_dtypes.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tensors(self, model: Module):
        if self.use_buffers:
            return itertools.chain(model.parameters(), model.buffers())
        return model.parameters()

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters into the average (the first call copies)."""
        averaged, current = [], []
        first = int(self.n_averaged.item()) == 0
        with no_grad():
            for p_avg, p_model in zip(self._tensors(self.module), self._tensors(model)):
                p_avg = p_avg.detach()
                p_model = p_model.detach().to(p_avg.device)
                averaged.append(p_avg)
                current.append(p_model)
                if first:
                    p_avg.copy_(p_model)
            if not first:
                n = self.n_averaged.to(averaged[0].device) if averaged else self.n_averaged
                if self.multi_avg_fn is not None:
                    self.multi_avg_fn(averaged, current, n)
                else:
                    avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                    for p_avg, p_model in zip(averaged, current):
                        p_avg.copy_(avg_fn(p_avg, p_model, n))
            if not self.use_buffers:  # the buffers follow the model (PyTorch's rule)
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg.detach().copy_(b_model.detach().to(b_avg.device))
            self.n_averaged += 1


@no_grad()
def update_bn(loader, model: Module, device=None) -> None:
    """Recompute the running statistics of ``model``'s BatchNorm layers with one pass over
    ``loader`` (its items, or their first element): reset, cumulative averages (momentum None),
    train mode; momenta and mode restored after."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate from its initial value to ``swa_lr`` (a number, or
    one per group) over ``anneal_epochs`` steps, by a cosine or linear ramp, then hold it:
    lr = swa_lr * a + initial_lr * (1 - a), a = ramp(min(1, step / anneal_epochs))."""

    def __init__(self, optimizer, swa_lr, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        groups = optimizer.param_groups
        rates = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(groups)
        if len(rates) != len(groups):
            raise ValueError(f"swa_lr must have the same length as optimizer.param_groups: "
                             f"swa_lr has {len(rates)}, optimizer.param_groups has "
                             f"{len(groups)}")
        for rate, group in zip(rates, groups):
            group["swa_lr"] = rate
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must by one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" \
            else self._linear_anneal
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        a = self.anneal_func(max(0.0, min(1.0, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * a + group["initial_lr"] * (1 - a)
                for group in self.optimizer.param_groups]
