"""The `training` option of torch.onnx.export: which mode the model is traced in (EVAL: eval
mode; TRAINING: train mode; PRESERVE: the modules' own modes, untouched), torch's warnings
about it, and the model's state kept as one forward leaves it.

A training-amenable export (TRAINING, or PRESERVE of a model in train mode) writes Dropout and
BatchNormalization in training mode. torch's trace runs the forward once, so BatchNorm's
running statistics are updated once (and the file holds the updated values) and dropout draws
once; ember traces again when `dynamic_axes` name input axes, so the buffers and the random
state are put back between traces and left as the first trace left them."""

import contextlib
import warnings

from . import TrainingMode

_API = "torch.onnx.export"


def check(model, training, do_constant_folding):
    """Validate `training` and warn as torch does; returns whether the export is
    training-amenable (torch's GLOBALS.export_training)."""
    if not isinstance(training, TrainingMode):
        raise ValueError(f"{_API}(): training must be a torch.onnx.TrainingMode, not "
                         f"{training!r}")
    if training == TrainingMode.TRAINING:
        warnings.warn("Setting `training` to something other than default is deprecated. The "
                      "option will be removed in a future release. Please set the training "
                      "mode before exporting the model.", DeprecationWarning, stacklevel=4)
    if do_constant_folding and training != TrainingMode.EVAL:
        warnings.warn(
            "It is recommended that constant folding be turned off ('do_constant_folding=False') "
            "when exporting the model in training-amenable mode, i.e. with "
            "'training=TrainingMode.TRAIN' or 'training=TrainingMode.PRESERVE' (when model is "
            "in training mode). Otherwise, some learnable model parameters may not translate "
            "correctly in the exported ONNX model because constant folding mutates model "
            "parameters. Please consider turning off constant folding or setting the "
            "training=TrainingMode.EVAL.", UserWarning, stacklevel=4)
    return training == TrainingMode.TRAINING or (training == TrainingMode.PRESERVE
                                                 and bool(getattr(model, "training", False)))


@contextlib.contextmanager
def model_mode(model, training):
    """The model in the mode `training` asks for, its own mode back afterwards (PRESERVE
    changes nothing)."""
    was = model.training
    if training == TrainingMode.TRAINING:
        model.train(True)
    elif training == TrainingMode.EVAL:
        model.train(False)
    try:
        yield
    finally:
        if training != TrainingMode.PRESERVE:
            model.train(was)


class State:
    """The model's buffers and ember's random state, to trace again from the same start."""

    def __init__(self, model):
        from .. import random
        self.buffers = [(b, b._data.copy()) for _, b in model.named_buffers() if b is not None]
        self.rng = random.get_rng_state()

    def restore(self):
        from .. import random
        from .._device import array_module
        for b, arr in self.buffers:
            array_module(b._data).copyto(b._data, arr)
        random.set_rng_state(self.rng)
