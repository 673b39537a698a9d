"""parameters_to_vector and vector_to_parameters: one flat vector for all parameters."""

from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param, old_device):
    """Returns the CUDA index of the parameters seen so far (-1 for CPU); refuses a mix."""
    index = param.get_device() if param.device.type == "cuda" else -1
    if old_device is None:
        return index
    if index != old_device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return old_device


def parameters_to_vector(parameters):
    """Concatenates the flattened parameters into one vector (differentiable, like torch's)."""
    from ... import cat
    device = None
    flat = []
    for param in parameters:
        device = _check_param_device(param, device)
        flat.append(param.view(-1))
    return cat(flat)


def vector_to_parameters(vec, parameters):
    """Makes each parameter's data a view of its slice of `vec`."""
    if not isinstance(vec, Tensor):
        from ...optim.optimizer import _typename
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    device = None
    start = 0
    for param in parameters:
        device = _check_param_device(param, device)
        n = param.numel()
        param.data = vec[start:start + n].view_as(param).data
        start += n
