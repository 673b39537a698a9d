"""Inputs to NumPy arrays, and image layouts to the HWC arrays that summaries encode.

`make_np` is the one entry point for user data: ember tensors, NumPy arrays and Python numbers
become arrays exactly as torch's writer turns torch tensors into them. The layout helpers follow
torch's: a batch is tiled into a grid of up to 8 columns, grey images are repeated to RGB.
"""

import numpy as np

from ..._tensor import Tensor


def make_np(x):
    """An ndarray from an ember tensor, an ndarray, or a Python/NumPy scalar."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        if x.device.type == "meta":
            raise NotImplementedError(
                "ember does not implement SummaryWriter logging of meta tensors yet")
        if str(x.dtype) == "torch.bfloat16":  # NumPy has no bfloat16: torch goes via half
            x = x.to(_half())
        return x.detach().cpu().numpy()
    raise NotImplementedError(
        f"Got {type(x)}, but numpy array or torch tensor are expected.")


def _half():
    from ... import float16
    return float16


def make_grid(images, ncols=8):
    """Tiles N1HW or N3HW images into one 3HW canvas, row by row, `ncols` to a row."""
    if not isinstance(images, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    count, _, height, width = images.shape
    ncols = min(count, ncols)
    nrows = -(-count // ncols)
    canvas = np.zeros((3, height * nrows, width * ncols), dtype=images.dtype)
    for i in range(count):
        row, col = divmod(i, ncols)
        canvas[:, row * height:(row + 1) * height, col * width:(col + 1) * width] = images[i]
    return canvas


def convert_to_HWC(tensor, input_format):  # noqa: N802 (torch's name)
    """Reorders an array described by `input_format` (NCHW, CHW, HWC, HW, ...) to RGB HWC."""
    if len(set(input_format)) != len(input_format):
        raise AssertionError("You can not use the same dimension shorthand twice." + " " * 13
                             + f"input_format: {input_format}")
    if len(tensor.shape) != len(input_format):
        raise AssertionError("size of input tensor and input format are different." + " " * 9
                             + f"tensor shape: {tensor.shape}, input_format: {input_format}")
    input_format = input_format.upper()
    if len(input_format) == 4:
        nchw = tensor.transpose([input_format.find(c) for c in "NCHW"])
        return make_grid(nchw).transpose(1, 2, 0)
    if len(input_format) == 3:
        hwc = tensor.transpose([input_format.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    if len(input_format) == 2:
        hw = tensor.transpose([input_format.find(c) for c in "HW"])
        return np.stack([hw, hw, hw], 2)
    return None  # torch's helper falls through for other lengths too


def scale_factor(array):
    """255 for [0, 1] floats, 1 for uint8 arrays already in [0, 255]."""
    return 1 if array.dtype == np.uint8 else 255


def to_uint8(array):
    """Scales by `scale_factor` in float32 and clips to [0, 255], as torch's image summary does."""
    factor = scale_factor(array)
    return (array.astype(np.float32) * factor).clip(0, 255).astype(np.uint8)


def prepare_video(video):
    """A BTCHW video to THWC frames: the batch is padded to a power of two and tiled in a grid."""
    batch, frames, channels, height, width = video.shape
    if video.dtype == np.uint8:
        video = np.float32(video) / 255.0
    if batch & (batch - 1):  # not a power of two (0 too, as torch's check)
        extra = 2 ** batch.bit_length() - batch
        video = np.concatenate((video, np.zeros((extra, frames, channels, height, width))), 0)
    nrows = 2 ** ((batch.bit_length() - 1) // 2)
    ncols = video.shape[0] // nrows
    video = video.reshape(nrows, ncols, frames, channels, height, width)
    video = video.transpose(2, 0, 4, 1, 5, 3)
    return video.reshape(frames, nrows * height, ncols * width, channels)


def figure_to_image(figures, close=True):
    """Renders a matplotlib figure (CHW uint8) or a list of them (NCHW) through the Agg canvas."""
    from ._extras import require
    plt = require("matplotlib.pyplot", None, "SummaryWriter.add_figure")
    agg = require("matplotlib.backends.backend_agg", None, "SummaryWriter.add_figure")

    def render(figure):
        canvas = agg.FigureCanvasAgg(figure)
        canvas.draw()
        rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8)
        width, height = figure.canvas.get_width_height()
        chw = np.moveaxis(rgba.reshape(height, width, 4)[:, :, :3], 2, 0)
        if close:
            plt.close(figure)
        return chw

    if isinstance(figures, list):
        return np.stack([render(f) for f in figures])
    return render(figures)
