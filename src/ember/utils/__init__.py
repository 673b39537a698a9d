"""ember.utils: helpers shaped like torch.utils (data loading, hook handles); each loads on use."""

from .._compat import module_getattr as _module_getattr

__all__ = ["data", "hooks", "tensorboard", "checkpoint"]  # benchmark joins when it lands
__getattr__ = _module_getattr(__name__, {
    "data": (".data", None), "hooks": (".hooks", None), "tensorboard": (".tensorboard", None),
    "benchmark": (".benchmark", None), "checkpoint": (".checkpoint", None),
    "_pytree": ("._pytree", None), "model_zoo": (".model_zoo", None)})
