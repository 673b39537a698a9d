"""The embedding projector's files: tensors.tsv, metadata.tsv, sprite.png, projector_config.

`SummaryWriter.add_embedding` writes each embedding into `<logdir>/<step:05d>/<tag>/` and
rewrites `projector_config.pbtxt` in the log dir, as torch does. Paths go through tensorboard's
gfile layer (`tensorboard.compat.tf`), which also handles remote file systems.
"""

import math
import os

import numpy as np

from ._convert import make_grid, make_np


def _gfile():
    from tensorboard.compat import tf
    return tf


def _join(a, b):
    tf = _gfile()
    if hasattr(tf.io.gfile, "join"):  # real TensorFlow's gfile has join; tensorboard's stub not
        return tf.io.gfile.join(a, b)
    return tf.io.gfile.get_filesystem(a).join(a, b)


def _write(path, data):
    tf = _gfile()
    with tf.io.gfile.GFile(path, "wb") as f:
        f.write(tf.compat.as_bytes(data) if isinstance(data, str) else data)


def make_tsv(metadata, save_path, metadata_header=None):
    """metadata.tsv: one label a line, or a header row and tab-separated columns."""
    if not metadata_header:
        lines = [str(x) for x in metadata]
    else:
        if len(metadata_header) != len(metadata[0]):
            raise AssertionError("len of header must be equal to the number of columns in "
                                 "metadata")
        lines = ["\t".join(str(e) for e in row) for row in [metadata_header] + metadata]
    _write(_join(save_path, "metadata.tsv"), "\n".join(lines) + "\n")


def make_sprite(label_img, save_path):
    """sprite.png: the NCHW label images tiled in a square grid, as floats in [0, 1]."""
    from PIL import Image
    count = label_img.shape[0]
    nrow = math.ceil(count ** 0.5)
    grid = make_grid(make_np(label_img), ncols=nrow)
    side = grid.shape[2]
    square = np.zeros((side, side, 3))  # padded with black rows so that the sprite is square
    square[:grid.shape[1]] = grid.transpose(1, 2, 0)
    import io
    with io.BytesIO() as out:
        Image.fromarray(np.uint8((square * 255).clip(0, 255))).save(out, format="PNG")
        _write(_join(save_path, "sprite.png"), out.getvalue())


def make_mat(matlist, save_path):
    """tensors.tsv: one row of the matrix a line, each element printed as a Python number."""
    tf = _gfile()
    with tf.io.gfile.GFile(_join(save_path, "tensors.tsv"), "wb") as f:
        for row in matlist:
            f.write(tf.compat.as_bytes("\t".join(str(v.item()) for v in row) + "\n"))


def get_embedding_info(metadata, label_img, subdir, global_step, tag):
    """The projector's EmbeddingInfo entry for one embedding."""
    from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo
    info = EmbeddingInfo()
    info.tensor_name = f"{tag}:{str(global_step).zfill(5)}"
    info.tensor_path = _join(subdir, "tensors.tsv")
    if metadata is not None:
        info.metadata_path = _join(subdir, "metadata.tsv")
    if label_img is not None:
        info.sprite.image_path = _join(subdir, "sprite.png")
        info.sprite.single_image_dim.extend([label_img.shape[3], label_img.shape[2]])
    return info


def encode_tag(raw):
    """The tag as a directory name: '%', '/' and '\\' percent-encoded."""
    return raw.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def add_embedding(writer, mat, metadata, label_img, global_step, tag, metadata_header):
    """Writes one embedding's files and the updated projector config for `writer`."""
    mat = make_np(mat)
    if global_step is None:
        global_step = 0
    subdir = f"{str(global_step).zfill(5)}/{encode_tag(tag)}"
    logdir = writer._get_file_writer().get_logdir()
    save_path = os.path.join(logdir, subdir)
    fs = _gfile().io.gfile
    if fs.exists(save_path):
        if not fs.isdir(save_path):
            raise NotADirectoryError(
                f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    else:
        fs.makedirs(save_path)
    if metadata is not None:
        if mat.shape[0] != len(metadata):
            raise AssertionError("#labels should equal with #data points")
        make_tsv(metadata, save_path, metadata_header=metadata_header)
    if label_img is not None:
        if mat.shape[0] != label_img.shape[0]:
            raise AssertionError("#images should equal with #data points")
        make_sprite(label_img, save_path)
    if mat.ndim != 2:
        raise AssertionError("mat should be 2D, where mat.size(0) is the number of data points")
    make_mat(mat, save_path)
    # file systems need not append, so the whole config is kept and rewritten each time
    if writer._projector_config is None:
        from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig
        writer._projector_config = ProjectorConfig()
    writer._projector_config.embeddings.extend(
        [get_embedding_info(metadata, label_img, subdir, global_step, tag)])
    from google.protobuf import text_format
    _write(_join(logdir, "projector_config.pbtxt"),
           text_format.MessageToString(writer._projector_config))
