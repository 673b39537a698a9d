"""torch's CPU generator on NumPy: a 32-bit MT19937 with torch's seeding, state layout and caches,
and the array-level draws (uniform, integers, permutations, Bernoulli, exponential, ...).

The engine is NumPy's MT19937 in a legacy `RandomState`, used only as a fast MT19937 (C speed,
32-bit words from the bit generator's `random_raw`, or `randint(0, 2**32, dtype=uint32)` for
long runs): its seeding is the same init_genrand as torch's, its key is the untempered state, and
its position maps to torch's `next`/`left`, so `get_state` and `set_state` translate to and from
torch's 5,056-byte layout. (A pure-NumPy generation-vectorised twist was 11x slower.)

Each draw function turns words into values with whole-array NumPy operations, a chunk of
`_CHUNK` values at a time (in stream order), written straight into the destination's buffer in
memory order, as torch's TensorIterator fills it. Normal sampling and the exact FMA/libm helpers
live in `_random_normal.py`; tensors and the public API are in `ops/sampling.py`.
"""

import functools
import math
import os
import sys

import numpy as np

from . import _random_normal as _rn

__all__ = ["Generator", "default_generator"]

_N = 624
_U32, _U64, _F32, _F64 = np.uint32, np.uint64, np.float32, np.float64
_DEFAULT_SEED = 67280421310721
_STATE_BYTES = 5056
_LITTLE = sys.byteorder == "little"
# values per pass: NumPy's temporaries stay in cache and small enough for malloc to reuse them
# (large ones come as fresh pages, whose faults cost more than the arithmetic)
_CHUNK = 1 << 14


def _engine():
    """A legacy RandomState (init_genrand seeding, state get/set) over an MT19937 bit generator
    kept at hand for its raw words; both draw from the one state."""
    bg = np.random.MT19937()
    return np.random.RandomState(bg), bg


def _check_seed(seed):
    seed = int(seed)
    if not -(1 << 63) <= seed < (1 << 64):
        raise ValueError("Overflow when unpacking long long")
    return seed % (1 << 64)


