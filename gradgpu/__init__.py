"""gradgpu: PyTorch's autograd and training API on CuPy (GPU) and NumPy (CPU) arrays."""

from __future__ import annotations

from . import _dtypes
from ._device import device, get_default_device, set_default_device
from ._dtypes import (
    dtype,
    finfo,
    iinfo,
    bool_ as bool,  # noqa: A001 - torch.bool
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type as _result_type,
    set_default_dtype,
    uint8,
)
from ._size import Size
from .tensor import Tensor
from .autograd import function as _function

_function._bind_tensor_class(Tensor)

from . import ops  # noqa: E402
from . import _tensor_methods  # noqa: E402

_tensor_methods.install()

from . import autograd, nn, optim, utils  # noqa: E402
from .serialization import load, save  # noqa: E402
from . import backends, cuda, testing  # noqa: E402  - torch.backends, torch.cuda, torch.testing
from ._factories import (  # noqa: E402
    as_tensor,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from ._range_factories import arange, linspace, logspace, tril_indices, triu_indices  # noqa: E402
from ._random_factories import (  # noqa: E402
    normal,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
)
from ._random import (  # noqa: E402
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    randint_like,
    seed,
    set_rng_state,
)
from .autograd.anomaly_mode import (  # noqa: E402
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
)
from .autograd.grad_mode import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

globals().update(ops.public_functions())

from . import linalg  # noqa: E402  - torch.linalg
from . import distributions  # noqa: E402  - torch.distributions (uses the ops above)
from . import special  # noqa: E402  - torch.special
from . import func  # noqa: E402  - torch.func (functional_call only)

half, double, short, long = float16, float64, int16, int64
float = float32  # noqa: A001 - torch.float
int = int32  # noqa: A001 - torch.int


def is_tensor(obj) -> bool:
    """Whether obj is a gradgpu Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> bool:
    return t.is_floating_point()


def numel(t: Tensor) -> int:
    return t.numel()


def result_type(tensor1, tensor2):
    """The dtype PyTorch's promotion gives for an op on these two operands."""
    return _result_type(tensor1, tensor2)


def can_cast(from_, to) -> bool:
    return _dtypes.can_cast(from_, to)


__version__ = "0.1.0"
