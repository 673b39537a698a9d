"""torch.func: vmap and the function transforms (grad, vjp, jacrev, jacfwd, jvp, hessian,
linearize), functional_call and stack_module_state.

`_vmap.py` is the vmap API, `_batched.py` its BatchedTensor and dispatcher, `_batching_rules.py`
and `_nn_rules.py` the per-op rules, `_randomness.py` the randomness flag; `_eager_transforms.py`
holds the autograd transforms and `_module_state.py` the nn.Module helpers.
"""

from ._batched import _fallback_counts  # noqa: F401  (loop-fallback counts, by op name)
from ._eager_transforms import (
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linearize,
    vjp,
)
from ._module_state import functional_call, stack_module_state
from ._vmap import vmap

__all__ = ["vmap", "grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "jvp", "hessian",
           "linearize", "functional_call", "stack_module_state"]
