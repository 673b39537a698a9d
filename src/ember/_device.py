"""Devices: `device('cpu' | 'cuda[:N]')` and its array module `xp` (numpy or cupy).

This is the only file that imports cupy, lazily, so `import ember` needs nothing but NumPy.
Backend differences (host transfer) are written once here.
"""

import numpy as np

from . import _meta
from ._meta import MetaArray

_cupy = None


def _get_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:
            _cupy = False
    return _cupy


def cuda_available():
    return bool(_get_cupy())


class device:
    """Matches torch.device."""

    __slots__ = ("type", "index")

    def __new__(cls, type_or_str="cpu", index=None):
        if isinstance(type_or_str, device):
            return type_or_str
        if isinstance(type_or_str, int):  # an index of the accelerator (ember's: cuda)
            if not cuda_available():
                raise RuntimeError("Cannot access accelerator device when none is available.")
            type_or_str, index = "cuda", type_or_str
        s = str(type_or_str)
        if ":" in s:
            kind, _, idx = s.partition(":")
            if not idx.isdigit() or index is not None:
                raise RuntimeError(f"Invalid device string: '{s}'")
            index = int(idx)
        else:
            kind = s
        if kind not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start "
                               f"of device string: {s}")
        if kind == "cpu" and index is None and s == "cpu" and _CPU is not None:
            return _CPU
        if kind == "mkldnn":
            warn_mkldnn(2)  # (as warnings.warn here would take it)
        self = object.__new__(cls)
        _set_field(self, "type", kind)
        _set_field(self, "index", index)
        return self

    # A device is an immutable value, as torch's: `device('cpu')` is one shared object, so a
    # write to it (a checkpoint's BUILD opcode, say) would change every tensor's device.
    def __setattr__(self, name, value):
        _refuse_write(name)

    def __delattr__(self, name):
        _refuse_write(name)

    def __getattr__(self, name):  # only reached when the attribute does not exist
        raise AttributeError(f"'torch.device' object has no attribute '{name}'")

    @property
    def xp(self):
        if self.type == "cuda":
            cp = _get_cupy()
            if not cp:
                raise AssertionError("Torch not compiled with CUDA enabled")
            return cp
        return np

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):  # `with torch.device(...)`: the default device of factory functions
        _default.append(self)  # 'cuda' without a GPU fails at the first factory call, as torch's
        return self

    def __exit__(self, *exc):
        _default.pop()


# torch's device types: a device of any of them can be named; ember has memory only on cpu,
# cuda (CuPy) and meta, and making or moving a tensor elsewhere raises torch's error for a build
# without that backend (_unlinked)
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")  # in torch's order (its parse error lists them so)
_TYPES = frozenset(DEVICE_TYPES)
_BACKEND = {"ipu": "IPU", "hip": "HIP", "ve": "VE", "fpga": "FPGA", "maia": "MAIA", "xla": "XLA",
            "lazy": "Lazy", "vulkan": "Vulkan", "mps": "MPS"}


def _unlinked(kind, moving):
    """torch's error for a tensor made on (moving=False) or moved to a device type its build
    lacks (torch's dispatcher message is cut after its first sentences)."""
    if kind == "xpu":
        return AssertionError("Torch not compiled with XPU enabled")
    if kind == "mtia":
        return AssertionError(
            "Torch not compiled with MTIA enabled. Ensure you have `import "
            "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
            "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!")
    if kind in ("hpu", "privateuseone"):
        return ModuleNotFoundError(f"No module named 'torch.{kind}'")
    if kind in _BACKEND and (not moving or kind == "lazy"):
        return NotImplementedError(
            f"Could not run 'aten::empty.memory_format' with arguments from the '{_BACKEND[kind]}'"
            " backend. This could be because the operator doesn't exist for this backend, or was "
            "omitted during the selective/custom build process (if using custom build).")
    return RuntimeError(f"PyTorch is not linked with support for {kind} devices")


_mkldnn_warned = [False]


def warn_mkldnn(stacklevel):
    """torch's deprecation of the 'mkldnn' device type: once per process (TORCH_WARN_ONCE)."""
    if not _mkldnn_warned[0]:
        _mkldnn_warned[0] = True
        import warnings
        warnings.warn("'mkldnn' is no longer used as device type. So torch.device('mkldnn') will "
                      "be deprecated and removed in the future. Please use other valid device "
                      "types instead. (Triggered internally at "
                      "/__w/pytorch/pytorch/c10/core/Device.cpp:40.)", UserWarning,
                      stacklevel=stacklevel + 1)


_set_field = object.__setattr__
_Device = device  # for functions whose parameter is named `device`, as torch's


