"""Hostile checkpoint files: nothing outside the loaded object may change, and errors are torch's.

The corpus is hand-assembled pickle bytes (no pickler): BUILD on every allowlisted object,
`_rebuild_*` calls with hostile arguments, persistent ids and records that lie about sizes,
and every opcode byte, each in the zip and the legacy format where it applies. Each file loads
in every mode (weights_only=True, weights_only=False, mmap=True) while a fingerprint of
ember's global state (default dtype, the shared device and dtype objects, RNG state, grad mode,
print options, and every module-level variable and class attribute of every ember module) is
taken before and after: it must not change. With torch installed, the same file goes through
torch.load in the same mode, and the outcome (the value, or the exception type and, where the
case says so, its text) must be torch's. `TORCH_ONLY_OK` lists where ember refuses a file
torch loads, on purpose.
"""

import gc
import io
import pickle
import struct
import sys
import types
import warnings
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import _pickle_safe, serialization
from ember._tensor import Tensor

try:
    import torch
    import torch.serialization as torch_serialization
except ImportError:
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# ---------------------------------------------------------------- a tiny pickle assembler
class Raw:
    """Opcodes written as they are."""

    def __init__(self, data):
        self.data = data


def g(module, name):
    return Raw(b"c" + f"{module}\n{name}\n".encode())


def ops(x):
    """The opcodes pushing `x` (a literal, a Raw, or a container of them)."""
    if isinstance(x, Raw):
        return x.data
    if x is None:
        return b"N"
    if x is True or x is False:
        return b"\x88" if x else b"\x89"
    if isinstance(x, int):
        if 0 <= x < 256:
            return b"K" + bytes([x])
        if -2 ** 31 <= x < 2 ** 31:
            return b"J" + struct.pack("<i", x)
        n = (x.bit_length() + 8) // 8
        return b"\x8a" + bytes([n]) + x.to_bytes(n, "little", signed=True)
    if isinstance(x, float):
        return b"G" + struct.pack(">d", x)
    if isinstance(x, str):
        return b"X" + struct.pack("<I", len(x.encode())) + x.encode()
    if isinstance(x, tuple):
        return b"(" + b"".join(ops(i) for i in x) + b"t"
    if isinstance(x, list):
        return b"](" + b"".join(ops(i) for i in x) + b"e"
    if isinstance(x, dict):
        return b"}(" + b"".join(ops(k) + ops(v) for k, v in x.items()) + b"u"
    raise TypeError(f"no opcodes for {x!r}")


def call(func, *args):
    """func(*args) by REDUCE."""
    return Raw(ops(func) + ops(args) + b"R")


def new(cls, *args):
    """cls.__new__(cls, *args) by NEWOBJ."""
    return Raw(ops(cls) + ops(args) + b"\x81")


def build(obj, state):
    return Raw(ops(obj) + ops(state) + b"b")


def program(x):
    return b"\x80\x02" + ops(x) + b"."


ODICT = call(g("collections", "OrderedDict"))
F32 = np.array([1.5, -2.0, 3.25], np.float32).tobytes()


class Fmt:
    """What differs between the two formats: the persistent id of a storage."""

    def __init__(self, legacy):
        self.legacy = legacy

    def pid(self, key="0", numel=3, kind="FloatStorage", location="cpu", view=None):
        module = "torch.storage" if kind == "UntypedStorage" else "torch"
        items = ("storage", g(module, kind), key, location, numel)
        return Raw(ops(items + ((view,) if self.legacy else ())) + b"Q")

    def tensor(self, key="0", numel=3, size=(3,), stride=(1,), offset=0, rg=False,
               kind="FloatStorage"):
        return call(g("torch._utils", "_rebuild_tensor_v2"), self.pid(key, numel, kind),
                    offset, size, stride, rg, ODICT)


