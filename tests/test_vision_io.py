"""ember.vision.io against torchvision.io's definitions (torchvision is not installable beside
torch 2.13 here). PNG is lossless, so expected pixels come from the arrays the test writes, with
torchvision's libpng conversions; JPEG pixels are the libjpeg decoder's, which ember reaches
through Pillow, so the reference is Pillow's own decode of the same bytes."""

import io as pyio

import numpy as np
import pytest

import ember
from ember._args import EmberNotImplementedError
from ember.vision import io as eio
from ember.vision.io import ImageReadMode

Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8)
RGB[0, 0] = (7, 7, 7)  # a gray pixel: libpng keeps r==g==b exactly
ALPHA = RNG.integers(0, 256, (6, 5), dtype=np.uint8)


def _png(img, **kw):
    buf = pyio.BytesIO()
    img.save(buf, "PNG", **kw)
    return ember.from_numpy(np.frombuffer(buf.getvalue(), np.uint8).copy())


def _jpeg(img, **kw):
    buf = pyio.BytesIO()
    img.save(buf, "JPEG", **kw)
    return ember.from_numpy(np.frombuffer(buf.getvalue(), np.uint8).copy())


def _hwc(t):
    assert t.dtype == ember.uint8 and t.dim() == 3
    return t.numpy().transpose(1, 2, 0)


def _gray(rgb):  # torchvision: png_set_rgb_to_gray(png, 1, 0.2989, 0.587), 8-bit, truncating
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    y = (9794 * r + 19234 * g + 13740 * b) >> 15
    return np.where((r == g) & (g == b), r, y).astype(np.uint8)[..., None]


def _full(shape):
    return np.full(shape[:2] + (1,), 255, np.uint8)


def test_read_mode_enum():
    assert [(m.name, m.value) for m in ImageReadMode] == [
        ("UNCHANGED", 0), ("GRAY", 1), ("GRAY_ALPHA", 2), ("RGB", 3), ("RGB_ALPHA", 4)]
    assert ImageReadMode.RGBA is ImageReadMode.RGB_ALPHA
    with pytest.raises(KeyError):
        eio.decode_png(_png(Image.fromarray(RGB)), mode="CMYK")


@pytest.mark.parametrize("mode", ["UNCHANGED", "GRAY", "GRAY_ALPHA", "RGB", "RGB_ALPHA"])
def test_png_rgb_and_rgba(mode):
    rgba = np.concatenate([RGB, ALPHA[..., None]], 2)
    a = ALPHA[..., None]
    want_rgb = {"UNCHANGED": RGB, "GRAY": _gray(RGB),
                "GRAY_ALPHA": np.concatenate([_gray(RGB), _full(RGB.shape)], 2),
                "RGB": RGB, "RGB_ALPHA": np.concatenate([RGB, _full(RGB.shape)], 2)}[mode]
    want_rgba = {"UNCHANGED": rgba, "GRAY": _gray(RGB),
                 "GRAY_ALPHA": np.concatenate([_gray(RGB), a], 2), "RGB": RGB,
                 "RGB_ALPHA": rgba}[mode]
    np.testing.assert_array_equal(_hwc(eio.decode_png(_png(Image.fromarray(RGB)), mode)),
                                  want_rgb)
    np.testing.assert_array_equal(
        _hwc(eio.decode_png(_png(Image.fromarray(rgba)), ImageReadMode[mode])), want_rgba)


@pytest.mark.parametrize("mode", ["UNCHANGED", "GRAY", "GRAY_ALPHA", "RGB", "RGB_ALPHA"])
def test_png_gray_gray_alpha_and_1bit(mode):
    g = RGB[..., :1]
    ga = np.concatenate([g, ALPHA[..., None]], 2)
    gray = _png(Image.fromarray(g[..., 0]))
    want = {"UNCHANGED": g, "GRAY": g, "GRAY_ALPHA": np.concatenate([g, _full(g.shape)], 2),
            "RGB": np.repeat(g, 3, 2),
            "RGB_ALPHA": np.concatenate([np.repeat(g, 3, 2), _full(g.shape)], 2)}[mode]
    np.testing.assert_array_equal(_hwc(eio.decode_image(gray, mode)), want)
    want_ga = {"UNCHANGED": ga, "GRAY": g, "GRAY_ALPHA": ga, "RGB": np.repeat(g, 3, 2),
               "RGB_ALPHA": np.concatenate([np.repeat(g, 3, 2), ga[..., 1:]], 2)}[mode]
    np.testing.assert_array_equal(_hwc(eio.decode_image(_png(Image.fromarray(ga, "LA")), mode)),
                                  want_ga)
    bits = RGB[..., 0] > 127
    one = _png(Image.fromarray(bits))  # a 1-bit gray PNG: libpng expands 0/1 to 0/255
    got = _hwc(eio.decode_png(one, mode))
    np.testing.assert_array_equal(got[..., 0], np.where(bits, 255, 0))


