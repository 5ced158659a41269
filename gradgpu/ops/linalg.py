"""Matrix products: matmul (1-D, 2-D, batched, broadcast), mm, bmm, outer, dot, einsum.

On the GPU ``xp.matmul``/``xp.einsum`` are CuPy's, i.e. cuBLAS GEMMs: a hand-written GEMM would
be slower. float32 products use TF32 only if ``gradgpu.backends.cuda.matmul.allow_tf32``."""

from __future__ import annotations

import math
import string

from .. import _dtypes
from ..autograd.function import Function
from ._common import Tensor, binary_arrays, check_tensor, same_device, xp_of
from .shape import expand, reshape, squeeze, sum_to_shape, unsqueeze


class MatMul(Function):
    """y = a @ b (both at least 2-D, batch dims broadcast);  da = g @ b^T,  db = a^T @ g"""

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b, "matmul")
        ctx.save_for_backward(a, b)
        return folded_matmul(xp_of(a), ad, bd)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = sum_to_shape(g @ b.mT, a._data.shape) if need[0] else None
        gb = None
        if need[1]:
            if b.ndim == 2 and a.ndim > 2:  # one (k, B*m) @ (B*m, n) GEMM, no batch sum after
                rows = folded_rows(a.shape)
                gb = reshape(a, (rows, a.shape[-1])).mT @ reshape(g, (rows, g.shape[-1]))
            else:
                gb = sum_to_shape(a.mT @ g, b._data.shape)
        return ga, gb


def folded_rows(shape) -> int:
    """The rows of ``shape`` folded to a matrix (not reshape(-1, n): ambiguous when n is 0)."""
    return math.prod(shape[:-1])


def folded_matmul(xp, a, b):
    """a @ b; a stack of matrices times one matrix runs as a single 2-D GEMM over the folded
    batch, which BLAS does about twice as fast as NumPy's loop over the batch."""
    if b.ndim == 2 and a.ndim > 2:
        return xp.matmul(a.reshape(folded_rows(a.shape), a.shape[-1]), b).reshape(
            a.shape[:-1] + (b.shape[-1],))
    return xp.matmul(a, b)