class Generator:
    """A CPU random generator with torch's stream: same seed, same numbers as torch.Generator."""

    def __init__(self, *args, **kwargs):
        self.device = _cpu_device(_init_device(args, kwargs))
        self.manual_seed(_DEFAULT_SEED)

    # ---- seeding and state ---------------------------------------------------------------------
    def manual_seed(self, seed):
        if isinstance(seed, np.integer):
            raise TypeError("an integer is required")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise RuntimeError(f"manual_seed expected a long, but got {_type_name(seed)}")
        seed = _check_seed(seed)
        self._initial_seed = seed
        d = self.__dict__  # the engine is made at the first draw (`__getattr__`): `import ember`
        d.pop("_rs", None)  # then leaves numpy.random unloaded
        d.pop("_bg", None)
        self._fresh = True  # torch reports next=0 (not 624) until the first draw
        self._seeded = 1
        self._normal_double = None
        self._normal_float = None
        return self

    def __getattr__(self, name):
        if name not in ("_rs", "_bg") or "_initial_seed" not in self.__dict__:
            raise AttributeError(name)
        self._rs, self._bg = _engine()
        self._rs.seed(self._initial_seed & 0xFFFFFFFF)
        return self.__dict__[name]

    def seed(self):
        seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        return self._initial_seed

    def get_state(self):
        from ._tensor import _wrap
        return _wrap(self._get_state_array())

    def set_state(self, new_state):
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {_type_name(new_state)}")
        data = new_state._data
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        self._set_state_array(data)
        return self

    def clone_state(self):
        """Matches torch.Generator.clone_state: a new generator in this one's state."""
        other = Generator(self.device)
        other._set_state_array(self._get_state_array())
        return other

    def graphsafe_get_state(self):
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state):
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def get_offset(self):
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset):
        raise RuntimeError("CPU Generator does not use offset")

    @property
    def _cdata(self):
        return id(self)

    def __reduce__(self):
        # torch's form: (class, (device,), (initial seed, offset, state)) restored by __setstate__
        return type(self), (self.device,), (self._initial_seed, None, self.get_state())

    def __setstate__(self, state):
        seed, _offset, rng_state = state
        self.manual_seed(seed)
        if rng_state is not None:
            self.set_state(rng_state)

    def _get_state_array(self):
        buf = bytearray(_STATE_BYTES)
        np.frombuffer(buf, "<u8", 1, 0)[0] = self._initial_seed
        _, key, pos = self._rs.get_state()[:3]
        nxt = 0 if self._fresh else pos
        np.frombuffer(buf, "<i4", 2, 8)[:] = (_N + 1 - pos, self._seeded)
        np.frombuffer(buf, "<u8", 1, 16)[0] = nxt
        np.frombuffer(buf, "<u8", _N, 24)[:] = key
        if self._normal_double is not None:
            np.frombuffer(buf, "<f8", 1, 5024)[0] = self._normal_double
            np.frombuffer(buf, "<i4", 1, 5040)[0] = 1
        if self._normal_float is not None:
            np.frombuffer(buf, "<f4", 1, 5048)[0] = self._normal_float
            buf[5052] = 1
        return np.frombuffer(buf, np.uint8).copy()

    def _set_state_array(self, data):
        if data.size != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but "
                               f"found the input RNG state size to be {data.size}")
        raw = np.ascontiguousarray(data).reshape(-1).tobytes()
        seed = int(np.frombuffer(raw, "<u8", 1, 0)[0])
        left, seeded = (int(v) for v in np.frombuffer(raw, "<i4", 2, 8))
        nxt = int(np.frombuffer(raw, "<u8", 1, 16)[0]) & 0xFFFFFFFF
        if seeded != 1 or not 0 < left <= _N or nxt > _N:
            raise RuntimeError("Invalid mt19937 state")
        self._initial_seed, self._seeded = seed, seeded
        key = np.frombuffer(raw, "<u8", _N, 24).astype(_U32)  # torch keeps the low words
        self._rs, self._bg = _engine()
        self._rs.set_state(("MT19937", key, _N if left == 1 else nxt))
        self._fresh = left == 1 and nxt == 0
        valid = np.frombuffer(raw, "<i4", 1, 5040)[0]
        self._normal_double = float(np.frombuffer(raw, "<f8", 1, 5024)[0]) if valid else None
        self._normal_float = (float(np.frombuffer(raw, "<f4", 1, 5048)[0]) if raw[5052]
                              else None)

    # ---- primitive draws -----------------------------------------------------------------------
    def random32(self, n):
        """n 32-bit outputs, as torch's `random()` called n times."""
        if n:
            self._fresh = False
        if n <= 1 << 16:  # the bit generator's raw words: less overhead per call
            return self._bg.random_raw(n).astype(_U32)
        return self._rs.randint(0, 1 << 32, size=n, dtype=_U32)

    def random64(self, n):
        """n 64-bit outputs; each takes two words, the first is the high half."""
        w = self.random32(2 * n)
        if not _LITTLE:
            w = w.astype(_U64)
            return (w[0::2] << _U64(32)) | w[1::2]
        v = w.view(_U64)  # (first | second << 32): swap the halves
        return (v << _U64(32)) | (v >> _U64(32))

    def uniform24(self, n):
        """float uniforms in [0, 1): the low 24 bits of one word."""
        k = self.random32(n)
        k &= _U32(0xFFFFFF)
        x = k.view(np.int32).astype(_F32)
        x *= _F32(2.0 ** -24)
        return x

    def uniform53(self, n):
        """double uniforms in [0, 1): the low 53 bits of one 64-bit draw."""
        w = self.random32(2 * n).reshape(n, 2)
        x = (w[:, 0] & _U32(0x1FFFFF)).astype(_F64)  # high word's low 21 bits, then the low word
        x *= 2.0 ** 32
        x += w[:, 1]
        x *= 2.0 ** -53
        return x

    def __repr__(self):
        # torch's text (doctests and printed notebooks compare it), with this object's address
        return f"<torch._C.Generator object at {id(self):#x}>"


