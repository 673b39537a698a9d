"""ember.nn.utils: gradient clipping, parameter/vector conversion, packed sequences, the
hook-based weight_norm/spectral_norm, and (loaded on first use) parametrize, parametrizations,
prune and stateless."""

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
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

_LAZY = {"parametrize": (".parametrize", None), "parametrizations": (".parametrizations", None),
         "prune": (".prune", None), "stateless": (".stateless", None)}

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "parameters_to_vector", "vector_to_parameters", "weight_norm",
           "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]
__getattr__ = _module_getattr(__name__, _LAZY)
