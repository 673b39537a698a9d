"""torch.func's nn.Module helpers: functional_call (nn.utils.stateless does the swapping) and
stack_module_state (one stacked leaf per parameter and buffer, for vmap over ensembles)."""

from ..nn.utils.stateless import _func_functional_call


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Matches torch.func.functional_call."""
    return _func_functional_call(module, parameter_and_buffer_dicts, args, kwargs,
                                 tie_weights=tie_weights, strict=strict)


def _stacked_leaf(tensors, name):
    import ember
    rg = [t.requires_grad for t in tensors]
    if any(rg) and not all(rg):
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    out = ember.stack([t.detach() for t in tensors])
    return out.requires_grad_() if all(rg) else out


def stack_module_state(models):
    """Matches torch.func.stack_module_state: (params, buffers) stacked over the models."""
    models = list(models)
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if not all(type(m) is type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = [dict(m.named_parameters()) for m in models]
    buffers = [dict(m.named_buffers()) for m in models]
    return ({k: _stacked_leaf([p[k] for p in params], k) for k in params[0]},
            {k: _stacked_leaf([b[k] for b in buffers], k) for k in buffers[0]})