def _type_name(obj):
    cls = type(obj)
    return cls.__name__ if cls.__module__ in ("builtins", "ember._tensor") else (
        f"{cls.__module__}.{cls.__qualname__}")


def _init_device(args, kwargs):
    """torch.Generator(device='cpu'): one argument, by position or by name."""
    if len(args) > 1:
        raise TypeError(f"Generator() takes from 0 to 1 positional arguments but {len(args)} "
                        "were given")
    for key in kwargs:
        if key != "device":
            raise TypeError(f"Generator() got an unexpected keyword argument '{key}'")
        if args:
            raise TypeError("Generator() got multiple values for argument 'device'")
    return args[0] if args else kwargs.get("device", "cpu")


_NO_GENERATOR = {
    "cuda": "Cannot get CUDA generator without ATen_cuda library. PyTorch splits its backend "
            "into two shared libraries: a CPU library and a CUDA library; this error has "
            "occurred because you are trying to use some CUDA functionality, but the CUDA "
            "library has not been loaded by the dynamic linker for some reason.  The CUDA "
            "library MUST be loaded, EVEN IF you don't directly use any symbols from the CUDA "
            "library! One common culprit is a lack of -Wl,--no-as-needed in your link "
            "arguments; many dynamic linkers will delete dynamic library dependencies if you "
            "don't depend on any of their symbols.  You can check if this has occurred by "
            "using ldd on your binary to see if there is a dependency on *_cuda.so library.",
    "mps": "Cannot execute getNewGenerator() without MPS backend.",
    "xpu": "Cannot get XPU generator without ATen_xpu library.",
}


def _cpu_device(device):
    """The generator's device, as torch answers on a machine with only a CPU."""
    if device is None:
        device = "cpu"
    try:
        from ._device import device as make_device
    except ImportError:  # while ember itself is importing (the default generator)
        if device == "cpu":
            return "cpu"
        raise
    if isinstance(device, int) and not isinstance(device, bool):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if isinstance(device, str) and device.partition(":")[0] in _NO_GENERATOR:
        raise RuntimeError(_NO_GENERATOR[device.partition(":")[0]])
    kind = make_device(device).type
    if kind == "cpu":
        return make_device("cpu")
    if kind in _NO_GENERATOR:
        raise RuntimeError(_NO_GENERATOR[kind])
    raise RuntimeError(f"{kind.upper()} device type not an accelerator.")


default_generator = Generator()
default_generator.seed()


def _gen(generator):
    return default_generator if generator is None else generator


# ---- writing in memory order --------------------------------------------------------------------

def memory_axes(arr):
    """Axes of arr from outermost to innermost in memory (TensorIterator's fill order)."""
    if arr.ndim < 2 or arr.flags.c_contiguous:
        return tuple(range(arr.ndim))
    return tuple(sorted(range(arr.ndim), key=lambda i: (-abs(arr.strides[i]), i)))


def memory_order_view(arr):
    """A view of arr whose C order is its memory order."""
    return arr.transpose(memory_axes(arr))


def fill(arr, values):
    """Write flat `values` (one per element, in draw order) into arr in memory order."""
    view = memory_order_view(arr)
    view[...] = values.reshape(view.shape)


def write(arr, produce):
    """Fill arr in memory order with `produce(flat)`, which writes arr.size values (in draw order)
    into the 1-d array it gets and returns it: arr's own buffer when its memory order is dense,
    else a scratch array that is then copied in."""
    if arr.flags.c_contiguous:
        produce(arr.reshape(-1))
        return arr
    view = memory_order_view(arr)
    if view.flags.c_contiguous:
        produce(view.reshape(-1))
    else:
        view[...] = produce(np.empty(arr.size, arr.dtype)).reshape(view.shape)
    return arr


