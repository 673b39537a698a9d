"""torch.nn.utils.weight_norm: the hook-based weight normalization (torch deprecates it in favour
of parametrizations.weight_norm), and the two functions both forms compute with,
torch.norm_except_dim and torch._weight_norm, written here from primitives.

`weight_norm(module)` replaces the parameter `weight` by `weight_g` (norms) and `weight_v`
(direction) and recomputes `weight = v * g / ||v||` in a forward pre-hook.
"""

import warnings

from ..._compat import module_getattr as _module_getattr
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]
__getattr__ = _module_getattr(__name__)


def _norm_except_dim(v, pow=2, dim=0):
    """torch.norm_except_dim: the `pow`-norm over every dimension but `dim`, shaped to
    broadcast against v (dim -1: one norm of the whole tensor)."""
    if dim == -1:
        return v.norm(pow)
    if dim < 0:
        dim += v.dim()
    shape = [1] * v.dim()
    shape[dim] = v.shape[dim]
    moved = v.movedim(dim, 0) if dim else v
    return moved.reshape(v.shape[dim], -1).norm(pow, 1).view(shape)


def _weight_norm(v, g, dim=0):
    """torch._weight_norm: v * (g / ||v||) with the norm taken as in _norm_except_dim."""
    return v * (g / _norm_except_dim(v, 2, dim))


class WeightNorm:
    """Matches torch.nn.utils.weight_norm.WeightNorm: the forward pre-hook."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                            self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError("Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(_norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Matches torch.nn.utils.weight_norm (with its FutureWarning)."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Matches torch.nn.utils.remove_weight_norm."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
