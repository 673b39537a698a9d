"""torch.onnx.export for ember: check the options, trace the model (`_trace`; twice when
`dynamic_axes` names input axes, `_dynamic`), assemble the ONNX model (inputs, outputs with
`dynamic_axes`, initializers named as the state_dict names them), fold eval-mode
BatchNormalization into the Conv before it (`_fuse`), and write it whole (a path gets a
temporary file renamed into place, so a failed export leaves nothing behind; a model over 2GB
keeps its weights in '<f>.data', as torch's exporter writes it with external_data=True).

ember has one tracer, which emits the graph torch's TorchScript-based exporter emits. `dynamo`
picks what torch's two exporters do around it: True (torch's default) returns an ONNXProgram
(`_program.py`) and saves `f` as its `save` does, the weights in '<f>.data' beside the model
unless external_data=False; False warns as torch's legacy exporter and writes one file. The
dynamo-only options that change the graph are refused when set; `optimize` has nothing left to
do (ember folds constants as it builds, as `do_constant_folding` asks)."""

import io
import os
import tempfile
import warnings

import numpy as np

from .._args import EmberNotImplementedError, refuse_if
from .._tensor import Tensor
from ..autograd import grad_mode
from . import OperatorExportTypes, TrainingMode, _mode
from ._graph import Graph, OnnxExporterError
from ._program import save_model

_API = "torch.onnx.export"
_DEFAULT_OPSET = 20  # torch 2.13's ONNX_DEFAULT_OPSET
_MIN_OPSET, _MAX_OPSET = 13, 20
_LARGE = 2 ** 31 - 1  # protobuf's limit on one message: one ONNX file
_INSTALL = ("ember.onnx.export needs the onnx package: pip install ember[onnx] "
            "(or pip install onnx)")


def _import_onnx():
    try:
        import onnx
        import onnx.numpy_helper  # noqa: F401
    except ImportError as e:
        raise ImportError(_INSTALL) from e
    return onnx


def _refuse_enum(arg, value):
    raise EmberNotImplementedError(f"ember does not implement {_API}({arg}={value}) yet")


def _refuse_options(o):
    for arg, default in (("dynamic_shapes", None), ("custom_translation_table", None),
                         ("report", False), ("verify", False), ("profile", False),
                         ("dump_exported_program", False), ("custom_opsets", None),
                         ("export_modules_as_functions", False)):
        refuse_if(_API, arg, o[arg], default)
    if o["artifacts_dir"] != ".":
        refuse_if(_API, "artifacts_dir", o["artifacts_dir"], ".")
    if o["operator_export_type"] != OperatorExportTypes.ONNX:
        _refuse_enum("operator_export_type", o["operator_export_type"])
    for arg in ("dynamo", "external_data", "optimize", "autograd_inlining"):
        if not isinstance(o[arg], bool):
            raise TypeError(f"{_API}(): argument '{arg}' must be bool, not "
                            f"{type(o[arg]).__name__}")


def export(model, args, f, **o):
    _refuse_options(o)
    onnx = _import_onnx()
    opset = _DEFAULT_OPSET if o["opset_version"] is None else int(o["opset_version"])
    if not _MIN_OPSET <= opset <= _MAX_OPSET:
        raise ValueError(f"ember.onnx.export supports opset_version {_MIN_OPSET} to "
                         f"{_MAX_OPSET}, not {opset}")
    args, kwargs = _split_args(args, o["kwargs"])
    if o["dynamo"]:  # torch's dynamo exporter ignores the legacy `training` option
        o["training"] = TrainingMode.EVAL
    o["train"] = _mode.check(model, o["training"], o["do_constant_folding"])
    if o["dynamo"]:  # torch's default: an ONNXProgram, saved to `f` as torch saves it
        return _export_program(onnx, model, args, kwargs, f, opset, o)
    warnings.warn(_LEGACY, DeprecationWarning, stacklevel=3)
    if f is None:
        raise ValueError("ember.onnx.export(dynamo=False) needs `f`, a path or a binary file "
                         "object")
    model_proto = _build(onnx, model, args, kwargs, opset, o)
    _show(model_proto, o)
    if model_proto.ByteSize() > _LARGE:
        if not (o["external_data"] and isinstance(f, (str, os.PathLike))):
            raise OnnxExporterError(
                "ONNX export: the model is larger than 2GB, the most one ONNX file holds: "
                "export to a path with external_data=True (the weights go to '<f>.data')")
        save_model(model_proto, os.fspath(f), True)
        return None
    _write(f, model_proto.SerializeToString())
    return None


