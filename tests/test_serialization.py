"""ember.save / ember.load against torch's checkpoint formats.

Committed fixtures (tests/data/serialization, made by tools/gen_serialization_fixtures.py with
torch 2.13) run without torch. With torch installed, live round trips run in both directions:
torch.save -> ember.load and ember.save -> torch.load(weights_only=True), zip and legacy.
"""

import collections
import io
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

import ember
from ember import _checkpoint_writer, _pickle_safe, _safetensors, serialization
from ember._tensor import _storage
from ember.serialization import load, save

try:
    import torch
except ImportError:
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
DATA = os.path.join(os.path.dirname(__file__), "data", "serialization")
with open(os.path.join(DATA, "manifest.json")) as _f:
    MANIFEST = json.load(_f)
FILES = {e["file"]: e for e in MANIFEST["files"]}
LOADABLE = [f for f, e in FILES.items()
            if e["torch_weights_only"]["ok"] and "map_location" not in e]
REFUSED = [f for f, e in FILES.items() if not e["torch_weights_only"]["ok"]]
MARKER = MANIFEST["marker"]
pytestmark = pytest.mark.filterwarnings("ignore:ember needs the optional package ml_dtypes")
BF16 = ember._dtype.has_bfloat16()  # else bfloat16 tensors load as float32


def _np(t):
    t = t.detach()
    return np.asarray((t.float() if t.dtype is ember.bfloat16 else t).numpy())


def check_desc(obj, d):
    """Compares a loaded object with the generator's description of what torch saved."""
    kind = d["type"]
    if kind in ("Tensor", "Parameter"):
        assert isinstance(obj, ember.Tensor)
        assert (type(obj).__name__ == "Parameter") == (kind == "Parameter")
        dtype = "float32" if d["dtype"] == "bfloat16" and not BF16 else d["dtype"]
        assert repr(obj.dtype) == "torch." + dtype
        assert list(obj.shape) == d["shape"]
        assert list(obj.stride()) == d["stride"]
        assert obj.storage_offset() == d["storage_offset"]
        assert obj.requires_grad == d["requires_grad"]
        if d["dtype"] != "bfloat16" or BF16:
            assert _storage(obj)[0].tobytes().hex() == d["storage_hex"]
        values = _np(obj).reshape(-1)
        if obj.dtype.is_complex:
            values = np.stack([values.real, values.imag], -1).reshape(-1, 2)
        np.testing.assert_array_equal(values, np.array(d["values"], dtype=values.dtype))
    elif kind == "OrderedDict":
        assert type(obj) is collections.OrderedDict
        assert list(obj.keys()) == [k for k, _ in d["items"]]
        for k, v in d["items"]:
            check_desc(obj[k], v)
        assert getattr(obj, "_metadata", None) == d["_metadata"]
    elif kind == "dict":
        assert type(obj) is dict and list(obj.keys()) == [k for k, _ in d["items"]]
        for k, v in d["items"]:
            check_desc(obj[k], v)
    elif kind in ("list", "tuple"):
        assert type(obj).__name__ == kind and len(obj) == len(d["items"])
        for o, v in zip(obj, d["items"]):
            check_desc(o, v)
    else:
        assert type(obj).__name__ == kind and obj == d["value"]


# ---------------------------------------------------------------- committed fixtures (no torch)
@pytest.mark.parametrize("name", LOADABLE)
def test_fixture_loads_like_torch(name):
    check_desc(load(os.path.join(DATA, name)), FILES[name]["expected"])


@pytest.mark.parametrize("name", ["shared_views.pt", "shared_views.legacy.pt"])
def test_fixture_views_share_one_buffer(name):
    obj = load(os.path.join(DATA, name))
    roots = {id(_storage(t)[0]) for t in obj.values()}
    assert len(roots) == 1
    obj["base"][1, 2] = 100.0
    assert obj["col2"][1].item() == 100.0 and obj["transposed"][2, 1].item() == 100.0
    assert obj["row1"][2].item() == 100.0 and obj["flat_slice"][1].item() == 100.0


@pytest.mark.parametrize("name", ["col_view_only.pt", "col_view_only.legacy.pt"])
def test_fixture_view_keeps_whole_storage(name):
    t = load(os.path.join(DATA, name))
    root, offset = _storage(t)
    assert root.size == 12 and offset == 2 and t.stride() == (4,)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_fixture_refused_and_nothing_runs(name, capsys):
    expected = FILES[name]["torch_weights_only"]["message"]
    with pytest.raises(pickle.UnpicklingError) as info:
        load(os.path.join(DATA, name))
    msg = str(info.value)
    assert msg.startswith("Weights only load failed. This file can still be loaded")
    key = expected.split("WeightsUnpickler error: Unsupported global: ")[1].split(" was not")[0]
    assert f"Unsupported global: {key} was not an allowed global by default" in msg
    assert "weights_only` set to `False`" in msg and "add_safe_globals([" in msg
    assert MARKER not in capsys.readouterr().out


