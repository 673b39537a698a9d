"""torch.onnx.ONNXProgram as ember's exporter fills it: what `export(..., dynamo=True)` (torch's
default) returns. It holds the ONNX model (`model_proto`), saves it as torch's does (the weights
in '<f>.data' beside the model with `external_data=True`, the default of `export`), and runs it
in ONNX Runtime when called. ember captures no torch.export program: `exported_program` is None.
"""

import copy
import os
import shutil
import tempfile

import numpy as np

_LARGE = 2 ** 31 - 1  # protobuf's limit on one message: one ONNX file


class ONNXProgram:
    """Matches torch.onnx.ONNXProgram: model_proto, save, __call__, optimize, release."""

    exported_program = None

    def __init__(self, model_proto):
        self._proto = model_proto
        self._session = None

    @property
    def model_proto(self):
        return self._proto

    def __repr__(self):
        import onnx.printer
        text = onnx.printer.to_text(self._proto.graph).replace("\n", "\n        ")
        return (f"ONNXProgram(\n    model=\n        {text}\n    ,\n    exported_program=\n"
                "        None\n)\n")

    def optimize(self):
        """Nothing left to do: ember's exporter folds constants and Conv+BatchNorm as it
        builds the graph (torch's optimize() runs its graph optimizer here)."""

    def save(self, destination, *, include_initializers=True, keep_initializers_as_inputs=False,
             external_data=None):
        """Writes the model to `destination` (a path); with `external_data` (or a model over
        2GB) the weights go to '<destination>.data' beside it."""
        proto = self._proto
        if not include_initializers or keep_initializers_as_inputs:
            proto = copy.deepcopy(proto)
            g = proto.graph
            if keep_initializers_as_inputs:
                import onnx.helper
                g.input.extend(onnx.helper.make_tensor_value_info(t.name, t.data_type,
                                                                  list(t.dims))
                               for t in g.initializer)
            if not include_initializers:
                del g.initializer[:]
        external = bool(external_data) or proto.ByteSize() > _LARGE
        if not isinstance(destination, (str, os.PathLike)):
            raise TypeError("ONNXProgram.save: destination must be a file path (str or "
                            f"os.PathLike), not {type(destination).__name__}")
        save_model(proto, os.fspath(destination), external)

    def __call__(self, *args, **kwargs):
        """Runs the model in ONNX Runtime on the tensors in args and kwargs (in order)."""
        from .._tensor import Tensor, _wrap
        if self._session is None:
            try:
                import onnxruntime
            except ImportError as e:
                raise ImportError("calling an ONNXProgram runs it in onnxruntime, which is not "
                                  "installed: pip install ember[onnx]") from e
            self._session = onnxruntime.InferenceSession(
                self._proto.SerializeToString(), providers=["CPUExecutionProvider"])
        flat = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)]
        names = [i.name for i in self._session.get_inputs()]
        feed = {n: np.ascontiguousarray(t.detach()._data) for n, t in zip(names, flat)}
        return tuple(_wrap(np.asarray(o)) for o in self._session.run(None, feed))

    def release(self):
        """Drops the ONNX Runtime session."""
        self._session = None


def save_model(proto, path, external):
    """Writes `proto` to `path` whole or, with `external`, its tensors to '<path>.data' beside
    it, as torch's exporter names it; both files appear at once (made in a temporary folder,
    then renamed), so a failed save leaves nothing behind."""
    import onnx
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    tmp = tempfile.mkdtemp(prefix=".ember-onnx-", dir=folder)
    try:
        if external:
            proto = copy.deepcopy(proto)
            onnx.save_model(proto, os.path.join(tmp, name), save_as_external_data=True,
                            all_tensors_to_one_file=True, location=name + ".data",
                            size_threshold=0)
            if os.path.exists(os.path.join(tmp, name + ".data")):
                os.replace(os.path.join(tmp, name + ".data"), path + ".data")
        else:
            with open(os.path.join(tmp, name), "wb") as fh:
                fh.write(proto.SerializeToString())
        os.replace(os.path.join(tmp, name), path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
