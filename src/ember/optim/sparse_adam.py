"""SparseAdam: torch's Adam for sparse gradients, as far as ember's dense tensors reach.

torch's SparseAdam updates only the entries a sparse gradient names and refuses a dense
gradient. ember has no sparse layout yet (`nn.Embedding(sparse=True)` is refused), so every
gradient is dense: construction checks arguments as torch does, and `step` raises torch's error
for the first parameter that has a gradient; a step where no parameter has one does nothing.
"""

from ..autograd.grad_mode import enable_grad
from .optimizer import Optimizer, Tensor

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Matches torch.optim.SparseAdam (every ember gradient is dense, which torch refuses)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             "support complex parameters")

    def step(self, closure=None):
        """Runs the closure, then refuses the dense gradients ember produces, as torch does."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    # torch's check; the sparse update it guards has no input in ember yet
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
        return loss
