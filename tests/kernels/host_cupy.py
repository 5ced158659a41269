"""A host stand-in for the two CuPy kernel classes the CUDA backend builds from strings —
``ElementwiseKernel`` and ``ReductionKernel`` — so that the exact kernel text our backend writes
(one-line operations, ``gg::`` template calls, identities, reduce types, inlined headers) is
compiled with nvcc for the CPU and run on NumPy arrays against the NumPy reference.

It follows CuPy's documented kernel semantics: input parameters are values named as declared
(``raw`` ones: the flat C-order array, indexed by hand), outputs are references, ``i`` is the
flat index of the (broadcast, C-order) output element or below ``size=`` when that is given,
one-letter placeholders resolve from the arguments' dtypes, a reduction starts from
``identity``, folds ``reduce_expr`` over ``map_expr`` in ``reduce_type`` and stores through
``post_map_expr``. It is not a GPU emulator: block kernels (``RawKernel``: threads, shared
memory, shuffles) cannot run here, and float16 (CuPy's own ``float16`` class) is not modelled.

Kernels are compiled in batches: run the code once under ``recording()`` (every launch returns
zeros and is remembered), call ``build()`` (one nvcc run per distinct preamble), then run again.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import types

import numpy as np

_CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double",
           np.dtype(np.int32): "int", np.dtype(np.int64): "long long",
           np.dtype(np.int8): "signed char", np.dtype(np.int16): "short",
           np.dtype(np.uint8): "unsigned char", np.dtype(np.bool_): "bool",
           np.dtype(np.uint32): "unsigned int", np.dtype(np.uint64): "unsigned long long"}
_NAMED = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64,
          "uint32": np.uint32, "uint64": np.uint64, "bool": np.bool_}


def _signature(tmap) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in tmap.items()))


def _params(spec: str):
    """[(type, name, raw)] of a CuPy parameter list such as ``"raw T x, float32 m"``; a named
    type is kept as written (its dtype) and spelled in C by ``_c``."""
    out = []
    for part in spec.split(","):
        words = part.split()
        if words:
            out.append((words[-2], words[-1], words[0] == "raw"))
    return out


def _c(typ: str) -> str:
    """The C spelling of a parameter type (``uint64`` -> ``unsigned long long``; placeholders
    such as ``T`` are typedef'd in each kernel)."""
    return _CTYPES[np.dtype(_NAMED[typ])] if typ in _NAMED else typ


class _Kernel:
    """Shared by both kernel kinds: parameter typing and the compiled-function table."""

    _ids = itertools.count()

    def __init__(self, in_params, out_params, preamble):
        self.ins = _params(in_params)
        self.outs = _params(out_params)
        self.preamble = preamble
        self.id = next(self._ids)

    def _type_map(self, args, params=None) -> dict:
        tmap = {}
        for (typ, _, _), a in zip(params or self.ins, args):
            if typ not in _NAMED and typ not in tmap:
                tmap[typ] = np.dtype(a.dtype)
        return tmap

    def _dtype(self, typ, tmap):
        return np.dtype(_NAMED[typ]) if typ in _NAMED else tmap[typ]

    def _typed(self, args):
        """The arguments as arrays of their parameter types, their broadcast shape, the map."""
        arrays = [np.asarray(a) for a in args]
        tmap = self._type_map(arrays)
        dtypes = [self._dtype(t, tmap) for t, _, _ in self.ins]
        arrays = [a.astype(d, copy=False) for a, d in zip(arrays, dtypes)]
        return arrays, np.broadcast_shapes(*[a.shape for a in arrays]), tmap

    def _typedefs(self, tmap) -> str:
        return " ".join(f"typedef {_CTYPES[d]} {t};" for t, d in tmap.items())

    def _run(self, tmap, arrays, outs, *sizes):
        """Record the launch, or run the compiled function on ``arrays`` into ``outs``."""
        host = _current_host()
        if host.record(self, tmap) or not sizes[0]:
            return outs[0] if len(outs) == 1 else tuple(outs)
        fn = host.function(self, _signature(tmap))
        ins = (ctypes.c_void_p * len(arrays))(*[a.ctypes.data for a in arrays])
        outp = (ctypes.c_void_p * len(outs))(*[o.ctypes.data for o in outs])
        fn(ins, outp, *[ctypes.c_longlong(n) for n in sizes])
        return outs[0] if len(outs) == 1 else tuple(outs)


class ElementwiseKernel(_Kernel):
    def __init__(self, in_params, out_params, operation, name="kernel", preamble="",
                 options=(), **_):
        super().__init__(in_params, out_params, preamble)
        self.operation, self.name = operation, name

    def source(self, fname, tmap) -> str:
        loads = []
        for k, (typ, name, raw) in enumerate(self.ins):
            t = _c(typ)
            loads.append(f"{t}* {name} = ({t}*)ins[{k}];" if raw else
                         f"const {t} {name} = ((const {t}*)ins[{k}])[i];")
        for k, (typ, name, raw) in enumerate(self.outs):
            t = _c(typ)
            loads.append(f"{t}* {name} = ({t}*)outs[{k}];" if raw else
                         f"{t}& {name} = (({t}*)outs[{k}])[i];")
        return (f'extern "C" void {fname}(void** ins, void** outs, long long n) {{\n'
                f"  {self._typedefs(tmap)}\n"
                f"  for (long long i = 0; i < n; ++i) {{\n    "
                + "\n    ".join(loads) + f"\n    {self.operation};\n  }}\n}}\n")

    def __call__(self, *args, size=None):
        """Inputs, then optionally the outputs (needed for raw ones; a given output also sets
        the shape); ``size`` sets the number of work items when no non-raw array gives it
        (CuPy's rule)."""
        n_in = len(self.ins)
        given = [np.asarray(a) for a in args[n_in:]]
        arrays = [np.asarray(a) for a in args[:n_in]]
        tmap = self._type_map(arrays + given, self.ins + self.outs)
        arrays = [a.astype(self._dtype(t, tmap), copy=False) for a, (t, _, _) in
                  zip(arrays, self.ins)]
        plain = [a.shape for a, (_, _, raw) in zip(arrays, self.ins) if not raw]
        plain += [o.shape for o, (_, _, raw) in zip(given, self.outs) if not raw]
        shape = (size,) if size is not None else np.broadcast_shapes(*plain)
        arrays = [np.ascontiguousarray(a) if raw else
                  np.ascontiguousarray(np.broadcast_to(a, shape))
                  for a, (_, _, raw) in zip(arrays, self.ins)]
        outs = given or [np.zeros(shape, self._dtype(t, tmap)) for t, _, _ in self.outs]
        assert all(o.flags.c_contiguous for o in outs), "outputs must be contiguous here"
        return self._run(tmap, arrays, outs, int(np.prod(shape, dtype=np.int64)))


class ReductionKernel(_Kernel):
    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr="a",
                 identity=None, name="reduce_kernel", reduce_type=None, preamble="",
                 options=(), **_):
        super().__init__(in_params, out_params, preamble)
        self.map_expr, self.reduce_expr, self.post_map_expr = map_expr, reduce_expr, post_map_expr
        self.identity, self.name, self.reduce_type = identity, name, reduce_type

    def source(self, fname, tmap) -> str:
        reduce_type = _c(self.reduce_type or self.ins[0][0])
        loads = [f"const {_c(typ)} {name} = ((const {_c(typ)}*)ins[{k}])[o * inner + j];"
                 for k, (typ, name, _) in enumerate(self.ins)]
        stores = [f"{_c(typ)}& {name} = (({_c(typ)}*)outs[{k}])[o];"
                  for k, (typ, name, _) in enumerate(self.outs)]
        return (f'extern "C" void {fname}(void** ins, void** outs, long long outer, '
                f"long long inner) {{\n  {self._typedefs(tmap)}\n"
                f"  typedef {reduce_type} reduce_t;\n"
                f"  for (long long o = 0; o < outer; ++o) {{\n"
                f"    reduce_t acc = (reduce_t)({self.identity});\n"
                f"    for (long long j = 0; j < inner; ++j) {{\n      " + "\n      ".join(loads)
                + f"\n      reduce_t b = (reduce_t)({self.map_expr});\n"
                f"      reduce_t a = acc;\n      acc = ({self.reduce_expr});\n    }}\n"
                f"    reduce_t a = acc;\n    " + "\n    ".join(stores)
                + f"\n    {self.post_map_expr};\n  }}\n}}\n")

    def __call__(self, *args, axis=None, keepdims=False):
        arrays, shape, tmap = self._typed(args)
        nd = len(shape)
        axes = tuple(range(nd)) if axis is None else tuple(
            a % nd for a in ((axis,) if isinstance(axis, int) else axis))
        keep = [d for d in range(nd) if d not in axes]
        order = keep + list(axes)
        outer = int(np.prod([shape[d] for d in keep], dtype=np.int64))
        inner = int(np.prod([shape[d] for d in axes], dtype=np.int64))
        arrays = [np.ascontiguousarray(np.broadcast_to(a, shape).transpose(order))
                  for a in arrays]
        out_shape = tuple(1 if d in axes else shape[d] for d in range(nd)) if keepdims else \
            tuple(shape[d] for d in keep)
        outs = [np.zeros(out_shape, self._dtype(t, tmap)) for t, _, _ in self.outs]
        return self._run(tmap, arrays, outs, outer, inner)


