"""SyncBatchNorm: batch normalization whose statistics cover the whole batch over every rank of a
process group (ember.distributed), and `convert_sync_batchnorm`.

In training, with a process group of more than one rank, each channel's sum and count are
all-reduced to give the global mean, then the sum of squared deviations from it to give the
global (biased) variance; the running variance gets the unbiased one, as torch's. The
all-reduce is differentiable (its backward all-reduces the gradients), so the gradients are
those of one process normalizing the concatenated batch. Otherwise it is BatchNorm. Unlike
torch, which refuses a CPU input here, ember synchronizes CPU tensors (over MPI).
"""

from ...autograd import Function
from .. import _norm
from .batchnorm import _BatchNorm

__all__ = ["SyncBatchNorm"]


class _AllReduceSum(Function):
    """all_reduce(SUM) with a gradient: the gradient of a sum over the ranks is the sum of the
    ranks' gradients."""

    @staticmethod
    def forward(ctx, t, group):
        from ...distributed import all_reduce
        ctx.group = group
        out = t.clone()
        all_reduce(out, group=group)
        return out

    @staticmethod
    def backward(ctx, grad):
        from ...distributed import all_reduce
        grad = grad.clone()
        all_reduce(grad, group=ctx.group)
        return grad, None


def _all_reduce_sum(x, group):
    return _AllReduceSum.apply(x, group)


def _sync_batch_norm(x, weight, bias, running_mean, running_var, eps, factor, group):
    from ... import cat, full, no_grad
    dims = [0] + list(range(2, x.dim()))
    shape = [1, x.shape[1]] + [1] * (x.dim() - 2)
    local = x.numel() // x.shape[1]
    stats = _all_reduce_sum(cat([x.sum(dims), full((1,), float(local), dtype=x.dtype)]), group)
    n = stats[-1]
    mean = stats[:-1] / n
    centered = x - mean.reshape(shape)
    var = _all_reduce_sum((centered * centered).sum(dims), group) / n
    y = centered / (var + eps).sqrt().reshape(shape)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    if running_mean is not None:
        with no_grad():
            count = n.item()
            running_mean.mul_(1 - factor).add_(mean.detach() * factor)
            unbiased = var.detach() * (count / max(count - 1, 1))
            running_var.mul_(1 - factor).add_(unbiased * factor)
    return y


class SyncBatchNorm(_BatchNorm):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / self.num_batches_tracked.item() if self.momentum is None else factor
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_buffers = not self.training or self.track_running_stats
        running_mean = self.running_mean if use_buffers else None
        running_var = self.running_var if use_buffers else None
        group, world = self._group()
        if not (bn_training and self.training and world > 1):
            return _norm.batch_norm(input, running_mean, running_var, self.weight, self.bias,
                                    bn_training, factor, self.eps)
        return _sync_batch_norm(input, self.weight, self.bias, running_mean, running_var,
                                self.eps, factor, group)

    def _group(self):
        """(process group, its size); size 1 when ember.distributed is not in use."""
        from ... import distributed as dist
        if not (self.training and dist.is_available() and dist.is_initialized()):
            return None, 1
        group = self.process_group or dist.group.WORLD
        return group, dist.get_world_size(group)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """`module` with every BatchNorm*D layer replaced by a SyncBatchNorm holding the same
        parameters and buffers (a BatchNorm layer itself is returned converted)."""
        from ... import no_grad
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                module.track_running_stats, process_group)
            if module.affine:
                with no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return out
