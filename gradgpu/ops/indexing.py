"""(being written) ops: indexing."""

from __future__ import annotations

TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
