"""(being written) ops: activation."""

from __future__ import annotations

TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