def _check_matmul(a, b, op):
    for name, x in (("input", a), ("other", b)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    same_device(op, a, b)
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(f"{op}: both arguments to matmul need to be at least 1D, but they "
                           f"are {a._data.ndim}D and {b._data.ndim}D")
    if a._data.dtype != b._data.dtype:  # PyTorch does not promote in matrix products
        raise RuntimeError(f"{op}: expected both arguments to have the same dtype, but got "
                           f"{a.dtype} {list(a.shape)} and {b.dtype} {list(b.shape)}")


def matmul(input, other):
    """Matrix product with NumPy/PyTorch rules: 1-D operands are promoted and squeezed back."""
    _check_matmul(input, other, "matmul")
    a, b = input, other
    a1, b1 = a._data.ndim == 1, b._data.ndim == 1
    if a1:
        a = unsqueeze(a, 0)
    if b1:
        b = unsqueeze(b, -1)
    ka, kb = a._data.shape[-1], b._data.shape[-2]
    if ka != kb:
        raise RuntimeError(
            f"matmul: mat1 and mat2 shapes cannot be multiplied "
            f"({_mat_desc(input)} and {_mat_desc(other)})"
        )
    try:
        out = MatMul.apply(a, b)
    except ValueError:
        raise RuntimeError(
            f"matmul: batch dimensions of {list(input.shape)} and {list(other.shape)} cannot be "
            "broadcast"
        ) from None
    if a1:
        out = squeeze(out, -2)
    if b1:
        out = squeeze(out, -1)
    return out


def _mat_desc(t):
    s = t._data.shape
    return "x".join(str(d) for d in s) if len(s) != 2 else f"{s[0]}x{s[1]}"


def mm(input, mat2):
    """Product of two 2-D matrices."""
    _check_matmul(input, mat2, "mm")
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {input._data.ndim}D and "
                           f"{mat2._data.ndim}D")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of 3-D tensors with equal batch sizes."""
    _check_matmul(input, mat2, "bmm")
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"bmm: batch1 must be a 3D tensor, batch2 must be a 3D tensor "
                           f"(got {input._data.ndim}D and {mat2._data.ndim}D)")
    if input._data.shape[0] != mat2._data.shape[0]:
        raise RuntimeError(f"bmm: batch1 and batch2 must have same number of batches, got "
                           f"{input._data.shape[0]} and {mat2._data.shape[0]}")
    return matmul(input, mat2)


def mv(input, vec):
    """Product of a 2-D matrix and a 1-D vector."""
    check_tensor(input, "mv", "input")
    check_tensor(vec, "mv", "vec")
    if input._data.ndim != 2 or vec._data.ndim != 1:  # matmul would take any shapes
        raise RuntimeError(f"mv: vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    return matmul(input, vec)


def dot(input, other):
    """Inner product of two 1-D tensors."""
    _check_matmul(input, other, "dot")
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}]"
                           f" and src [{other._data.shape[0]}] to have the same number of "
                           "elements, but got different")
    return matmul(input, other)


def outer(input, vec2):
    """Outer product of two 1-D tensors."""
    if input._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError("outer: expected 1D tensors")
    return unsqueeze(input, 1) * unsqueeze(vec2, 0)


ger = outer


# ---- einsum ----------------------------------------------------------------------------------
_SUBSCRIPTS = string.ascii_letters


class Einsum(Function):
    """y = einsum(terms -> out, *operands) (operands already expanded to consistent sizes);
    d operand_i = einsum of g with the other operands -> term_i (repeated subscripts of term_i
    put back on the diagonal with identity operands, subscripts found nowhere else broadcast)"""

    @staticmethod
    def forward(ctx, spec, *operands):
        terms, out, sizes = spec
        ctx.spec = spec
        ctx.save_for_backward(*operands)
        arrays = [t._data for t in operands]
        xp = xp_of(operands[0])
        return xp.asarray(xp.einsum(",".join(terms) + "->" + out, *arrays, optimize=True))

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        need = ctx.needs_input_grad
        grads = [_einsum_operand_grad(g, operands, ctx.spec, i) if need[i + 1] else None
                 for i in range(len(operands))]
        return (None, *grads)


def _einsum_operand_grad(g, operands, spec, i):
    terms, out, sizes = spec
    used = set(out).union(*terms)
    free = [c for c in _SUBSCRIPTS if c not in used]
    target, deltas, seen = [], [], set()
    for c in terms[i]:
        if c in seen:  # a repeated subscript (diagonal): a fresh one tied to it by an identity
            f = free.pop()
            deltas.append((c, f))
            target.append(f)
        else:
            seen.add(c)
            target.append(c)
    subs = [out] + [t for j, t in enumerate(terms) if j != i] + [c + f for c, f in deltas]
    avail = set().union(*subs)
    computed = "".join(c for c in target if c in avail)
    xp = xp_of(g)
    ops = ([g] + [t for j, t in enumerate(operands) if j != i]
           + [Tensor._make(xp.eye(sizes[c], dtype=g._data.dtype)) for c, _ in deltas])
    new_sizes = dict(sizes, **{f: sizes[c] for c, f in deltas})
    if subs == [computed]:
        grad = g
    else:
        grad = Einsum.apply((tuple(subs), computed, new_sizes), *ops)
    if len(computed) != len(target):  # subscripts summed only inside this operand: broadcast
        shape = tuple(new_sizes[c] for c in target)
        grad = expand(reshape(grad, tuple(s if c in avail else 1 for c, s in zip(target, shape))),
                      shape)
    return grad


def _einsum_error(msg):
    return RuntimeError(f"einsum(): {msg}")


def _einsum_tokens(term, start, which):
    """Subscripts of one term; None stands for its ellipsis."""
    tokens, k = [], 0
    while k < len(term):
        if term.startswith("...", k):
            if None in tokens:
                raise _einsum_error(f"found '.' for {which} for which an ellipsis was already "
                                    "found")
            tokens.append(None)
            k += 3
            continue
        c = term[k]
        if c == ".":
            raise _einsum_error(f"found '.' for {which} that is not part of any ellipsis")
        if c not in _SUBSCRIPTS:
            raise _einsum_error(f"invalid subscript given at index {start + k} in the equation "
                                "string, subscripts must be in [a-zA-Z]")
        tokens.append(c)
        k += 1
    return tokens


def _parse_einsum(equation, shapes):
    """(terms, out, sizes): one subscript per dim of every operand (ellipses replaced by
    unused letters, right-aligned), the output subscripts, and each subscript's size."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    raw = lhs.split(",")
    if len(raw) > len(shapes):
        raise _einsum_error(f"fewer operands were provided than specified in the equation "
                            f"'{equation}' ({len(shapes)} given, {len(raw)} specified)")
    if len(raw) < len(shapes):
        raise _einsum_error(f"more operands were provided than specified in the equation "
                            f"'{equation}' ({len(shapes)} given, {len(raw)} specified)")
    parsed, start = [], 0
    for i, term in enumerate(raw):
        parsed.append(_einsum_tokens(term, start, f"operand {i}"))
        start += len(term) + 1
    out_tokens = _einsum_tokens(rhs, start + 1, "the output") if arrow else None

    ell_dims = []
    for i, (tokens, shape) in enumerate(zip(parsed, shapes)):
        named = len(tokens) - (None in tokens)
        if None not in tokens and named != len(shape):
            raise _einsum_error(f"the number of subscripts in the equation ({named}) does not "
                                f"match the number of dimensions ({len(shape)}) for operand {i} "
                                "and no ellipsis was given")
        if named > len(shape):
            raise _einsum_error(f"the number of subscripts in the equation ({named}) is more "
                                f"than the number of dimensions ({len(shape)}) for operand {i}")
        ell_dims.append(len(shape) - named if None in tokens else 0)
    used = {c for tokens in parsed for c in tokens if c}
    ell = [c for c in _SUBSCRIPTS if c not in used][:max(ell_dims, default=0)]

    terms = []
    for tokens, n in zip(parsed, ell_dims):
        letters = []
        for c in tokens:
            letters.extend(ell[len(ell) - n:] if c is None else [c])
        terms.append("".join(letters))

    if out_tokens is None:  # implicit output: ellipsis dims, then subscripts seen once, sorted
        counts: dict = {}
        for c in "".join(t for tokens in parsed for t in tokens if t):
            counts[c] = counts.get(c, 0) + 1
        out = "".join(ell) + "".join(sorted(c for c, k in counts.items() if k == 1))
    else:
        out = ""
        for c in out_tokens:
            if c is None:
                out += "".join(ell)
                continue
            if c in out:
                raise _einsum_error(f"output subscript {c} appears more than once in the output")
            if c not in used:
                raise _einsum_error(f"output subscript {c} does not appear in the equation for "
                                    "any input operand")
            out += c

    sizes: dict = {}
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        mine: dict = {}
        for c, s in zip(term, shape):
            if c in mine and mine[c] != s:
                raise _einsum_error(f"subscript {c} is repeated for operand {i} but the sizes "
                                    f"don't match, {s} != {mine[c]}")
            mine[c] = s
            seen = sizes.get(c, 1)
            if s != 1 and seen != 1 and s != seen:
                raise _einsum_error(f"subscript {c} has size {s} for operand {i} which does not "
                                    f"broadcast with previously seen size {seen} (operand "
                                    f"shapes {[list(x) for x in shapes]})")
            sizes[c] = s if seen == 1 else seen
    return tuple(terms), out, sizes


def einsum(equation: str, *operands):
    """Einstein summation over ``operands`` (or one list of them), with PyTorch's rules:
    implicit output, ellipsis broadcasting, repeated subscripts (diagonals) and size-1
    broadcasting."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): equation must be a str, not {type(equation).__name__}")
    if not operands:
        raise _einsum_error("must provide at least one operand")
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(t).__name__}")
    same_device("einsum", *operands)
    terms, out, sizes = _parse_einsum(equation, [tuple(t.shape) for t in operands])
    dt = operands[0].dtype
    for t in operands[1:]:
        dt = _dtypes.promote_types(dt, t.dtype)
    fixed = []
    for t, term in zip(operands, terms):
        t = t.to(dt) if t.dtype is not dt else t
        full = tuple(sizes[c] for c in term)
        fixed.append(expand(t, full) if tuple(t.shape) != full else t)
    return Einsum.apply((terms, out, sizes), *fixed)


TENSOR_METHODS = {"matmul": matmul, "mm": mm, "bmm": bmm, "mv": mv, "dot": dot,
                  "outer": outer, "ger": outer}
FUNCTIONS = {"einsum": einsum}