def zip_bytes(pkl, records):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        for key, data in records.items():
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def legacy_bytes(pkl, records, keys=None, counts=None):
    out = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001,
                                                   "little_endian": True,
                                                   "type_sizes": {"short": 2, "int": 4,
                                                                  "long": 4}}):
        pickle.dump(header, out, protocol=2)
    out.write(pkl)
    keys = list(records) if keys is None else keys
    pickle.dump(keys, out, protocol=2)
    for k in keys:
        data = records.get(k, b"")
        out.write(struct.pack("<q", (counts or {}).get(k, len(data) // 4)))
        out.write(data)
    return out.getvalue()


# ---------------------------------------------------------------- ember's global state
_VALUE_TYPES = (ember.device, ember.dtype, _pickle_safe._StorageType, _pickle_safe._ForeignDtype)
_PRIMITIVES = (type(None), bool, int, float, complex, str, bytes)


def _fp(obj, memo, depth=0):
    """A fingerprint of `obj` that changes when anything reachable from it is rebound."""
    if isinstance(obj, _PRIMITIVES):
        return (type(obj).__name__, obj)
    if isinstance(obj, types.FunctionType):  # by name: ember compiles some methods on first use
        return ("function", obj.__module__, obj.__qualname__)
    key = id(obj)  # one fingerprint per object per snapshot (the walk's order is fixed)
    if key not in memo:
        memo[key] = ("id", id(obj))  # a cycle reads as the object's identity
        memo[key] = _fp_fields(obj, memo, depth)
    return memo[key]


def _fp_fields(obj, memo, depth):
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.str, obj.shape, obj.tobytes() if obj.size < 4096 else id(obj))
    if isinstance(obj, _VALUE_TYPES):
        return (type(obj).__name__, id(obj), tuple(_fp(_slot(obj, s), memo, depth + 1)
                                                   for s in type(obj).__slots__))
    if isinstance(obj, Tensor):
        return ("Tensor", id(obj), repr(obj.dtype), _fp(obj._data, memo, depth + 1),
                tuple(sorted(obj.__dict__)))
    if depth >= 4:
        return ("id", id(obj))
    if type(obj) in (list, tuple):
        return (type(obj).__name__, tuple(_fp(x, memo, depth + 1) for x in obj))
    if type(obj) in (set, frozenset):
        return (type(obj).__name__, tuple(sorted(repr(_fp(x, memo, depth + 1)) for x in obj)))
    if type(obj) in (dict, OrderedDict):
        return (type(obj).__name__, tuple((_fp(k, memo, depth + 1), _fp(v, memo, depth + 1))
                                          for k, v in obj.items()))
    if isinstance(obj, type) and obj.__module__.startswith("ember"):
        return ("class", id(obj), tuple((k, _fp(v, memo, depth + 1))
                                        for k, v in vars(obj).items() if k != "__slotnames__"))
    return ("id", id(obj))


def _slot(obj, name):
    """A value type's field; bfloat16's NumPy dtype, without ml_dtypes (the bf16 extra), is the
    ImportError naming the extra that its first use raises."""
    try:
        return getattr(obj, name, None)
    except ImportError as e:
        assert obj is ember.bfloat16 and name == "np", (obj, name, e)
        assert str(e) == ("torch.bfloat16 tensors need the optional package ml_dtypes: "
                          "pip install ember[bf16]"), e
        return ("ImportError", str(e))


def snapshot():
    """ember's process-wide state (after a collection: a Conv node freed by the collector hands its
    columns back to the convolution's buffer pool, a cache, not state a file may change)."""
    gc.collect()
    state = {
        "default_dtype": repr(ember.get_default_dtype()), "grad": ember.is_grad_enabled(),
        "inference": ember.is_inference_mode_enabled(),
        "rng": ember.get_rng_state().numpy().tobytes(), "print": ember._printing._OPTS.copy(),
        "new_tensor": (repr(ember.ones(1).device), repr(ember.ones(1).dtype)),
        "cpu": (id(ember.device("cpu")), ember.device("cpu").type, ember.device("cpu").index),
        "safe_globals": list(serialization.get_safe_globals()),
    }
    memo = {}
    for name, module in sorted(sys.modules.items()):
        if name == "ember" or name.startswith("ember."):
            state[name] = tuple((k, _fp(v, memo)) for k, v in sorted(vars(module).items())
                                if k not in ("__builtins__", "__loader__", "__spec__",
                                             "__warningregistry__"))
    return state


def _diff(before, after):
    return sorted(k for k in before if k in after and before[k] != after[k])


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """Loads a good file once in every mode, so lazily built tables exist before snapshots."""
    path = tmp_path_factory.mktemp("warm") / "w.pt"
    from ember.nn import Parameter
    serialization.save({"w": ember.ones(2), "p": Parameter(ember.ones(2)),
                        "v": ember.ones(4)[1::2]}, path)
    for kw in MODES.values():
        _describe(serialization.load(path, **kw))
    ember.cuda.is_available()
    return snapshot()


# ---------------------------------------------------------------- the corpus
def _cases():
    """name -> fn(fmt) -> (pickle bytes, records); `records` for the legacy format too."""
    dev = call(g("torch", "device"), "cpu")
    dev_new = new(g("torch", "device"), "cpu")
    f64 = g("torch", "float64")
    v2 = g("torch._tensor", "_rebuild_from_type_v2")
    rebuild = g("torch._utils", "_rebuild_tensor_v2")
    param = g("torch.nn.parameter", "Parameter")
    size = call(g("torch", "Size"), (1, 2))

    def rb(f, *args):
        return call(rebuild, *args)

    c = {
        # value types shared process-wide must stay immutable
        "build_device_slots": lambda f: build(dev, (None, {"type": "meta"})),
        "build_device_index": lambda f: build(dev, (None, {"index": 3})),
        "build_device_dict": lambda f: build(dev, {"type": "meta"}),
        "build_device_new": lambda f: build(dev_new, (None, {"type": "cuda"})),
        "v2_device": lambda f: call(v2, g("torch", "device"), g("torch", "device"), ("cpu",),
                                    {"type": "meta"}),
        "v2_device_slots": lambda f: call(v2, g("torch", "device"), g("torch", "device"),
                                          ("cpu",), (None, {"index": 0})),
        "v2_device_bad_state": lambda f: call(v2, g("torch", "device"), g("torch", "device"),
                                              ("cpu",), (1, 2, 3)),
        "build_size_dict": lambda f: build(size, {"a": 1}),
        "build_size_slots": lambda f: build(size, (None, {"a": 1})),
        "v2_size": lambda f: call(v2, g("torch", "Size"), g("torch", "Size"), ((1, 2),),
                                  {"count": 1}),
        "build_dtype": lambda f: build(g("torch", "float32"), (None, {"is_signed": False})),
        "build_storage_type": lambda f: build(g("torch", "FloatStorage"), {"x": 1}),
        "build_class": lambda f: build(g("torch", "Tensor"), {"x": 1}),
        "reduce_dtype": lambda f: call(g("torch", "float32"), 1),
        "v2_layout": lambda f: call(v2, g("torch.serialization", "_get_layout"),
                                    g("torch.serialization", "_get_layout"), ("torch.strided",),
                                    {"x": 1}),
        "layout_unknown": lambda f: call(g("torch.serialization", "_get_layout"), "torch.nope"),
        "build_set": lambda f: build(call(g("builtins", "set")), {"x": 1}),
        "build_counter": lambda f: build(call(g("collections", "Counter")), {"x": 1}),
        "build_odict": lambda f: build(ODICT, {"_metadata": {"": {"version": 1}}}),
        # a tensor's own fields
        "build_tensor_dict": lambda f: build(f.tensor(), {"dtype": f64}),
        "build_tensor_slots": lambda f: build(f.tensor(), (None, {"dtype": f64})),
        "build_tensor_set_storage": lambda f: build(f.tensor(), (f.pid("0"), 1, (2,), (1,))),
        "build_tensor_set_storage_oob": lambda f: build(f.tensor(), (f.pid("0"), 1, (5,),
                                                                     (1,))),
        "build_tensor_set_tensor": lambda f: build(f.tensor(), (f.tensor(),)),
        "build_tensor_set_empty": lambda f: build(f.tensor(), ()),
        "build_tensor_int": lambda f: build(f.tensor(), 5),
        "build_tensor_typed_double": lambda f: build(f.tensor(), (f.pid("1", 1, "DoubleStorage"),
                                                                  )),
        "build_tensor_tensor_double": lambda f: build(f.tensor(), (f.tensor("1", 1, (1,),
                                                                            kind="DoubleStorage"),)),
        "build_tensor_tensor_view": lambda f: build(f.tensor(), (f.tensor("1", 2, (2,)), 1, (1,),
                                                                 (1,))),
        "build_tensor_tensor_strided": lambda f: build(f.tensor(), (
            rb(f, f.pid("1", 4), 0, (2,), (2,), False, None), 1, (1,), (1,))),
        "build_tensor_tensor_reinterpret": lambda f: build(f.tensor(), (
            f.tensor("1", 1, (1,), kind="DoubleStorage"), 0, (2,), (1,))),
        "v2_tensor_dtype": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                          (f.pid(), 0, (3,), (1,), False, None), {"dtype": f64}),
        "v2_tensor_shape": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                          (f.pid(), 0, (3,), (1,), False, None), {"shape": 1}),
        "v2_tensor_grad_fn": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                            (f.pid(), 0, (3,), (1,), False, None),
                                            (None, {"grad_fn": 1})),
        "v2_tensor_attr": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                         (f.pid(), 0, (3,), (1,), False, None),
                                         {"foo": 3, "_hf_flag": True}),
        "v2_tensor_internal": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                             (f.pid(), 0, (3,), (1,), False, None),
                                             {"_data": None}),
        "v2_tensor_method": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                           (f.pid(), 0, (3,), (1,), False, None), {"sum": 4}),
        "v2_legacy_class": lambda f: call(v2, rebuild, g("torch", "DoubleTensor"),
                                          (f.pid(), 0, (3,), (1,), False, None), None),
        "v2_not_a_tensor_class": lambda f: call(v2, rebuild, g("builtins", "set"),
                                                (f.pid(), 0, (3,), (1,), False, None), None),
        "v2_class_attr_legacy": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                               (f.pid(), 0, (3,), (1,), False, None),
                                               {"__class__": g("torch", "DoubleTensor")}),
        "v2_class_attr_parameter": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                                  (f.pid(), 0, (3,), (1,), False, None),
                                                  {"__class__": param}),
        "v2_requires_grad": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                           (f.pid(), 0, (3,), (1,), False, None),
                                           {"requires_grad": True, "data": 5}),
        "v2_bad_state_len": lambda f: call(v2, rebuild, g("torch", "Tensor"),
                                           (f.pid(), 0, (3,), (1,), False, None), (1,)),
        "param_state_dtype": lambda f: call(g("torch._utils", "_rebuild_parameter_with_state"),
                                            f.tensor(), True, ODICT, {"dtype": f64}),
        "param_state_ok": lambda f: call(g("torch._utils", "_rebuild_parameter_with_state"),
                                         f.tensor(), True, ODICT, {"foo": 3}),
        "param_build_3": lambda f: build(call(param, f.tensor()), (False, None, ODICT)),
        "param_build_5": lambda f: build(call(param, f.tensor()),
                                         (f.tensor("1", 2, (2,)), None, None, True, ODICT)),
        "param_build_4": lambda f: build(call(param, f.tensor()), (f.pid("0"), 0, (2,), (1,))),
        "param_build_dict": lambda f: build(call(param, f.tensor()), {"dtype": 1}),
        "param_int_rg": lambda f: call(g("torch._utils", "_rebuild_parameter"), f.tensor(), 1,
                                       None),
        "param_long_rg": lambda f: call(g("torch._utils", "_rebuild_parameter"),
                                        f.tensor("1", 1, (1,), kind="LongStorage"), True, None),
        "param_not_tensor": lambda f: call(param, 5),
        "param_newobj_int_rg": lambda f: new(param, f.tensor(), 1),
        "rg_not_bool": lambda f: rb(f, f.pid(), 0, (3,), (1,), 1, None),
        "rg_long": lambda f: rb(f, f.pid("1", 1, "LongStorage"), 0, (1,), (1,), True, None),
        # _rebuild_* with hostile geometry and arguments
        "offset_negative": lambda f: rb(f, f.pid(), -1, (2,), (1,), False, None),
        "out_of_bounds": lambda f: rb(f, f.pid(), 0, (5,), (1,), False, None),
        "out_of_bounds_offset": lambda f: rb(f, f.pid(), 2, (2,), (1,), False, None),
        "stride_negative": lambda f: rb(f, f.pid(), 2, (2,), (-1,), False, None),
        "size_negative": lambda f: rb(f, f.pid(), 0, (-2,), (1,), False, None),
        "size_overflow": lambda f: rb(f, f.pid(), 0, (2 ** 31, 2 ** 31, 4), (1, 1, 1), False,
                                      None),
        "stride_overflow": lambda f: rb(f, f.pid(), 0, (2, 3), (2 ** 62, 1), False, None),
        "size_str": lambda f: rb(f, f.pid(), 0, ("2",), (1,), False, None),
        "offset_bool": lambda f: rb(f, f.pid(), True, (2,), (1,), False, None),
        "size_stride_lengths": lambda f: rb(f, f.pid(), 0, (3, 1), (1,), False, None),
        "empty_far_offset": lambda f: rb(f, f.pid(), 9, (0,), (1,), False, None),
        "zero_stride": lambda f: rb(f, f.pid(), 0, (4,), (0,), False, None),
        "storage_not_storage": lambda f: rb(f, 5, 0, (3,), (1,), False, None),
        "metadata_not_dict": lambda f: rb(f, f.pid(), 0, (3,), (1,), False, None, 5),
        "v3_bad_dtype": lambda f: call(g("torch._utils", "_rebuild_tensor_v3"), f.pid(), 0,
                                       (3,), (1,), False, None, 5),
        "v3_reinterpret": lambda f: call(g("torch._utils", "_rebuild_tensor_v3"),
                                         f.pid("0", 12, "UntypedStorage"), 0, (1,), (1,), False,
                                         None, f64),
        # persistent ids
        "pid_int": lambda f: Raw(b"K\x05Q"),
        "pid_empty": lambda f: Raw(b")Q"),
        "pid_module": lambda f: Raw(ops(("module", 1, None, None)) + b"Q"),
        "pid_short": lambda f: Raw(ops(("storage", g("torch", "FloatStorage"), "0")) + b"Q"),
        "pid_kind": lambda f: Raw(ops(("storage", 5, "0", "cpu", 3)
                                      + ((None,) if f.legacy else ())) + b"Q"),
        "pid_location": lambda f: rb(f, f.pid(location="xyz"), 0, (3,), (1,), False, None),
        "pid_missing_record": lambda f: rb(f, f.pid("7"), 0, (3,), (1,), False, None),
        "record_overclaim": lambda f: rb(f, f.pid(numel=10 ** 13), 0, (3,), (1,), False, None),
        "record_underclaim": lambda f: rb(f, f.pid(numel=2), 0, (2,), (1,), False, None),
        "record_negative": lambda f: rb(f, f.pid(numel=-4), 0, (0,), (1,), False, None),
        "legacy_view": lambda f: rb(f, f.pid(view=("v", 1, 2)) if f.legacy else f.pid(), 0,
                                    (1,), (1,), False, None),
        "legacy_view_negative": lambda f: rb(f, f.pid(view=("v", -2, 1)) if f.legacy
                                             else f.pid(), 0, (1,), (1,), False, None),
        "legacy_overclaim": lambda f: rb(f, f.pid(numel=2 ** 38) if f.legacy else f.pid(), 0,
                                         (3,), (1,), False, None),
        "legacy_negative": lambda f: rb(f, f.pid(numel=-4) if f.legacy else f.pid(), 0, (0,),
                                        (1,), False, None),
        # containers
        "setitem_unhashable": lambda f: Raw(b"}]K\x01s"),
        "append_to_tuple": lambda f: Raw(b")K\x01a"),
        "stack_underflow": lambda f: Raw(b"t"),
    }
    return c