def is_contiguous(arr):
    return arr.flags.c_contiguous or arr.size <= 1


def _chunked(n, np_dtype, step, out=None):
    """n values from `step(m)` (m values per call, consumed in order), written into `out` (1-d)
    or a new array, a cache-sized chunk at a time."""
    if out is None:
        if n <= _CHUNK:
            return step(n).astype(np_dtype, copy=False)
        out = np.empty(n, np_dtype)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        out[start:stop] = step(stop - start)
    return out


# ---- uniform ------------------------------------------------------------------------------------

def uniform_values(gen, n, np_dtype, low=0.0, high=1.0, out=None):
    """torch's uniform_: x * (b - a) + a with one rounding (AVX2 FMA), in double for float64 and
    in float otherwise; a result equal to b (after the cast) becomes a."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype == _F64:
        a, b = float(low), float(high)
        if (a, b) == (0.0, 1.0):
            return _chunked(n, np_dtype, gen.uniform53, out)  # x < 1: never b
        make = lambda m: _rn.fma64(gen.uniform53(m), b - a, a)  # noqa: E731
    else:  # float16 computes in float from float endpoints (not half-rounded ones)
        a, b = _F32(low), _F32(high)
        if (a, b) == (0.0, 1.0) and np_dtype == _F32:
            return _chunked(n, np_dtype, gen.uniform24, out)
        make = _uniform32(gen, a, b)
    a_, b_ = np.array(a, np_dtype), np.array(b, np_dtype)

    def step(m):
        v = make(m).astype(np_dtype, copy=False)
        np.copyto(v, a_, where=v == b_)
        return v
    return _chunked(n, np_dtype, step, out)


def _uniform32(gen, a, b):
    """Draws of m float `fma(x, b - a, a)`. When every k * 2^-24 * (b - a) + a is exact in
    float64 (symmetric init bounds, any [0, b)), one float64 multiply-add rounded once to float
    is that FMA; otherwise the exact `fma32`."""
    if (a, b) == (0.0, 1.0):
        return gen.uniform24
    ba = b - a
    if not _exact_in_f64(float(a), float(ba)):
        return lambda m: _rn.fma32_scalar(gen.uniform24(m), ba, a)
    scale, shift = _F64(ba) * 2.0 ** -24, _F64(a)

    def make(m):
        k = gen.random32(m)
        k &= _U32(0xFFFFFF)
        v = k.view(np.int32).astype(_F64)
        v *= scale
        v += shift
        return v.astype(_F32)
    return make


@functools.lru_cache(maxsize=256)
def _exact_in_f64(a, ba):
    """Whether k * 2^-24 * ba + a (k < 2^24; float a, ba) is always exact in float64: every such
    value is a multiple of the smaller of the two terms' last-bit weights, and below |a| + |ba|."""
    if not (math.isfinite(a) and math.isfinite(ba)) or ba == 0.0:
        return False
    unit = math.ldexp(1.0, math.frexp(ba)[1] - 24 - 24)
    if a != 0.0:
        unit = min(unit, math.ldexp(1.0, math.frexp(a)[1] - 24))
    return (abs(a) + abs(ba)) * (1 + 2.0 ** -30) < math.ldexp(unit, 53)


def uniform_(gen, arr, low=0.0, high=1.0):
    gen = _gen(gen)
    write(arr, lambda out: uniform_values(gen, arr.size, arr.dtype, low, high, out))


# ---- integers -----------------------------------------------------------------------------------

