"""In-place writes into a view of a tensor in a graph: PyTorch's CopySlices.

``y = x * 2; y[:, 0].mul_(3)`` changes the memory of ``y`` through a view. The in-place op
computes its result from the view's old history as usual (``inplace.commit``); then

- the base takes a new history, ``CopySlices(base_old, result)``: the base's old values with the
  view's region replaced by ``result``. Backward: the base's old history gets ``g`` with the
  region zeroed, the result gets ``g`` read at the region;
- the view takes a new history as a strided view of the new base (``AsStrided``), so ops that use
  the view afterwards reach the new base.

Other views of the base taken before the write (or before an in-place op on the base itself)
are stale: when next used in a recorded op, or asked for their ``grad_fn``, they continue from
the base's current history the same way (``refresh_view``), as PyTorch regenerates them.

The region is described by storage positions (``shape/strided.py``): where each element of the
base and of the view lives in the buffer they share. Backward scatters ``g`` into a buffer-sized
array at the base's positions and reads it back at the view's, with differentiable index ops, so
``create_graph=True`` works.
"""

from __future__ import annotations

from ..autograd.function import Function, retarget_retain_grad, set_view_refresher
from ..autograd.grad_mode import enable_grad
from ._common import Tensor, xp_of
from .elementwise import where
from .shape.strided import (
    AsStrided,
    _flat_storage,
    _may_overlap,
    _positions,
    scatter_to_storage,
)
from .shape.views import reshape


def _geometry(arr, base_arr) -> tuple:
    """(shape, strides in elements, offset in elements) of ``arr`` in the buffer at the root of
    ``base_arr``."""
    _, offset = _flat_storage(arr, base_arr)
    return arr.shape, tuple(s // arr.itemsize for s in arr.strides), offset


class CopySlices(Function):
    """base_new = base_old with the view's region replaced by ``new`` (written in place already);
    d base_old = g, zero in the region;  d new = g read at the region"""

    @staticmethod
    def forward(ctx, base, new, view_geometry, base_geometry):
        ctx.view_geometry, ctx.base_geometry = view_geometry, base_geometry
        ctx.new_dtype = new.dtype
        ctx.mark_dirty(base)
        return base

    @staticmethod
    def backward(ctx, g):
        from .indexing.gather_scatter import IndexSelect  # (indexing imports the in-place ops)

        xp = xp_of(g)
        shape = ctx.base_geometry[0]
        v_shape = ctx.view_geometry[0]
        storage = scatter_to_storage(g, ctx.base_geometry, ctx.view_geometry)
        n = storage._data.shape[0]
        base_pos = Tensor._make(_positions(xp, *ctx.base_geometry).reshape(-1))
        view_pos = _positions(xp, *ctx.view_geometry).reshape(-1)
        grad_new = None
        if ctx.needs_input_grad[1]:
            grad_new = reshape(IndexSelect.apply(storage, 0, Tensor._make(view_pos)), v_shape)
            if grad_new.dtype != ctx.new_dtype:  # (a float64 result written into float32)
                grad_new = grad_new.to(ctx.new_dtype)
        grad_base = None
        if ctx.needs_input_grad[0]:
            region = xp.zeros((n,), dtype=bool)
            region[view_pos] = True
            cleared = where(Tensor._make(region), Tensor._make(xp.zeros((), g._data.dtype)),
                            storage)
            grad_base = reshape(IndexSelect.apply(cleared, 0, base_pos), shape)
        return grad_base, grad_new, None, None


# the node is named as PyTorch names it (not "CopySlicesBackward")
CopySlices._backward_cls.__name__ = CopySlices._backward_cls.__qualname__ = "CopySlices"


def check_view_writable(view: Tensor, op: str) -> None:
    """A recorded write through ``view`` needs each of its elements at a memory location of its
    own (an ``unfold`` or ``as_strided`` window view shares some): the write's gradient would
    count a shared location once per element."""
    arr = view._data
    if _may_overlap(arr.shape, arr.strides):
        raise RuntimeError(f"{op}: in-place write into a view whose elements share memory "
                           f"(shape {list(arr.shape)}, strides {view.stride()}) while "
                           "recording a graph: its gradient is ambiguous; clone() the view "
                           "first")


def rebase_view(view: Tensor, result: Tensor, op: str) -> None:
    """After ``result`` was written into ``view``'s memory: the base takes the CopySlices history
    and ``view`` becomes a strided view of it (see the module docstring)."""
    base = view._base
    try:
        base_geometry = _geometry(base._data, base._data)
        view_geometry = _geometry(view._data, base._data)
    except RuntimeError:  # a base in a buffer of several pieces (never from gradgpu's own ops)
        raise RuntimeError(f"{op}: in-place write into a view of a tensor of shape "
                           f"{list(base.shape)} whose memory is not one contiguous buffer: "
                           "its gradient cannot be recorded; clone() the base first") from None
    CopySlices.apply(base, result, view_geometry, base_geometry)
    _continue_from_base(view, view_geometry)


def refresh_view(view: Tensor) -> None:
    """A view whose base took a new history after the view was taken continues from it
    (``autograd.function.refresh_stale_view`` calls this)."""
    try:
        geometry = _geometry(view._data, view._base._data)
    except RuntimeError:
        raise RuntimeError(f"a view of a tensor of shape {list(view._base.shape)} whose memory "
                           "is not one contiguous buffer was used after its base was modified "
                           "in place: its history cannot be rebuilt; take the view again") from None
    _continue_from_base(view, geometry)


def _continue_from_base(view: Tensor, geometry) -> None:
    """Give ``view`` the history of a strided view of its base's current history."""
    base = view._base
    if base._requires_grad:
        with enable_grad():
            fresh = AsStrided.apply(base, *geometry)
        replaced = (view._grad_fn, view._output_nr)
        view._grad_fn, view._output_nr = fresh._grad_fn, fresh._output_nr
        view._requires_grad = True
        retarget_retain_grad(view, *replaced)
    else:  # the base's history was dropped (a volatile write, the classic API)
        view._grad_fn = None
        view._requires_grad = False
    view._view_of = base._history_gen


set_view_refresher(refresh_view)