CASES = _cases()
# (case, format, mode) patterns, None matching any: where ember differs from torch on purpose
KNOWN = {
    # a name ember's Tensor keeps its own state under: torch stores a plain attribute
    ("v2_tensor_internal", None, None), ("v2_tensor_method", None, None),
    # torch's full unpickler makes a fresh StorageType per name; ember's are shared and immutable
    ("build_storage_type", None, "full"),
    # ember.nn.Parameter itself (not the loader) takes a non-bool requires_grad / non-tensor
    ("param_newobj_int_rg", None, "full"), ("param_not_tensor", None, "full"),
    # ember's empty tensors have storage offset 0
    ("empty_far_offset", None, None),
    # a legacy view storage: ember's tensor reports its offset in the root storage
    ("legacy_view", None, None), ("legacy_view_negative", None, None),
    # torch's mmap path never checks a record's size against its storage; ember's does
    ("record_overclaim", None, "mmap"), ("record_underclaim", None, "mmap"),
    ("record_negative", None, "mmap"),
}
# cases whose records differ from the default one 3-element float32 record
RECORDS = {"build_tensor_typed_double": {"0": F32, "1": F32[:8]},
           "build_tensor_tensor_double": {"0": F32, "1": F32[:8]},
           "build_tensor_tensor_view": {"0": F32, "1": F32[:8]},
           "build_tensor_tensor_strided": {"0": F32, "1": F32 + F32[:4]},
           "build_tensor_tensor_reinterpret": {"0": F32, "1": F32[:8]},
           "param_build_5": {"0": F32, "1": F32[:8]},
           "param_long_rg": {"1": F32[:8]}, "rg_long": {"1": F32[:8]}}