def test_png_palette():
    idx = (RGB[..., 0] % 4).astype(np.uint8)
    pal = [10, 20, 30, 40, 50, 60, 70, 80, 90, 200, 150, 100]
    img = Image.fromarray(idx, "P")
    img.putpalette(pal)
    data = _png(img)
    lut = np.array(pal, np.uint8).reshape(4, 3)
    np.testing.assert_array_equal(_hwc(eio.decode_png(data)), idx[..., None])  # the indices
    np.testing.assert_array_equal(_hwc(eio.decode_png(data, "RGB")), lut[idx])
    np.testing.assert_array_equal(_hwc(eio.decode_png(data, "GRAY")), _gray(lut[idx]))
    with_trns = _png(img, transparency=bytes([0, 128, 255, 255]))
    np.testing.assert_array_equal(_hwc(eio.decode_png(with_trns, "RGB_ALPHA")), np.concatenate(
        [lut[idx], np.array([0, 128, 255, 255], np.uint8)[idx][..., None]], 2))


def test_png_round_trip_and_files(tmp_path):
    chw = ember.from_numpy(np.ascontiguousarray(RGB.transpose(2, 0, 1)))
    for level in (0, 6, 9):
        data = eio.encode_png(chw, compression_level=level)
        assert data.dtype == ember.uint8 and data.dim() == 1
        np.testing.assert_array_equal(np.asarray(Image.open(pyio.BytesIO(data.numpy()))), RGB)
    path = tmp_path / "x.png"
    eio.write_png(chw[:1], path)
    np.testing.assert_array_equal(eio.read_image(path).numpy(), chw[:1].numpy())
    np.testing.assert_array_equal(eio.decode_image(str(path)).numpy(), chw[:1].numpy())
    raw = eio.read_file(path)
    assert raw.numpy().tobytes() == path.read_bytes()
    eio.write_file(tmp_path / "copy.png", raw)
    assert (tmp_path / "copy.png").read_bytes() == path.read_bytes()


def test_jpeg_pixels_are_libjpegs():
    img = Image.fromarray(RGB.repeat(4, 0).repeat(4, 1))
    data = _jpeg(img, quality=90)
    ref = Image.open(pyio.BytesIO(data.numpy()))
    np.testing.assert_array_equal(_hwc(eio.decode_jpeg(data)), np.asarray(ref))
    np.testing.assert_array_equal(_hwc(eio.decode_image(data, "RGB")), np.asarray(ref))
    luma = Image.open(pyio.BytesIO(data.numpy()))
    luma.draft("L", luma.size)
    np.testing.assert_array_equal(_hwc(eio.decode_jpeg(data, ImageReadMode.GRAY))[..., 0],
                                  np.asarray(luma))
    gray = _jpeg(Image.fromarray(RGB[..., 0]))
    g = _hwc(eio.decode_jpeg(gray))
    assert g.shape[2] == 1
    np.testing.assert_array_equal(_hwc(eio.decode_jpeg(gray, "RGB")), np.repeat(g, 3, 2))
    outs = eio.decode_jpeg([data, gray])
    assert [tuple(o.shape) for o in outs] == [(3, 24, 20), (1, 6, 5)]


def test_jpeg_encode_round_trip(tmp_path):
    y, x = np.mgrid[0:24, 0:20]
    smooth = np.stack([y * 10, x * 12, (x + y) * 5], 0).astype(np.uint8)
    chw = ember.from_numpy(np.ascontiguousarray(smooth))
    data = eio.encode_jpeg(chw, quality=95)
    assert data.numpy()[:3].tolist() == [255, 216, 255]
    back = eio.decode_jpeg(data)
    assert tuple(back.shape) == (3, 24, 20)
    assert np.abs(back.numpy().astype(int) - chw.numpy()).mean() < 3
    assert len(eio.encode_jpeg([chw, chw[:1]])) == 2
    eio.write_jpeg(chw, tmp_path / "a.jpg", quality=50)
    assert tuple(eio.read_image(tmp_path / "a.jpg", "GRAY").shape) == (1, 24, 20)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation(orientation):
    base = RGB.repeat(8, 0).repeat(8, 1)  # 48 x 40: blocks survive JPEG
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _png(Image.fromarray(base), exif=exif.tobytes())
    got = _hwc(eio.decode_png(data, apply_exif_orientation=True))
    plain = _hwc(eio.decode_png(data))
    np.testing.assert_array_equal(plain, base)
    t = base.transpose(1, 0, 2)  # torchvision: transpose(-1, -2), then flips
    want = {1: base, 2: base[:, ::-1], 3: base[::-1, ::-1], 4: base[::-1], 5: t,
            6: t[:, ::-1], 7: t[::-1, ::-1], 8: t[::-1]}[orientation]
    np.testing.assert_array_equal(got, want)
    jpg = _jpeg(Image.fromarray(base), quality=95, exif=exif.tobytes())
    assert _hwc(eio.decode_jpeg(jpg, apply_exif_orientation=True)).shape == want.shape


