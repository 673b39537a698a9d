"""Summary protocol buffers, built as torch.utils.tensorboard.summary builds them.

Each function turns ember tensors / arrays / numbers into one tensorboard `Summary` message using
tensorboard's own protobuf classes; `writer.py` wraps them in events. tensorboard is imported on
the first call (`_pb`), never when this module loads. Media (boxes, video, audio, mesh) and PR
curves live in `_media.py` and `_pr_curve.py` and are re-exported here under torch's names.
"""

import functools
import logging
import struct
import types

import numpy as np

from . import _extras
from ._convert import convert_to_HWC, make_np, to_uint8

logger = logging.getLogger(__name__)


@functools.cache
def _pb():
    """tensorboard's protobuf classes (imports tensorboard once, with the clear error if absent)."""
    _extras.tensorboard()
    from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    return types.SimpleNamespace(Summary=Summary, SummaryMetadata=SummaryMetadata,
                                 HistogramProto=HistogramProto, TensorProto=TensorProto,
                                 TensorShapeProto=TensorShapeProto)


def _metadata(plugin_name, content=b""):
    pb = _pb()
    return pb.SummaryMetadata(
        plugin_data=pb.SummaryMetadata.PluginData(plugin_name=plugin_name, content=content))


def _shape(dims):
    pb = _pb()
    return pb.TensorShapeProto(dim=[pb.TensorShapeProto.Dim(size=d) for d in dims])


def _value_summary(**value):
    pb = _pb()
    return pb.Summary(value=[pb.Summary.Value(**value)])


def half_to_int(f):
    """The int32 whose bits are `f` as a float32: what torch stores in a TensorProto's half_val."""
    return struct.unpack("i", struct.pack("f", f))[0]


def int_to_half(i):
    """Undoes `half_to_int`."""
    return struct.unpack("f", struct.pack("i", i))[0]


def scalar(name, tensor, collections=None, new_style=False, double_precision=False):
    """A one-value summary: `simple_value`, or a scalars-plugin tensor when `new_style`."""
    if collections is not None:  # torch's own summary never reads it either: refuse, not ignore
        from ..._args import unsupported
        unsupported("torch.utils.tensorboard.summary.scalar", "collections", collections)
    array = make_np(tensor).squeeze()
    if array.ndim != 0:
        raise AssertionError("Tensor should contain one element (0 dimensions)." + " " * 13
                             + f"Was given size: {array.size} and {array.ndim} dimensions.")
    value = float(array)  # a Python float: double precision, as torch keeps it
    if not new_style:
        return _value_summary(tag=name, simple_value=value)
    pb = _pb()
    if double_precision:
        proto = pb.TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        proto = pb.TensorProto(float_val=[value], dtype="DT_FLOAT")
    return _value_summary(tag=name, tensor=proto, metadata=_metadata("scalars"))


def _half_vals(a):
    return [half_to_int(v) for v in a.reshape(-1).tolist()]


def _complex_vals(a):
    return np.stack([a.real, a.imag], -1).reshape(-1).tolist()


def _plain_vals(a):
    return a.reshape(-1).tolist()


# ember dtype name -> (TensorProto dtype, value field, conversion), as torch's table maps them
_TENSOR_TYPES = {
    "float16": ("DT_HALF", "half_val", _half_vals),
    "bfloat16": ("DT_BFLOAT16", "half_val", _half_vals),
    "float32": ("DT_FLOAT", "float_val", _plain_vals),
    "float64": ("DT_DOUBLE", "double_val", _plain_vals),
    "int8": ("DT_INT8", "int_val", _plain_vals),
    "uint8": ("DT_UINT8", "uint32_val", _plain_vals),
    "int16": ("DT_INT16", "int_val", _plain_vals),
    "int32": ("DT_INT32", "int_val", _plain_vals),
    "int64": ("DT_INT64", "int64_val", _plain_vals),
    "complex32": ("DT_COMPLEX32", "scomplex_val", _complex_vals),
    "complex64": ("DT_COMPLEX64", "scomplex_val", _complex_vals),
    "complex128": ("DT_COMPLEX128", "dcomplex_val", _complex_vals),
    "bool": ("DT_BOOL", "bool_val", _plain_vals),
}


def tensor_proto(tag, tensor):
    """A tensor-plugin summary holding every element of an ember tensor."""
    if tensor.numel() * tensor.itemsize >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    entry = _TENSOR_TYPES.get(str(tensor.dtype).replace("torch.", ""))
    if entry is None:
        raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
    dtype, field, convert = entry
    if entry[0] == "DT_BFLOAT16":  # float32 holds bfloat16 exactly (make_np's half would round)
        values = convert(tensor.detach().cpu().float().numpy())
    else:
        values = convert(make_np(tensor))
    proto = _pb().TensorProto(dtype=dtype, tensor_shape=_shape(tensor.shape), **{field: values})
    return _value_summary(tag=tag, metadata=_metadata("tensor"), tensor=proto)