# the element counts a legacy file gives records that are not float32
LEGACY_COUNTS = {"build_tensor_typed_double": {"1": 1}, "build_tensor_tensor_double": {"1": 1},
                 "build_tensor_tensor_reinterpret": {"1": 1}, "param_long_rg": {"1": 1},
                 "rg_long": {"1": 1}, "v3_reinterpret": {"0": 12}}
# compare only the exception type: torch's text names torch's own classes or C++ internals
TYPE_ONLY = {(n, None, None) for n in (
    "build_dtype", "build_storage_type", "build_class", "reduce_dtype", "v2_layout",
    "record_negative", "legacy_overclaim", "legacy_negative", "v3_bad_dtype", "append_to_tuple",
    "setitem_unhashable", "param_build_dict")} | {
    # ember's Size is a Python class: the full unpickler's message names it 'Size'
    ("build_size_dict", None, "full"), ("build_size_slots", None, "full"),
    # torch grows a legacy storage, then finds the file's byte count wrong; ember cannot grow it
    ("out_of_bounds", "legacy", None), ("out_of_bounds_offset", "legacy", None),
    ("build_tensor_set_storage_oob", "legacy", None)}
# compare the first line: torch's argument parser adds per-overload detail lines
FIRST_LINE = {(n, None, None) for n in ("build_tensor_dict", "size_str", "offset_bool")}