def _err(fn):
    with pytest.raises(Exception) as e:
        fn()
    return type(e.value).__name__, str(e.value)


def test_errors_are_torchvisions(tmp_path):
    png = _png(Image.fromarray(RGB))
    assert _err(lambda: eio.read_file(tmp_path / "missing.png")) == (
        "RuntimeError", f"[Errno 2] No such file or directory: '{tmp_path / 'missing.png'}'")
    (tmp_path / "empty").write_bytes(b"")
    assert _err(lambda: eio.read_file(tmp_path / "empty")) == (
        "RuntimeError", "Expected a non empty file")
    assert _err(lambda: eio.decode_image(ember.tensor([1, 2, 3, 4, 5, 6, 7], dtype=ember.uint8))
                ) == ("RuntimeError", "Unsupported image file. Only jpeg, png, webp and gif are "
                      "currently supported. For avif and heic format, please rely on "
                      "`decode_avif` and `decode_heic` directly.")
    assert _err(lambda: eio.decode_image(png.float())) == (
        "RuntimeError", "Expected a torch.uint8 tensor")
    assert _err(lambda: eio.decode_image(png[:0])) == (
        "RuntimeError", "Expected a non empty 1-dimensional tensor")
    assert _err(lambda: eio.decode_png(png.float())) == (
        "RuntimeError", "Input tensor must have uint8 data type, got Float")
    assert _err(lambda: eio.decode_png(png.reshape(1, -1))) == (
        "RuntimeError", f"Input tensor must be 1-dimensional and non-empty, got 2 dims  and "
        f"{png.numel()} numels.")
    assert _err(lambda: eio.decode_png(png[1:])) == ("RuntimeError", "Content is not png!")
    assert _err(lambda: eio.decode_png(png[:5])) == ("RuntimeError",
                                                     "Content is too small for png!")
    assert _err(lambda: eio.decode_jpeg(png)) == (
        "RuntimeError", "Not a JPEG file: starts with 0x89 0x50")
    assert _err(lambda: eio.decode_jpeg(_jpeg(Image.fromarray(RGB)), "RGB_ALPHA")) == (
        "RuntimeError", "The provided mode is not supported for JPEG files")
    assert _err(lambda: eio.decode_jpeg([])) == (
        "ValueError", "Input list must contain at least one element")
    assert _err(lambda: eio.decode_jpeg([png, 3])) == (
        "ValueError", "All elements of the input list must be tensors.")
    chw = ember.from_numpy(np.ascontiguousarray(RGB.transpose(2, 0, 1)))
    assert _err(lambda: eio.encode_png(chw, 10)) == (
        "RuntimeError", "Compression level should be between 0 and 9")
    assert _err(lambda: eio.encode_png(chw.float())) == (
        "RuntimeError", "Input tensor dtype should be uint8")
    assert _err(lambda: eio.encode_png(chw[0])) == (
        "RuntimeError", "Input data should be a 3-dimensional tensor")
    assert _err(lambda: eio.encode_jpeg(ember.cat([chw, chw[:1]]))) == (
        "RuntimeError", "The number of channels should be 1 or 3, got: 4")
    assert _err(lambda: eio.encode_jpeg(chw, 0)) == (
        "ValueError", "Image quality should be a positive number between 1 and 100")
    assert _err(lambda: eio.encode_jpeg([])) == (
        "ValueError", "encode_jpeg requires at least one input tensor when a list is passed")
    assert _err(lambda: eio.write_file(tmp_path / "x", chw)) == (
        "RuntimeError", "Input data should be a 1-dimensional tensor")
    assert _err(lambda: eio.write_file(tmp_path / "x", png.float())) == (
        "RuntimeError", "Input tensor dtype should be uint8")


def test_refusals_are_clear():
    sixteen = _png(Image.fromarray(RGB[..., 0].astype(np.uint16) * 257))
    with pytest.raises(EmberNotImplementedError, match=r"torchvision\.io\.decode_png\(input="):
        eio.decode_png(sixteen)
    with pytest.raises(EmberNotImplementedError, match=r"torchvision\.io\.decode_jpeg\(device="):
        eio.decode_jpeg(_jpeg(Image.fromarray(RGB)), device="cuda")


def test_gif_and_webp_through_decode_image():
    frames = [Image.fromarray(RGB), Image.fromarray(RGB[::-1].copy())]
    buf = pyio.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    gif = ember.from_numpy(np.frombuffer(buf.getvalue(), np.uint8).copy())
    out = eio.decode_image(gif)
    assert tuple(out.shape) == (2, 3, 6, 5) and out.dtype == ember.uint8