def randint_values(gen, n, low, high, np_dtype, out=None):
    """(word % range) + low, computed in 64 bits; a range of 2^28 or more uses 64-bit words.
    `low`/`high` must already be adjusted for float dtypes (see `float_bounds`)."""
    rng = (int(high) - int(low)) % (1 << 64)
    np_dtype = np.dtype(np_dtype)
    if rng >= (1 << 28):
        r64, lo64 = _U64(rng), _U64(int(low) % (1 << 64))

        def step(m):
            v = gen.random64(m)
            v %= r64
            v += lo64  # wraps modulo 2^64 like torch's int64 arithmetic
            return _cast_int64(v.view(np.int64), np_dtype)
    else:
        r32, lo = _U32(rng), int(low)  # the result lies in [low, high): no int64 overflow

        def step(m):
            w = gen.random32(m)
            w %= r32
            v = w.astype(np.int64)
            v += lo
            return _cast_int64(v, np_dtype)
    return _chunked(n, np_dtype, step, out)


def float_bounds(low, high, np_dtype):
    """torch moves [low, high) inward so that casting to a float dtype cannot leave the range
    (its update_from/update_to); a bound the dtype cannot hold converts, as on x86, to -2^63."""
    def exact(v):
        with np.errstate(over="ignore", invalid="ignore"):
            f = float(np.array(v, np_dtype).astype(np.float64))
        return int(f) if math.isfinite(f) and -2.0 ** 63 <= f < 2.0 ** 63 else -(1 << 63)
    digits = np.finfo(np_dtype).nmant + 1
    if exact(low + 1) < low:
        low = exact(low + 1) + (1 << (abs(low + 1).bit_length() - 1 - digits + 1))
    if high is not None and exact(high - 1) >= high:
        high = exact(high - 1) - (1 << (abs(high - 1).bit_length() - 1 - digits + 1))
    return low, high


def _cast_int64(v, np_dtype):
    if np_dtype == np.bool_:
        return v != 0
    return v.astype(np_dtype, copy=False)


def random_full_values(gen, n, np_dtype, out=None):
    """random_(-2**63, None): a whole random64 as int64."""
    np_dtype = np.dtype(np_dtype)
    return _chunked(n, np_dtype, lambda m: _cast_int64(gen.random64(m).view(np.int64), np_dtype),
                    out)


