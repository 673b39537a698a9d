"""torch.onnx.errors: the exporter's exception."""

from ._graph import OnnxExporterError

__all__ = ["OnnxExporterError"]

OnnxExporterError.__module__ = "ember.onnx"
