"""SummaryWriter.add_graph: refused for now, with the reason.

torch's graph is the TorchScript IR of `torch.jit.trace(model, input_to_model)`: one GraphDef
node per aten op, named by module scope, plus CPU step stats. ember has no TorchScript tracer and
its autograd nodes are not aten ops, so a GraphDef built here could not match torch's; rather
than write a different graph under torch's name, the call is refused.
"""

from ..._args import EmberNotImplementedError


def refuse_graph(model, input_to_model, verbose, use_strict_trace):
    """Raises the refusal, naming the model and input that were offered."""
    offered = type(model).__name__, type(input_to_model).__name__, verbose, use_strict_trace
    raise EmberNotImplementedError(
        "ember does not implement torch.utils.tensorboard.SummaryWriter.add_graph yet: torch "
        "draws the graph of a TorchScript trace (torch.jit.trace), which ember does not have "
        f"(model={offered[0]}, input_to_model={offered[1]})")
