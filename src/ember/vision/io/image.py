"""ember.vision.io.image (torchvision.io.image): torchvision.io's image functions
(read/decode/encode/write of PNG and JPEG, read_file/write_file, ImageReadMode) on Pillow, the
optional extra `ember[vision]`.

Tensors are uint8, CHW, as torchvision's. What the pixels match:
- PNG is lossless, so decoded pixels are the file's. Mode conversions follow torchvision's
  libpng calls: palette -> RGB(A) through the palette (tRNS becomes alpha), gray -> RGB by
  copying, an added alpha is 255, and RGB -> GRAY is libpng's rgb_to_gray with torchvision's
  weights (0.2989, 0.587), integer coefficients 9794/19234/13740 over 2**15, truncated.
  An UNCHANGED palette image gives its palette indices (one channel), as torchvision does.
  16-bit PNGs (torchvision returns uint16, which ember lacks) are refused.
- JPEG pixels are whatever the JPEG decoder computes. Pillow and torchvision both call
  libjpeg(-turbo) with its defaults (islow DCT, fancy upsampling), so with the same libjpeg
  build they agree; across libjpeg versions a pixel may differ by a unit. GRAY asks the
  decoder for its luma plane (as torchvision's JCS_GRAYSCALE does); RGB of a gray JPEG copies.
- encode_jpeg/write_jpeg use Pillow's libjpeg encoder at the given quality with 4:2:0
  subsampling (libjpeg's default, as torchvision's); the bytes need not equal torchvision's.
- WEBP and GIF (decode_image / read_image only) go through Pillow: RGB or RGBA frames.
"""

import os
from enum import Enum
from io import BytesIO

import numpy as np

from ..._args import unsupported
from ..._tensor import Tensor, _wrap

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg",
           "encode_png", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(Enum):
    """Matches torchvision.io.ImageReadMode (strings such as "RGB" are accepted too)."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


def _image_module():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("ember.vision.io reads and writes images with Pillow: "
                          "pip install ember[vision] (or pip install pillow)") from None
    return Image


_SCALAR_NAMES = {"uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                 "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
                 "bool": "Bool", "bfloat16": "BFloat16", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble"}


def _mode(mode):
    return ImageReadMode[mode.upper()] if isinstance(mode, str) else mode


def _bytes(data):
    return np.ascontiguousarray(data.detach().cpu().numpy()).tobytes()


def _dtype_name(t):
    return str(t.dtype).rpartition(".")[2]


def _validate_encoded(data):
    """torchvision's check on encoded bytes handed to a format's decoder."""
    if not data.is_contiguous():
        raise RuntimeError("Input tensor must be contiguous.")
    name = _dtype_name(data)
    if name != "uint8":
        raise RuntimeError("Input tensor must have uint8 data type, got "
                           f"{_SCALAR_NAMES.get(name, name)}")
    if data.dim() != 1 or data.numel() == 0:
        raise RuntimeError(f"Input tensor must be 1-dimensional and non-empty, got {data.dim()} "
                           f"dims  and {data.numel()} numels.")


# ---------------------------------------------------------------- files
def read_file(path):
    """Matches torchvision.io.read_file: the file's bytes as a 1-D uint8 tensor."""
    path = str(path)
    try:
        size = os.stat(path).st_size
    except OSError as e:
        raise RuntimeError(f"[Errno {e.errno}] {os.strerror(e.errno)}: '{path}'") from None
    if size <= 0:
        raise RuntimeError("Expected a non empty file")
    return _wrap(np.fromfile(path, dtype=np.uint8, count=size))


def write_file(filename, data):
    """Matches torchvision.io.write_file: writes a 1-D uint8 tensor's bytes."""
    if data.device.type != "cpu":
        raise RuntimeError("Input tensor should be on CPU")
    if _dtype_name(data) != "uint8":
        raise RuntimeError("Input tensor dtype should be uint8")
    if data.dim() != 1:
        raise RuntimeError("Input data should be a 1-dimensional tensor")
    try:
        with open(str(filename), "wb") as f:
            f.write(_bytes(data))
    except OSError:
        raise RuntimeError("Error opening output file") from None


# ---------------------------------------------------------------- decoding
def _orient(hwc, orientation):
    """EXIF orientation 2..8 applied to an HWC array (1 and unknown values: unchanged)."""
    if orientation == 2:
        return hwc[:, ::-1]
    if orientation == 3:
        return hwc[::-1, ::-1]
    if orientation == 4:
        return hwc[::-1]
    if orientation == 5:
        return hwc.transpose(1, 0, 2)
    if orientation == 6:
        return hwc.transpose(1, 0, 2)[:, ::-1]
    if orientation == 7:
        return hwc.transpose(1, 0, 2)[::-1, ::-1]
    if orientation == 8:
        return hwc.transpose(1, 0, 2)[::-1]
    return hwc


