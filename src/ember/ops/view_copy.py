"""torch's `*_copy` functions (expand_copy, permute_copy, ...): the view op, then a contiguous
copy of its result, so the output shares no memory with the input; gradients flow as through
the view. One table, one wrapper. (narrow_copy has its own grad_fn name: ops/views.py.)"""

# name -> the Tensor method whose result is copied
_VIEWS = ("expand", "view", "permute", "transpose", "t", "squeeze", "unsqueeze", "diagonal",
          "select", "detach", "unfold", "as_strided", "view_as_real",
          "view_as_complex", "unbind", "split", "split_with_sizes", "alias")
__all__ = [f"{v}_copy" for v in _VIEWS]


def _method(view):
    if view == "alias":
        return lambda x: x.view(x.shape)
    if view in ("view_as_real", "view_as_complex"):
        def f(x):
            import ember
            return getattr(ember, view)(x)
        return f
    return lambda x, *args, **kwargs: getattr(x, view)(*args, **kwargs)  # bound after import


def _make(view):
    name = f"{view}_copy"
    method = _method(view)

    def f(input, *args, out=None, **kwargs):
        r = method(input, *args, **kwargs)
        if isinstance(r, (tuple, list)):
            r = tuple(v.clone() for v in r)
            if out is not None:
                from .inplace import _out_tuple
                _out_tuple(r, out, name, (input,), False, True, True)
                return None
            return r
        r = r.clone(memory_format=_contiguous())
        if out is not None:
            from .inplace import _out
            return _out(r, out, name, (input,))
        return r
    f.__name__ = f.__qualname__ = name
    return f


def _contiguous():
    from .._dtype import contiguous_format
    return contiguous_format


globals().update({f"{v}_copy": _make(v) for v in _VIEWS})
