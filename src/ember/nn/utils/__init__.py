"""ember.nn.utils: gradient clipping and parameter/vector conversion."""

from ..._compat import module_getattr as _module_getattr
from . import rnn  # noqa: F401
from .clip_grad import (
                        clip_grad_norm,
                        clip_grad_norm_,
                        clip_grad_value_,
                        clip_grads_with_norm_,
                        get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "parameters_to_vector", "vector_to_parameters"]
__getattr__ = _module_getattr(__name__)