def _listed(table, name, fmt, mode):
    return any(n == name and f in (None, fmt) and m in (None, mode) for n, f, m in table)


MODES = {"weights_only": {}, "full": {"weights_only": False}, "mmap": {"mmap": True}}


def _file(tmp_path, name, fmt):
    legacy = fmt == "legacy"
    pkl = program(CASES[name](Fmt(legacy)))
    records = RECORDS.get(name, {"0": F32}) if b"storage" in pkl else {}
    if legacy:
        data = legacy_bytes(pkl, records, counts=LEGACY_COUNTS.get(name))
    else:
        data = zip_bytes(pkl, records)
    path = tmp_path / f"{name}.{fmt}.pt"
    path.write_bytes(data)
    return path


def _outcome(load, path, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", _describe(load(path, **kw)))
        except Exception as e:  # noqa: BLE001 - the outcome is what is compared
            return ("error", type(e).__name__, str(e))


def _describe(obj):
    """A comparable summary of a loaded object, ember's or torch's."""
    if hasattr(obj, "detach") and hasattr(obj, "stride"):
        extra = sorted((k, repr(v)) for k, v in vars(obj).items() if not k.startswith("_"))
        values = obj.detach().cpu().numpy() if torch is not None and isinstance(
            obj, torch.Tensor) else obj.detach().numpy()
        return (type(obj).__name__, str(obj.dtype).replace("torch.", ""), tuple(obj.shape),
                tuple(obj.stride()), obj.storage_offset(), obj.requires_grad,
                values.tolist(), extra)
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_describe(o) for o in obj])
    if isinstance(obj, dict):
        return (type(obj).__name__, [(k, _describe(v)) for k, v in obj.items()],
                sorted(vars(obj)) if hasattr(obj, "__dict__") else None)
    if isinstance(obj, (ember.device, ember.dtype)) or (
            torch is not None and isinstance(obj, (torch.device, torch.dtype, torch.Size))):
        return repr(obj).replace("ember.", "torch.")
    return (type(obj).__name__, repr(obj))


