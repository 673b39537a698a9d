"""A strict stand-in for CuPy on NumPy, for tests only ("cuda-fake").

It reproduces what breaks NumPy-only code on CuPy, so the device tests find ember's direct NumPy
calls without a GPU:
- `ndarray` is not a NumPy subclass: it wraps one (views share memory) and re-wraps the results
  of indexing, attributes and methods; `__array__` raises CuPy's TypeError, so `np.asarray(x)`
  and every NumPy function that converts its argument fail as on CuPy;
- an operation mixing a NumPy array into a device one raises TypeError (CuPy's "Unsupported
  type"); NumPy ufuncs and functions called on device arrays dispatch to this module
  (`__array_ufunc__`/`__array_function__`) as CuPy's do; scalars and reductions come back as 0-d
  device arrays, as CuPy's;
- `ufunc.at` is not dispatched (scatter-add goes through `cupyx.scatter_add`, as ember's device
  layer does), `.get()` copies to the host, `.device.id` names the device;
- `cuda` (Device, runtime, Stream, synchronize), the default memory pool (counting the bytes of
  live device arrays), `random`, `get_array_module`, and `cupyx.scatter_add`.

`install()` makes a fresh module object; tests/conftest.py's `fake_cuda` fixture sets it as
`ember._device._cupy` and restores the previous value after the test.
"""

import functools
import types
import weakref

import numpy as np

_MSG = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a "
        "NumPy array explicitly.")
_state = {"device": 0, "count": 1}
_live = {}  # id(base numpy array) -> nbytes, for the memory pool


def _track(a):
    base = a
    while isinstance(base.base, np.ndarray):
        base = base.base
    key = id(base)
    if key not in _live and base.base is None:
        _live[key] = base.nbytes
        weakref.finalize(base, _live.pop, key, None)


def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


def _unwrap(x, strict=True):
    """The NumPy value inside `x` (recursing into lists, tuples and dicts); a raw NumPy array
    (not 0-d scalars' np.generic) raises CuPy's TypeError when `strict`."""
    if type(x) is ndarray:
        return x._a
    if isinstance(x, np.ndarray):
        if strict:
            raise _unsupported(x)
        return x
    if isinstance(x, (list, tuple)):
        r = [_unwrap(v, strict) for v in x]
        return r if isinstance(x, list) else tuple(r)
    if isinstance(x, dict):
        return {k: _unwrap(v, strict) for k, v in x.items()}
    return x


def _wrap(r):
    if isinstance(r, np.ndarray):
        return ndarray(r)
    if isinstance(r, np.generic):  # CuPy returns 0-d arrays, not scalars
        return ndarray(np.asarray(r))
    if isinstance(r, tuple) and not hasattr(r, "_fields"):
        return tuple(_wrap(v) for v in r)
    if isinstance(r, list):
        return [_wrap(v) for v in r]
    return r


