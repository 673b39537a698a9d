"""The safetensors format, as the `safetensors.torch` functions read and write it.

A file is an 8-byte little-endian header length, a JSON header (name -> dtype, shape and
[begin, end) byte offsets into the data; optional "__metadata__" of str -> str), padded with
spaces to 8 bytes, then the raw little-endian tensor bytes. Nothing is executed on load.
"""

import json
import os
import struct

import numpy as np

from . import _dtype as D
from ._device import to_host
from ._tensor import _wrap

__all__ = ["save", "load", "save_file", "load_file"]

_CODES = {"BOOL": D.bool_, "U8": D.uint8, "I8": D.int8, "I16": D.int16, "I32": D.int32,
          "I64": D.int64, "F16": D.float16, "F32": D.float32, "F64": D.float64,
          "C64": D.complex64}
_NAMES = {d: code for code, d in _CODES.items()}


def save(tensors, metadata=None):
    """Matches safetensors.torch.save: the file's bytes."""
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors, key=lambda n: (-tensors[n].dtype.itemsize, n)):
        t = tensors[name]
        if t.dtype not in _NAMES:
            raise ValueError(f"safetensors cannot store dtype {t.dtype!r} (tensor {name!r})")
        data = np.ascontiguousarray(to_host(t.detach()._data)).astype(
            t.dtype.np.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def load(data):
    """Matches safetensors.torch.load: tensors from the file's bytes (each its own copy)."""
    if len(data) < 8:
        raise ValueError("not a safetensors file: shorter than its 8-byte header length")
    n = struct.unpack("<Q", data[:8])[0]
    if n > len(data) - 8:
        raise ValueError(f"not a safetensors file: header length {n} exceeds the file")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"not a safetensors file: invalid JSON header ({e})") from None
    buffer = memoryview(data)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        out[name] = _tensor(name, info, buffer)
    return out


def _tensor(name, info, buffer):
    dtype = _CODES.get(info.get("dtype"))
    shape = [int(s) for s in info.get("shape", [])]
    begin, end = info.get("data_offsets", (0, -1))
    if dtype is None:
        raise ValueError(f"tensor {name!r}: dtype {info.get('dtype')!r} is not supported")
    if not 0 <= begin <= end <= len(buffer) or end - begin != dtype.itemsize * int(np.prod(shape)):
        raise ValueError(f"tensor {name!r}: data_offsets {[begin, end]} do not match its "
                         f"shape {shape} or the file size")
    wire = dtype.np.newbyteorder("<")
    arr = np.frombuffer(buffer[begin:end], wire).astype(dtype.np, copy=True).reshape(shape)
    return _wrap(arr)


def save_file(tensors, filename, metadata=None):
    """Matches safetensors.torch.save_file."""
    with open(os.fspath(filename), "wb") as f:
        f.write(save(tensors, metadata))


def load_file(filename, device="cpu"):
    """Matches safetensors.torch.load_file."""
    with open(os.fspath(filename), "rb") as f:
        out = load(f.read())
    return out if str(device) == "cpu" else {k: v.to(device) for k, v in out.items()}
