"""Parameter (a Tensor subclass that Modules register as a learnable weight), Buffer, and the
uninitialized (lazy) forms of both.

A Parameter shares its array with the tensor it was made from, as torch's does; the only extra
state is the subclass itself. `Buffer` is a marker: assigning one to a Module attribute registers
it as a buffer. Ops return plain Tensors, so `p * 2` is no longer a Parameter.
UninitializedParameter/UninitializedBuffer (lazy modules' placeholders) hold an empty array until
`materialize` gives them a shape and turns them into a Parameter/Tensor in place; until then
every use other than torch's few allowed methods raises torch's ValueError.
"""

from .._tensor import Tensor, _as_subclass, _wrap
from ._placeholder_errors import (
    ALLOWED,
    KEEP,
    dispatched_use,
    refusing,
    torch_function,
    use_error,
)

__all__ = ["Parameter", "UninitializedParameter", "is_lazy", "Buffer", "UninitializedBuffer",
           "UninitializedTensorMixin"]


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


_raw_slot = Tensor._data


class UninitializedTensorMixin:
    """Matches torch.nn.parameter.UninitializedTensorMixin: the empty placeholder's rules."""

    __slots__ = ()
    cls_to_become = None

    # the array is readable only through the methods below; any op reading it raises
    @property
    def _data(self):
        raise use_error(type(self), torch_function(None))

    @_data.setter
    def _data(self, value):
        _raw_slot.__set__(self, value)

    def _raw(self):
        return _wrap(_raw_slot.__get__(self))

    def __getattribute__(self, name):
        if name[0] != "_" and name not in ALLOWED:
            for klass in type(self).__mro__:
                attr = klass.__dict__.get(name)
                if attr is not None:
                    if (klass is Tensor or klass is Parameter) and callable(attr) and \
                            not hasattr(attr, "__set__"):
                        return refusing(name, attr).__get__(self)
                    break
        return object.__getattribute__(self, name)

    def materialize(self, shape, device=None, dtype=None):
        """Gives the placeholder `shape` (uninitialized values) and makes it a Parameter or
        Tensor in place, on the given device and dtype or its own."""
        from ..ops.creation import empty
        raw = self._raw()
        new = empty(shape, device=raw.device if device is None else device,
                    dtype=raw.dtype if dtype is None else dtype)
        _raw_slot.__set__(self, new._data)
        self.dtype = new.dtype
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        error = dispatched_use(type(self))  # torch checks a function's arguments first
        if error is not None:
            raise error
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (type(self), (self._rg,))

    # torch's allowed methods and its properties, on the empty array
    @property
    def data(self):
        return self._raw()

    @data.setter
    def data(self, value):
        _raw_slot.__set__(self, _raw_slot.__get__(value))
        self.dtype = value.dtype

    @property
    def device(self):
        return self._raw().device

    @property
    def is_meta(self):
        return self._raw().is_meta

    @property
    def ndim(self):
        return self._raw().ndim

    @property
    def nbytes(self):
        return self._raw().nbytes

    @property
    def itemsize(self):
        return self._raw().itemsize

    def size(self, dim=None):
        return self._raw().size(dim)

    def copy_(self, src, non_blocking=False):
        raw = self._raw()
        raw._rg, raw._vc = self._rg, self._vc
        raw.copy_(src._raw() if is_lazy(src) else src, non_blocking)
        return self

    def to(self, *args, **kwargs):
        raw = self._raw()
        raw._rg = self._rg  # a conversion records its node, as torch's does
        out = raw.to(*args, **kwargs)
        if out is raw:
            return self
        return self._converted(out)

    def _converted(self, out):
        return out


def is_lazy(param):
    """Matches torch.nn.parameter.is_lazy."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """Matches torch.nn.UninitializedParameter: a Parameter whose shape is not known yet."""

    cls_to_become = Parameter
    # __new__ reads the arguments; object's __init__ accepts them as they are
    __init__ = object.__init__

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from ..ops.creation import empty
        p = _as_subclass(empty(0, device=device, dtype=dtype), cls)
        p._rg = bool(requires_grad)
        return p

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        raw = self._raw()
        new = type(self)(self._rg, raw.device, raw.dtype)
        memo[id(self)] = new
        return new


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """Matches torch.nn.UninitializedBuffer: a buffer whose shape is not known yet."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from ..ops.creation import empty
        b = _as_subclass(empty(0, device=device, dtype=dtype), cls)
        b._rg = bool(requires_grad)
        b.persistent = persistent
        b._is_buffer = True
        return b

    def _converted(self, out):
        # torch keeps a buffer's type through conversions (a Parameter's becomes a Tensor)
        return type(self)(self._rg, out.device, out.dtype, self.__dict__.get("persistent", True))


def _install_dunder_guards():
    for name, fn in list(vars(Tensor).items()):
        if name.startswith("__") and name not in KEEP and callable(fn) and \
                not isinstance(fn, type) and name not in vars(UninitializedTensorMixin):
            setattr(UninitializedTensorMixin, name, refusing(name, fn))


_install_dunder_guards()