def _normalize(message):
    """torch's weights-only wrapper, with ember's names where ember's differs."""
    return (message.replace(torch_serialization.UNSAFE_MESSAGE, _pickle_safe.UNSAFE_MESSAGE)
            .replace("`torch.serialization.", "`ember.serialization."))


def _modes(fmt):
    return [m for m in MODES if not (m == "mmap" and fmt == "legacy")]


def _params():
    for name in CASES:
        for fmt in ("zip", "legacy"):
            if name.startswith("legacy_") and fmt == "zip" or name.startswith("record_") and (
                    fmt == "legacy"):
                continue
            yield pytest.param(name, fmt, id=f"{name}-{fmt}")


@pytest.mark.parametrize("name, fmt", list(_params()))
def test_hostile_file_changes_nothing_and_fails_as_torch(tmp_path, warm, name, fmt):
    path = _file(tmp_path, name, fmt)
    outcomes = {mode: _outcome(serialization.load, path, MODES[mode]) for mode in _modes(fmt)}
    changed = _diff(warm, snapshot())
    assert not changed, f"ember's global state changed ({outcomes}): {changed}"
    assert ember.ones(1).device.type == "cpu" and ember.device("cpu").type == "cpu"
    if torch is None:
        return
    for mode, ours in outcomes.items():
        theirs = _outcome(torch.load, path, MODES[mode])
        if _listed(KNOWN, name, fmt, mode):
            continue
        assert ours[0] == theirs[0], f"{mode}: ember {ours} but torch {theirs}"
        if ours[0] == "ok":
            assert ours[1] == theirs[1], f"{mode}: ember loads {ours[1]}, torch {theirs[1]}"
            continue
        assert ours[1] == theirs[1], f"{mode}: ember raises {ours[1:]}, torch {theirs[1:]}"
        if _listed(TYPE_ONLY, name, fmt, mode):
            continue
        mine, torch_text = ours[2], _normalize(theirs[2])
        if _listed(FIRST_LINE, name, fmt, mode):
            mine, torch_text = mine.split("\n")[0], torch_text.split("\n")[0]
        assert mine == torch_text, f"{mode}: ember's text differs from torch's"