@pytest.mark.parametrize("name", ["malicious_print.pt", "malicious_print.legacy.pt"])
def test_safe_globals_extend_the_allowlist(name, capsys):
    with serialization.safe_globals([print]):
        assert print in serialization.get_safe_globals()
        obj = load(os.path.join(DATA, name))
    assert print not in serialization.get_safe_globals()
    assert obj["payload"] is None and obj["weights"].tolist() == [1.0]
    assert MARKER in capsys.readouterr().out  # allowlisted, so the call did run


def test_unsafe_globals_listed_without_running(capsys):
    path = os.path.join(DATA, "malicious_print.pt")
    assert serialization.get_unsafe_globals_in_checkpoint(path) == ["builtins.print"]
    assert MARKER not in capsys.readouterr().out


def test_whole_module_loads_unsafely_into_ember_nn():
    for name in ("whole_module.pt", "whole_module.legacy.pt"):
        model = load(os.path.join(DATA, name), weights_only=False)
        assert type(model).__name__ == "Sequential"
        check_desc(model.state_dict(), FILES[name]["expected"]["state_dict"])


def test_map_location_variants():
    path = os.path.join(DATA, "cuda_tagged_deflated.pt")
    expected = FILES["cuda_tagged_deflated.pt"]["expected"]
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="on a CUDA device but"):
            load(path)
    seen = []
    for loc in ("cpu", ember.device("cpu"), {"cuda:0": "cpu"},
                lambda storage, location: seen.append(location) or storage,
                lambda storage, location: storage.cpu()):
        obj = load(path, map_location=loc)
        check_desc(obj, expected)
        assert obj["w"].device.type == "cpu"
    assert seen == ["cuda:0"]


def test_map_location_callable_none_means_default():
    obj = load(os.path.join(DATA, "parameter.pt"), map_location=lambda s, loc: None)
    assert obj["p"].tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- ember round trips
def _sample():
    base = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    return {"base": base, "t": base.t(), "col": base[:, 2], "flat": base.view(-1)[5:9],
            "i8": ember.tensor([-3, 4], dtype=ember.int8), "b": ember.tensor([True, False]),
            "c": ember.from_numpy(np.array([1 + 2j])),
            "h": ember.tensor([0.5, 2.0], dtype=ember.float16), "s": ember.tensor(7),
            "e": ember.zeros(0, 3), "g": ember.ones(2, requires_grad=True),
            "x": ember.tensor([1.0, 2.0]).expand(3, 2), "size": ember.Size([2, 3]),
            "dt": ember.float64, "dev": ember.device("cpu"), "n": None, "f": 0.1, "l": [1, (2, 3)],
            "bytes": b"\x00\xff", "set": {1, 2}, "cx": 1 - 2j}


def _assert_same_tensors(a, b):
    assert repr(a.dtype) == repr(b.dtype) and a.shape == b.shape and a.stride() == b.stride()
    assert a.storage_offset() == b.storage_offset() and a.requires_grad == b.requires_grad
    np.testing.assert_array_equal(_np(a), _np(b))


@pytest.mark.parametrize("zip_format", [True, False])
def test_ember_round_trip(tmp_path, zip_format):
    obj = _sample()
    path = tmp_path / "x.pt"
    save(obj, path, _use_new_zipfile_serialization=zip_format)
    back = load(path)
    assert list(back) == list(obj)
    for k, v in obj.items():
        if isinstance(v, ember.Tensor):
            _assert_same_tensors(v, back[k])
        else:
            assert back[k] == v and type(back[k]) is type(v)
    shared = [back[k] for k in ("base", "t", "col", "flat")]
    assert len({id(_storage(t)[0]) for t in shared}) == 1


def test_zip_layout_matches_torch(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"a": ember.ones(3), "b": ember.zeros(2, dtype=ember.int64)}, path)
    z = zipfile.ZipFile(path)
    assert z.namelist() == ["ckpt/data.pkl", "ckpt/.format_version", "ckpt/.storage_alignment",
                            "ckpt/byteorder", "ckpt/data/0", "ckpt/data/1", "ckpt/version",
                            "ckpt/.data/serialization_id"]
    raw = path.read_bytes()
    for info in z.infolist():
        name_len, extra_len = np.frombuffer(raw[info.header_offset + 26:][:4], "<u2")
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0
        assert info.compress_type == zipfile.ZIP_STORED
    assert z.read("ckpt/version") == b"3\n" and z.read("ckpt/byteorder") == b"little"
    assert b"PK\x06\x06" in raw[-120:]  # ZIP64 end record, as torch writes
    buf = io.BytesIO()
    save(ember.ones(1), buf)
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0].startswith("archive/")