def _refuse_write(name):
    if name in device.__slots__:
        raise AttributeError(f"attribute '{name}' of 'torch.device' objects is not writable")
    raise AttributeError(f"'torch.device' object has no attribute '{name}'")


_CPU = None
_CPU = device("cpu")
_MEMORY = ("cpu", "cuda", "meta")
_META = device("meta")
_default = []
cpu = _CPU


def as_device(d, moving=False):
    """The device a tensor is made on (moving: moved to); raises for one with no memory here."""
    if d is None:
        return _CPU
    if d.__class__ is device and d.type in _MEMORY:
        return d
    dev = device(d)
    if dev.type not in _MEMORY:
        raise _unlinked(dev.type, moving)
    if dev.type == "cuda":
        dev.xp  # raises when there is no GPU
        if dev.index is None:
            dev = device("cuda", 0)
    return dev


def array_device(a):
    """The device an array lives on."""
    if isinstance(a, np.ndarray):
        return _META if type(a) is MetaArray else _CPU
    dev = getattr(a.__class__, "_ember_device", None)  # a sparse tensor's data (ember._sparse)
    return dev if dev is not None else device("cuda", int(a.device.id))


def array_module(a):
    """The array module `xp` of an array: NumPy for host arrays, CuPy for cuda ones, and for
    meta arrays NumPy whose allocating functions make meta arrays (`_meta.xp`)."""
    if isinstance(a, np.ndarray):
        return np if type(a) is not MetaArray else _meta.xp
    if getattr(a.__class__, "_ember_device", None) is not None:  # sparse data: dense ops refuse
        a._refuse()
    return _get_cupy()


def default_device():
    """The device of a factory call given none: the innermost `with device(...)`, or None."""
    return _default[-1] if _default else None


# `_default` is the one list factories read (empty: no default, the cheap common case). Its first
# entry is set_default_device's device when one is set (`_global[0]`); `with device(...)` blocks
# push and pop above it.
_global = [False]


def set_default_device(device):
    """torch.set_default_device: the device of factory calls given none (None: cpu again)."""
    if device is not None:
        device = _Device(device)  # checks it; an int is an accelerator index
    if _global[0]:
        del _default[0]
        _global[0] = False
    if device is not None:
        _default.insert(0, device)
        _global[0] = True


def get_default_device():
    """torch.get_default_device: the innermost `with device(...)`, else set_default_device's,
    else cpu; a device without an index gets the current one (cuda without a GPU raises)."""
    if not _default:
        return _CPU
    d = _default[-1]
    if d.type == "cuda" and d.index is None:
        d = device("cuda", d.xp.cuda.runtime.getDevice())  # d.xp raises without a GPU
    return d


_NO_MODULE = ("ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
              "xla", "lazy", "vulkan", "meta", "hpu", "mtia", "privateuseone")


def get_device_module(device=None):
    """torch.get_device_module: the module of a device type (None: the accelerator's, else
    cpu): ember.cuda, ember.mps or ember.cpu."""
    import importlib
    if isinstance(device, _Device):
        kind = device.type
    elif isinstance(device, str):
        kind = device.partition(":")[0]
        if kind == "mps":  # a valid torch device type that ember's device() does not take
            _, _, idx = device.partition(":")
            if idx and not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{device}'")
        elif kind not in _NO_MODULE:
            kind = _Device(device).type
    elif device is None:
        kind = "cuda" if cuda_available() else "cpu"
    else:
        raise RuntimeError(f"Invalid value of device '{device}', expect torch.device, str, or "
                           "None")
    if kind in _NO_MODULE:
        raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered as "
                           f"'torch.{kind}'.")
    return importlib.import_module("ember." + kind)


def to_device(a, dev):
    """Moves an array to `dev` (a copy across devices, the array itself otherwise)."""
    if dev.type == "meta":  # shape and dtype only
        return a if type(a) is MetaArray else _meta.like(to_host(a) if not isinstance(
            a, np.ndarray) else a)
    if type(a) is MetaArray:
        raise NotImplementedError(_meta._NO_DATA)
    if dev.type == "cpu":
        return a if isinstance(a, np.ndarray) else a.get()
    cp = dev.xp
    with cp.cuda.Device(dev.index or 0):
        return cp.asarray(a)


def to_host(a):
    return a if isinstance(a, np.ndarray) else a.get()


_SCALARS = (np.generic, int, float, complex)


def device_mismatch(a, b):
    """torch's error for one operation given arrays on two devices (the accelerator first)."""
    a, b = (a, b) if a.type != "cpu" else (b, a)
    return RuntimeError("Expected all tensors to be on the same device, but found at least two "
                        f"devices, {a} and {b}!")