_LEGACY = ("You are using the legacy TorchScript-based ONNX export. Starting in PyTorch 2.9, the "
           "new torch.export-based ONNX exporter has become the default. Learn more about the "
           "new export logic: https://docs.pytorch.org/docs/stable/onnx_export.html. For "
           "exporting control flow: https://pytorch.org/tutorials/beginner/onnx/"
           "export_control_flow_model_to_onnx_tutorial.html")


def _show(model_proto, o):
    if o["verbose"]:
        import onnx.printer
        print(onnx.printer.to_text(model_proto.graph))


def _export_program(onnx, model, args, kwargs, f, opset, o):
    """dynamo=True: the same graph, returned as an ONNXProgram; `f` gets it as torch's
    ONNXProgram.save writes it (weights in '<f>.data' with external_data, torch's default)."""
    from ._program import ONNXProgram
    model_proto = _build(onnx, model, args, kwargs, opset,
                         dict(o, export_params=True, keep_initializers_as_inputs=False))
    _show(model_proto, o)
    program = ONNXProgram(model_proto)
    if f is None:
        return program
    if isinstance(f, io.BytesIO):  # torch keeps this legacy form, with a warning
        warnings.warn("Saving ONNX model to a BytesIO object is deprecated. Please use a file "
                      "path instead.", DeprecationWarning, stacklevel=4)
        f.write(model_proto.SerializeToString())
        return program
    program.save(f, include_initializers=o["export_params"],
                 keep_initializers_as_inputs=o["keep_initializers_as_inputs"],
                 external_data=o["external_data"])
    return program


def _split_args(args, kwargs):
    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):  # torch's trailing dict of keyword inputs
        kwargs.update(args[-1])
        args = args[:-1]
    return args, kwargs


def _write(f, data):
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".ember-onnx-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    else:
        f.write(data)


def _param_names(model):
    names = {}
    for n, p in model.named_parameters():
        names.setdefault(id(p), n)
    for n, b in model.named_buffers():
        if b is not None:
            names.setdefault(id(b), n)
    return names


def _input_names(args, kwargs, given):
    tensors = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)]
    given = list(given or [])
    return tensors, [given[i] if i < len(given) else f"input.{i + 1}" for i in range(len(tensors))]


def _trace(onnx, model, args, kwargs, opset, o, dyn, guess):
    """One traced forward into a new Graph; `guess`: shape operands guess which axes follow
    the dynamic ones (the fallback when two traces differ in structure)."""
    from ._trace import tracing
    g = Graph(onnx, opset, _param_names(model), bool(o["do_constant_folding"]))
    tensors, names = _input_names(args, kwargs, o["input_names"])
    for nm, t in zip(names, tensors):
        g.bind(t, nm)
        g.inputs.append((nm, t))
        if guess:
            g.dyn_sizes.update(t.shape[ax] for ax in dyn.get(nm, {}))
    g.train, g.mode = o["train"], o["training"]
    with _mode.model_mode(model, o["training"]), grad_mode.no_grad(), tracing(g, model):
        out = model(*args, **kwargs)
    return g, out


def _traced(onnx, model, args, kwargs, opset, o, dyn):
    """The graph, dynamic axes following the inputs (`_dynamic`)."""
    from . import _dynamic
    _, names = _input_names(args, kwargs, o["input_names"])
    if not any(dyn.get(nm) for nm in names):
        return _trace(onnx, model, args, kwargs, opset, o, dyn, False) + (None,)
    start = _mode.State(model)  # each trace from the same buffers and random state
    g, out = _trace(onnx, model, args, kwargs, opset, o, dyn, False)
    after = _mode.State(model)
    start.restore()
    args2, kwargs2 = _dynamic.grown_args(args, kwargs, names, dyn)
    g2, out2 = _trace(onnx, model, args2, kwargs2, opset, o, dyn, False)
    shapes = [tuple(t.shape) for t in _flat_outputs(out2)]
    if _dynamic.generalize(g, g2):
        after.restore()
        return g, out, shapes
    start.restore()
    return _trace(onnx, model, args, kwargs, opset, o, dyn, True) + (shapes,)