class Device:
    """cupy.cuda.Device: an index; a context manager making it current."""

    def __init__(self, device=None):
        if device is None:
            device = _state["device"]
        self.id = int(device)
        self._prev = []

    def __enter__(self):
        if not 0 <= self.id < _state["count"]:
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal ({self.id})")
        self._prev.append(_state["device"])
        _state["device"] = self.id
        return self

    def __exit__(self, *exc):
        _state["device"] = self._prev.pop()

    def use(self):
        _state["device"] = self.id

    def synchronize(self):
        pass

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class ndarray:
    """cupy.ndarray on a wrapped NumPy array."""

    __slots__ = ("_a", "_dev", "__weakref__")
    __array_priority__ = 100

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if isinstance(shape, np.ndarray):
            a = shape
        else:
            a = np.empty(shape, dtype, order=order)
        self._a = a
        self._dev = Device(_state["device"])
        _track(a)

    # conversions
    def __array__(self, *args, **kwargs):
        raise TypeError(_MSG)

    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order="A" if order == "A" else order)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray: {type(arr)}")
        self._a[...] = arr

    @property
    def device(self):
        return self._dev

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __bool__(self):
        return bool(self._a)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return self._a.__index__()

    def __reduce__(self):
        raise TypeError("the fake CuPy array is not picklable; move it to the host first")

    # attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    strides = property(lambda self: self._a.strides)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))
    mT = property(lambda self: ndarray(np.swapaxes(self._a, -1, -2)))
    base = property(lambda self: None if self._a.base is None else ndarray(self._a.base))
    real = property(lambda self: ndarray(self._a.real))
    imag = property(lambda self: ndarray(self._a.imag))

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def data(self):
        return types.SimpleNamespace(ptr=self._a.__array_interface__["data"][0],
                                     device_id=self._dev.id)

    # indexing
    # CuPy copies NumPy arrays in a key or a written value to the device (as `asarray`)
    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key, False)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key, False)] = _unwrap(value, False)

    # NumPy protocols: as CuPy's, dispatch to this module's functions
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method not in ("__call__", "reduce", "accumulate", "outer"):
            return NotImplemented  # ufunc.at/reduceat: use cupyx.scatter_add
        _refuse_kw(method if method == "reduce" else ufunc.__name__, kwargs)
        out = kwargs.get("out")
        ins = _unwrap(inputs)
        if out is not None:
            kwargs["out"] = _unwrap(out)
        with np.errstate(all="ignore"):  # CuPy never warns about floating-point errors
            r = getattr(ufunc, method)(*ins, **_unwrap({k: v for k, v in kwargs.items()
                                                         if k != "out"}),
                                       **({"out": kwargs["out"]} if out is not None else {}))
        if out is not None:
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return _wrap(r)

    def __array_function__(self, func, types_, args, kwargs):
        return _delegate(func)(*args, **kwargs)

    # methods: delegate and re-wrap
    def __getattr__(self, name):
        if name.startswith("__") or name in ("ctypes", "tobytes", "tofile"):
            # no __array_interface__/__array_struct__: NumPy cannot read device memory
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        attr = getattr(self._a, name)  # AttributeError as NumPy's
        if not callable(attr):
            return _wrap(attr)

        def method(*args, **kwargs):
            _refuse_kw(name, kwargs)
            if kwargs.get("out") is not None:
                o = kwargs.pop("out")
                with np.errstate(all="ignore"):
                    attr(*_unwrap(args), **_unwrap(kwargs), out=_unwrap(o))
                return o
            with np.errstate(all="ignore"):
                return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))
        return method

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def copy(self, order="C"):
        return ndarray(self._a.copy(order=order))

    def view(self, dtype=None):
        if dtype is not None and not isinstance(dtype, (type, np.dtype, str)):
            raise TypeError(f"Unsupported dtype {dtype}")
        return ndarray(self._a.view() if dtype is None else self._a.view(dtype))


def _binop(name, reflected=None):
    op = getattr(np.ndarray, name)

    def f(self, other):
        if isinstance(other, np.ndarray):
            raise _unsupported(other)
        with np.errstate(all="ignore"):
            r = op(self._a, _unwrap(other))
        if r is NotImplemented:
            return r
        return _wrap(r)
    f.__name__ = name
    return f


def _inplace(name):
    op = getattr(np.ndarray, name)

    def f(self, other):
        if isinstance(other, np.ndarray):
            raise _unsupported(other)
        with np.errstate(all="ignore"):
            op(self._a, _unwrap(other))
        return self
    f.__name__ = name
    return f


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
           "xor", "lshift", "rshift", "divmod"):
    setattr(ndarray, f"__{_n}__", _binop(f"__{_n}__"))
    setattr(ndarray, f"__r{_n}__", _binop(f"__r{_n}__"))
    if _n != "divmod":
        setattr(ndarray, f"__i{_n}__", _inplace(f"__i{_n}__"))
for _n in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_n}__", _binop(f"__{_n}__"))
for _n in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_n}__", (lambda op: lambda self: ndarray(op(self._a)))(
        getattr(np.ndarray, f"__{_n}__")))
ndarray.__hash__ = None


_HOST_OK = frozenset({"array", "asarray", "asanyarray", "ascontiguousarray"})


# NumPy reductions' keywords CuPy's do not take
_REDUCTIONS = frozenset({"sum", "prod", "max", "min", "amax", "amin", "mean", "std", "var", "any",
                         "all", "nansum", "nanmax", "nanmin", "reduce"})


def _refuse_kw(name, kwargs):
    for k in ("initial", "where"):
        if k in kwargs and name in _REDUCTIONS:
            raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")


def _delegate(func, host_ok=False):
    @functools.wraps(func)
    def f(*args, **kwargs):
        _refuse_kw(getattr(func, "__name__", "function"), kwargs)
        out = kwargs.pop("out", None)
        kwargs = _unwrap(kwargs, not host_ok)
        if out is not None:
            kwargs["out"] = _unwrap(out)
        with np.errstate(all="ignore"):
            r = func(*_unwrap(args, not host_ok), **kwargs)
        if out is not None:
            return out
        return _wrap(r)
    return f


