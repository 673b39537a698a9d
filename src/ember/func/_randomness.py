"""vmap's `randomness` flag for the ops that draw random numbers.

'error' refuses any draw inside vmap; 'same' draws once for the whole batch; 'different' draws
independently per batch entry (a factory gets the batch size prepended to its shape). A dropout
that is not training draws nothing, so it passes under every flag, as in torch.
"""

from ._batched import _RANDOM_ERROR, _STACK, RANDOM, BatchedTensor, make, run_rule

_FACTORIES = ("rand", "randn")
_DROPOUTS = ("dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d",
             "dropout3d")
_INPLACE = ("uniform_", "normal_", "bernoulli_", "random_", "exponential_", "geometric_",
            "log_normal_", "cauchy_")
RANDOM.update(_FACTORIES + _DROPOUTS + _INPLACE + (
    "randint", "randperm", "normal", "bernoulli", "multinomial", "poisson", "rand_like",
    "randn_like", "randint_like", "rrelu"))
_SAME_BATCHED = ("Vmap does not currently support same randomness with a batched tensor "
                 "input. Please file an issue with functorch")

def _not_training(name, args, kwargs):
    if name not in _DROPOUTS:
        return False
    training = kwargs.get("training", args[2] if len(args) > 2 else True)
    p = kwargs.get("p", args[1] if len(args) > 1 else 0.5)
    return not training or p == 0


def random_op(name, fn, level, args, kwargs):
    if not _STACK:
        return fn(*args, **kwargs)
    if _not_training(name, args, kwargs):
        return run_rule(name, fn, level, args, kwargs) if level is not None else fn(
            *args, **kwargs)
    frame = _STACK[-1]
    mode = frame[2]
    if mode == "error":
        raise RuntimeError(_RANDOM_ERROR)
    if level is None:
        if mode == "same":
            return fn(*args, **kwargs)
        if name in _FACTORIES:
            size = kwargs.pop("size", None)
            if size is None:
                size = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) \
                    else args
                args = ()
            return make(fn((frame[1],) + tuple(size), *args, **kwargs), frame[0])
        raise NotImplementedError(f"ember does not implement torch.{name} inside "
                                  "vmap(randomness='different') yet")
    if mode == "same":
        import ember
        if name in _INPLACE and args[0].__class__ is BatchedTensor and not any(
                a.__class__ is BatchedTensor for a in (*args[1:], *kwargs.values())):
            x = args[0]  # one draw for the logical shape, written to every batch entry
            return x.copy_(fn(ember.empty(tuple(x.shape), dtype=x.dtype), *args[1:], **kwargs))
        if name in _DROPOUTS and args[0].__class__ is BatchedTensor:
            mask = fn(ember.ones(tuple(args[0].shape), dtype=args[0].dtype), *args[1:],
                      **{k: v for k, v in kwargs.items() if k != "inplace"})
            return args[0] * mask
        raise RuntimeError(_SAME_BATCHED)
    return run_rule(name, fn, level, args, kwargs)
