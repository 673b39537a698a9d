"""The picklable-object collectives of ember.distributed: all_gather_object,
broadcast_object_list, gather_object and scatter_object_list (mpi4py's pickle-based
lower-case calls; objects are pickled in torch too)."""

from . import _state as S
from ._collectives import _not_member

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object",
           "scatter_object_list"]


def _host_only(api, device):
    if device is not None and str(device) != "cpu":
        from .._args import unsupported
        unsupported(f"torch.distributed.{api}", "device", device)


def all_gather_object(object_list, obj, group=None):
    if _not_member(group, "all_gather_object"):
        return None
    g = S._resolve(group)
    gathered = g._comm.allgather(obj)
    if len(object_list) < len(gathered):
        raise IndexError("list assignment index out of range")
    object_list[:len(gathered)] = gathered
    return None


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    _host_only("broadcast_object_list", device)
    if _not_member(group, "broadcast_object_list"):
        return None
    g = S._resolve(group)
    root = S._peer(g, src, group_src, "src")
    values = g._comm.bcast(list(object_list) if g.rank() == root else None, root=root)
    object_list[:] = values
    return None


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    if _not_member(group, "gather_object"):
        return None
    g = S._resolve(group)
    root = S._peer(g, dst, group_dst, "dst")
    if g.rank() == root and not object_gather_list:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    if g.rank() != root and object_gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    gathered = g._comm.gather(obj, root=root)
    if g.rank() == root:
        object_gather_list[:len(gathered)] = gathered
    return None


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    if _not_member(group, "scatter_object_list"):
        return None
    g = S._resolve(group)
    root = S._peer(g, src, group_src, "src")
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at "
                         "least 1.")
    items = list(scatter_object_input_list) if g.rank() == root else None
    scatter_object_output_list[0] = g._comm.scatter(items, root=root)
    return None