class _Ufunc:
    """A CuPy ufunc: calls and reduces device arrays."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__
        self.nin, self.nout, self.nargs = uf.nin, uf.nout, uf.nargs

    def __call__(self, *args, **kwargs):
        return _delegate(self._uf)(*args, **kwargs)

    def reduce(self, *args, **kwargs):
        return _delegate(self._uf.reduce)(*args, **kwargs)

    def accumulate(self, *args, **kwargs):
        return _delegate(self._uf.accumulate)(*args, **kwargs)

    def outer(self, *args, **kwargs):
        return _delegate(self._uf.outer)(*args, **kwargs)


class _Module(types.ModuleType):
    """The `cupy` module: NumPy's names, delegated with unwrap/re-wrap."""

    _src = np

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self._src, name)  # AttributeError as a missing name
        if isinstance(attr, types.ModuleType):  # linalg, fft, lib.stride_tricks, ...
            r = _Module(f"{self.__name__}.{name}")
            r._src = attr
        elif isinstance(attr, np.ufunc):
            r = _Ufunc(attr)
        elif isinstance(attr, type) or not callable(attr):
            r = attr
        else:
            r = _delegate(attr, host_ok=name in _HOST_OK)
        setattr(self, name, r)
        return r


class _Pool:
    def __init__(self):
        self._limit = 0

    def used_bytes(self):
        return sum(_live.values())

    def total_bytes(self):
        return sum(_live.values())

    def free_bytes(self):
        return 0

    def free_all_blocks(self, stream=None):
        pass

    def set_limit(self, size=None, fraction=None):
        self._limit = int(size or 0)

    def get_limit(self):
        return self._limit


class _Stream:
    def __init__(self, null=False, non_blocking=False, priority=0):
        self.ptr = 0 if null else id(self)

    def synchronize(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def use(self):
        return self


class _Random:
    """cupy.random on NumPy's legacy global generator (seeded by `seed`)."""

    def __init__(self):
        self._rs = np.random.RandomState(0)

    def seed(self, seed=None):
        self._rs = np.random.RandomState(None if seed is None else int(seed) % 2 ** 32)

    def __getattr__(self, name):
        return _delegate(getattr(self._rs, name))


def install(device_count=1):
    """A fresh fake `cupy` module (with `.cupyx`), `device_count` GPUs, device 0 current."""
    _state["device"], _state["count"] = 0, device_count
    cp = _Module("cupy")
    cp.__version__ = "13.0.0-fake"
    cp.ndarray = ndarray
    pool, pinned = _Pool(), _Pool()
    cp.get_default_memory_pool = lambda: pool
    cp.get_default_pinned_memory_pool = lambda: pinned
    cp.get_array_module = lambda *args: cp if any(type(a) is ndarray for a in args) else np
    cp.asnumpy = lambda a, stream=None, order="C", out=None: (
        a.get(order=order, out=out) if type(a) is ndarray else np.asarray(a, order=order))
    cp.random = _Random()
    cp.fuse = lambda *a, **k: (a[0] if a and callable(a[0]) else (lambda f: f))

    def _dev_count():
        return _state["count"]

    def _set_device(i):
        if not 0 <= i < _state["count"]:
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal ({i})")
        _state["device"] = i

    props = {"name": b"Fake CuPy GPU (NumPy)", "major": 9, "minor": 0,
             "totalGlobalMem": 80 * 2 ** 30, "multiProcessorCount": 132,
             "l2CacheSize": 50 * 2 ** 20, "integrated": 0, "isMultiGpuBoard": 0}
    runtime = types.SimpleNamespace(
        getDeviceCount=_dev_count, getDevice=lambda: _state["device"], setDevice=_set_device,
        getDeviceProperties=lambda i: dict(props), deviceSynchronize=lambda: None,
        memGetInfo=lambda: (80 * 2 ** 30 - pool.used_bytes(), 80 * 2 ** 30),
        deviceCanAccessPeer=lambda a, b: int(a != b), runtimeGetVersion=lambda: 13000,
        CUDARuntimeError=RuntimeError)
    null = _Stream(null=True)
    _Stream.null = null
    cp.cuda = types.SimpleNamespace(
        Device=Device, runtime=runtime, Stream=_Stream, get_current_stream=lambda: null,
        is_available=lambda: _state["count"] > 0,
        Event=lambda *a, **k: types.SimpleNamespace(record=lambda *a: None,
                                                    synchronize=lambda: None),
        get_device_id=lambda: _state["device"],
        synchronize=lambda: None)

    def scatter_add(a, slices, value):
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
        np.add.at(a._a, _unwrap(slices), _unwrap(value))

    def _scatter(ufunc):
        def f(a, slices, value):
            if type(a) is not ndarray:
                raise TypeError(f"Unsupported type {type(a)}")
            ufunc.at(a._a, _unwrap(slices, False), _unwrap(value))
        return f

    cp.cupyx = types.SimpleNamespace(scatter_add=scatter_add, scatter_max=_scatter(np.maximum),
                                     scatter_min=_scatter(np.minimum))
    return cp