def random_default_values(gen, n, np_dtype, out=None):
    """random_() with no bounds: [0, max] for ints, [0, 2^mantissa] for floats."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype == np.bool_:
        return _chunked(n, np_dtype, lambda m: (gen.random32(m) & _U32(1)).astype(np.bool_), out)
    if np_dtype in (np.dtype(np.int64), np.dtype(_F64)):
        mod = _U64((1 << 63) if np_dtype == np.int64 else (1 << 53) + 1)
        return _chunked(n, np_dtype, lambda m: (gen.random64(m) % mod).astype(np_dtype), out)
    if np_dtype.kind == "f":
        mod = (1 << (np.finfo(np_dtype).nmant + 1)) + 1
    elif np_dtype.name == "bfloat16":  # (ml_dtypes' type, kind 'V'): 8 significant bits
        mod = (1 << 8) + 1
    else:
        mod = int(np.iinfo(np_dtype).max) + 1
    mod = _U64(mod)
    return _chunked(n, np_dtype,
                    lambda m: (gen.random32(m).astype(_U64) % mod).astype(np_dtype), out)


# ---- permutations -------------------------------------------------------------------------------

_RANDPERM_SMALL = (2 ** 32 - 1) // 20


def randperm_values(gen, n):
    """torch's randperm: a forward swap shuffle with 32-bit draws, inside-out with 64-bit ones
    for huge n."""
    if n < _RANDPERM_SMALL:
        if n <= 1:
            return np.arange(n, dtype=np.int64)
        z = gen.random32(n - 1)
        z %= np.arange(n, 1, -1, dtype=_U32)
        if n <= 256:  # the loop itself is quicker than the vectorised form's fixed cost
            perm = list(range(n))
            for i, k in enumerate(z.tolist()):
                j = i + k
                perm[i], perm[j] = perm[j], perm[i]
            return np.array(perm, np.int64)
        targets = z.view(np.int32)  # z < n - i < 2^31
        targets += np.arange(n - 1, dtype=np.int32)
        return swap_shuffle(targets, n).astype(np.int64)
    picks = (gen.random64(n) % np.arange(1, n + 1, dtype=_U64)).tolist()
    perm = [0] * n
    for i, z in enumerate(picks):
        perm[i] = perm[z]
        perm[z] = i
    return np.array(perm, np.int64)


def swap_shuffle(targets, n):
    """The array `arange(n)` after `swap(a[i], a[targets[i]])` for i = 0, 1, ... in turn, with
    targets[i] >= i (n < 2^31), without the sequential loop.

    Position i is final after step i; it receives the value then at targets[i]: the value the
    last earlier step aiming at that position moved there, or targets[i] itself if none did. The
    value step k moves out is the one at position k when it starts: again what the last earlier
    step aiming at k moved there, or k. Those "last earlier step aiming at p" links come from one
    stable sort of the steps by target and form chains of decreasing steps; the values are their
    roots."""
    i32 = np.int32
    targets = targets.astype(i32, copy=False)
    m = targets.size
    steps = np.arange(m, dtype=i32)
    stp = _stable_order(targets)  # the steps by target, then step
    tgt = targets[stp]
    stp = stp.astype(i32)
    prev = np.empty(m, i32)  # in sorted order: the step before in the same target group
    prev[0] = -1
    prev[1:] = np.where(tgt[1:] == tgt[:-1], stp[:-1], -1)
    before = np.empty(m, i32)  # by step: the previous step with the same target
    before[stp] = prev
    last = np.full(n, -1, i32)  # the last step aiming at each position
    np.maximum.at(last, targets, steps)
    link = last[:m]  # the last step before k aiming at position k
    link = np.where(link == steps, before, link)  # step k aimed at itself: the one before counts
    root = np.where(link < 0, steps, link)
    todo = np.flatnonzero(link >= 0)
    up = root[todo]
    while todo.size:  # follow the links down to the roots
        up = link[up]
        more = up >= 0
        todo, up = todo[more], up[more]
        root[todo] = up
    out = np.empty(n, i32)
    out[:m] = np.where(before < 0, targets, root[np.maximum(before, 0)])
    out[m] = root[last[m]] if last[m] >= 0 else m
    return out


def _stable_order(keys):
    """argsort(keys, kind="stable") for keys in [0, 2^32), as a radix sort: NumPy's stable sort
    is a radix sort for 16-bit keys, so one pass per 16 bits (the low half first)."""
    k = keys.view(np.uint32) if keys.dtype == np.int32 else keys.astype(np.uint32)
    order = np.argsort(k.astype(np.uint16), kind="stable")
    if keys.size and int(k.max()) >> 16:
        order = order[np.argsort((k[order] >> 16).astype(np.uint16), kind="stable")]
    return order


# ---- Bernoulli and other per-element transforms of double uniforms -------------------------------

def bernoulli_scalar_values(gen, n, p, out=None):
    """bernoulli_(p: float): u53 < p."""
    p = float(p)
    return _chunked(n, np.bool_, lambda m: gen.uniform53(m) < p, out)


def bernoulli_tensor_values(gen, p, out=None):
    """bernoulli(p tensor): u53 < p for float64 p, else a float uniform < float(p)."""
    p = np.asarray(p).reshape(-1)
    if p.dtype != _F64:
        p = p.astype(_F32, copy=False)
    draw = gen.uniform53 if p.dtype == _F64 else gen.uniform24
    done = [0]

    def step(m):
        s = done[0]
        done[0] = s + m
        return draw(m) < p[s:s + m]
    return _chunked(p.size, np.bool_, step, out)


def exponential_values(gen, n, lambd):
    """-1/lambda * log1p(-u) in double."""
    scale = -1.0 / float(lambd)
    return _chunked(n, _F64, lambda m: scale * _rn.libm("log1p", -gen.uniform53(m)))


def geometric_values(gen, n, p):
    """ceil(log(u) / log1p(-p)) in double."""
    denom = math.log1p(-float(p))

    def step(m):
        with np.errstate(divide="ignore"):
            return np.ceil(_rn.libm("log", gen.uniform53(m)) / denom)
    return _chunked(n, _F64, step)


def cauchy_values(gen, n, median, sigma):
    """median + sigma * tan(pi * (u - 0.5)) in double (one FMA)."""
    sigma, median = float(sigma), float(median)
    return _chunked(n, _F64, lambda m: _rn.fma64(
        sigma, _rn.libm("tan", math.pi * (gen.uniform53(m) - 0.5)), median))


def log_normal_values(gen, n, mean, std):
    """exp of torch's scalar (cached, double) normal."""
    return _rn.libm("exp", _rn.normal_scalar(gen, n, mean, std))