class HostKernels:
    """Records launches, builds them (one library per preamble), resolves compiled functions."""

    def __init__(self, build_library):
        self._build_library = build_library
        self._recording = False
        self._wanted: dict = {}   # (kernel id, signature) -> (kernel, tmap)
        self._functions: dict = {}

    @contextlib.contextmanager
    def recording(self):
        self._recording = True
        try:
            yield
        finally:
            self._recording = False

    def record(self, kernel, tmap) -> bool:
        """Remember a launch; True while recording (the launch is then skipped)."""
        sig = _signature(tmap)
        if (kernel.id, sig) not in self._functions:
            self._wanted[(kernel.id, sig)] = (kernel, tmap)
        return self._recording

    def build(self) -> None:
        by_preamble: dict = {}
        for key, (kernel, tmap) in self._wanted.items():
            by_preamble.setdefault(kernel.preamble, []).append((key, kernel, tmap))
        for preamble, items in by_preamble.items():
            names = {key: f"host_kernel_{key[0]}_{n}" for n, (key, _, _) in enumerate(items)}
            text = preamble + "\n" + "".join(k.source(names[key], t) for key, k, t in items)
            lib = self._build_library(text)
            for key, _, _ in items:
                fn = getattr(lib, names[key])
                fn.restype = None
                self._functions[key] = fn
        self._wanted.clear()

    def function(self, kernel, sig):
        try:
            return self._functions[(kernel.id, sig)]
        except KeyError:
            raise AssertionError(f"kernel {kernel.name} {sig} was not recorded before build()")\
                from None


_HOST: list = []


def _current_host() -> HostKernels:
    return _HOST[-1]


class _FakeCupy(types.SimpleNamespace):
    """The kernel classes and ``cuda.Device`` of the stand-in; array functions are NumPy's."""

    def __getattr__(self, name):
        return getattr(np, name)


def fake_cupy(host: HostKernels):
    """A module-like object with what the backend's kernel builders and mixins touch."""
    _HOST.append(host)

    class _Device:
        def __init__(self, index=0):
            self.id = index

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    return _FakeCupy(ElementwiseKernel=ElementwiseKernel, ReductionKernel=ReductionKernel,
                     cuda=types.SimpleNamespace(Device=_Device))