def match_devices(x, y):
    """The operands (arrays or scalars) of one operation on one device: a 0-d host array beside
    a device array moves to it (torch treats a 0-d cpu tensor as a scalar); arrays on two devices
    otherwise raise torch's error."""
    if x.__class__ is y.__class__ or isinstance(x, _SCALARS) or isinstance(y, _SCALARS):
        return x, y
    hx = isinstance(x, np.ndarray)
    if hx == isinstance(y, np.ndarray):
        if hx or array_device(x) == array_device(y):
            return x, y
        raise device_mismatch(array_device(x), array_device(y))
    h, d = (x, y) if hx else (y, x)
    dev = array_device(d)
    if dev.type == "cpu":  # a host array of another class (sparse data): its op decides
        return x, y
    if h.ndim == 0 and type(h) is not MetaArray:
        h = to_device(h, dev)
        return (h, d) if hx else (d, h)
    raise device_mismatch(dev, array_device(h))


def scatter_add(a, index, values, opmath=False):
    """`a[index] += values` with repeated indices accumulated in order (np.add.at's values;
    cupyx.scatter_add). On NumPy, a key of index arrays (one per axis, or one along an axis
    after full slices) goes through `_scatter.add_cells`: the same values, ~3x faster.
    In a's own dtype, each addition rounded, as torch's index_put_(accumulate=True) and
    embedding's backward; with `opmath`, a float16 / bfloat16 `a` accumulates in float32 and is
    rounded once, as torch's scatter kernels (scatter_add_, scatter_reduce_, the backward of
    gather) buffer it."""
    if opmath and a.dtype.name in _HALF_TYPES:
        return _in_float32(scatter_add, a, index, values)
    if type(a) is np.ndarray and type(values) is np.ndarray and a.ndim > 1:
        key = index if index.__class__ is tuple else (index,)
        idx, d = key[-1], len(key) - 1
        cells = None
        if len(key) == a.ndim and all(type(k) is np.ndarray and k.dtype.kind in "iu"
                                      for k in key):
            cells = key  # gather's and scatter's grids
        elif (type(idx) is np.ndarray and idx.ndim == 1 and idx.dtype.kind in "iu"
              and d < a.ndim and all(k.__class__ is slice and k == _ALL for k in key[:-1])):
            from ._scatter import grid
            cells = grid(a.shape, d, idx)  # rows (embedding, index_add, x[idx])
        if cells is not None:
            from ._scatter import add_cells
            if add_cells(a, cells, values):
                return
    ufunc_at("add", a, index, values)


_ALL = slice(None)
_HALF_TYPES = ("float16", "bfloat16")  # dtype names (bfloat16's comes from ml_dtypes)


def _in_float32(fn, a, index, values):
    """fn(a, index, values) run on a float32 copy of a, written back with one rounding."""
    w = a.astype(np.float32)
    if hasattr(values, "dtype") and values.dtype.name in _HALF_TYPES:
        values = values.astype(np.float32)
    fn(w, index, values)
    a[...] = w


_SCATTER = {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}


def ufunc_at(name, a, index, values, opmath=False):
    """NumPy's unbuffered `ufunc.at(a, index, values)` (repeated indices all apply) on any
    device: cupyx's scatter kernels on CuPy, a host round trip for the ufuncs it lacks.
    `opmath` as scatter_add's."""
    if opmath and a.dtype.name in _HALF_TYPES:
        return _in_float32(lambda w, i, v: ufunc_at(name, w, i, v), a, index, values)
    if isinstance(a, np.ndarray):
        getattr(np, name).at(a, index, values)
        return
    cp = _get_cupy()
    cupyx = getattr(cp, "cupyx", None)  # a stand-in module carries its own
    if cupyx is None:
        import cupyx
    if name in _SCATTER:
        getattr(cupyx, _SCATTER[name])(a, index, values)
        return
    h = a.get()
    getattr(np, name).at(h, _host_key(index), to_host(values) if hasattr(values, "get")
                         else values)
    a[...] = cp.asarray(h)


def _host_key(index):
    if isinstance(index, tuple):
        return tuple(_host_key(i) for i in index)
    return index.get() if hasattr(index, "get") and not isinstance(index, np.ndarray) else index


def take_into(a, index, out):
    """`out[...] = a.take(index)` (flat, in-range indices) without NumPy's buffered copy."""
    if isinstance(a, np.ndarray):
        return a.take(index, out=out, mode="clip")
    return _get_cupy().take(a, index, out=out)


def host(a):
    """An array's values on the host for Python-side decisions (NumPy arrays as they are)."""
    return a if isinstance(a, np.ndarray) else a.get()
