"""ember.onnx: torch.onnx's export, built by tracing one forward pass through ember's ops into an
ONNX graph with the `onnx` package (the optional extra `ember[onnx]`).

`import ember.onnx` loads nothing of the exporter: `export` imports it, and `onnx`, when called.
"""

import enum

from .._compat import module_getattr as _module_getattr

__all__ = ["export", "is_in_onnx_export", "TrainingMode", "OperatorExportTypes", "errors",
           "OnnxExporterError", "ONNXProgram"]
__getattr__ = _module_getattr(__name__, {"errors": (".errors", None),
                                         "OnnxExporterError": (".errors", "OnnxExporterError"),
                                         "ONNXProgram": ("._program", "ONNXProgram")})


class _Enum(enum.Enum):  # torch's are pybind11 enums: int() works, `== 0` does not
    def __int__(self):
        return self.value

    __index__ = __int__


class TrainingMode(_Enum):
    """Matches torch.onnx.TrainingMode."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(_Enum):
    """Matches torch.onnx.OperatorExportTypes."""

    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


def is_in_onnx_export():
    """Whether an ONNX export is tracing the model right now (torch.onnx.is_in_onnx_export)."""
    from . import _trace
    return _trace._active[0]


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None,
           output_names=None, opset_version=None, dynamo=True, external_data=True,
           dynamic_shapes=None, custom_translation_table=None, report=False, optimize=True,
           verify=False, profile=False, dump_exported_program=False, artifacts_dir=".",
           export_params=True, keep_initializers_as_inputs=False, dynamic_axes=None,
           training=TrainingMode.EVAL, operator_export_type=OperatorExportTypes.ONNX,
           do_constant_folding=True, custom_opsets=None, export_modules_as_functions=False,
           autograd_inlining=True):
    """Matches torch.onnx.export: `model` traced on `args` as an ONNX model (opset 20 by
    default). dynamo=True (torch's default) returns an ONNXProgram and saves it to `f` when
    given, weights in '<f>.data' unless external_data=False; dynamo=False writes `f` whole, with
    torch's deprecation warning. ember's one tracer emits the graph of torch's TorchScript-based
    exporter either way."""
    from ._export import export as _export
    return _export(model, args, f, kwargs=kwargs, verbose=verbose, input_names=input_names,
                   output_names=output_names, opset_version=opset_version, dynamo=dynamo,
                   external_data=external_data, dynamic_shapes=dynamic_shapes,
                   custom_translation_table=custom_translation_table, report=report,
                   optimize=optimize, verify=verify, profile=profile,
                   dump_exported_program=dump_exported_program, artifacts_dir=artifacts_dir,
                   export_params=export_params,
                   keep_initializers_as_inputs=keep_initializers_as_inputs,
                   dynamic_axes=dynamic_axes, training=training,
                   operator_export_type=operator_export_type,
                   do_constant_folding=do_constant_folding, custom_opsets=custom_opsets,
                   export_modules_as_functions=export_modules_as_functions,
                   autograd_inlining=autograd_inlining)
