"""(being written) ops: loss."""

from __future__ import annotations

TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
