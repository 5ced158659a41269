"""Registry entries: matmul (1-D, 2-D, batched, broadcast batched, transposed), mm, bmm,
outer, dot and einsum (the contractions linear layers and attention use, ellipsis, implicit
output, diagonals, sums, outer products, size-1 broadcasting)."""

from __future__ import annotations

import numpy as np

import gradgpu

from . import OpInfo, Sample, randn


def _matmul_samples(rng):
    return [
        Sample((randn(rng, 3), randn(rng, 3)), desc="1d_1d"),
        Sample((randn(rng, 2, 3), randn(rng, 3)), desc="2d_1d"),
        Sample((randn(rng, 3), randn(rng, 3, 2)), desc="1d_2d"),
        Sample((randn(rng, 2, 3), randn(rng, 3, 4)), desc="2d_2d"),
        Sample((randn(rng, 2, 2, 3), randn(rng, 2, 3, 2)), desc="batched"),
        Sample((randn(rng, 2, 1, 2, 3), randn(rng, 3, 3, 2)), desc="broadcast_batched"),
        Sample((randn(rng, 2, 2, 3), randn(rng, 3)), desc="batched_1d"),
        Sample((randn(rng, 3), randn(rng, 2, 3, 2)), desc="1d_batched"),
        Sample((randn(rng, 3, 2).T, randn(rng, 4, 3).T), desc="transposed"),
        Sample((randn(rng, 0, 3), randn(rng, 3, 2)), desc="empty_rows"),
        Sample((randn(rng, 2, 0), randn(rng, 0, 3)), desc="empty_inner"),
    ]


def _einsum_case(equation, *shapes, desc=None):
    def make(rng):
        return Sample(tuple(randn(rng, *s) for s in shapes), {"equation": equation},
                      desc=desc or equation)

    return make


_EINSUM_CASES = [
    _einsum_case("ij,jk->ik", (2, 3), (3, 4), desc="matmul"),
    _einsum_case("bij,bjk->bik", (2, 2, 3), (2, 3, 2), desc="bmm"),
    _einsum_case("bhqd,bhkd->bhqk", (1, 2, 3, 2), (1, 2, 4, 2), desc="attention_scores"),
    _einsum_case("bhqk,bhkd->bhqd", (1, 2, 3, 4), (1, 2, 4, 2), desc="attention_values"),
    _einsum_case("...ij,...jk->...ik", (2, 1, 2, 3), (3, 3, 2), desc="ellipsis_broadcast"),
    _einsum_case("ij,jk", (2, 3), (3, 4), desc="implicit"),
    _einsum_case("ii->i", (3, 3), desc="diagonal"),
    _einsum_case("ii", (3, 3), desc="trace"),
    _einsum_case("ij->", (3, 4), desc="sum_all"),
    _einsum_case("ij->j", (3, 4), desc="sum_rows"),
    _einsum_case("i,j->ij", (3,), (4,), desc="outer"),
    _einsum_case("ij->ji", (2, 3), desc="transpose"),
    _einsum_case("bi,oi->bo", (2, 3), (4, 3), desc="linear_layer"),
    _einsum_case("i,i->i", (3,), (1,), desc="size1_broadcast"),
    _einsum_case("iij,jk->ik", (2, 2, 3), (3, 2), desc="diagonal_contraction"),
    _einsum_case("ij,jk,kl->il", (2, 3), (3, 2), (2, 2), desc="three_operands"),
]


def _einsum_samples(rng):
    out = [make(rng) for make in _EINSUM_CASES]
    out.append(Sample((randn(rng, 3, 2).T, randn(rng, 4, 3).T), {"equation": "ij,jk->ik"},
                      desc="transposed"))
    out.append(Sample((randn(rng, 0), randn(rng, 0)), {"equation": "i,i->"}, desc="empty"))
    out.append(Sample(([randn(rng, 2, 3), randn(rng, 3, 2)],), {"equation": "ij,jk->ik"},
                      desc="list"))
    return out


# The equation travels as a keyword so that the operands are the only positional arguments.
def _einsum_op(*operands, equation):
    return gradgpu.einsum(equation, *operands)


def _einsum_ref(*operands, equation):
    if len(operands) == 1 and isinstance(operands[0], list):
        operands = operands[0]
    if equation == "i,i->i":  # numpy does not broadcast size-1 subscripts; PyTorch does
        operands = np.broadcast_arrays(*operands)
    return np.asarray(np.einsum(equation, *operands))


OPS = [
    OpInfo("matmul", gradgpu.matmul, np.matmul, _matmul_samples),
    OpInfo("matmul_operator", lambda a, b: a @ b, np.matmul,
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 3, 2)), desc="2d")]),
    OpInfo("mm", gradgpu.mm, np.matmul,
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 3, 4)), desc="2d"),
                        Sample((randn(rng, 3, 2).T, randn(rng, 3, 4)), desc="transposed")]),
    OpInfo("bmm", gradgpu.bmm, np.matmul,
           lambda rng: [Sample((randn(rng, 2, 2, 3), randn(rng, 2, 3, 2)), desc="3d"),
                        Sample((np.transpose(randn(rng, 2, 3, 2), (0, 2, 1)),
                                randn(rng, 2, 3, 2)), desc="transposed")]),
    OpInfo("outer", gradgpu.outer, np.outer,
           lambda rng: [Sample((randn(rng, 3), randn(rng, 4)), desc="vectors"),
                        Sample((randn(rng, 0), randn(rng, 2)), desc="empty")]),
    OpInfo("dot", gradgpu.dot, lambda a, b: np.asarray(np.dot(a, b)),
           lambda rng: [Sample((randn(rng, 4), randn(rng, 4)), desc="vectors"),
                        Sample((randn(rng, 4, 2)[:, 1], randn(rng, 4)), desc="strided")]),
    OpInfo("einsum", _einsum_op, _einsum_ref, _einsum_samples),
]