def test_pickle_protocol_4_round_trip(tmp_path):
    save({"w": ember.ones(2), "k": [1, 2]}, tmp_path / "p4.pt", pickle_protocol=4)
    with pytest.warns(UserWarning, match="Detected pickle protocol 4 in the checkpoint"):
        back = load(tmp_path / "p4.pt")
    assert back["w"].tolist() == [1.0, 1.0] and back["k"] == [1, 2]


def test_mmap_load_shares_file_pages(tmp_path):
    save({"a": ember.arange(6, dtype=ember.float32)}, tmp_path / "m.pt")
    back = load(tmp_path / "m.pt", mmap=True)
    assert back["a"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert isinstance(_storage(back["a"])[0], np.memmap)
    save({"a": ember.ones(2)}, tmp_path / "l.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap can only be used"):
        load(tmp_path / "l.pt", mmap=True)


def test_state_dict_metadata_round_trip(tmp_path):
    sd = collections.OrderedDict([("0.weight", ember.ones(2, 3)), ("0.bias", ember.zeros(2))])
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("0", {"version": 1})])
    save(sd, tmp_path / "sd.pt")
    back = load(tmp_path / "sd.pt")
    assert type(back) is collections.OrderedDict and list(back) == ["0.weight", "0.bias"]
    assert back._metadata == sd._metadata and list(back._metadata) == ["", "0"]


def _optim_state():
    return {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.ones(2),
                          "exp_avg_sq": ember.full((2,), 0.5)}, 1: {"momentum_buffer": None}},
            "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08,
                              "weight_decay": 0, "amsgrad": False, "params": [0, 1]}]}


def test_optimizer_state_round_trip(tmp_path):
    save(_optim_state(), tmp_path / "o.pt")
    back = load(tmp_path / "o.pt")
    assert list(back["state"]) == [0, 1] and back["state"][1] == {"momentum_buffer": None}
    assert back["state"][0]["step"].item() == 3.0
    assert back["param_groups"] == _optim_state()["param_groups"]


def test_parameter_round_trip(tmp_path):
    from ember.nn.parameter import Parameter
    obj = {"p": Parameter(ember.tensor([1.0, 2.0])),
           "f": Parameter(ember.tensor([3.0]), requires_grad=False)}
    obj["same"] = obj["p"]
    save(obj, tmp_path / "p.pt")
    back = load(tmp_path / "p.pt")
    assert type(back["p"]) is Parameter and back["p"].requires_grad
    assert type(back["f"]) is Parameter and not back["f"].requires_grad
    assert back["same"] is back["p"]


# ---------------------------------------------------------------- atomic save, bad files
def test_atomic_save_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save({"w": ember.ones(2)}, path)
    good = path.read_bytes()
    real_add = serialization._ZipWriter.add

    def failing_add(self, name, data):
        if name.startswith("data/"):
            raise OSError("disk full (simulated)")
        return real_add(self, name, data)

    monkeypatch.setattr(serialization._ZipWriter, "add", failing_add)
    with pytest.raises(OSError, match="simulated"):
        save({"w": ember.zeros(1000)}, path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["ckpt.pt"]
    monkeypatch.undo()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):  # before any write
        save({"f": lambda: 0}, tmp_path / "new.pt")
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def _temporaries(folder):
    return sorted(n for n in os.listdir(folder) if ".ember-tmp." in n)


