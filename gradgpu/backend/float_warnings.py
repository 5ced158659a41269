"""PyTorch's silence on floating-point exceptions, for the NumPy backend.

PyTorch computes inf * 0 = NaN, 1e30 * 1e30 = inf and the like without a word, as a GPU does.
NumPy warns ("invalid value encountered in multiply"), and under ``python -W error`` raises.
A warning filter scoped to gradgpu's own modules and to NumPy's four floating-point messages
silences those warnings where our ops call NumPy, at no cost until an exception actually
occurs; ``np.errstate`` around every op would cost about 1.1 µs each, a third of an op's host
time. Warnings from user code, NumPy's Python functions and gradgpu's own RuntimeWarnings (other
messages) are left alone. Ops whose IEEE results are routine (log(0), 0/0) still run under the
backend's ``quiet()``, which also keeps pytest's warnings-as-errors quiet in our tests.
"""

from __future__ import annotations

import warnings

# NumPy's messages: "invalid value / overflow / divide by zero / underflow encountered in <ufunc>"
FLOAT_WARNING_MESSAGE = r"(invalid value|overflow|divide by zero|underflow) encountered"
GRADGPU_MODULES = r"gradgpu(\.|$)"


def silence_float_warnings() -> None:
    """Install the filter (idempotent: ``filterwarnings`` drops an equal filter it already has)."""
    warnings.filterwarnings("ignore", message=FLOAT_WARNING_MESSAGE, category=RuntimeWarning,
                            module=GRADGPU_MODULES)