def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):  # noqa: A002
    """A histogram summary from precomputed statistics and buckets."""
    hist = _pb().HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                                bucket_limit=bucket_limits, bucket=bucket_counts)
    return _value_summary(tag=name, histo=hist)


def histogram(name, values, bins, max_bins=None):
    """A histogram summary of `values` (any shape) binned by NumPy with `bins`."""
    hist = make_histogram(make_np(values).astype(float), bins, max_bins)
    return _value_summary(tag=name, histo=hist)


def make_histogram(values, bins, max_bins=None):
    """A HistogramProto trimmed to the occupied buckets, with one empty bucket on the left."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        counts, limits = _subsample(counts, limits, len(counts) // max_bins)
    occupied = np.cumsum(counts > 0)
    start, end = np.searchsorted(occupied, [0, occupied[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    # tensorboard reads right bucket edges only: keep the bucket left of the first occupied one
    # (or a new empty one) so that the leftmost edge is shown too
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return _pb().HistogramProto(min=values.min(), max=values.max(), num=len(values),
                                sum=values.sum(), sum_squares=values.dot(values),
                                bucket_limit=limits.tolist(), bucket=counts.tolist())


def _subsample(counts, limits, step):
    """Merges every `step` neighbouring buckets (zero-padding the last group)."""
    short = len(counts) % step
    if short:
        counts = np.pad(counts, [[0, step - short]], mode="constant", constant_values=0)
    counts = counts.reshape(-1, step).sum(axis=-1)
    merged = np.empty((counts.size + 1,), limits.dtype)
    merged[:-1] = limits[:-1:step]
    merged[-1] = limits[-1]
    return counts, merged


def image(tag, tensor, rescale=1, dataformats="NCHW"):
    """An image summary: the input laid out as HWC, scaled to uint8 and PNG-encoded."""
    hwc = convert_to_HWC(make_np(tensor), dataformats)
    return _value_summary(tag=tag, image=make_image(to_uint8(hwc), rescale=rescale))


def make_image(tensor, rescale=1, rois=None, labels=None):
    """A Summary.Image holding a PNG of a uint8 HWC array, boxes drawn and resized if asked."""
    pil = _extras.require("PIL.Image", "tensorboard", "SummaryWriter image logging")
    height, width, channels = tensor.shape
    picture = pil.fromarray(tensor)
    if rois is not None:
        from ._media import draw_boxes
        picture = draw_boxes(picture, rois, labels=labels)
    picture = picture.resize((int(width * rescale), int(height * rescale)),
                             pil.Resampling.LANCZOS)
    import io
    with io.BytesIO() as out:
        picture.save(out, format="PNG")
        encoded = out.getvalue()
    return _pb().Summary.Image(height=height, width=width, colorspace=channels,
                               encoded_image_string=encoded)


def text(tag, text):
    """A text-plugin summary under `<tag>/text_summary`."""
    from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
    pb = _pb()
    proto = pb.TensorProto(dtype="DT_STRING", string_val=[text.encode(encoding="utf_8")],
                           tensor_shape=_shape([1]))
    return _value_summary(tag=tag + "/text_summary", tensor=proto,
                          metadata=_metadata("text", TextPluginData(version=0).SerializeToString()))


def custom_scalars(layout):
    """The custom-scalars layout summary: {category: {chart: ['Multiline'|'Margin', tags]}}."""
    _pb()
    from tensorboard.plugins.custom_scalar import layout_pb2
    categories = []
    for category, charts in layout.items():
        built = []
        for title, (kind, tags) in ((t, spec[:2]) for t, spec in charts.items()):
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1],
                                                              upper=tags[2])
                built.append(layout_pb2.Chart(
                    title=title, margin=layout_pb2.MarginChartContent(series=[series])))
            else:
                built.append(layout_pb2.Chart(
                    title=title, multiline=layout_pb2.MultilineChartContent(tag=tags)))
        categories.append(layout_pb2.Category(title=category, chart=built))
    proto = _pb().TensorProto(dtype="DT_STRING", tensor_shape=_shape([]), string_val=[
        layout_pb2.Layout(category=categories).SerializeToString()])
    return _value_summary(tag="custom_scalars__config__", tensor=proto,
                          metadata=_metadata("custom_scalars"))


from ._hparams import hparams  # noqa: E402
from ._media import audio, draw_boxes, image_boxes, make_video, mesh, video  # noqa: E402
from ._pr_curve import compute_curve, pr_curve, pr_curve_raw  # noqa: E402

__all__ = ["half_to_int", "int_to_half", "hparams", "scalar", "histogram_raw", "histogram",
           "make_histogram", "image", "image_boxes", "draw_boxes", "make_image", "video",
           "make_video", "audio", "custom_scalars", "text", "tensor_proto", "pr_curve_raw",
           "pr_curve", "compute_curve", "mesh"]
