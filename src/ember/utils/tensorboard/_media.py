"""Summaries for images with boxes, video, audio and 3D meshes, shaped as torch's.

Boxes are drawn with Pillow, audio is written as 16-bit mono WAV with the standard library, and
meshes use tensorboard's mesh plugin metadata. Video needs moviepy (with `moviepy.editor`) as in
torch: without it torch prints a notice and logs the tag with no image, and so does ember.
"""

import io
import json
import wave

import numpy as np

from ._convert import convert_to_HWC, make_np, prepare_video, to_uint8


def _draw_single_box(image, xmin, ymin, xmax, ymax, display_str, color="black",
                     color_text="black", thickness=2):
    from PIL import ImageDraw, ImageFont
    font = ImageFont.load_default()
    draw = ImageDraw.Draw(image)
    outline = [(xmin, ymin), (xmin, ymax), (xmax, ymax), (xmax, ymin), (xmin, ymin)]
    draw.line(outline, width=thickness, fill=color)
    if display_str:
        left, top, right, bottom = font.getbbox(display_str)
        text_width, text_height = right - left, bottom - top
        margin = np.ceil(0.05 * text_height)
        draw.rectangle([(xmin, ymax - text_height - 2 * margin), (xmin + text_width, ymax)],
                       fill=color)
        draw.text((xmin + margin, ymax - text_height - margin), display_str, fill=color_text,
                  font=font)
    return image


def draw_boxes(disp_image, boxes, labels=None):
    """Draws each [x1, y1, x2, y2] row of `boxes` in red on a PIL image, with its label if any."""
    for i in range(boxes.shape[0]):
        disp_image = _draw_single_box(disp_image, boxes[i, 0], boxes[i, 1], boxes[i, 2],
                                      boxes[i, 3], None if labels is None else labels[i],
                                      color="Red")
    return disp_image


def image_boxes(tag, tensor_image, tensor_boxes, rescale=1, dataformats="CHW", labels=None):
    """An image summary with bounding boxes drawn on it."""
    from .summary import _value_summary, make_image
    hwc = convert_to_HWC(make_np(tensor_image), dataformats)
    encoded = make_image(to_uint8(hwc), rescale=rescale, rois=make_np(tensor_boxes),
                         labels=labels)
    return _value_summary(tag=tag, image=encoded)


def video(tag, tensor, fps=4):
    """A video summary: BTCHW frames tiled per frame and encoded as an animated GIF."""
    from .summary import _value_summary
    frames = to_uint8(prepare_video(make_np(tensor)))
    return _value_summary(tag=tag, image=make_video(frames, fps))


def make_video(tensor, fps):
    """A Summary.Image holding a GIF of THWC uint8 frames, or None (with torch's notice)."""
    try:
        import moviepy  # noqa: F401
    except ImportError:
        print("add_video needs package moviepy")
        return None
    try:
        from moviepy import editor as mpy
    except ImportError:
        print("moviepy is installed, but can't import moviepy.editor.",
              "Some packages could be missing [imageio, requests]")
        return None
    import tempfile

    from .summary import _pb
    _, height, width, channels = tensor.shape
    clip = mpy.ImageSequenceClip(list(tensor), fps=fps)
    with tempfile.NamedTemporaryFile(suffix=".gif") as f:
        try:  # moviepy's keyword arguments changed across versions
            clip.write_gif(f.name, verbose=False, logger=None)
        except TypeError:
            try:
                clip.write_gif(f.name, verbose=False, progress_bar=False)
            except TypeError:
                clip.write_gif(f.name, verbose=False)
        f.seek(0)
        encoded = f.read()
    return _pb().Summary.Image(height=height, width=width, colorspace=channels,
                               encoded_image_string=encoded)


def audio(tag, tensor, sample_rate=44100):
    """An audio summary: one channel in [-1, 1] as 16-bit PCM WAV."""
    from .summary import _pb, _value_summary
    array = make_np(tensor).squeeze()
    if abs(array).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        array = array.clip(-1, 1)
    if array.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    array = (array * np.iinfo(np.int16).max).astype("<i2")
    with io.BytesIO() as out:
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(array.data)
        encoded = out.getvalue()
    sound = _pb().Summary.Audio(sample_rate=sample_rate, num_channels=1,
                                length_frames=array.shape[-1], encoded_audio_string=encoded,
                                content_type="audio/wav")
    return _value_summary(tag=tag, audio=sound)


def mesh(tag, vertices, colors, faces, config_dict, display_name=None, description=None):
    """A mesh/point-cloud summary: one tensor value each for vertices, faces and colors given."""
    from tensorboard.plugins.mesh import metadata
    from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData

    from .summary import _pb, _shape
    pb = _pb()
    config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    parts = [(t, kind) for t, kind in ((vertices, MeshPluginData.VERTEX),
                                       (faces, MeshPluginData.FACE),
                                       (colors, MeshPluginData.COLOR)) if t is not None]
    components = metadata.get_components_bitmask([kind for _, kind in parts])
    values = []
    for part, kind in parts:
        array = np.asarray(make_np(part) if not isinstance(part, list) else part)
        info = metadata.create_summary_metadata(tag, display_name, kind, components,
                                                array.shape, description, json_config=config)
        proto = pb.TensorProto(dtype="DT_FLOAT", float_val=array.reshape(-1).tolist(),
                               tensor_shape=_shape([array.shape[i] for i in range(3)]))
        values.append(pb.Summary.Value(tag=metadata.get_instance_name(tag, kind), tensor=proto,
                                       metadata=info))
    return pb.Summary(value=values)