def normal_draw(gen, n, np_dtype, dense, mean=0.0, std=1.0, out=None):
    """The n values normal_ writes, in memory order: torch's block path for a contiguous
    (`dense`) tensor of 16+ elements, the cached scalar Box-Muller otherwise."""
    if n >= 16 and dense:
        return _rn.normal_fill(gen, n, np_dtype, mean, std, out)
    values = _rn.normal_scalar(gen, n, mean, std)
    if out is None:
        return values.astype(np_dtype)
    out[...] = values
    return out


def normal_values(gen, arr, mean=0.0, std=1.0, out=None):
    """The values normal_ writes into arr (see `normal_draw`)."""
    return normal_draw(gen, arr.size, arr.dtype, is_contiguous(arr), mean, std, out)


def normal_(gen, arr, mean=0.0, std=1.0):
    gen = _gen(gen)
    write(arr, lambda out: normal_values(gen, arr, mean, std, out))


# ---- multinomial --------------------------------------------------------------------------------

def multinomial_values(gen, probs, num_samples, replacement):
    """probs: 2-d float array (rows = distributions). Returns int64 (rows, num_samples)."""
    rows, cats = probs.shape
    if not replacement or num_samples == 1:
        q = exponential_values(gen, probs.size, 1.0).astype(probs.dtype).reshape(probs.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            keys = probs / q
        if num_samples == 1:
            return np.argmax(keys, axis=1)[:, None].astype(np.int64)
        return np.argsort(-keys, axis=1, kind="stable")[:, :num_samples].astype(np.int64)
    acc = _F32 if probs.dtype == np.float16 else probs.dtype
    cum = np.cumsum(probs.astype(acc), axis=1, dtype=acc)
    cum = cum / cum[:, -1:]
    cum[:, -1] = 1
    u = gen.uniform53(rows * num_samples).reshape(rows, num_samples)
    out = np.empty((rows, num_samples), np.int64)
    for r in range(rows):
        out[r] = np.searchsorted(cum[r].astype(_F64), u[r], side="left")
    return np.minimum(out, cats - 1)


# ---- Poisson ------------------------------------------------------------------------------------

def poisson_values(gen, rates):
    """torch's sample_poisson per rate (product of uniforms below 10, transformed rejection above);
    rejection draws a variable count per element, so this is a Python loop over elements."""
    out = np.empty(rates.size, _F64)
    u = lambda: float(gen.uniform53(1)[0])  # noqa: E731
    for i, lam in enumerate(np.asarray(rates, _F64).reshape(-1).tolist()):
        out[i] = _poisson_one(lam, u)
    return out


def _poisson_one(lam, uniform):
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            U = uniform() - 0.5
            V = uniform()
            us = 0.5 - abs(U)
            k = math.floor((2 * a / us + b) * U + lam + 0.43)
            if us >= 0.07 and V <= vr:
                return k
            if k < 0 or (us < 0.013 and V > us):
                continue
            lhs = math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)
            if lhs <= -lam + k * loglam - math.lgamma(k + 1):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= uniform()
        if prod > enlam:
            x += 1
        else:
            return x