def _dyn_axes(spec):
    """dynamic_axes as {name: {axis: dim name}} (a list of axes gets torch's names)."""
    out = {}
    for name, axes in (spec or {}).items():
        if isinstance(axes, dict):
            out[name] = {int(a): str(n) for a, n in axes.items()}
        else:
            out[name] = {int(a): f"{name}_dynamic_axes_{k + 1}" for k, a in enumerate(axes)}
    return out


def _flat_outputs(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat_outputs(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _flat_outputs(o)]
    raise OnnxExporterError(f"ONNX export: the model returned a {type(out).__name__}; only "
                            "Tensors and tuples, lists and dicts of them can be outputs")


def _value_info(onnx, name, t, axes, other=None, unknown=()):
    """`name`'s type: `axes` named as given; an axis whose size differs in `other` (the shape
    in the second trace) or depends on the data (`unknown`) gets a symbolic size too."""
    dims = []
    for i, s in enumerate(t.shape):
        if i in axes:
            dims.append(axes[i])
        elif i in unknown or other is not None and other[i] != s:
            dims.append(f"{name}_dim_{i}")
        else:
            dims.append(int(s))
    et = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(t._data.dtype))
    return onnx.helper.make_tensor_value_info(name, et, dims)


def _build(onnx, model, args, kwargs, opset, o):
    dyn = _dyn_axes(o["dynamic_axes"])
    g, out, shapes2 = _traced(onnx, model, args, kwargs, opset, o, dyn)
    if g.fold and o["training"] == TrainingMode.EVAL:  # torch's eval peephole pass
        from ._fuse import fuse_conv_bn
        fuse_conv_bn(g)
    outs = _flat_outputs(out)
    out_names = list(o["output_names"] or [])
    inputs = [_value_info(onnx, nm, t, dyn.get(nm, {})) for nm, t in g.inputs]
    outputs, seen = [], set()
    for i, t in enumerate(outs):
        nm = g.name(t, "Identity")
        unknown = g.unknown_dims.get(nm, ())
        want = out_names[i] if i < len(out_names) else None
        if nm in seen or nm in g.inits or any(nm == n for n, _ in g.inputs) or \
                (want is not None and want != nm and _is_produced(g, want)):
            nm = g.node("Identity", [nm])
        if want is not None and want != nm:
            _rename(g, nm, want)
            nm = want
        seen.add(nm)
        other = shapes2[i] if shapes2 is not None and len(shapes2) == len(outs) else None
        outputs.append(_value_info(onnx, nm, t, dyn.get(nm, {}), other, unknown))
    return _assemble(onnx, g, inputs, outputs, opset, o)


def _is_produced(g, name):
    return any(name in n.output for n in g.nodes)


def _rename(g, old, new):
    for n in g.nodes:
        for i, v in enumerate(n.output):
            if v == old:
                n.output[i] = new
        for i, v in enumerate(n.input):
            if v == old:
                n.input[i] = new


def _assemble(onnx, g, inputs, outputs, opset, o):
    used = set()
    for n in g.nodes:
        used.update(n.input)
    params = [nm for nm in g.inits if nm in g.used_params and nm in used]
    consts = [nm for nm in g.inits if nm not in g.used_params and nm in used]
    inits = [onnx.numpy_helper.from_array(np.ascontiguousarray(g.inits[nm]), nm)
             for nm in consts]
    param_inits = [onnx.numpy_helper.from_array(np.ascontiguousarray(g.inits[nm]), nm)
                   for nm in params]
    if o["export_params"]:
        inits = param_inits + inits
        if o["keep_initializers_as_inputs"]:
            inputs = inputs + [_init_info(onnx, t) for t in param_inits]
    else:  # the weights become inputs the caller feeds
        inputs = inputs + [_init_info(onnx, t) for t in param_inits]
    graph = onnx.helper.make_graph(g.nodes, "main_graph", inputs, outputs, inits)
    opsets = [onnx.helper.make_opsetid("", opset)]
    from ..version import __version__
    return onnx.helper.make_model(graph, opset_imports=opsets, producer_name="ember",
                                  producer_version=str(__version__),
                                  ir_version=onnx.helper.find_min_ir_version_for(opsets))


def _init_info(onnx, t):
    return onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
