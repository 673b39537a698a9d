"""torch.utils.tensorboard for ember: SummaryWriter writing real TensorBoard event files.

Importing this package imports nothing from tensorboard; creating a writer does (the optional
extra `pip install ember[tensorboard]`, which brings Pillow for images too). `writer.py` holds the
writers, `summary.py` the protobuf builders, `_embedding.py` the projector files.
"""

from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "RecordWriter", "SummaryWriter"]


def __getattr__(name):
    if name == "RecordWriter":  # tensorboard's own class, re-exported as torch does
        from . import _extras
        _extras.tensorboard()
        from tensorboard.summary.writer.record_writer import RecordWriter
        return RecordWriter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