def _exif_orientation(img):
    try:
        return img.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - a broken EXIF block counts as none, as torchvision's
        return None


def _chw(hwc, img, apply_exif_orientation):
    if hwc.ndim == 2:
        hwc = hwc[:, :, None]
    if apply_exif_orientation:
        hwc = _orient(hwc, _exif_orientation(img))
    return _wrap(np.ascontiguousarray(hwc.transpose(2, 0, 1)).astype(np.uint8, copy=False))


def _libpng_gray(rgb):
    """libpng's rgb_to_gray at torchvision's weights: truncated fixed point over 2**15."""
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    gray = (9794 * r + 19234 * g + 13740 * b) >> 15
    same = (r == g) & (g == b)
    return np.where(same, r, gray).astype(np.uint8)


def _open(raw):
    Image = _image_module()
    try:
        img = Image.open(BytesIO(raw))
        img.load()
    except Exception as e:  # noqa: BLE001 - the decoder's own words, as torchvision's
        raise RuntimeError(str(e)) from None
    return img


def _png_pixels(img, mode):
    """The HWC uint8 array torchvision's libpng calls give for `mode`."""
    pil = img.mode
    if pil == "1":
        img, pil = img.convert("L"), "L"
    if mode is ImageReadMode.UNCHANGED:
        return np.asarray(img)
    if pil == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        pil = img.mode
    a = np.asarray(img)
    has_alpha = pil in ("RGBA", "LA")
    has_color = pil in ("RGB", "RGBA")
    if a.ndim == 2:
        a = a[:, :, None]
    colour = a[..., :3] if has_color else a[..., :1]
    alpha = a[..., -1:] if has_alpha else np.full(a.shape[:2] + (1,), 255, np.uint8)
    if mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA):
        gray = _libpng_gray(colour)[..., None] if has_color else colour
        return gray if mode is ImageReadMode.GRAY else np.concatenate([gray, alpha], 2)
    if mode in (ImageReadMode.RGB, ImageReadMode.RGB_ALPHA):
        rgb = colour if has_color else np.repeat(colour, 3, axis=2)
        return rgb if mode is ImageReadMode.RGB else np.concatenate([rgb, alpha], 2)
    raise RuntimeError("The provided mode is not supported for PNG files")


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Matches torchvision.io.decode_png: a uint8 CHW tensor."""
    mode = _mode(mode)
    _validate_encoded(input)
    raw = _bytes(input)
    if len(raw) < 8:
        raise RuntimeError("Content is too small for png!")
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise RuntimeError("Content is not png!")
    if len(raw) > 24 and raw[12:16] == b"IHDR" and raw[24] == 16:  # IHDR's bit depth
        unsupported("torchvision.io.decode_png", "input", "<a 16-bit PNG (uint16 pixels)>")
    img = _open(raw)
    return _chw(_png_pixels(img, mode), img, apply_exif_orientation)


def _jpeg_one(data, mode, apply_exif_orientation):
    _validate_encoded(data)
    raw = _bytes(data)
    if raw[:2] != b"\xff\xd8":
        first = raw[:2] + b"\x00" * (2 - len(raw[:2]))
        raise RuntimeError(f"Not a JPEG file: starts with 0x{first[0]:02x} 0x{first[1]:02x}")
    if mode not in (ImageReadMode.UNCHANGED, ImageReadMode.GRAY, ImageReadMode.RGB):
        raise RuntimeError("The provided mode is not supported for JPEG files")
    Image = _image_module()
    img = Image.open(BytesIO(raw))
    if mode is ImageReadMode.GRAY and img.mode != "L":
        img.draft("L", img.size)  # the decoder's own luma output, as JCS_GRAYSCALE
    try:
        img.load()
    except Exception as e:  # noqa: BLE001 - the decoder's own words
        raise RuntimeError(str(e)) from None
    if mode is ImageReadMode.GRAY and img.mode != "L":
        img = img.convert("L")
    elif mode is ImageReadMode.RGB and img.mode != "RGB":
        img = img.convert("RGB")
    return _chw(np.asarray(img), img, apply_exif_orientation)


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    """Matches torchvision.io.decode_jpeg on the CPU: a tensor, or a list for a list."""
    if str(device) != "cpu":
        unsupported("torchvision.io.decode_jpeg", "device", device)
    mode = _mode(mode)
    if isinstance(input, list):
        if len(input) == 0:
            raise ValueError("Input list must contain at least one element")
        if not all(isinstance(t, Tensor) for t in input):
            raise ValueError("All elements of the input list must be tensors.")
        if not all(t.device.type == "cpu" for t in input):
            raise ValueError("Input list must contain tensors on CPU.")
        return [_jpeg_one(t, mode, apply_exif_orientation) for t in input]
    if input.device.type != "cpu":
        raise ValueError("Input tensor must be a CPU tensor")
    return _jpeg_one(input, mode, apply_exif_orientation)


_UNSUPPORTED_FILE = ("Unsupported image file. Only jpeg, png, webp and gif are currently "
                     "supported. For avif and heic format, please rely on `decode_avif` and "
                     "`decode_heic` directly.")


def _decode_pillow_rgb(raw, mode):
    """WEBP / GIF through Pillow: RGB, or RGBA when the image has alpha (or it is asked for)."""
    if mode not in (ImageReadMode.UNCHANGED, ImageReadMode.RGB, ImageReadMode.RGB_ALPHA):
        raise RuntimeError("The provided mode is not supported for this image format")
    img = _open(raw)
    frames = []
    for i in range(getattr(img, "n_frames", 1)):
        img.seek(i)
        has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
        rgba = mode is ImageReadMode.RGB_ALPHA or (mode is ImageReadMode.UNCHANGED and has_alpha)
        frames.append(np.asarray(img.convert("RGBA" if rgba else "RGB")).transpose(2, 0, 1))
    out = frames[0] if len(frames) == 1 else np.stack(frames)
    return _wrap(np.ascontiguousarray(out))


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Matches torchvision.io.decode_image: a tensor of encoded bytes, or a path."""
    if not isinstance(input, Tensor):
        input = read_file(str(input))
    mode = _mode(mode)
    if input.device.type != "cpu":
        raise RuntimeError("Expected a CPU tensor")
    if _dtype_name(input) != "uint8":
        raise RuntimeError("Expected a torch.uint8 tensor")
    if input.dim() != 1 or input.numel() == 0:
        raise RuntimeError("Expected a non empty 1-dimensional tensor")
    head = _bytes(input[:12])
    if head[:3] == b"\xff\xd8\xff":
        return _jpeg_one(input, mode, apply_exif_orientation)
    if head[:4] == b"\x89PNG":
        return decode_png(input, mode, apply_exif_orientation)
    if head[:6] in (b"GIF89a", b"GIF87a") or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return _decode_pillow_rgb(_bytes(input), mode)
    raise RuntimeError(_UNSUPPORTED_FILE)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Matches torchvision.io.read_image: read_file then decode_image."""
    return decode_image(read_file(path), mode, apply_exif_orientation=apply_exif_orientation)


# ---------------------------------------------------------------- encoding
def _check_image(input):
    if input.device.type != "cpu":
        raise RuntimeError("Input tensor should be on CPU")
    if _dtype_name(input) != "uint8":
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.dim() != 3:
        raise RuntimeError("Input data should be a 3-dimensional tensor")
    channels = input.shape[0]
    if channels not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {channels}")
    hwc = np.ascontiguousarray(input.detach().numpy().transpose(1, 2, 0))
    return _image_module().fromarray(hwc[:, :, 0] if channels == 1 else hwc,
                                     "L" if channels == 1 else "RGB")


def encode_png(input, compression_level=6):
    """Matches torchvision.io.encode_png: the PNG file's bytes as a 1-D uint8 tensor."""
    if not 0 <= compression_level <= 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    img = _check_image(input)
    buf = BytesIO()
    img.save(buf, format="PNG", compress_level=int(compression_level))
    return _wrap(np.frombuffer(buf.getvalue(), np.uint8).copy())


def write_png(input, filename, compression_level=6):
    """Matches torchvision.io.write_png."""
    write_file(filename, encode_png(input, compression_level))


def _encode_jpeg_one(input, quality):
    img = _check_image(input)
    buf = BytesIO()
    img.save(buf, format="JPEG", quality=int(quality), subsampling="4:2:0")
    return _wrap(np.frombuffer(buf.getvalue(), np.uint8).copy())


def encode_jpeg(input, quality=75):
    """Matches torchvision.io.encode_jpeg on the CPU: a tensor, or a list for a list."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is "
                             "passed")
        return [_encode_jpeg_one(t, quality) for t in input]
    return _encode_jpeg_one(input, quality)


def write_jpeg(input, filename, quality=75):
    """Matches torchvision.io.write_jpeg."""
    write_file(filename, encode_jpeg(input, quality))