def test_every_case_runs_in_some_format():
    assert {p.values[0] for p in _params()} == set(CASES)


def _load_bytes(load, data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", _describe(load(io.BytesIO(data), **kw)))
        except Exception as e:  # noqa: BLE001 - the outcome is what is compared
            return ("error", type(e).__name__, str(e))


# opcodes ember reads and torch's interpreter refuses: the data-only ones of protocols 3-5
_EMBER_EXTRA_OPCODES = {op[0] for op in (
    pickle.STACK_GLOBAL, pickle.SHORT_BINUNICODE, pickle.BINUNICODE8, pickle.SHORT_BINBYTES,
    pickle.BINBYTES, pickle.BINBYTES8, pickle.FRAME, pickle.MEMOIZE, pickle.ADDITEMS,
    pickle.LONG4)}


def test_every_opcode_byte(warm):
    """Each byte as the opcode after PROTO, with filler arguments, in both formats."""
    outcomes = {}
    for byte in range(256):
        pkl = b"\x80\x02" + bytes([byte]) + b"\x01" * 12 + b"."
        for fmt, data in (("zip", zip_bytes(pkl, {})), ("legacy", legacy_bytes(pkl, {}))):
            outcomes[byte, fmt] = _load_bytes(serialization.load, data)
    assert not _diff(warm, snapshot())
    if torch is None:
        return
    for (byte, fmt), ours in outcomes.items():
        if byte in _EMBER_EXTRA_OPCODES:
            continue
        pkl = b"\x80\x02" + bytes([byte]) + b"\x01" * 12 + b"."
        data = zip_bytes(pkl, {}) if fmt == "zip" else legacy_bytes(pkl, {})
        theirs = _load_bytes(torch.load, data)
        if theirs[0] == "error":
            theirs = theirs[:2] + (_normalize(theirs[2]),)
        assert ours == theirs, f"opcode {byte} ({fmt})"


def _allowed_names():
    return sorted(_pickle_safe._torch_globals())


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_build_on_every_allowed_global(warm, fmt):
    """BUILD on each allowlisted object itself (a class, function, dtype or storage type)."""
    outcomes = {}
    for name in _allowed_names():
        module, _, attr = name.rpartition(".")
        for state in ({"x": 1, "name": "x"}, (None, {"x": 1, "is_signed": False})):
            pkl = program(build(g(module, attr), state))
            data = zip_bytes(pkl, {}) if fmt == "zip" else legacy_bytes(pkl, {})
            # weights_only=False is not here: it trusts the file, and torch's full unpickler
            # writes to its own classes and functions just the same
            outcomes[name, repr(state)] = (data, _load_bytes(serialization.load, data))
    assert not _diff(warm, snapshot())
    for (name, state), (data, ours) in outcomes.items():
        assert ours[0] == "error", (name, state, ours)
        if torch is None:
            continue
        theirs = _load_bytes(torch.load, data)
        assert ours[1] == theirs[1] == "UnpicklingError", (name, state, ours, theirs)
        assert "Can only build Tensor, Parameter, OrderedDict" in ours[2]


def test_the_shared_cpu_device_survives_a_hostile_file(tmp_path, warm):
    """The issue's 100-byte file: BUILD on device('cpu') through its GLOBAL."""
    pkl = program(build(call(g("torch", "device"), "cpu"), (None, {"type": "cuda"})))
    path = tmp_path / "dev.pt"
    path.write_bytes(zip_bytes(pkl, {}))
    assert len(pkl) < 100
    for kw in MODES.values():
        with pytest.raises(AttributeError, match="^attribute 'type' of 'torch.device' objects is "
                                                 "not writable$"):
            serialization.load(path, **kw)
    assert ember.ones(1).device.type == "cpu" and str(ember.device("cpu")) == "cpu"
    serialization.save({"w": ember.ones(2)}, tmp_path / "after.pt")
    with zipfile.ZipFile(tmp_path / "after.pt") as z:
        assert b"cuda" not in z.read("after/data.pkl")


def test_a_loaded_tensor_keeps_its_dtype(tmp_path, warm):
    """BUILD writing a loaded tensor's dtype field would make sum() read float32 bytes wrongly."""
    f = Fmt(legacy=False)
    for state in ({"dtype": g("torch", "float64")}, (None, {"dtype": g("torch", "float64")})):
        path = tmp_path / "t.pt"
        path.write_bytes(zip_bytes(program(build(f.tensor(), state)), {"0": F32}))
        with pytest.raises(TypeError, match=r"^set_\(\) received an invalid combination"):
            serialization.load(path)
    v2 = call(g("torch._tensor", "_rebuild_from_type_v2"), g("torch._utils", "_rebuild_tensor_v2"),
              g("torch", "Tensor"), (f.pid(), 0, (3,), (1,), False, None),
              {"dtype": g("torch", "float64")})
    path.write_bytes(zip_bytes(program(v2), {"0": F32}))
    for kw in MODES.values():
        with pytest.raises(AttributeError, match="^attribute 'dtype' of 'torch._C.TensorBase' "
                                                 "objects is not writable$"):
            serialization.load(path, **kw)


def test_legacy_file_missing_a_storage_reads_zeros(tmp_path):
    """A legacy file whose data section leaves a storage out: zeros, never an earlier load's
    memory (torch returns whatever its allocator hands back)."""
    f = Fmt(legacy=True)
    good = tmp_path / "good.pt"
    good.write_bytes(legacy_bytes(program(f.tensor()), {"0": F32}))
    for _ in range(3):  # leave freed float32 data around for an allocator to hand back
        assert serialization.load(good).tolist() == [1.5, -2.0, 3.25]
    missing = tmp_path / "missing.pt"
    missing.write_bytes(legacy_bytes(program(f.tensor()), {"0": F32}, keys=[]))
    for _ in range(3):
        assert serialization.load(missing).tolist() == [0.0, 0.0, 0.0]


def _zip_of(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


_A = pickle.dumps({"who": "A"}, protocol=2)
_B = pickle.dumps({"who": "B"}, protocol=2)
POLYGLOTS = {  # entries -> what torch loads (a dict) or the start of its error
    "second pkl ending in data.pkl": ([("b/xdata.pkl", _A), ("b/data.pkl", _B),
                                       ("b/version", b"3\n")], {"who": "B"}),
    "nested data.pkl first": ([("b/c/data.pkl", _A), ("b/data.pkl", _B), ("b/version", b"3\n")],
                              {"who": "B"}),
    "two folders": ([("b/version", b"3\n"), ("a/data.pkl", _A)],
                    "[enforce fail at inline_container.cc:340] . file in archive is not in a "
                    "subdirectory b/: a/data.pkl"),
    "no folder": ([("data.pkl", _A)], "[enforce fail at inline_container.cc:180] . file in "
                                      "archive is not in a subdirectory: data.pkl"),
    "no version": ([("b/data.pkl", _A)], 'Expected hasRecord("version") to be true'),
}


@pytest.mark.parametrize("case", sorted(POLYGLOTS))
def test_zip_reads_the_record_torch_reads(case):
    """A zip that holds more than one data.pkl-like entry loads what torch loads, or fails as
    torch's reader does: a scanner that reads the archive as torch does sees what ember runs."""
    entries, want = POLYGLOTS[case]
    data = _zip_of(entries)
    for load in (ember.load, serialization.get_unsafe_globals_in_checkpoint):
        if isinstance(want, dict):
            if load is ember.load:
                assert load(io.BytesIO(data)) == want
            continue
        with pytest.raises(RuntimeError) as e:
            load(io.BytesIO(data))
        assert str(e.value).startswith(want)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    if isinstance(want, dict):
        assert torch.load(io.BytesIO(data)) == want
    else:
        with pytest.raises(RuntimeError) as e:
            torch.load(io.BytesIO(data))
        assert str(e.value).startswith(want)