def test_save_killed_midway_leaves_a_temporary_the_next_save_removes(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"w": ember.ones(2)}, path)
    good = path.read_bytes()
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import os, signal, sys
        import ember
        from ember import serialization
        real = serialization._ZipWriter.add
        def add(self, name, data):
            if name.startswith("data/"):
                os.kill(os.getpid(), signal.SIGKILL)
            return real(self, name, data)
        serialization._ZipWriter.add = add
        serialization.save({"w": ember.zeros(1000)}, sys.argv[1])
    """), str(path)], capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert path.read_bytes() == good and len(_temporaries(tmp_path)) == 1
    live = f".ckpt.pt.ember-tmp.{os.getpid()}@{socket.gethostname()}.0000"  # a save under way
    elsewhere = ".ckpt.pt.ember-tmp.1@another-host.0000"  # another machine's, on a shared disk
    other = ".other.pt.ember-tmp.1@" + socket.gethostname() + ".0000"  # another target's
    for name in (live, elsewhere, other):
        (tmp_path / name).write_bytes(b"")
    save({"w": ember.zeros(3)}, path)
    assert load(path)["w"].tolist() == [0.0, 0.0, 0.0]
    assert _temporaries(tmp_path) == sorted([live, elsewhere, other])


def test_save_without_a_temporary_writes_in_place(tmp_path, monkeypatch):
    """A folder where no temporary can be created: torch's way, writing the target itself."""
    path = tmp_path / "ckpt.pt"
    save({"w": ember.ones(2)}, path)

    def refuse(folder, base):
        raise PermissionError(13, "Permission denied", os.path.join(folder, base))
    monkeypatch.setattr(_checkpoint_writer, "_create_temporary", refuse)
    save({"w": ember.zeros(2)}, path)
    assert load(path)["w"].tolist() == [0.0, 0.0] and os.listdir(tmp_path) == ["ckpt.pt"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a folder permission that binds this user (not root)")
def test_save_into_read_only_folder_with_writable_target(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "ckpt.pt"
    save({"w": ember.ones(2)}, path)
    folder.chmod(0o555)
    try:
        save({"w": ember.zeros(2)}, path)
        assert load(path)["w"].tolist() == [0.0, 0.0] and os.listdir(folder) == ["ckpt.pt"]
    finally:
        folder.chmod(0o755)


def test_save_to_missing_folder(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        save(ember.ones(1), tmp_path / "nope" / "x.pt")


def _bad_files(tmp_path):
    save({"w": ember.arange(64, dtype=ember.float32)}, tmp_path / "good.pt")
    save({"w": ember.arange(64, dtype=ember.float32)}, tmp_path / "good.legacy.pt",
               _use_new_zipfile_serialization=False)
    good, legacy = (tmp_path / "good.pt").read_bytes(), (tmp_path / "good.legacy.pt").read_bytes()
    data_at = good.index(np.arange(64, dtype=np.float32).tobytes())
    flipped = bytearray(good)
    flipped[data_at + 5] ^= 0xFF
    bad_pickle = io.BytesIO()  # valid archive (CRCs match), broken pickle opcode
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(bad_pickle, "w") as dst:
        for n in src.namelist():
            dst.writestr(n, b"\x80\x02\xff" if n.endswith("data.pkl") else src.read(n))
    return {"truncated_zip": (good[: len(good) // 2], RuntimeError, "central directory"),
            "crc": (bytes(flipped), RuntimeError, "corrupted"),
            "bad_pickle": (bad_pickle.getvalue(), pickle.UnpicklingError,
                           "Unsupported operand 255"),
            "truncated_legacy": (legacy[:-10], RuntimeError,
                                 "^unexpected EOF, expected 10 more bytes. The file might be "
                                 "corrupted.$"),
            "legacy_pickle_cut": (legacy[:120], IndexError, "index out of range"),
            "text": (b"hello, not a checkpoint", KeyError, "101"),
            "empty": (b"", EOFError, "^$"),
            "bad_magic": (pickle.dumps(12345, protocol=2), RuntimeError, "Invalid magic")}


def test_corrupted_files_raise_clear_errors(tmp_path):
    for name, (data, exc, match) in _bad_files(tmp_path).items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(exc, match=match):
            load(tmp_path / name)
        with pytest.raises(exc, match=match):  # the same through a file object
            load(io.BytesIO(data))


@requires_torch
def test_corrupted_files_fail_as_torch(tmp_path):
    unsafe = (torch.serialization.UNSAFE_MESSAGE, _pickle_safe.UNSAFE_MESSAGE)
    for name, (data, _, _) in _bad_files(tmp_path).items():
        if name == "crc":
            continue  # torch's reader skips CRC checks and loads the flipped value; ember refuses
        errors = []
        for fn in (load, torch.load):
            with pytest.raises(Exception) as info:
                fn(io.BytesIO(data))
            errors.append((type(info.value), str(info.value).replace(*unsafe)))
        assert errors[0] == errors[1], name


def test_refusal_names_ember_functions(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))
    raw = pickle.dumps(Evil(), protocol=2)
    with zipfile.ZipFile(tmp_path / "evil.pt", "w") as z:
        z.writestr("evil/data.pkl", raw)
        z.writestr("evil/version", "3\n")
    with pytest.raises(pickle.UnpicklingError, match="whose module (posix|nt|os) is blocked"):
        load(tmp_path / "evil.pt")


# ---------------------------------------------------------------- safetensors
def test_safetensors_round_trip(tmp_path):
    tensors = {"w": ember.arange(6, dtype=ember.float32).reshape(2, 3).t(),
               "b": ember.tensor([True, False]), "i": ember.tensor([1, -2], dtype=ember.int64)}
    _safetensors.save_file(tensors, tmp_path / "m.safetensors", metadata={"format": "pt"})
    raw = (tmp_path / "m.safetensors").read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    assert n % 8 == 0 and header["__metadata__"] == {"format": "pt"}
    assert header["w"]["dtype"] == "F32" and header["w"]["shape"] == [3, 2]
    back = _safetensors.load_file(tmp_path / "m.safetensors")
    for k, v in tensors.items():
        assert repr(back[k].dtype) == repr(v.dtype) and back[k].tolist() == v.tolist()


def _safetensors_file(header, data=b""):
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


@pytest.mark.parametrize("entry", [
    {"dtype": "F32", "shape": [-1, -4], "data_offsets": [0, 16]},
    {"dtype": "F32", "shape": [2 ** 32, 2 ** 32], "data_offsets": [0, 0]},
    {"dtype": "F32", "shape": [True, 4], "data_offsets": [0, 16]},
    {"dtype": "F32", "shape": [2 ** 40], "data_offsets": [0, 2 ** 42]},
    {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
    {"dtype": "F32", "shape": [4], "data_offsets": [-16, 0]},
    {"dtype": "F32", "shape": "4", "data_offsets": [0, 16]},
    {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}])  # (BF16 is ember's bfloat16)
def test_safetensors_header_checked_before_allocating(tmp_path, entry):
    raw = _safetensors_file({"t": entry}, bytes(16))
    (tmp_path / "h.safetensors").write_bytes(raw)
    for read in (lambda: _safetensors.load(raw),
                 lambda: _safetensors.load_file(tmp_path / "h.safetensors")):
        with pytest.raises(ValueError, match="^tensor 't': "):
            read()


# ---------------------------------------------------------------- live torch
def _torch_objects():
    torch.manual_seed(0)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    return {"sd": net.state_dict(), "base": base, "t": base.t(), "col": base[:, 2],
            "flat": base.view(-1)[5:9], "x": torch.tensor([1.0, 2.0]).expand(3, 2),
            "f16": torch.tensor([0.5], dtype=torch.float16),
            "i16": torch.tensor([-7], dtype=torch.int16),
            "u8": torch.tensor([255], dtype=torch.uint8),
            "c64": torch.tensor([1j], dtype=torch.complex64),
            "b": torch.tensor([True]), "g": torch.ones(2, requires_grad=True),
            "p": torch.nn.Parameter(torch.ones(2)), "e": torch.zeros(0, 2), "s": torch.tensor(3),
            "meta": {"epoch": 2, "betas": (0.9, 0.99), 1: [None, "x"]}}


def _compare_to_torch(e, t):
    if isinstance(t, torch.Tensor):
        assert (type(e).__name__ == "Parameter") == isinstance(t, torch.nn.Parameter)
        assert repr(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
        assert e.stride() == t.stride() and e.storage_offset() == t.storage_offset()
        assert e.requires_grad == t.requires_grad
        np.testing.assert_array_equal(_np(e), t.detach().numpy())
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        assert getattr(e, "_metadata", None) == getattr(t, "_metadata", None)
        for k in t:
            _compare_to_torch(e[k], t[k])
    else:
        assert e == t and type(e) is type(t)


def _same_partition(e_tensors, t_tensors):
    e_keys = [id(_storage(x)[0]) for x in e_tensors]
    t_keys = [x.untyped_storage().data_ptr() for x in t_tensors]
    pairs = set(zip(e_keys, t_keys))
    assert len(pairs) == len(set(e_keys)) == len(set(t_keys))


@requires_torch
@pytest.mark.parametrize("zip_format", [True, False])
def test_torch_save_ember_load(tmp_path, zip_format):
    obj = _torch_objects()
    torch.save(obj, tmp_path / "t.pt", _use_new_zipfile_serialization=zip_format)
    back = load(tmp_path / "t.pt")
    _compare_to_torch(back, obj)
    keys = ["base", "t", "col", "flat", "x", "g"]
    _same_partition([back[k] for k in keys], [obj[k] for k in keys])


@requires_torch
@pytest.mark.parametrize("zip_format", [True, False])
def test_ember_save_torch_load(tmp_path, zip_format):
    obj = _torch_objects()
    ember_obj = load(_torch_bytes(obj))
    save(ember_obj, tmp_path / "e.pt", _use_new_zipfile_serialization=zip_format)
    back = torch.load(tmp_path / "e.pt", weights_only=True)
    _compare_to_torch(ember_obj, back)
    keys = ["base", "t", "col", "flat", "x", "g"]
    _same_partition([ember_obj[k] for k in keys], [back[k] for k in keys])
    assert back["col"].untyped_storage().nbytes() == 48  # the whole base storage, as torch


def _torch_bytes(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return buf


@requires_torch
def test_ember_objects_load_in_torch(tmp_path):
    from ember.nn.parameter import Parameter
    obj = _sample()
    obj["param"] = Parameter(ember.ones(2))
    obj["optim"] = _optim_state()
    save(obj, tmp_path / "s.pt")
    back = torch.load(tmp_path / "s.pt", weights_only=True)
    assert back["size"] == torch.Size([2, 3]) and back["dt"] is torch.float64
    assert back["dev"] == torch.device("cpu") and back["set"] == {1, 2} and back["cx"] == 1 - 2j
    assert back["bytes"] == b"\x00\xff" and back["l"] == [1, (2, 3)]
    assert isinstance(back["param"], torch.nn.Parameter) and back["param"].requires_grad
    assert back["optim"]["param_groups"] == _optim_state()["param_groups"]
    assert back["optim"]["state"][0]["step"].item() == 3.0
    for k in ("base", "t", "col", "flat", "i8", "b", "c", "h", "s", "e", "g", "x"):
        _compare_to_torch(obj[k], back[k])


@requires_torch
def test_state_dict_metadata_into_torch_module(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    sd = load(_torch_bytes(net.state_dict()))
    save(sd, tmp_path / "sd.pt")
    back = torch.load(tmp_path / "sd.pt", weights_only=True)
    assert back._metadata == net.state_dict()._metadata
    other = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    other.load_state_dict(back)
    x = torch.randn(4, 3)
    assert torch.equal(other(x), net(x))


def _ember_nn():
    import ember.nn as nn
    return nn


@requires_torch
def test_model_trained_in_ember_runs_in_torch_and_back(tmp_path):
    nn = _ember_nn()
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    x = ember.randn(8, 3)
    for _ in range(3):  # a few plain SGD steps
        model.zero_grad()
        (model(x) ** 2).mean().backward()
        with ember.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
    save(model.state_dict(), tmp_path / "ember.pt")
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    twin.load_state_dict(torch.load(tmp_path / "ember.pt", weights_only=True))
    xt = torch.from_numpy(_np(x))

    def same():  # weights bit-identical; outputs equal up to BLAS summation order
        for (k, p), (tk, tp) in zip(model.state_dict().items(), twin.state_dict().items()):
            assert k == tk
            np.testing.assert_array_equal(_np(p), tp.numpy())
        np.testing.assert_allclose(twin(xt).detach().numpy(), _np(model(x)), rtol=1e-6)
    same()
    with torch.no_grad():
        twin[0].weight.mul_(0.5)
    torch.save(twin.state_dict(), tmp_path / "torch.pt")
    model.load_state_dict(load(tmp_path / "torch.pt"))
    same()


def test_whole_module_loads_safely_once_allowlisted():
    nn = _ember_nn()
    name = "whole_module.pt"
    with serialization.safe_globals([nn.Sequential, nn.Linear, set]):
        model = load(os.path.join(DATA, name))
    assert type(model) is nn.Sequential
    check_desc(model.state_dict(), FILES[name]["expected"]["state_dict"])


# ---------------------------------------------------------------- each argument honoured or refused
def test_save_pickle_module(tmp_path):
    save({"w": ember.ones(2)}, tmp_path / "a.pt", pickle_module=pickle)
    assert load(tmp_path / "a.pt")["w"].tolist() == [1.0, 1.0]
    with pytest.raises(NotImplementedError, match=r"torch.save\(pickle_module="):
        save({"w": ember.ones(2)}, tmp_path / "b.pt", pickle_module=json)
    assert not (tmp_path / "b.pt").exists()


def test_save_disable_byteorder_record(tmp_path):
    save({"w": ember.ones(2)}, tmp_path / "e.pt", _disable_byteorder_record=True)
    names = zipfile.ZipFile(tmp_path / "e.pt").namelist()
    assert names == ["e/data.pkl", "e/.format_version", "e/.storage_alignment", "e/data/0",
                     "e/version", "e/byteorder", "e/.data/serialization_id"]
    if torch is not None:  # torch's writer still records the byte order, once it closes
        torch.save({"w": torch.ones(2)}, tmp_path / "t.pt", _disable_byteorder_record=True)
        assert zipfile.ZipFile(tmp_path / "t.pt").namelist() == [
            n.replace("e/", "t/", 1) for n in names]


def _short_binstring_file(tmp_path):
    """A pickle holding SHORT_BINSTRING b'\\xc3\\xa9' (Python 2's str), as a zip checkpoint."""
    path = tmp_path / "py2.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("py2/data.pkl", b"\x80\x02U\x02\xc3\xa9.")
        z.writestr("py2/version", "3\n")
    return path


def _outcome(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", fn(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - compared with torch's
            result = ("error", type(e).__name__, str(e))
    return result, [str(w.message) for w in caught]


def test_load_pickle_load_args(tmp_path):
    path = _short_binstring_file(tmp_path)
    assert load(path) == "\u00e9"
    with pytest.warns(UserWarning, match="pickle_load_args only works if `weights_only=False`"):
        assert load(path, encoding="latin1") == "\u00c3\u00a9"
    with pytest.warns(UserWarning, match="pickle_load_args only works"):
        assert load(path, encoding="bytes") == b"\xc3\xa9"
    assert load(path, weights_only=False, encoding="bytes") == b"\xc3\xa9"
    with pytest.warns(UserWarning), pytest.raises(TypeError, match="unexpected keyword argument"):
        load(path, errors="strict")
    with pytest.raises(TypeError, match="'bogus' is an invalid keyword argument"):
        load(path, weights_only=False, bogus=1)


@requires_torch
def test_load_arguments_as_torch(tmp_path):
    py2 = _short_binstring_file(tmp_path)
    zipped, legacy = tmp_path / "z.pt", tmp_path / "l.pt"
    torch.save({"w": torch.ones(2)}, zipped)
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    calls = [((py2,), {}), ((py2,), {"encoding": "latin1"}), ((py2,), {"encoding": "bytes"}),
             ((py2,), {"weights_only": False, "encoding": "latin1"}),
             ((zipped,), {"errors": "strict"}), ((legacy,), {"errors": "strict"}),
             ((zipped,), {"weights_only": False, "errors": "strict"}),
             ((zipped,), {"weights_only": False, "bogus": 1}),
             ((str(legacy),), {"mmap": True}), ((legacy,), {"mmap": True}),
             ((io.BytesIO(zipped.read_bytes()),), {"mmap": True}),
             ((legacy,), {"pickle_module": pickle})]
    for args, kwargs in calls:
        (ours, our_warnings), (theirs, their_warnings) = (
            _outcome(load, *args, **kwargs), _outcome(torch.load, *args, **kwargs))
        if ours[0] == theirs[0] == "ok":
            ours, theirs = _describe_loaded(ours[1]), _describe_loaded(theirs[1])
        assert (ours, our_warnings) == (theirs, their_warnings), (args, kwargs)


def _describe_loaded(obj):
    if isinstance(obj, dict):
        return {k: _np(v).tolist() for k, v in obj.items()}
    return obj


@requires_torch
def test_force_no_weights_only_env_as_torch(tmp_path, monkeypatch):
    torch.save({"w": torch.ones(2)}, tmp_path / "z.pt")
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    ours, theirs = _outcome(load, tmp_path / "z.pt"), _outcome(torch.load, tmp_path / "z.pt")
    assert ours[1] == theirs[1] and len(ours[1]) == 1
    assert _outcome(load, tmp_path / "z.pt", weights_only=True)[1] == []


def test_map_location_meta_refused(tmp_path):
    save({"w": ember.ones(2)}, tmp_path / "a.pt")
    for loc in ("meta", ember.device("meta"), b"meta"):
        with pytest.raises(NotImplementedError, match=r"torch.load\(map_location="):
            load(tmp_path / "a.pt", map_location=loc)


def test_load_of_a_safetensors_path(tmp_path):
    """torch.load hands a `.safetensors` path to safetensors' load_file, on one device."""
    path = tmp_path / "m.safetensors"
    _safetensors.save_file({"w": ember.arange(3, dtype=ember.float32)}, path)
    assert load(path)["w"].tolist() == [0.0, 1.0, 2.0]
    assert load(path, map_location="cpu")["w"].tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="^Loading safetensors file with dict map_location is "
                                           "not supported"):
        load(path, map_location={"cpu": "cpu"})
    with pytest.raises(RuntimeError, match="^Loading safetensors file with callable "
                                           "map_location is not supported"):
        load(path, map_location=lambda s, loc: s)


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_conj_and_neg_views_from_torch(fmt):
    """torch saves a conj / neg view as its base's values plus a bit; in the legacy format the
    storages are read after the pickle, so ember built the view from zeros."""
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    z = torch.tensor([1 + 2j, 3 + 4j])
    for t in (z.conj(), torch.tensor([1.0, 2.0])._neg_view(), z.conj()._neg_view()):
        buf = io.BytesIO()
        torch.save({"t": t, "list": [t]}, buf, _use_new_zipfile_serialization=fmt == "zip")
        for weights_only in (True, False):
            buf.seek(0)
            got = ember.load(buf, weights_only=weights_only)
            want = t.resolve_conj().resolve_neg().numpy()
            np.testing.assert_array_equal(got["t"].numpy(), want)
            np.testing.assert_array_equal(got["list"][0].numpy(), want)


@pytest.mark.parametrize("legacy", [False, True])
def test_views_of_one_storage_as_two_dtypes_are_refused(tmp_path, legacy):
    """torch refuses to save one storage's data viewed as two dtypes; ember wrote two storages,
    so the loaded tensors no longer shared memory."""
    c = ember.tensor([1 + 2j, 3 - 1j])
    i = ember.tensor([1, 2], dtype=ember.int32)
    for obj in ((c, c.real), {"a": i, "b": i.view(ember.float32)}):
        path = tmp_path / "x.pt"
        with pytest.raises(RuntimeError, match="^Cannot save multiple tensors or storages that "
                                               "view the same data as different types$"):
            ember.save(obj, path, _use_new_zipfile_serialization=not legacy)
        assert not path.exists()
    x = ember.arange(6.0)  # one dtype: shared, as before
    path = tmp_path / "ok.pt"
    ember.save((x, x[2:], x.view(2, 3)), path, _use_new_zipfile_serialization=not legacy)
    a, b, m = ember.load(path)
    a[3] = 100.0
    assert b[1].item() == 100.0 and m[1, 0].item() == 100.0
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    t = torch.tensor([1 + 2j])
    with pytest.raises(RuntimeError, match="^Cannot save multiple tensors or storages that view "
                                           "the same data as different types$"):
        torch.save((t, t.real), io.BytesIO(), _use_new_zipfile_serialization=not legacy)


@pytest.mark.parametrize("legacy", [False, True])
def test_meta_tensors_round_trip(legacy):
    """A meta tensor is saved as torch saves it (no storage: _rebuild_meta_tensor_no_storage);
    ember wrote a storage of zeros, which torch loaded as a CPU tensor of zeros."""
    m = ember.nn.Linear(2, 3, device="meta")
    v = ember.empty(4, 6, device="meta")[1:, ::2]
    buf = io.BytesIO()
    ember.save({"sd": m.state_dict(), "params": list(m.parameters()), "view": v}, buf,
               _use_new_zipfile_serialization=not legacy)
    assert b"_rebuild_meta_tensor_no_storage" in buf.getvalue()
    for weights_only in (True, False):
        buf.seek(0)
        r = ember.load(buf, weights_only=weights_only)
        assert r["sd"]["weight"].is_meta and tuple(r["sd"]["weight"].shape) == (3, 2)
        p = r["params"][0]
        assert isinstance(p, ember.nn.Parameter) and p.is_meta and p.requires_grad
        assert r["view"].is_meta and r["view"].stride() == (6, 2) and r["view"].shape == (3, 3)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    buf.seek(0)
    t = torch.load(buf)
    assert t["sd"]["weight"].is_meta and t["view"].stride() == (6, 2)
    assert isinstance(t["params"][1], torch.nn.Parameter) and t["params"][1].is_meta
    tb = io.BytesIO()
    mt = torch.nn.Linear(2, 3, device="meta")
    torch.save({"sd": mt.state_dict(), "view": torch.empty(4, 6, device="meta")[1:, ::2]}, tb,
               _use_new_zipfile_serialization=not legacy)
    tb.seek(0)
    r = ember.load(tb)
    assert r["sd"]["bias"].is_meta and r["view"].stride() == (6, 2)


@pytest.mark.parametrize("legacy", [False, True])
def test_python_attributes_of_tensors_are_saved(legacy):
    """torch saves the attributes a user set on a tensor or Parameter (its state); ember
    dropped them."""
    t = ember.ones(2)
    t.foo = "bar"
    p = ember.nn.Parameter(ember.ones(2))
    p.flag = 3
    plain = ember.ones(2, requires_grad=True) * 2
    plain.retain_grad()  # ember's own attributes (retain_grad's) are not user state
    buf = io.BytesIO()
    ember.save([t, p, plain.detach(), ember.ones(1)], buf,
               _use_new_zipfile_serialization=not legacy)
    assert b"_rebuild_from_type_v2" in buf.getvalue()
    assert b"_rebuild_parameter_with_state" in buf.getvalue()
    for weights_only in (True, False):
        buf.seek(0)
        r = ember.load(buf, weights_only=weights_only)
        assert r[0].foo == "bar" and r[1].flag == 3 and isinstance(r[1], ember.nn.Parameter)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    buf.seek(0)
    r = torch.load(buf)
    assert r[0].foo == "bar" and r[1].flag == 3 and isinstance(r[1], torch.nn.Parameter)
    assert not r[2].__dict__
