"""The safetensors format, as the `safetensors.torch` functions read and write it.

A file is an 8-byte little-endian header length, a JSON header (name -> dtype, shape and
[begin, end) byte offsets into the data; optional "__metadata__" of str -> str), padded with
spaces to 8 bytes, then the raw little-endian tensor bytes. Nothing is executed on load.
"""

import json
import math
import os
import struct
import sys

import numpy as np

from . import _dtype as D
from ._device import to_host
from ._tensor import _wrap

__all__ = ["save", "load", "save_file", "load_file"]

_CODES = {"BOOL": D.bool_, "U8": D.uint8, "I8": D.int8, "I16": D.int16, "I32": D.int32,
          "I64": D.int64, "F16": D.float16, "F32": D.float32, "F64": D.float64,
          "C64": D.complex64, "BF16": D.bfloat16}  # BF16: ml_dtypes' bfloat16 (ember[bf16])
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
    header, start = _header(len(data), lambda a, b: bytes(data[a:b]))
    buffer = memoryview(data)[start:]
    out = {}
    for name, (dtype, shape, begin, end) in header.items():
        wire = dtype.np.newbyteorder("<")
        out[name] = _wrap(np.frombuffer(buffer[begin:end], wire).astype(dtype.np, copy=True)
                          .reshape(shape))
    return out


def _header(size, read):
    """name -> (dtype, shape, begin, end) from a file of `size` bytes, where `read(a, b)` gives
    bytes a..b; every entry is checked against the file before anything is allocated."""
    if size < 8:
        raise ValueError("not a safetensors file: shorter than its 8-byte header length")
    n = struct.unpack("<Q", read(0, 8))[0]
    if n > size - 8:
        raise ValueError(f"not a safetensors file: header length {n} exceeds the file")
    try:
        header = json.loads(read(8, 8 + n).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"not a safetensors file: invalid JSON header ({e})") from None
    if not isinstance(header, dict):
        raise ValueError("not a safetensors file: the header is not a JSON object")
    data_size = size - 8 - n
    return {name: _entry(name, info, data_size) for name, info in header.items()
            if name != "__metadata__"}, 8 + n


def _entry(name, info, data_size):
    info = info if isinstance(info, dict) else {}
    dtype = _CODES.get(info.get("dtype"))
    shape, offsets = info.get("shape", []), info.get("data_offsets")
    if dtype is None:
        raise ValueError(f"tensor {name!r}: dtype {info.get('dtype')!r} is not supported")
    if not (isinstance(shape, list) and all(_is_count(s) for s in shape)):
        raise ValueError(f"tensor {name!r}: invalid shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))):
        raise ValueError(f"tensor {name!r}: invalid data_offsets {offsets!r}")
    begin, end = offsets
    if not begin <= end <= data_size or end - begin != dtype.itemsize * math.prod(shape):
        raise ValueError(f"tensor {name!r}: data_offsets {[begin, end]} do not match its "
                         f"shape {shape} or the file size")
    return dtype, shape, begin, end


def _is_count(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _load_path(filename):
    """Each tensor read straight from the file into its own memory (one copy at most)."""
    with open(os.fspath(filename), "rb") as f:
        size = os.fstat(f.fileno()).st_size

        def read(a, b):
            f.seek(a)
            return f.read(b - a)
        header, start = _header(size, read)
        out = {}
        for name, (dtype, shape, begin, end) in header.items():
            arr = np.empty(shape, dtype.np)
            f.seek(start + begin)
            view, got = memoryview(arr.reshape(-1).view(np.uint8)), 0
            while got < len(view):
                n = f.readinto(view[got:got + (16 << 20)])
                if not n:
                    raise ValueError(f"tensor {name!r}: the file is truncated")
                got += n
            if sys.byteorder == "big" and arr.itemsize > 1:
                arr.byteswap(inplace=True)
            out[name] = _wrap(arr)
    return out


def save_file(tensors, filename, metadata=None):
    """Matches safetensors.torch.save_file."""
    with open(os.fspath(filename), "wb") as f:
        f.write(save(tensors, metadata))


def load_file(filename, device="cpu"):
    """Matches safetensors.torch.load_file."""
    out = _load_path(filename)
    return out if str(device) == "cpu" else {k: v.to(device) for k, v in out.items()}
