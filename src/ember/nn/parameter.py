"""Parameter (a Tensor subclass that Modules register as a learnable weight) and Buffer.

A Parameter shares its array with the tensor it was made from, as torch's does; the only extra
state is the subclass itself. `Buffer` is a marker: assigning one to a Module attribute registers
it as a buffer. Ops return plain Tensors, so `p * 2` is no longer a Parameter.
"""

from .._tensor import Tensor, _as_subclass, _wrap

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """Matches torch.nn.Parameter."""

    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            import numpy as np

            from .. import get_default_dtype
            data = _wrap(np.empty((0,), get_default_dtype().np))
        t = _wrap(data._data)
        t._vc = data._vc
        p = _as_subclass(t, cls)
        p._rg = bool(requires_grad)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = type(self)(_wrap(self._data.copy()), self._rg)
        if self.grad is not None:
            p.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self._rg))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class _BufferMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and bool(getattr(obj, "_is_buffer", False))


class Buffer(Tensor, metaclass=_BufferMeta):
    """Matches torch.nn.Buffer: a tensor flagged to become a buffer when assigned to a Module."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .. import empty
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
