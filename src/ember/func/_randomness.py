"""vmap's `randomness` flag for the ops that draw random numbers.

'error' refuses any draw inside vmap; 'same' draws once for the whole batch; 'different' draws
independently per batch entry (a factory gets the batch size prepended to its shape). A dropout
that is not training draws nothing, so it passes under every flag, as in torch. An in-place
draw into an unbatched tensor is refused under 'different' (torch's text); jacfwd's flag is a
GUARDS entry; draws made by a rule's own physical call (PHYSICAL) are not checked again.
"""

from .._tensor import Tensor
from ._batched import _RANDOM_ERROR, _STACK, GUARDS, PHYSICAL, RANDOM, BatchedTensor, make, run_rule

_FACTORIES = ("rand", "randn")
_DROPOUTS = ("dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d",
             "dropout3d")
_INPLACE = ("uniform_", "normal_", "bernoulli_", "random_", "exponential_", "geometric_",
            "log_normal_", "cauchy_")
RANDOM.update(_FACTORIES + _DROPOUTS + _INPLACE + (
    "randint", "randperm", "normal", "bernoulli", "multinomial", "poisson", "rand_like",
    "randn_like", "randint_like", "rrelu", "rrelu_"))
_DIFFERENT_INPLACE = ("vmap: Cannot ask for different inplace randomness on an unbatched "
                      "tensor. This will appear like same randomness. If this is necessary for "
                      "your usage, please file an issue with functorch.")
_SAME_BATCHED = ("Vmap does not currently support same randomness with a batched tensor "
                 "input. Please file an issue with functorch")

def _not_training(name, args, kwargs):
    if name not in _DROPOUTS:
        return False
    training = kwargs.get("training", args[2] if len(args) > 2 else True)
    p = kwargs.get("p", args[1] if len(args) > 1 else 0.5)
    return not training or p == 0


def random_op(name, fn, level, args, kwargs):
    if name in ("rrelu", "rrelu_") and level is not None:
        raise RuntimeError("vmap: we do not yet support aten::rrelu. Please file an issue")
    if PHYSICAL[0] and level is None:  # inside a rule: the randomness flag was applied already
        return fn(*args, **kwargs)
    if _not_training(name, args, kwargs):
        return run_rule(name, fn, level, args, kwargs) if level is not None else fn(
            *args, **kwargs)
    if "error" in GUARDS:
        raise RuntimeError(_RANDOM_ERROR)
    if not _STACK:
        return fn(*args, **kwargs)
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
        if name in _INPLACE:
            raise RuntimeError(_DIFFERENT_INPLACE)
        if not args or not isinstance(args[0], Tensor) or kwargs.get("inplace") or (
                name in _DROPOUTS and len(args) > 3 and args[3]):
            raise NotImplementedError(f"ember does not implement torch.{name} of an unbatched "
                                      "input inside vmap(randomness='different') yet")
        x = args[0]  # a fresh draw per entry: the input repeated over the batch
        level = frame[0]
        args = (make(x.unsqueeze(0).expand((frame[1],) + tuple(x.shape)), level),) + args[1:]
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
