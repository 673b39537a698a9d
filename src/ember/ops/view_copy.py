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


# ---- the view ops' scatters: a copy of input with the view's elements replaced by src
def _scatter_into_view(name, input, src, view):
    out = input.clone()
    v = view(out)
    if tuple(v.shape) != tuple(src.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(v.shape)}")
    v.copy_(src)
    if out.grad_fn is not None:
        out.grad_fn._name = name
    return out


def select_scatter(input, src, dim, index):
    """torch.select_scatter: input with input.select(dim, index) replaced by src."""
    return _scatter_into_view("SelectScatterBackward0", input, src,
                              lambda t: t.select(dim, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """torch.slice_scatter: input with input[..., start:end:step, ...] (along dim) replaced."""
    d = dim % input.dim()
    key = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into_view("SliceScatterBackward0", input, src, lambda t: t[key])


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """torch.diagonal_scatter: input with input.diagonal(offset, dim1, dim2) replaced by src."""
    return _scatter_into_view("DiagonalScatterBackward0", input, src,
                              lambda t: t.diagonal(offset, dim1, dim2))


__all__ += ["select_scatter", "slice_scatter", "diagonal_scatter"]
