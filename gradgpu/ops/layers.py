"""(being written) ops: layers."""

from __future__ import annotations

TENSOR_METHODS: dict = {}
FUNCTIONS: dict = {}
