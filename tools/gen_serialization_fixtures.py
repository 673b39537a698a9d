"""Regenerate tests/data/serialization/: checkpoints written by live torch, plus a manifest.

Provenance: adapted from ../shared/spec/serialization/gen_serialization_samples.py (torch
2.13.0, made for issue 6): the same objects, saved in the zip and the legacy
(`_use_new_zipfile_serialization=False`) formats, plus an optimizer state_dict, a stride-0
(expanded) tensor, and a hand-made archive (Python's zipfile, deflated, unaligned) whose storage
is tagged 'cuda:0'. The manifest keeps, per file, a description of the expected object
(tensors: type, dtype, shape, stride, storage_offset, requires_grad, storage bytes and values;
bfloat16/float16 values as floats, complex ones as [re, im]) and what torch.load(weights_only=
True) did with it (its exception message for the refused files). The malicious files carry a
harmless payload: unpickling them unsafely calls builtins.print with MARKER.

Usage, from the repository root:  python tools/gen_serialization_fixtures.py
"""

import collections
import contextlib
import io
import json
import os
import pickle
import zipfile

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                   "serialization")
MARKER = "EMBER-UNSAFE-UNPICKLE-MARKER: this text was printed by a pickle payload"


class _PrintPayload:
    """Pickles to GLOBAL builtins.print + REDUCE(MARKER)."""

    def __reduce__(self):
        return (print, (MARKER,))


def make_objects():
    objs = {}
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    objs["seq_state_dict"] = net.state_dict()
    objs["mixed_dtypes"] = {
        "f32": torch.tensor([1.5, -2.25, 3.0]),
        "f64": torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=torch.float64),
        "f16": torch.tensor([0.5, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.5], dtype=torch.bfloat16),
        "i64": torch.tensor([1, -2, 2**40]),
        "i32": torch.tensor([7, -8], dtype=torch.int32),
        "i16": torch.tensor([300], dtype=torch.int16),
        "i8": torch.tensor([-5, 5], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "c64": torch.tensor([1 + 2j, -0.5j], dtype=torch.complex64),
        "c128": torch.tensor([3 - 1j], dtype=torch.complex128),
        "scalar0d": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "requires_grad": torch.tensor([1.0, 2.0], requires_grad=True),
        "epoch": 3, "lr": 0.001, "name": "ember", "shape_list": [2, 3],
    }
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    objs["shared_views"] = {"base": base, "transposed": base.t(), "row1": base[1],
                            "col2": base[:, 2], "flat_slice": base.view(-1)[5:9]}
    objs["col_view_only"] = base[:, 2]
    objs["expanded"] = {"e": torch.tensor([1.0, 2.0]).expand(3, 2)}
    objs["parameter"] = {"p": torch.nn.Parameter(torch.tensor([1.0, 2.0])),
                         "frozen": torch.nn.Parameter(torch.tensor([3.0]), requires_grad=False)}
    torch.manual_seed(0)
    lin = torch.nn.Linear(2, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=0.01)
    lin(torch.ones(1, 2)).sum().backward()
    opt.step()
    objs["optim_state"] = opt.state_dict()
    torch.manual_seed(0)
    objs["whole_module"] = torch.nn.Sequential(torch.nn.Linear(2, 2))
    objs["malicious_print"] = {"weights": torch.tensor([1.0]), "payload": _PrintPayload()}
    return objs


def describe(o):
    if isinstance(o, torch.Tensor):
        x = o.detach()
        d = {"type": "Parameter" if isinstance(o, torch.nn.Parameter) else "Tensor",
             "dtype": str(o.dtype).replace("torch.", ""), "shape": list(o.shape),
             "stride": list(o.stride()), "storage_offset": o.storage_offset(),
             "requires_grad": o.requires_grad, "storage_hex": bytes(x.untyped_storage()).hex()}
        if x.dtype.is_complex:
            d["values"] = [[v.real, v.imag] for v in x.reshape(-1).tolist()]
        else:
            d["values"] = (x.float() if x.dtype == torch.bfloat16 else x).reshape(-1).tolist()
        return d
    if isinstance(o, collections.OrderedDict):
        meta = getattr(o, "_metadata", None)
        return {"type": "OrderedDict", "items": [[k, describe(v)] for k, v in o.items()],
                "_metadata": None if meta is None else {k: dict(v) for k, v in meta.items()}}
    if isinstance(o, dict):
        return {"type": "dict", "items": [[k, describe(v)] for k, v in o.items()]}
    if isinstance(o, (list, tuple)):
        return {"type": type(o).__name__, "items": [describe(v) for v in o]}
    if isinstance(o, torch.nn.Module):
        return {"type": type(o).__module__ + "." + type(o).__qualname__,
                "state_dict": describe(o.state_dict())}
    if isinstance(o, _PrintPayload):
        return {"type": "payload"}
    return {"type": type(o).__name__, "value": o}


def try_load(path):
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink):
            torch.load(path, weights_only=True, map_location="cpu")
        return {"ok": True, "printed": sink.getvalue()}
    except Exception as e:
        return {"ok": False, "printed": sink.getvalue(),
                "exception": type(e).__module__ + "." + type(e).__name__, "message": str(e)}


def _relative_source_paths():
    """Legacy whole-module saves store the class's source path; keep it machine-independent."""
    orig = torch.serialization.get_source_lines_and_file
    root = os.path.dirname(os.path.dirname(torch.__file__))

    def patched(obj, error_msg=None):
        lines, lineno, fname = orig(obj, error_msg)
        return lines, lineno, os.path.relpath(fname, root)

    torch.serialization.get_source_lines_and_file = patched


def write_handmade_cuda(path):
    """A zip checkpoint as Python's zipfile writes it (deflated, no alignment) whose single
    storage is tagged 'cuda:0': loaders must honour map_location to read it on a CPU host."""

    class Storage:
        pass

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", torch.FloatStorage, "0", "cuda:0", 3)
            return None

    class Rebuild:
        def __reduce__(self):
            return (torch._utils._rebuild_tensor_v2,
                    (Storage(), 0, (3,), (1,), False, collections.OrderedDict()))

    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump({"w": Rebuild()})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("handmade/data.pkl", buf.getvalue())
        z.writestr("handmade/byteorder", "little")
        z.writestr("handmade/data/0", torch.tensor([0.25, -1.0, 8.0]).numpy().tobytes())
        z.writestr("handmade/version", "3\n")
    return describe({"w": torch.tensor([0.25, -1.0, 8.0])})


def main():
    _relative_source_paths()
    os.makedirs(OUT, exist_ok=True)
    manifest = {"torch_version": torch.__version__, "marker": MARKER, "files": []}
    for name, obj in make_objects().items():
        for fmt in ("zip", "legacy"):
            fname = f"{name}.pt" if fmt == "zip" else f"{name}.legacy.pt"
            path = os.path.join(OUT, fname)
            torch.save(obj, path, _use_new_zipfile_serialization=(fmt == "zip"))
            manifest["files"].append({"file": fname, "format": fmt, "expected": describe(obj),
                                      "torch_weights_only": try_load(path)})
    expected = write_handmade_cuda(os.path.join(OUT, "cuda_tagged_deflated.pt"))
    manifest["files"].append({"file": "cuda_tagged_deflated.pt", "format": "zip",
                              "expected": expected, "map_location": "cpu",
                              "torch_weights_only": try_load(
                                  os.path.join(OUT, "cuda_tagged_deflated.pt"))})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("wrote", len(manifest["files"]), "files to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
