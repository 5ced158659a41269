"""(being written) ops: sorting."""

from __future__ import annotations

TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
