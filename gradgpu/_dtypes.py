"""gradgpu dtypes: thin named wrappers over NumPy dtypes, with PyTorch's promotion rules."""

from __future__ import annotations

import numpy as np

# Type categories, ordered: a higher category wins in promotion (bool < integer < floating).
_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    """A tensor element type (``gradgpu.float32`` ...); compares by identity like torch.dtype."""

    __slots__ = ("name", "np", "category", "itemsize", "is_floating_point", "is_signed")

    def __init__(self, name: str, np_dtype: np.dtype, category: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_floating_point = category == _FLOAT
        self.is_signed = self.np.kind in "if"

    is_complex = False

    def __repr__(self) -> str:
        return f"gradgpu.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self) -> dtype:
        return self


bool_ = dtype("bool", np.bool_, _BOOL)
uint8 = dtype("uint8", np.uint8, _INT)
int8 = dtype("int8", np.int8, _INT)
int16 = dtype("int16", np.int16, _INT)
int32 = dtype("int32", np.int32, _INT)
int64 = dtype("int64", np.int64, _INT)
float16 = dtype("float16", np.float16, _FLOAT)
float32 = dtype("float32", np.float32, _FLOAT)
float64 = dtype("float64", np.float64, _FLOAT)

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL_DTYPES}
_NAMES = {d.name: d for d in ALL_DTYPES}
_NAMES.update(
    half=float16, float=float32, double=float64, short=int16, int=int32, long=int64
)


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The gradgpu dtype of a NumPy/CuPy dtype; raises TypeError for unsupported ones."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        supported = ", ".join(d.name for d in ALL_DTYPES)
        raise TypeError(
            f"can't convert array of dtype {np_dtype}; the only supported types are: {supported}"
        ) from None


def as_dtype(spec) -> dtype:
    """Normalize a user dtype argument: gradgpu dtype, NumPy dtype, name, or Python type."""
    if isinstance(spec, dtype):
        return spec
    if spec is float:
        return float64
    if spec is int:
        return int64
    if spec is bool:
        return bool_
    if isinstance(spec, str) and spec in _NAMES:
        return _NAMES[spec]
    return from_numpy_dtype(spec)


# ---- default dtype (process-wide, like torch.set_default_dtype) ---------------------------
_default = [float32]


def get_default_dtype() -> dtype:
    """The dtype of Python floats turned into tensors (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the default floating dtype (float16, float32 or float64), as torch does."""
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


# ---- numeric limits -----------------------------------------------------------------------
class finfo:
    """Limits of a floating dtype (``gradgpu.finfo(gradgpu.float32).min`` ...)."""

    def __init__(self, type=None) -> None:
        d = get_default_dtype() if type is None else as_dtype(type)
        if not d.is_floating_point:
            raise TypeError(f"finfo(): {d} is not a floating point dtype; use iinfo")
        info = np.finfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        # 10**-precision as a Python float (1e-06), not NumPy's float32 rounding of it
        self.resolution = 10.0 ** -info.precision

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype."""

    def __init__(self, type) -> None:
        d = as_dtype(type)
        if d.category != _INT:
            raise TypeError(f"iinfo(): {d} is not an integer dtype; use finfo")
        info = np.iinfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.max = int(info.max)
        self.min = int(info.min)

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# ---- promotion ----------------------------------------------------------------------------
def promote_types(a: dtype, b: dtype) -> dtype:
    """PyTorch's promote_types: the higher category wins outright; within one, the wider."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == _INT and a.is_signed != b.is_signed:
        unsigned, signed = (a, b) if not a.is_signed else (b, a)
        if signed.itemsize > unsigned.itemsize:
            return signed
        return {1: int16, 2: int32, 4: int64}.get(unsigned.itemsize, int64)
    return a if a.itemsize >= b.itemsize else b


def _scalar_category(value) -> int:
    if isinstance(value, (bool, np.bool_)):
        return _BOOL
    if isinstance(value, (int, np.integer)):
        return _INT
    return _FLOAT


def _default_for_category(category: int) -> dtype:
    return (bool_, int64, get_default_dtype())[category]


def result_type(*operands) -> dtype:
    """PyTorch's result_type over tensors and Python scalars.

    Three priority groups: tensors with dims, 0-d tensors, then Python numbers. A lower group only
    changes the result if it brings a higher category; Python numbers then give the default dtype
    of their category (so ``int_tensor * 2.5`` is float32, ``half_tensor * 2.5`` stays float16).
    """
    dim_t = zero_t = None
    scalar_cat = -1
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):
            if op.ndim:
                dim_t = d if dim_t is None else promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote_types(zero_t, d)
        else:
            scalar_cat = max(scalar_cat, _scalar_category(op))
    out = dim_t
    if zero_t is not None and (out is None or zero_t.category > out.category):
        out = zero_t
    if scalar_cat >= 0 and (out is None or scalar_cat > out.category):
        out = _default_for_category(scalar_cat)
    return out


def can_cast(src: dtype, dst: dtype) -> bool:
    """Whether an in-place op may write a result of dtype src into a tensor of dtype dst."""
    return src.category <= dst.category


def scalar_fits(value, d: dtype) -> bool:
    """Whether PyTorch accepts the number ``value`` for a tensor of dtype ``d``.

    c10's ``checked_convert``: floating and bool dtypes take any number; an integer dtype takes a
    float inside its range (NaN and inf never) and an int inside its range, where an unsigned
    dtype also takes -max..-1 (they wrap, as ``uint8_tensor - 1`` relies on).
    """
    if d.category != _INT or isinstance(value, (bool, np.bool_)):
        return True
    info = np.iinfo(d.np)
    if isinstance(value, (float, np.floating)):
        return info.min <= value <= info.max  # Python compares float with int exactly; NaN fails
    lo = info.min if d.is_signed else -int(info.max)
    return lo <= int(value) <= info.max


def check_scalar_fits(value, d: dtype) -> None:
    """Raise PyTorch's RuntimeError when ``value`` overflows dtype ``d`` (see scalar_fits)."""
    if not scalar_fits(value, d):
        raise RuntimeError(f"value cannot be converted to type {d.name} without overflow")
