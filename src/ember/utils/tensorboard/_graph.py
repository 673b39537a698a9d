"""Model graphs for TensorBoard's Graphs tab: ONNX files (as torch reads them), and the refusal
of `add_graph`.

`add_onnx_graph` reads an ONNX model with the `onnx` package (imported on use) and turns its
inputs/outputs into 'Variable' nodes and its operators into nodes named by their first output,
as torch does. `add_graph` is refused: torch's graph is the TorchScript IR of
`torch.jit.trace(model, input_to_model)` -- one node per aten op, named by module scope and by
TorchScript's value names, plus CPU step stats. ember has no TorchScript tracer (its jit.trace
runs eagerly) and no dispatch hook that records dataflow per aten op, so a graph built here
could not match torch's; rather than write a different graph under torch's name, it refuses.
"""

from ..._args import EmberNotImplementedError


def refuse_graph(model, input_to_model, verbose, use_strict_trace):
    """Raises the refusal, naming the model and input that were offered."""
    offered = type(model).__name__, type(input_to_model).__name__, verbose, use_strict_trace
    raise EmberNotImplementedError(
        "ember does not implement torch.utils.tensorboard.SummaryWriter.add_graph yet: torch "
        "draws the graph of a TorchScript trace (torch.jit.trace), which ember does not have "
        f"(model={offered[0]}, input_to_model={offered[1]})")


def load_onnx_graph(fname):
    """The GraphDef of the ONNX model stored in `fname`."""
    from ._extras import require
    onnx = require("onnx", None, "SummaryWriter.add_onnx_graph")
    return parse(onnx.load(fname).graph)


def parse(graph):
    """An ONNX GraphProto as a GraphDef; prints each node's name as torch's parser does."""
    from tensorboard.compat.proto.attr_value_pb2 import AttrValue
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.node_def_pb2 import NodeDef
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.compat.proto.versions_pb2 import VersionDef
    nodes = []
    for value in [*graph.input, *graph.output]:
        print(value.name)
        tensor_type = value.type.tensor_type
        shape = TensorShapeProto(
            dim=[TensorShapeProto.Dim(size=d.dim_value) for d in tensor_type.shape.dim])
        nodes.append(NodeDef(name=value.name.encode(encoding="utf_8"), op="Variable", input=[],
                             attr={"dtype": AttrValue(type=tensor_type.elem_type),
                                   "shape": AttrValue(shape=shape)}))
    for op in graph.node:
        # each attribute as its set fields' values joined by ' = ' (name = value)
        described = ", ".join(" = ".join(str(f[1]) for f in a.ListFields())
                              for a in op.attribute)
        print(op.output[0])
        nodes.append(NodeDef(name=op.output[0].encode(encoding="utf_8"), op=op.op_type,
                             input=op.input,
                             attr={"parameters": AttrValue(s=described.encode(encoding="utf_8"))}))
    return GraphDef(node=nodes, versions=VersionDef(producer=22))
